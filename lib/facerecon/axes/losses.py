"""The losses under comparison: each a function with keras.ops on images in [0, 1] and its entry
(label, colour and marker in every figure, the function), registered together here. The
registry's order is the study's, with L2 (every other loss's reference) first. Importable
without Keras: keras.ops loads at a loss's first use (metrics.ops), so labels cost nothing.

`get_loss(name, output_range)` makes the Keras loss: a network with a tanh output (the original
residual autoencoder) produces images in [-1, 1], which the loss maps back to [0, 1] first so
that every loss means the same thing for every architecture.

A new loss is its function and its entry here, and its test (tests/axes/test_models_losses.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..core.registry import Registry
from .metrics import SSIM_SIGMA, SSIM_WINDOW, ops, psnr_per_image, ssim_per_image, to_unit_range

# 1/PSNR: PSNR is floored here so the loss stays finite for a (practically impossible) MSE of 1.
PSNR_FLOOR_DB = 1e-3
# Zhao et al. (2017): alpha for the MS-SSIM + L1 mix and the five MS-SSIM scale weights.
MIX_ALPHA = 0.84
MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def l2(x, y):
    return ops.mean(ops.square(x - y))


def l1(x, y):
    return ops.mean(ops.abs(x - y))


def psnr_loss(x, y):
    return ops.mean(1.0 / ops.maximum(psnr_per_image(x, y), PSNR_FLOOR_DB))


def ssim_loss(x, y):
    return 1.0 - ops.mean(ssim_per_image(x, y))


def psnr_ssim_loss(x, y):
    """The study's combination: L_SSIM + 0.5 * L_PSNR."""
    return ssim_loss(x, y) + 0.5 * psnr_loss(x, y)


# --- MS-SSIM + L1 (Zhao et al. 2017) -----------------------------------------------------------

def gaussian_kernel(size: int, sigma: float, channels: int = 3) -> np.ndarray:
    """A normalised size x size Gaussian as a depthwise kernel (size, size, channels, 1)."""
    axis = np.arange(size, dtype=np.float64) - (size - 1) / 2
    g = np.exp(-axis**2 / (2 * sigma**2))
    window = np.outer(g, g) / np.outer(g, g).sum()
    return np.tile(window[:, :, None, None], (1, 1, channels, 1)).astype(np.float32)


def ms_ssim_scales(height: int, width: int, window: int = SSIM_WINDOW) -> int:
    """How many of the five scales fit: the coarsest image must still hold one whole window.
    112x112 gives 4 scales, 64x48 gives 3, 32x32 gives 2."""
    scales = 1
    while scales < len(MS_SSIM_WEIGHTS) and min(height, width) // 2**scales >= window:
        scales += 1
    return scales


def ssim_and_cs_maps(x, y, kernel):
    """SSIM and contrast-structure maps with a Gaussian window ('valid' borders), C1/C2 for a
    data range of 1."""
    c1, c2 = 0.01**2, 0.03**2

    def blur(z):
        return ops.depthwise_conv(z, kernel, padding="valid")

    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x**2
    var_y = blur(y * y) - mu_y**2
    cov = blur(x * y) - mu_x * mu_y
    cs = (2 * cov + c2) / (var_x + var_y + c2)
    luminance = (2 * mu_x * mu_y + c1) / (mu_x**2 + mu_y**2 + c1)
    return luminance * cs, cs


def ms_ssim_per_image(x, y):
    """MS-SSIM over as many scales as the image size allows, with Zhao's weights renormalised
    to those scales. Negative contrast-structure terms are clipped to zero before the power, so
    the gradient stays finite."""
    scales = ms_ssim_scales(x.shape[1], x.shape[2])
    weights = np.array(MS_SSIM_WEIGHTS[:scales]) / sum(MS_SSIM_WEIGHTS[:scales])
    kernel = gaussian_kernel(SSIM_WINDOW, SSIM_SIGMA, x.shape[-1])
    value = 1.0
    for scale, weight in enumerate(weights):
        ssim_map, cs_map = ssim_and_cs_maps(x, y, kernel)
        term = ssim_map if scale == scales - 1 else cs_map
        value = value * ops.maximum(ops.mean(term, axis=(1, 2, 3)), 1e-6) ** float(weight)
        if scale < scales - 1:
            x = ops.average_pool(x, 2, strides=2)
            y = ops.average_pool(y, 2, strides=2)
    return value


def gaussian_l1(x, y):
    """L1 weighted by the Gaussian window of the coarsest scale (Zhao's G_sigma_M * L1), which
    is a Gaussian-blurred absolute error."""
    sigma = SSIM_SIGMA * 2 ** (ms_ssim_scales(x.shape[1], x.shape[2]) - 1)
    size = min(int(2 * round(3 * sigma) + 1), x.shape[1], x.shape[2])
    size -= 1 - size % 2  # an odd window, centred
    kernel = gaussian_kernel(size, sigma, x.shape[-1])
    return ops.mean(ops.depthwise_conv(ops.abs(x - y), kernel, padding="same"))


def ms_ssim_l1_loss(x, y):
    """Zhao et al. (2017): alpha * (1 - MS-SSIM) + (1 - alpha) * Gaussian-weighted L1."""
    return MIX_ALPHA * (1.0 - ops.mean(ms_ssim_per_image(x, y))) + (1 - MIX_ALPHA) * gaussian_l1(x, y)



@dataclass(frozen=True)
class Loss:
    label: str
    colour: str  # Paul Tol's muted, colour-blind safe
    marker: str
    function: Callable  # (reconstruction, target) -> scalar, on images in [0, 1]
    # Built on SSIM's window, which never centres on the pixels within metrics.SSIM_BORDER of an
    # edge: the loss weighs them less, the outermost barely at all.
    windowed: bool = False


LOSSES = Registry("loss", {
    "l2": Loss("L2", "#332288", "o", l2),
    "l1": Loss("L1", "#88CCEE", "s", l1),
    "psnr": Loss("PSNR", "#882255", "^", psnr_loss),
    "ssim": Loss("SSIM", "#44AA99", "D", ssim_loss, windowed=True),
    "psnr_ssim": Loss("PSNR+SSIM", "#CC6677", "v", psnr_ssim_loss, windowed=True),
    "ms_ssim_l1": Loss("MS-SSIM+L1", "#AA4499", "P", ms_ssim_l1_loss, windowed=True),
})
# The names, as a live view: an entry added to the registry (a test's) is a name everywhere.
LOSS_NAMES = LOSSES.keys()


def get_loss(name: str, output_range=(0.0, 1.0)):
    """A Keras loss(y_true, y_pred) for a network whose outputs live in output_range."""
    fn = LOSSES[name].function

    def loss(y_true, y_pred):
        return fn(to_unit_range(y_pred, output_range), to_unit_range(y_true, output_range))

    loss.__name__ = fn.__name__
    return loss
