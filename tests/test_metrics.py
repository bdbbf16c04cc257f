import numpy as np
import pytest
from scipy.ndimage import gaussian_filter
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from facerecon.axes.metrics import scores_per_image

from conftest import random_faces


@pytest.mark.parametrize("shape", [(32, 32), (112, 112), (64, 48)])
def test_psnr_and_ssim_match_scikit_image(shape):
    reference = random_faces(3, *shape).astype(np.float32) / 255
    noisy = np.clip(reference + np.random.default_rng(1).normal(0, 0.08, reference.shape),
                    0, 1).astype(np.float32)
    scores = scores_per_image(noisy, reference)
    psnr, ssim, uniform = scores["psnr"], scores["ssim"], scores["ssim_uniform"]
    for i in range(len(reference)):
        assert uniform[i] == pytest.approx(structural_similarity(
            reference[i], noisy[i], data_range=1, channel_axis=-1), abs=1e-4)
        assert psnr[i] == pytest.approx(
            peak_signal_noise_ratio(reference[i], noisy[i], data_range=1), abs=1e-3)
        assert ssim[i] == pytest.approx(structural_similarity(
            reference[i], noisy[i], gaussian_weights=True, sigma=1.5,
            use_sample_covariance=False, data_range=1, channel_axis=-1), abs=1e-3)


def test_metrics_on_the_original_scale_equal_those_on_unit_scale():
    reference = random_faces(2, 32, 32).astype(np.float32) / 255
    noisy = np.clip(reference + 0.05, 0, 1).astype(np.float32)
    unit = scores_per_image(noisy, reference, data_range=1.0)
    full = scores_per_image(noisy * 255, reference * 255, data_range=255.0)
    for name in unit:
        np.testing.assert_allclose(unit[name], full[name], rtol=1e-4)


def test_the_two_ssim_conventions_differ_on_the_same_faces():
    reference = random_faces(2, 64, 64).astype(np.float32) / 255
    blurred = np.stack([gaussian_filter(r, (2, 2, 0)) for r in reference]).astype(np.float32)
    scores = scores_per_image(blurred, reference)
    assert np.all(np.abs(scores["ssim"] - scores["ssim_uniform"]) > 1e-3)
