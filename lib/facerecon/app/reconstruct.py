"""Reconstructs faces a researcher brings with a trained run's weights, to show that blur and
pixelation are not safe anonymisation: each face is cropped and resized as the pipeline does, is
obfuscated as the run was trained (unless it already is), and the network's reconstruction is
written beside the original and the obfuscated face, with PSNR and SSIM against the original.

    python -m facerecon reconstruct --model results/paper/weights/<run>.weights.h5 face.jpg
    python -m facerecon reconstruct --model ... --obfuscated blurred_faces/   # no original
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..axes.architectures import ARCHITECTURES
from ..axes.metrics import to_unit_range
from ..axes.networks import build_for_profile
from ..axes.obfuscation import OBFUSCATIONS, obfuscate_for_profile
from ..core import io
from ..core.checks import ConfigError
from ..core.quiet_keras import ops
from ..data.dataset import (CACHE_DIR, MinMaxScaler, cache_path, resize_to_profile,
                            scores_on_original_scale)
from ..experiment.config import load_profile
from ..reporting import face_plots, plots
from ..training.train import to_range

# scikit-learn's LFW crop of a 250x250 photograph (fetch_lfw_people's default slice_), which
# its resize=0.5 turns into the 62x47 faces the study uses.
LFW_CROP = (slice(70, 195), slice(78, 172))
LFW_FACE = (62, 47)
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


def run_of(weights: Path) -> tuple[str, dict]:
    """The profile and run fields named by a weights file results/<profile>/weights/<key>..."""
    if not weights.name.endswith(".weights.h5"):
        raise ConfigError(f"{weights}: not a run's weights file (<run>.weights.h5)")
    parts = weights.name[:-len(".weights.h5")].split("__")
    if len(parts) < 4 or not parts[3].startswith("seed"):
        raise ConfigError(f"{weights.name}: expected <architecture>__<loss>__<obfuscation>__seedN")
    if not weights.is_file():
        raise ConfigError(f"{weights}: no such weights file")
    profile = weights.parent.parent.name
    return profile, {"architecture": parts[0], "loss": parts[1], "obfuscation": parts[2]}


def face_of(path: Path) -> np.ndarray:
    """A photograph as the pipeline's 62x47 RGB face (uint8): an LFW-sized 250x250 image gets
    scikit-learn's crop; any other is centre-cropped to the same aspect ratio."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise ConfigError(f"{path}: not an image OpenCV can read")
    image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    if image.shape[:2] == (250, 250):
        image = image[LFW_CROP]
    else:
        height, width = image.shape[:2]
        aspect = LFW_FACE[1] / LFW_FACE[0]
        crop_h, crop_w = (height, round(height * aspect)) if width / height > aspect else (
            round(width / aspect), width)
        top, left = (height - crop_h) // 2, (width - crop_w) // 2
        image = image[top:top + crop_h, left:left + crop_w]
    return cv2.resize(image, LFW_FACE[::-1], interpolation=cv2.INTER_AREA)


def scaler_for(profile) -> MinMaxScaler:
    """The training images' min-max scaler where the profile's prepared cache is here, else the
    full 0-255 range (what LFW's training faces span)."""
    if cache_path(profile).exists():
        from ..data.dataset import load_dataset

        return load_dataset(profile).scaler
    print(f"no prepared cache in {CACHE_DIR}: scaling by the 0-255 range")
    return MinMaxScaler(0.0, 255.0)


def reconstruct(weights: Path, images: list[Path], out_dir: Path, obfuscated: bool = False
                ) -> list[dict]:
    """Writes <name>_reconstructed.png per image into out_dir; returns each image's scores."""
    profile_name, run = run_of(weights)
    profile = load_profile(profile_name)
    model = build_for_profile(run["architecture"], profile)
    model.load_weights(weights)
    output_range = ARCHITECTURES[run["architecture"]].output_range
    scaler = scaler_for(profile)
    faces = np.stack([face_of(path) for path in images])
    faces = scaler.to_unit(resize_to_profile(faces, profile))
    inputs = faces if obfuscated else obfuscate_for_profile(faces, run["obfuscation"], profile)
    # Called batch by batch rather than through predict, whose input pipeline is TensorFlow
    # start-up noise for a handful of faces.
    outputs = np.concatenate([ops.convert_to_numpy(model(to_range(batch, output_range),
                                                         training=False))
                              for batch in np.array_split(inputs, -(-len(inputs) // 16))])
    outputs = np.clip(to_unit_range(outputs.astype(np.float32), output_range), 0, 1)
    scores = {} if obfuscated else {
        label: scores_on_original_scale(scaler, images_of, faces)
        for label, images_of in (("obfuscated", inputs), ("reconstructed", outputs))}
    rows = []
    io.writable_dir(out_dir)
    for i, (path, face, given, output) in enumerate(zip(images, faces, inputs, outputs)):
        row = {"image": path.name, **{f"{label}_{m}": scored[m][i]
                                      for label, scored in scores.items() for m in ("psnr", "ssim")}}
        figure = face_plots.reconstruction_strip(face if not obfuscated else None, given, output, row,
                                            OBFUSCATIONS[run["obfuscation"]].label)
        row["written"] = io.save_figure(figure, out_dir / f"{path.stem}_reconstructed")[0]
        plots.plt.close(figure)
        rows.append(row)
    return rows


def image_paths(sources: list[str]) -> list[Path]:
    """The images named, and those inside the folders named."""
    paths = []
    for source in map(Path, sources):
        if source.is_dir():
            paths += sorted(p for p in source.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        elif source.exists():
            paths.append(source)
        else:
            raise ConfigError(f"{source}: no such image or folder")
    if not paths:
        raise ConfigError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {', '.join(sources)}")
    return paths
