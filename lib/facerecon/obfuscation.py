"""The two obfuscations of the study and their calibration against its input quality.

Both act on float32 images in [0, 1] (N, H, W, 3) and keep shape, dtype and range.
"""
from __future__ import annotations

import cv2
import numpy as np
import pandas as pd

from .config import OBFUSCATIONS, Profile, check_choice

# The study's input quality on its test set (slides: "Blurred Image" / "Pixelated Image").
TARGETS = {
    "blur": {"psnr": (24.0, 25.0), "ssim": (0.65, 0.68)},
    "pixelate": {"psnr": (18.0, 20.0), "ssim": (0.36, 0.40)},
}


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


def obfuscate(images: np.ndarray, obfuscation: str, **params) -> np.ndarray:
    """Applies one obfuscation by name with explicit parameters."""
    check_choice("obfuscation", obfuscation, OBFUSCATIONS)
    if obfuscation == "blur":
        return gaussian_blur(images, params["kernel"], params["sigma"])
    return pixelate(images, params["block"])


def obfuscate_for_profile(images: np.ndarray, obfuscation: str, profile: Profile) -> np.ndarray:
    return obfuscate(images, obfuscation, **profile.obfuscation_params(obfuscation))


def calibration_table(test_images: np.ndarray, profile: Profile) -> pd.DataFrame:
    """Scores every candidate strength of the profile on the test images against the originals.

    One row per setting with mean PSNR/SSIM, whether it lies in the study's range, and which one
    the profile uses (`chosen`).
    """
    from .metrics import psnr_ssim_per_image

    candidates = [("blur", {"kernel": k, "sigma": s}) for k, s in profile.blur_candidates]
    candidates += [("pixelate", {"block": b}) for b in profile.pixel_candidates]
    rows = []
    for obfuscation, params in candidates:
        psnr, ssim = psnr_ssim_per_image(obfuscate(test_images, obfuscation, **params), test_images)
        target = TARGETS[obfuscation]
        rows.append({
            "profile": profile.name,
            "obfuscation": obfuscation,
            "kernel": params.get("kernel"),
            "sigma": params.get("sigma"),
            "block": params.get("block"),
            "n_images": len(test_images),
            "psnr_mean": float(np.mean(psnr)),
            "ssim_mean": float(np.mean(ssim)),
            "study_psnr_range": "{}-{}".format(*target["psnr"]),
            "study_ssim_range": "{}-{}".format(*target["ssim"]),
            "in_study_range": bool(target["psnr"][0] <= np.mean(psnr) <= target["psnr"][1]
                                   and target["ssim"][0] <= np.mean(ssim) <= target["ssim"][1]),
            "chosen": params == profile.obfuscation_params(obfuscation),
        })
    return pd.DataFrame(rows)
