"""Reconstructs faces a researcher brings with a trained run's weights, to show that blur and
pixelation are not safe anonymisation: each photograph's face is found with OpenCV's bundled
frontal-face detector (no download), cropped where scikit-learn crops an LFW photograph and
resized as the pipeline does, obfuscated as the run was trained (unless it already is), and the
network's reconstruction is written beside the original and the obfuscated face, with PSNR and
SSIM against the original. An image without a face, with one too small, or unreadable is
skipped with one line, and the others go on.

    python -m facerecon reconstruct --model quick__srresnet__psnr__blur__seed0 face.jpg
    python -m facerecon reconstruct --model results/paper/weights/<run>.weights.h5 face.jpg
    python -m facerecon reconstruct --model ... --obfuscated blurred_faces/   # no original

--model takes a model's name in models/ (app/models.py) or a run's weights file.

Already obfuscated images are taken as face crops (a detector cannot be trusted on them): each
is centre-cropped to LFW's aspect ratio.
"""
from __future__ import annotations

import functools
import os
import warnings
from collections import Counter
from pathlib import Path

import cv2
import numpy as np

from ..axes.architectures import ARCHITECTURES
from ..axes.measures import MEASURE_NAMES
from ..axes.metrics import to_unit_range
from ..axes.networks import build_for_profile
from ..axes.obfuscation import OBFUSCATIONS, obfuscate_for_profile
from ..core import io
from ..core.checks import ConfigError
from ..core.quiet_keras import ops
from ..data.dataset import (CACHE_DIR, MinMaxScaler, cache_path, load_dataset, resize_to_profile,
                            scores_on_original_scale)
from ..experiment.config import load_profile
from ..reporting import face_plots, plots
from ..training.train import to_range
from .models import resolve

# scikit-learn's LFW crop of a 250x250 photograph (fetch_lfw_people's default slice_), which
# its resize=0.5 turns into the 62x47 faces the study uses.
LFW_CROP = (slice(70, 195), slice(78, 172))
LFW_FACE = (62, 47)
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
DETECTOR = "haarcascade_frontalface_default.xml"
# Where DETECTOR finds the face in LFW's 250x250 photographs: the median box (centre x, centre
# y, width) over 400 random LFW images (tests/test_reconstruct.py measures it again on real
# LFW). A face found elsewhere is cropped as LFW_CROP lies relative to this box.
LFW_BOX = (125.5, 125.0, 114.0)
# The smallest face box whose crop is not upsampled on the way to the 62x47 face.
MIN_FACE = round(LFW_BOX[2] * LFW_FACE[1] / (LFW_CROP[1].stop - LFW_CROP[1].start))
WINDOW = 24         # DETECTOR's window, px: the smallest face it finds
DETECT_SIDE = 1600  # a larger photograph is searched at this size on its longer side


class NotAFace(ValueError):
    """An image that cannot be reconstructed: unreadable, no face found, or a face too small."""


def read_bgr(path: Path) -> np.ndarray:
    if not path.exists():
        raise NotAFace(f"{path}: no such image or folder")
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise NotAFace(f"{path}: not an image OpenCV can read")
    return image


@functools.cache
def detector() -> cv2.CascadeClassifier:
    """DETECTOR, read once per process (its cascade is a 1 MB XML file)."""
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + DETECTOR)
    if cascade.empty():
        raise ConfigError(f"OpenCV's face detector {DETECTOR} is missing from "
                          f"{cv2.data.haarcascades}; reinstall opencv-python-headless")
    return cascade


