"""The obfuscations of the study: name -> what the rest needs of each (its label, colour and
marker in every figure, the settings a profile gives it, its function, the non-learned baselines
that try to undo it, and how a strength is written). A profile gives each its strength and
calibration candidates (params/*.yaml, `obfuscations:`; data/calibration.py places them against
the study's examples). Every function acts on float32 images in [0, 1] (N, H, W, 3) and keeps
shape, dtype and range. No Keras here.

A new obfuscation is its function and entry here, its sections in params/*.yaml and its test;
its baselines are names of data/baselines.py's METHODS.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import cv2
import numpy as np

from ..core.registry import Registry


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


def settings_text(settings: dict) -> str:
    """A strength as a reader reads it: 'block 16'."""
    return ", ".join(f"{k} {v}" for k, v in settings.items())


@dataclass(frozen=True)
class Obfuscation:
    label: str  # what an obfuscated face is called in a figure
    colour: str  # near-black and Tol's olive: no architecture's or loss's colour
    marker: str
    settings: dict  # setting -> its kind (core.checks.KINDS): what params/*.yaml must give
    apply: Callable[..., np.ndarray]  # (images, **settings) -> obfuscated images
    baselines: tuple[str, ...]
    describe: Callable[[dict], str] = settings_text  # a strength's label


OBFUSCATIONS = Registry("obfuscation", {
    "blur": Obfuscation("Blurred", "#222222", "o", {"kernel": "odd", "sigma": "positive"},
                        gaussian_blur, ("input", "wiener", "richardson_lucy"),
                        lambda s: f"k {s['kernel']}, σ {s['sigma']:g}"),
    "pixelate": Obfuscation("Pixelated", "#999933", "s", {"block": "count"}, pixelate,
                            ("input", "bicubic")),
})
# The names, as a live view: an entry added to the registry (a test's) is a name everywhere.
OBFUSCATION_NAMES = OBFUSCATIONS.keys()


def setting_names() -> list[str]:
    """Every obfuscation's settings by name, as the calibration table's columns."""
    return list(dict.fromkeys(k for entry in OBFUSCATIONS.values() for k in entry.settings))


def setting_label(obfuscation: str, settings: dict) -> str:
    """A strength as tables and text write it: 'k 13, σ 7', 'block 16'."""
    return OBFUSCATIONS[obfuscation].describe(settings)


def obfuscate(images: np.ndarray, obfuscation: str, **settings) -> np.ndarray:
    """Applies one obfuscation by name with explicit settings."""
    return OBFUSCATIONS[obfuscation].apply(images, **settings)


def obfuscate_for_profile(images: np.ndarray, obfuscation: str, profile) -> np.ndarray:
    return obfuscate(images, obfuscation, **profile.obfuscation_settings(obfuscation))
