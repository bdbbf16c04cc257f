"""Every loss and metric pinned to a value computed independently (plain numpy, scikit-image,
TensorFlow's MS-SSIM) on fixed, non-trivial image pairs: a loss redefined (a weight changed, a
term swapped) fails here, not only a loss that stops being finite."""
import numpy as np
import pytest
import tensorflow as tf
from scipy.ndimage import gaussian_filter
from scipy.signal import fftconvolve
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from facerecon.axes import losses
from facerecon.axes.measures import scores_per_image
from facerecon.axes.metrics import SSIM_SIGMA, SSIM_WINDOW
from facerecon.core.quiet_keras import ops

from support import random_faces


def image_pair(size, seed=0):
    """Reference faces in [0, 1] and a blurred, noisy, darker copy of them."""
    reference = random_faces(2, size, size, seed).astype(np.float64) / 255
    distorted = gaussian_filter(reference, sigma=(0, 1.2, 1.2, 0)) * 0.9
    distorted += np.random.default_rng(seed + 1).normal(0, 0.04, reference.shape)
    return np.clip(distorted, 0, 1).astype(np.float32), reference.astype(np.float32)


def loss_value(name, x, y):
    function = losses.LOSSES[name].function
    return float(ops.convert_to_numpy(function(ops.convert_to_tensor(x), ops.convert_to_tensor(y))))


def skimage_scores(x, y):
    psnr = np.array([peak_signal_noise_ratio(b, a, data_range=1) for a, b in zip(x, y)])
    ssim = np.array([structural_similarity(b, a, gaussian_weights=True, sigma=SSIM_SIGMA,
                                           use_sample_covariance=False, data_range=1,
                                           channel_axis=-1) for a, b in zip(x, y)])
    return psnr, ssim


def study_losses(x, y):
    """The study's definitions, from scikit-image's PSNR and SSIM."""
    psnr, ssim = skimage_scores(x, y)
    return {"l2": np.mean((x.astype(np.float64) - y) ** 2),
            "l1": np.mean(np.abs(x.astype(np.float64) - y)),
            "psnr": np.mean(1 / psnr),
            "ssim": 1 - ssim.mean(),
            "psnr_ssim": (1 - ssim.mean()) + 0.5 * np.mean(1 / psnr)}


def zhao_ms_ssim_l1(x, y, scales):
    """Zhao et al. (2017): 0.84 (1 - MS-SSIM) + 0.16 G * |x - y|, MS-SSIM from TensorFlow with
    the five published scale weights (renormalised where fewer scales fit), the L1 weighted by
    the coarsest scale's Gaussian (sigma 1.5 * 2^(scales-1), zero padding)."""
    weights = np.array([0.0448, 0.2856, 0.3001, 0.2363, 0.1333][:scales])
    ms_ssim = tf.image.ssim_multiscale(y, x, max_val=1.0, filter_size=SSIM_WINDOW,
                                       filter_sigma=SSIM_SIGMA,
                                       power_factors=tuple(weights / weights.sum())).numpy()
    sigma = 1.5 * 2 ** (scales - 1)
    size = min(2 * round(3 * sigma) + 1, x.shape[1])
    size -= 1 - size % 2
    axis = np.arange(size) - (size - 1) / 2
    window = np.outer(np.exp(-axis**2 / (2 * sigma**2)), np.exp(-axis**2 / (2 * sigma**2)))
    window /= window.sum()
    error = np.abs(x.astype(np.float64) - y)
    # Zero padding, centred window: what ndimage.convolve(mode="constant") computes, by FFT (a
    # 145x145 window at five scales).
    weighted = np.stack([np.stack([fftconvolve(error[i, :, :, c], window, mode="same")
                                   for c in range(error.shape[-1])], axis=-1)
                         for i in range(len(error))])
    return 0.84 * (1 - ms_ssim.mean()) + 0.16 * weighted.mean(), ms_ssim


@pytest.mark.parametrize("name", ["l2", "l1", "psnr", "ssim", "psnr_ssim"])
def test_the_study_losses_equal_their_definitions(name):
    x, y = image_pair(48)
    expected = study_losses(x, y)[name]
    assert loss_value(name, x, y) == pytest.approx(expected, rel=2e-3)
    # A pair this far apart tells the definitions apart: no two losses agree.
    others = [v for k, v in study_losses(x, y).items() if k != name]
    assert all(abs(v - expected) > 0.01 * abs(expected) for v in others)


@pytest.mark.parametrize("size, scales", [(176, 5), (112, 4)])
def test_ms_ssim_l1_equals_zhao_with_tensorflow_ms_ssim(size, scales):
    x, y = image_pair(size)
    assert losses.ms_ssim_scales(size, size) == scales
    expected, ms_ssim = zhao_ms_ssim_l1(x, y, scales)
    ours = ops.convert_to_numpy(losses.ms_ssim_per_image(ops.convert_to_tensor(x),
                                                         ops.convert_to_tensor(y)))
    np.testing.assert_allclose(ours, ms_ssim, atol=2e-3)
    assert loss_value("ms_ssim_l1", x, y) == pytest.approx(expected, rel=2e-3)
    assert losses.MIX_ALPHA == 0.84


def test_psnr_and_ssim_metrics_equal_scikit_image_on_the_same_pairs():
    x, y = image_pair(48)
    ours = scores_per_image(x, y)
    for got, expected in zip((ours["psnr"], ours["ssim"]), skimage_scores(x, y)):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