def face_box(image: np.ndarray, path: Path) -> tuple[float, float, float]:
    """The largest frontal face DETECTOR finds in a BGR image: (centre x, centre y, width) in its
    pixels. A larger photograph is searched at DETECT_SIDE px, so that memory stays that of the
    photograph itself (the detector on an 8000 px photograph took 4 GB); a face too small to be
    found there is said with the size needed."""
    scale = min(1.0, DETECT_SIDE / max(image.shape[:2]))
    searched = image if scale == 1.0 else cv2.resize(image, None, fx=scale, fy=scale,
                                                     interpolation=cv2.INTER_AREA)
    gray = cv2.cvtColor(searched, cv2.COLOR_BGR2GRAY)
    found = detector().detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5) \
        if min(gray.shape) >= WINDOW else ()
    if len(found) == 0:
        smallest = "" if scale == 1.0 else (
            f" (a photograph this large is searched at {DETECT_SIDE} px on its longer side: a "
            f"face under {WINDOW / scale:.0f} px is not found there; crop it closer)")
        raise NotAFace(f"no face found in {path}{smallest}")
    x, y, w, h = (value / scale for value in max(found, key=lambda box: box[2] * box[3]))
    if w < MIN_FACE:
        raise NotAFace(f"{path}: the face found is {w:.0f} px wide; at least {MIN_FACE} px are needed "
                       "(smaller faces would be upsampled)")
    return x + w / 2, y + h / 2, float(w)


def lfw_crop_of(image: np.ndarray, box: tuple[float, float, float]) -> np.ndarray:
    """The region of `image` that LFW_CROP is of an LFW photograph whose face is at LFW_BOX,
    for a face detected at `box` (edges replicated where the region leaves the image)."""
    scale = box[2] / LFW_BOX[2]
    rows, cols = LFW_CROP
    top, bottom = (round(box[1] + (v - LFW_BOX[1]) * scale) for v in (rows.start, rows.stop))
    left, right = (round(box[0] + (u - LFW_BOX[0]) * scale) for u in (cols.start, cols.stop))
    height, width = image.shape[:2]
    inside = image[max(top, 0):min(bottom, height), max(left, 0):min(right, width)]
    return cv2.copyMakeBorder(inside, max(0, -top), max(0, bottom - height), max(0, -left),
                              max(0, right - width), cv2.BORDER_REPLICATE)


def centre_crop(image: np.ndarray, path: Path) -> np.ndarray:
    """An already cropped face, centre-cropped to LFW's aspect ratio."""
    height, width = image.shape[:2]
    if width < LFW_FACE[1] or height < LFW_FACE[0]:
        raise NotAFace(f"{path}: {width}x{height} px is smaller than a {LFW_FACE[1]}x"
                       f"{LFW_FACE[0]} face")
    if image.std() == 0:
        raise NotAFace(f"{path}: a single colour, not a face")
    aspect = LFW_FACE[1] / LFW_FACE[0]
    crop_h, crop_w = (height, round(height * aspect)) if width / height > aspect else (
        round(width / aspect), width)
    top, left = (height - crop_h) // 2, (width - crop_w) // 2
    return image[top:top + crop_h, left:left + crop_w]


def face_of(path: Path, obfuscated: bool = False) -> np.ndarray:
    """A photograph's face as the pipeline's 62x47 RGB face (uint8): found by the detector and
    cropped like LFW, or, for an already obfuscated face, centre-cropped. NotAFace otherwise."""
    image = read_bgr(path)
    face = centre_crop(image, path) if obfuscated else lfw_crop_of(image, face_box(image, path))
    return cv2.cvtColor(cv2.resize(face, LFW_FACE[::-1], interpolation=cv2.INTER_AREA),
                        cv2.COLOR_BGR2RGB)


def scaler_for(profile) -> MinMaxScaler:
    """The training images' min-max scaler where the profile's prepared cache is here, else the
    full 0-255 range (what LFW's training faces span)."""
    if cache_path(profile).exists():

        return load_dataset(profile).scaler
    print(f"no prepared cache in {CACHE_DIR}: scaling by the 0-255 range")
    return MinMaxScaler(0.0, 255.0)


