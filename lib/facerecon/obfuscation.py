"""The obfuscations of the study.

`OBFUSCATIONS` maps a name to its function and the non-learned baselines that try to undo it
(names in baselines.METHODS). A profile gives each its strength and calibration candidates
(params/*.yaml, `obfuscations:`; calibration.py places them against the study's examples). Every function acts on float32
images in [0, 1] (N, H, W, 3) and keeps shape, dtype and range.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import cv2
import numpy as np

from . import config
from .config import OBFUSCATION_SETTINGS, Profile
from .registry import Registry


def gaussian_blur(images: np.ndarray, kernel: int, sigma: float) -> np.ndarray:
    """cv2.GaussianBlur with a kernel x kernel window; borders reflect (OpenCV's default)."""
    out = np.stack([cv2.GaussianBlur(img, (kernel, kernel), sigma) for img in images])
    return out.astype(np.float32)


def pixelate(images: np.ndarray, block: int) -> np.ndarray:
    """Block means of block x block pixels, shown at full size by nearest-neighbour upscaling.

    Edge blocks that do not fill a whole block average the pixels they have.
    """
    n, h, w, c = images.shape
    hb, wb = -(-h // block), -(-w // block)
    out = np.empty_like(images, dtype=np.float32)
    for i in range(hb):
        for j in range(wb):
            tile = images[:, i * block:(i + 1) * block, j * block:(j + 1) * block]
            out[:, i * block:(i + 1) * block, j * block:(j + 1) * block] = tile.mean(
                axis=(1, 2), keepdims=True)
    return out


@dataclass(frozen=True)
class Obfuscation:
    label: str  # what an obfuscated face is called in a figure
    apply: Callable[..., np.ndarray]  # (images, **settings) -> obfuscated images
    baselines: tuple[str, ...]


OBFUSCATIONS = Registry("obfuscation", {
    "blur": Obfuscation("Blurred", gaussian_blur, ("input", "wiener", "richardson_lucy")),
    "pixelate": Obfuscation("Pixelated", pixelate, ("input", "bicubic")),
}, config.OBFUSCATIONS)


# Every obfuscation's settings by name, as the calibration table's columns.
SETTING_NAMES = list(dict.fromkeys(k for kinds in OBFUSCATION_SETTINGS.values() for k in kinds))


def obfuscate(images: np.ndarray, obfuscation: str, **settings) -> np.ndarray:
    """Applies one obfuscation by name with explicit settings."""
    return OBFUSCATIONS[obfuscation].apply(images, **settings)


def obfuscate_for_profile(images: np.ndarray, obfuscation: str, profile: Profile) -> np.ndarray:
    return obfuscate(images, obfuscation, **profile.obfuscation_settings(obfuscation))
