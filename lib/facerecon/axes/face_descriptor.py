"""Identity as a deep face recogniser sees it: dlib's ResNet face descriptor (128-d; 99.38% on
LFW verification), from `dlib-bin`, with the model files of `face_recognition_models` (or the
folder FACERECON_DLIB_MODELS names, e.g. on a machine without that package).

Alignment: a face and every version of it (obfuscated, reconstructed, a baseline's output) are
cut to dlib's 150x150 chip at the *original's* 5-point landmarks, so that a version is never
judged by a landmark fit its blur defeated. The landmarks are fitted inside the whole picture
(our faces are LFW's crop, centred by LFW's own detector); a fit whose eyes fall outside the
picture or whose eye distance is far from the set's median has failed: such a face takes the
set's median landmarks, and the failures are counted (`Alignment.failed`), never dropped.

The identity distance of a version is the Euclidean distance of its descriptor to its
original's; under SAME_PERSON (dlib's threshold) it is "still the same person". Descriptors are
cached by content (data/descriptors/, keyed by the chips' bytes), so a second report recomputes
nothing.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from ..core import io
from ..core.checks import ConfigError
from ..core.io import PROJECT_ROOT

MODELS_ENV = "FACERECON_DLIB_MODELS"
LANDMARKS_FILE = "shape_predictor_5_face_landmarks.dat"
DESCRIPTOR_FILE = "dlib_face_recognition_resnet_model_v1.dat"
SAME_PERSON = 0.6   # dlib's same-person threshold on the descriptor distance
CHIP_SIZE = 150     # the descriptor network's input
CHIP_PADDING = 0.25  # dlib's default margin around the landmarks
EYE_DISTANCE_RANGE = (0.5, 2.0)  # of the set's median: outside it, a landmark fit has failed
CACHE_DIR = PROJECT_ROOT / "data" / "descriptors"
POOL_FROM = 64      # chips; fewer go in one process (144 chips here: 10.3 s in one, 5.5 s in two)


class ModelFilesMissing(ConfigError):
    """dlib or its model files are not installed."""


def model_folder() -> Path:
    """The folder of dlib's model files: FACERECON_DLIB_MODELS, else face_recognition_models'
    (found without importing it: it imports pkg_resources)."""
    if os.environ.get(MODELS_ENV):
        folder = Path(os.environ[MODELS_ENV])
    else:
        spec = importlib.util.find_spec("face_recognition_models")
        if spec is None or not spec.submodule_search_locations:
            raise ModelFilesMissing(
                "the deep face recogniser needs dlib's model files: pip install "
                f"face_recognition_models, or set {MODELS_ENV} to a folder holding "
                f"{LANDMARKS_FILE} and {DESCRIPTOR_FILE}")
        folder = Path(spec.submodule_search_locations[0]) / "models"
    for name in (LANDMARKS_FILE, DESCRIPTOR_FILE):
        if not (folder / name).is_file():
            raise ModelFilesMissing(f"{folder} has no {name}: the deep face recogniser needs "
                                    f"{LANDMARKS_FILE} and {DESCRIPTOR_FILE} there")
    return folder


@cache
def models():
    """(dlib, the 5-point landmark predictor, the descriptor network), read once per process."""
    folder = model_folder()
    try:
        import dlib
    except ImportError:
        raise ModelFilesMissing("the deep face recogniser needs dlib: pip install dlib-bin") \
            from None
    return (dlib, dlib.shape_predictor(str(folder / LANDMARKS_FILE)),
            dlib.face_recognition_model_v1(str(folder / DESCRIPTOR_FILE)))


def to_uint8(images: np.ndarray) -> np.ndarray:
    """RGB images in [0, 1] as contiguous uint8, as dlib reads them."""
    return np.ascontiguousarray(np.rint(np.clip(images, 0.0, 1.0) * 255).astype(np.uint8))


@dataclass(frozen=True)
class Alignment:
    """The 5-point landmarks (N, 5, 2) of a set of originals, and which fits failed (and took
    the set's median landmarks)."""

    points: np.ndarray
    failed: np.ndarray

    @property
    def n_failed(self) -> int:
        return int(self.failed.sum())


def align(originals: np.ndarray) -> Alignment:
    """Fits the landmarks of RGB originals in [0, 1] (N, H, W, 3) inside the whole picture."""
    dlib, predictor, _ = models()
    faces = to_uint8(originals)
    height, width = faces.shape[1:3]
    box = dlib.rectangle(0, 0, width - 1, height - 1)
    points = np.array([[(p.x, p.y) for p in predictor(face, box).parts()] for face in faces],
                      np.float64).reshape(len(faces), 5, 2)
    # dlib's 5 points: the right eye's two corners (0, 1), the left eye's (2, 3), the nose (4)
    eye_distance = np.linalg.norm(points[:, :2].mean(1) - points[:, 2:4].mean(1), axis=1)
    inside = ((points >= 0) & (points <= [width - 1, height - 1])).all(axis=(1, 2))
    low, high = EYE_DISTANCE_RANGE
    median = np.median(eye_distance) if len(faces) else 0.0
    failed = ~inside | (eye_distance < low * median) | (eye_distance > high * median)
    if failed.any() and (~failed).any():
        points[failed] = np.median(points[~failed], axis=0)
    return Alignment(points, failed)


def chips(images: np.ndarray, alignment: Alignment) -> np.ndarray:
    """Each image's 150x150 chip cut at its original's landmarks (uint8, N x 150 x 150 x 3)."""
    dlib, _, _ = models()
    faces = to_uint8(images)
    if len(faces) != len(alignment.points):
        raise ValueError(f"{len(faces)} images but {len(alignment.points)} aligned originals")
    height, width = faces.shape[1:3]
    box = dlib.rectangle(0, 0, width - 1, height - 1)
    out = np.zeros((len(faces), CHIP_SIZE, CHIP_SIZE, 3), np.uint8)
    for i, (face, points) in enumerate(zip(faces, alignment.points)):
        shape = dlib.full_object_detection(box, [dlib.point(int(round(x)), int(round(y)))
                                                 for x, y in points])
        out[i] = dlib.get_face_chip(face, shape, size=CHIP_SIZE, padding=CHIP_PADDING)
    return out


def describe_chips(chips_: np.ndarray) -> np.ndarray:
    """The descriptors (N, 128, float32) of 150x150 chips, in this process."""
    _, _, network = models()
    if not len(chips_):
        return np.zeros((0, 128), np.float32)
    return np.asarray(network.compute_face_descriptor(list(chips_)), np.float32)


def describe_in_parallel(chips_: np.ndarray) -> np.ndarray:
    """describe_chips over the machine's cores (dlib's network holds the GIL and one core). The
    workers are forked: spawned ones would re-run a script without a main guard, and they touch
    dlib alone."""
    workers = min(os.cpu_count() or 1, max(1, len(chips_) // (POOL_FROM // 2)))
    if workers == 1:
        return describe_chips(chips_)
    import multiprocessing

    parts = np.array_split(chips_, workers * 4)
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return np.concatenate(list(pool.map(describe_chips, parts)))


def descriptors(images: np.ndarray, alignment: Alignment, cache_dir: Path | None = CACHE_DIR
                ) -> np.ndarray:
    """The descriptors (N, 128, float32) of RGB images in [0, 1] aligned at their originals'
    landmarks; cached by the chips' content (cache_dir None: not cached)."""
    cut = chips(images, alignment)
    path = None
    if cache_dir is not None:
        key = hashlib.sha256(cut.tobytes() + str(cut.shape).encode()).hexdigest()[:24]
        path = Path(cache_dir) / f"{key}.npy"
        if path.exists():
            return np.load(path)
    found = describe_in_parallel(cut)
    if path is not None:
        io.write_npy(path, found)
    return found


def identity_distance(versions: np.ndarray, originals: np.ndarray) -> np.ndarray:
    """Per pair, the descriptor distance of a version to its original (0: the same face)."""
    return np.linalg.norm(np.asarray(versions) - np.asarray(originals), axis=1).astype(np.float64)