def faces_in(paths: list[Path], obfuscated: bool) -> tuple[list[Path], list[np.ndarray],
                                                             list[str]]:
    """The images that hold a face, their faces, and one line per image skipped (why)."""
    kept, faces, skipped = [], [], []
    for path in paths:
        try:
            faces.append(face_of(path, obfuscated))
            kept.append(path)
        except NotAFace as reason:
            skipped.append(str(reason))
    return kept, faces, skipped


def network_with_weights(arch: str, profile, weights: Path):
    """The architecture at the profile's sizes with the weights loaded; weights that are not a
    whole weights file of that network fail in one line (h5py's and Keras' own are pages)."""
    model = build_for_profile(arch, profile)
    with warnings.catch_warnings(record=True) as warned:  # Keras warns of each layer it skips
        warnings.simplefilter("always")
        try:
            model.load_weights(weights)
            reason = next((str(w.message) for w in warned if "Skipping" in str(w.message)), None)
        except (OSError, ValueError, KeyError) as error:
            reason = str(error).strip() or type(error).__name__
    if reason is not None:
        raise ConfigError(f"{weights}: not the weights of a {ARCHITECTURES[arch].label} at the "
                          f"{profile.name} profile's sizes ({reason.splitlines()[0][:160]}); "
                          f"retrain it or give that run's own weights")
    return model


def reconstruct(model: str | Path, paths: list[Path], out_dir: Path, obfuscated: bool = False
                ) -> tuple[list[dict], list[str]]:
    """Writes <name>__<profile>-<H>x<W>__<run>.png per face into out_dir with `model` (a name in
    models/ or a weights file: models.resolve); returns each face's scores and a line per image
    skipped."""
    weights, profile_name, run = resolve(model)
    profile = load_profile(profile_name)
    images, faces, skipped = faces_in(paths, obfuscated)
    if not images:
        return [], skipped
    model = network_with_weights(run["architecture"], profile, weights)
    output_range = ARCHITECTURES[run["architecture"]].output_range
    scaler = scaler_for(profile)
    faces = scaler.to_unit(resize_to_profile(np.stack(faces), profile))
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
    io.writable_dir(out_dir, "another folder for the reconstructions (--out)")
    # what reconstructed it, and at which resolution, in every name
    made_by = f"{profile.name}-{profile.height}x{profile.width}__{run['key']}"
    for i, (path, stem, face, given, output) in enumerate(zip(images, output_stems(images), faces,
                                                              inputs, outputs)):
        row = {"image": str(path), **{f"{label}_{m}": scored[m][i] for label, scored
                                      in scores.items() for m in MEASURE_NAMES}}
        figure = face_plots.reconstruction_strip(face if not obfuscated else None, given, output,
                                                 row, OBFUSCATIONS[run["obfuscation"]].label)
        row["written"] = io.save_figure(figure, out_dir / f"{stem}__{made_by}")[0]
        plots.plt.close(figure)
        rows.append(row)
    return rows, skipped


def output_stems(paths: list[Path]) -> list[str]:
    """A name per image that no other image here shares: its stem, or where stems collide
    (a/face.jpg, b/face.jpg, b/face.png) its folders and suffix too (a_face_jpg, ...)."""
    counts = Counter(path.stem for path in paths)
    if all(counts[path.stem] == 1 for path in paths):
        return [path.stem for path in paths]
    top = Path(os.path.commonpath([path.resolve().parent for path in paths]))
    return [path.stem if counts[path.stem] == 1 else "_".join(
        [*path.resolve().parent.relative_to(top).parts, path.stem, path.suffix.lstrip(".")])
        for path in paths]


def image_paths(sources: list[str]) -> list[Path]:
    """The images named (a name that does not exist is kept, to be skipped with its line), and
    those inside the folders named."""
    paths = []
    for source in map(Path, sources):
        paths += sorted(p for p in source.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES) \
            if source.is_dir() else [source]
    paths = list(dict.fromkeys(paths))  # an image named twice is reconstructed once
    if not paths:
        raise ConfigError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {', '.join(sources)}")
    return paths
