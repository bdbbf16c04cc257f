"""PSNR and SSIM per image, with keras.ops (any backend), on images in [0, data_range]; which of
them a run records, and how, is axes/measures.py's registry.

SSIM, the metric of every table, uses an 11x11 Gaussian window with sigma 1.5 (Wang et al.
2004), through keras.ops.image.ssim. A second convention, scikit-image's default (a 7x7 uniform
window with the sample covariance), is written beside it wherever per-image scores are stored
(`ssim_uniform`): the study's numbers fit it better, so a reader can tell a gap of convention
from a real one. Tests check all three against scikit-image.

The window never centres on the pixels within SSIM_BORDER of an edge: SSIM, and every loss built
on it, weighs them less, the outermost barely at all (at 32x32 they are 53% of the pixels, at
112x112 17%). PSNR over them (`psnr_border`) and over the rest (`psnr_inner`) is stored beside
PSNR, so a reader can tell where a network trained on SSIM gives up PSNR.
"""
from __future__ import annotations

import numpy as np


class KerasOps:
    """keras.ops, imported at first use: a report or notebook that only reads recorded scores
    never loads Keras and its backend (seconds a process)."""

    def __getattr__(self, name):
        from ..core.quiet_keras import ops as loaded

        return getattr(loaded, name)


ops = KerasOps()

SSIM_WINDOW = 11
SSIM_SIGMA = 1.5
UNIFORM_WINDOW = 7  # scikit-image's default SSIM window
SSIM_BORDER = (SSIM_WINDOW - 1) // 2  # the pixels of each edge no window centres on
# PSNR of a perfect reconstruction is infinite; the MSE floor caps it at 100 dB.
MSE_FLOOR = 1e-10
# ITU-R BT.601 luma of RGB in [0, 1], in units of 1/255 (MATLAB's rgb2ycbcr, BasicSR's bgr2ycbcr)
BT601_WEIGHTS = (65.481, 128.553, 24.966)
BT601_OFFSET = 16.0


def mse_per_image(x, y):
    return ops.mean(ops.square(x - y), axis=(1, 2, 3))


def psnr_of_mse(mse, data_range: float = 1.0):
    return 10.0 * ops.log10(data_range**2 / ops.maximum(mse, MSE_FLOOR))


def psnr_per_image(x, y, data_range: float = 1.0):
    return psnr_of_mse(mse_per_image(x, y), data_range)


def border_mask(height: int, width: int, depth: int = SSIM_BORDER) -> np.ndarray:
    """True at the pixels within `depth` of an edge of a height x width image."""
    def near_edge(n):
        index = np.arange(n)
        return np.minimum(index, n - 1 - index) < depth

    return near_edge(height)[:, None] | near_edge(width)[None, :]


def region_psnr(x, y, mask: np.ndarray, data_range: float = 1.0):
    """PSNR over the pixels where mask (height x width) is True, all channels."""
    weights = mask[None, :, :, None].astype(np.float32)
    mse = ops.sum(ops.square(x - y) * weights, axis=(1, 2, 3)) / (weights.sum() * x.shape[-1])
    return psnr_of_mse(mse, data_range)


def psnr_border_per_image(x, y, data_range: float = 1.0):
    """PSNR over the pixels within SSIM_BORDER of an edge, where no SSIM window centres."""
    return region_psnr(x, y, border_mask(x.shape[1], x.shape[2]), data_range)


def psnr_inner_per_image(x, y, data_range: float = 1.0):
    """PSNR over the pixels the SSIM window centres on (all but psnr_border's)."""
    return region_psnr(x, y, ~border_mask(x.shape[1], x.shape[2]), data_range)


def ssim_per_image(x, y, data_range: float = 1.0):
    return ops.image.ssim(x, y, max_val=data_range, filter_size=SSIM_WINDOW,
                          filter_sigma=SSIM_SIGMA)


def ssim_uniform_per_image(x, y, data_range: float = 1.0):
    """scikit-image's default SSIM: a 7x7 uniform window, the sample covariance (N / (N - 1)),
    the map's valid part averaged over pixels and channels."""
    n = UNIFORM_WINDOW**2
    kernel = np.full((UNIFORM_WINDOW, UNIFORM_WINDOW, x.shape[-1], 1), 1 / n, np.float32)

    def mean(z):
        return ops.depthwise_conv(z, kernel, padding="valid")

    mu_x, mu_y = mean(x), mean(y)
    var_x = (mean(x * x) - mu_x**2) * (n / (n - 1))
    var_y = (mean(y * y) - mu_y**2) * (n / (n - 1))
    cov = (mean(x * y) - mu_x * mu_y) * (n / (n - 1))
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / (
        (mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return ops.mean(ssim_map, axis=(1, 2, 3))


def luma(x, data_range: float = 1.0):
    """BT.601 Y of RGB images in [0, data_range], as one channel on the same scale: Y in
    [16, 235] / 255 of the range, so that PSNR's peak stays the range (BasicSR's convention)."""
    weights = np.asarray(BT601_WEIGHTS, np.float32) / 255.0
    return ops.sum(x * weights, axis=-1, keepdims=True) + BT601_OFFSET / 255.0 * data_range


def psnr_y_per_image(x, y, data_range: float = 1.0):
    return psnr_per_image(luma(x, data_range), luma(y, data_range), data_range)


def ssim_y_per_image(x, y, data_range: float = 1.0):
    return ssim_per_image(luma(x, data_range), luma(y, data_range), data_range)


def to_unit_range(outputs, output_range: tuple[float, float]):
    """Maps network outputs from their activation's range back to [0, 1]."""
    low, high = output_range
    return (outputs - low) / (high - low)
