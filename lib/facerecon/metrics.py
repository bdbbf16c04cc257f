"""PSNR and SSIM per image, with keras.ops (any backend), on images in [0, data_range].

SSIM uses an 11x11 Gaussian window with sigma 1.5 (Wang et al. 2004), through
keras.ops.image.ssim; tests check both metrics against scikit-image.
"""
from __future__ import annotations

import numpy as np

from .quiet_keras import ops

SSIM_WINDOW = 11
SSIM_SIGMA = 1.5
# PSNR of a perfect reconstruction is infinite; the MSE floor caps it at 100 dB.
MSE_FLOOR = 1e-10


def mse_per_image(x, y):
    return ops.mean(ops.square(x - y), axis=(1, 2, 3))


def psnr_per_image(x, y, data_range: float = 1.0):
    mse = mse_per_image(x, y)
    return 10.0 * ops.log10(data_range**2 / ops.maximum(mse, MSE_FLOOR))


def ssim_per_image(x, y, data_range: float = 1.0):
    return ops.image.ssim(x, y, max_val=data_range, filter_size=SSIM_WINDOW,
                          filter_sigma=SSIM_SIGMA)


def psnr_ssim_per_image(x: np.ndarray, y: np.ndarray, data_range: float = 1.0,
                        batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Per-image PSNR (dB) and SSIM of x against reference y, as float64 numpy arrays."""
    psnr, ssim = [], []
    for start in range(0, len(x), batch_size):
        xb = ops.convert_to_tensor(np.asarray(x[start:start + batch_size], np.float32))
        yb = ops.convert_to_tensor(np.asarray(y[start:start + batch_size], np.float32))
        psnr.append(ops.convert_to_numpy(psnr_per_image(xb, yb, data_range)))
        ssim.append(ops.convert_to_numpy(ssim_per_image(xb, yb, data_range)))
    return np.concatenate(psnr).astype(np.float64), np.concatenate(ssim).astype(np.float64)


def to_unit_range(outputs, output_range: tuple[float, float]):
    """Maps network outputs from their activation's range back to [0, 1]."""
    low, high = output_range
    return (outputs - low) / (high - low)


def val_psnr(output_range=(0.0, 1.0)):
    """PSNR as a Keras metric (mean over a batch), for outputs in output_range."""
    def psnr(y_true, y_pred):
        return ops.mean(psnr_per_image(to_unit_range(y_true, output_range),
                                       to_unit_range(y_pred, output_range)))
    return psnr


def val_ssim(output_range=(0.0, 1.0)):
    """SSIM as a Keras metric (mean over a batch), for outputs in output_range."""
    def ssim(y_true, y_pred):
        return ops.mean(ssim_per_image(to_unit_range(y_true, output_range),
                                       to_unit_range(y_pred, output_range)))
    return ssim
