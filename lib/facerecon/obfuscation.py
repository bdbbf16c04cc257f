"""The obfuscations of the study and their calibration against its input quality.

`OBFUSCATIONS` maps a name to its function, the study's input quality, and the non-learned
baselines that try to undo it (names in baselines.METHODS). A profile gives each its strength
and calibration candidates (params/*.yaml, `obfuscations:`). Every function acts on float32
images in [0, 1] (N, H, W, 3) and keeps shape, dtype and range.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import cv2
import numpy as np
import pandas as pd

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
    # The study's input quality on its test set (slides: "Blurred Image" / "Pixelated Image").
    study_quality: dict
    baselines: tuple[str, ...]


OBFUSCATIONS = Registry("obfuscation", {
    "blur": Obfuscation("Blurred", gaussian_blur,
                        {"psnr": (24.0, 25.0), "ssim": (0.65, 0.68)},
                        ("input", "wiener", "richardson_lucy")),
    "pixelate": Obfuscation("Pixelated", pixelate,
                            {"psnr": (18.0, 20.0), "ssim": (0.36, 0.40)},
                            ("input", "bicubic")),
}, config.OBFUSCATIONS)


# Every obfuscation's settings by name, as the calibration table's columns.
SETTING_NAMES = list(dict.fromkeys(k for kinds in OBFUSCATION_SETTINGS.values() for k in kinds))


def obfuscate(images: np.ndarray, obfuscation: str, **settings) -> np.ndarray:
    """Applies one obfuscation by name with explicit settings."""
    return OBFUSCATIONS[obfuscation].apply(images, **settings)


def obfuscate_for_profile(images: np.ndarray, obfuscation: str, profile: Profile) -> np.ndarray:
    return obfuscate(images, obfuscation, **profile.obfuscation_settings(obfuscation))


def calibration_table(test_images: np.ndarray, profile: Profile) -> pd.DataFrame:
    """Scores every candidate strength of the profile on the test images against the originals.

    One row per setting with mean PSNR/SSIM, whether it lies in the study's range, and which one
    the profile uses (`chosen`).
    """
    from .metrics import psnr_ssim_per_image

    rows = []
    for name, obfuscation in OBFUSCATIONS.items():
        target = obfuscation.study_quality
        for settings in profile.obfuscations[name]["candidates"]:
            psnr, ssim = psnr_ssim_per_image(obfuscate(test_images, name, **settings),
                                             test_images)
            rows.append({
                "profile": profile.name,
                "obfuscation": name,
                **{k: settings.get(k) for k in SETTING_NAMES},
                "n_images": len(test_images),
                "psnr_mean": float(np.mean(psnr)),
                "ssim_mean": float(np.mean(ssim)),
                "study_psnr_range": "{}-{}".format(*target["psnr"]),
                "study_ssim_range": "{}-{}".format(*target["ssim"]),
                "in_study_range": bool(target["psnr"][0] <= np.mean(psnr) <= target["psnr"][1]
                                       and target["ssim"][0] <= np.mean(ssim) <= target["ssim"][1]),
                "chosen": settings == profile.obfuscation_settings(name),
            })
    return pd.DataFrame(rows)
