"""What a run keeps of its test reconstructions for the face recognisers (recognition/): the faces
as eigenfaces sees them (grayscale, FACE_SIZE, uint8: test_faces.npz, not committed) and their
deep descriptors (test_descriptors.npz, committed), so that recognition can be computed wherever
LFW is, also for runs trained on a machine without it."""
from __future__ import annotations

from io import BytesIO
from pathlib import Path

import cv2
import numpy as np

from ..core import io

FACE_SIZE = (32, 32)  # (height, width) of the recogniser's grayscale faces
FACES_FILE = "test_faces.npz"
DESCRIPTORS_FILE = "test_descriptors.npz"


def recognition_faces(images: np.ndarray) -> np.ndarray:
    """RGB images in [0, 1] (N, H, W, 3) as the recogniser sees them: the channel mean (as
    scikit-learn's grayscale LFW), area-resized to FACE_SIZE, uint8."""
    gray = np.asarray(images, np.float32).mean(axis=-1)
    height, width = FACE_SIZE
    small = np.stack([cv2.resize(face, (width, height), interpolation=cv2.INTER_AREA)
                      for face in gray]) if len(gray) else np.zeros((0, height, width))
    return np.rint(np.clip(small, 0.0, 1.0) * 255).astype(np.uint8)


def write_faces(path: Path, lfw_index: np.ndarray, images: np.ndarray) -> None:
    """Stores a subset's images (RGB in [0, 1]) as recognition faces, with their LFW indices."""
    write_arrays(path, lfw_index=np.asarray(lfw_index), faces=recognition_faces(images))


def read_faces(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(lfw_index, faces) as write_faces stored them."""
    with np.load(path) as stored:
        return stored["lfw_index"], stored["faces"]


def write_descriptors(path: Path, lfw_index: np.ndarray, descriptors: np.ndarray) -> None:
    """Stores a subset's deep descriptors (axes/face_descriptor.py) with their LFW indices, as float16
    (0.25 KB a face: committed with the run; the run's identity distances are computed from the
    float32 descriptors before they are stored)."""
    write_arrays(path, lfw_index=np.asarray(lfw_index),
                 descriptors=np.asarray(descriptors, np.float16))


def read_descriptors(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(lfw_index, descriptors as float32) as write_descriptors stored them."""
    with np.load(path) as stored:
        return stored["lfw_index"], stored["descriptors"].astype(np.float32)


def write_arrays(path: Path, **arrays) -> None:
    buffer = BytesIO()
    np.savez_compressed(buffer, **arrays)
    io.write_bytes(path, buffer.getvalue())
