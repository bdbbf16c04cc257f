"""The faces a face recogniser sees (recognition.py): grayscale, FACE_SIZE, uint8. A run keeps its
test reconstructions in this form (test_faces.npz in its folder, not committed), so that
recognition can be computed wherever LFW is, also for runs trained on a machine without it."""
from __future__ import annotations

from io import BytesIO
from pathlib import Path

import cv2
import numpy as np

from ..core import io

FACE_SIZE = (32, 32)  # (height, width) of the recogniser's grayscale faces
FACES_FILE = "test_faces.npz"


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
    buffer = BytesIO()
    np.savez_compressed(buffer, lfw_index=np.asarray(lfw_index), faces=recognition_faces(images))
    io.write_bytes(path, buffer.getvalue())


def read_faces(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(lfw_index, faces) as write_faces stored them."""
    with np.load(path) as stored:
        return stored["lfw_index"], stored["faces"]
