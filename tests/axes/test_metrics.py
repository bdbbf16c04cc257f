import numpy as np
import pytest
from scipy.ndimage import gaussian_filter
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from facerecon.axes.measures import scores_per_image

from support import random_faces


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


# --- the luma (Y) convention of restoration papers ----------------------------------------------

def basicsr_y(rgb):
    """BasicSR's to_y_channel on an RGB image in [0, 1]: BT.601 Y in [16, 235], float64."""
    return rgb.astype(np.float64) @ np.array([65.481, 128.553, 24.966]) + 16.0


def basicsr_psnr(a, b):
    return 10 * np.log10(255.0**2 / np.mean((a - b) ** 2))


def basicsr_ssim(a, b):
    """BasicSR's _ssim on one channel in [0, 255]: an 11x11 Gaussian (sigma 1.5), valid part."""
    import cv2
    kernel = cv2.getGaussianKernel(11, 1.5)
    window = np.outer(kernel, kernel.T)

    def mean(z):
        return cv2.filter2D(z, -1, window)[5:-5, 5:-5]

    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu_a, mu_b = mean(a), mean(b)
    var_a, var_b = mean(a * a) - mu_a**2, mean(b * b) - mu_b**2
    cov = mean(a * b) - mu_a * mu_b
    return np.mean((2 * mu_a * mu_b + c1) * (2 * cov + c2)
                   / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)))


def noisy_pair(shape=(64, 48)):
    reference = random_faces(3, *shape).astype(np.float32) / 255
    rng = np.random.default_rng(2)
    noisy = np.clip(reference + rng.normal(0, 0.06, reference.shape), 0, 1).astype(np.float32)
    return noisy, reference


def test_y_channel_scores_match_basicsr_and_scikit_image():
    from skimage.color import rgb2ycbcr

    noisy, reference = noisy_pair()
    scores = scores_per_image(noisy, reference)
    for i in range(len(reference)):
        a, b = basicsr_y(noisy[i]), basicsr_y(reference[i])
        assert scores["psnr_y"][i] == pytest.approx(basicsr_psnr(a, b), abs=1e-3)
        assert scores["ssim_y"][i] == pytest.approx(basicsr_ssim(a, b), abs=1e-4)
        sk_a, sk_b = rgb2ycbcr(noisy[i])[..., 0], rgb2ycbcr(reference[i])[..., 0]
        assert scores["psnr_y"][i] == pytest.approx(
            peak_signal_noise_ratio(sk_b, sk_a, data_range=255), abs=1e-3)
        assert scores["ssim_y"][i] == pytest.approx(structural_similarity(
            sk_b, sk_a, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
            data_range=255), abs=1e-3)


def test_a_bt709_luma_or_a_unit_range_y_psnr_would_fail_the_y_check():
    """The tolerances above can tell the conventions researchers confuse."""
    noisy, reference = noisy_pair()
    scores = scores_per_image(noisy, reference)
    bt709 = np.array([0.2126, 0.7152, 0.0722]) * 219.0
    for i in range(len(reference)):
        a, b = noisy[i] @ bt709 + 16, reference[i] @ bt709 + 16
        assert abs(scores["psnr_y"][i] - basicsr_psnr(a, b)) > 1e-2
        assert abs(scores["ssim_y"][i] - basicsr_ssim(a, b)) > 1e-4
        y_a, y_b = basicsr_y(noisy[i]), basicsr_y(reference[i])
        unit_range = peak_signal_noise_ratio((y_b - 16) / 219, (y_a - 16) / 219, data_range=1)
        assert abs(scores["psnr_y"][i] - unit_range) > 1e-2


@pytest.mark.parametrize("shape", [(32, 32), (64, 48)])
def test_border_and_inner_psnr_split_the_image_at_the_ssim_windows_reach(shape):
    reference = random_faces(2, *shape).astype(np.float32) / 255
    inner = np.zeros(shape, bool)
    inner[5:-5, 5:-5] = True  # the pixels an 11x11 window centres on
    noise = np.random.default_rng(2).normal(0, 0.05, reference.shape).astype(np.float32)
    # Noise only in the border: the inner PSNR is the floor's, the border's is the noise's.
    border_only = np.clip(reference + noise * ~inner[None, :, :, None], 0, 1)
    scores = scores_per_image(border_only, reference)
    border_mse = ((border_only - reference) ** 2)[:, ~inner].mean(axis=(1, 2))
    np.testing.assert_allclose(scores["psnr_border"], -10 * np.log10(border_mse), atol=1e-3)
    np.testing.assert_allclose(scores["psnr_inner"], 100.0)
    # Noise everywhere: the whole image's MSE is the two regions' MSE weighted by their pixels.
    noisy = np.clip(reference + noise, 0, 1)
    scores = scores_per_image(noisy, reference)
    share = (~inner).mean()
    mse = (share * 10 ** (-scores["psnr_border"] / 10)
           + (1 - share) * 10 ** (-scores["psnr_inner"] / 10))
    np.testing.assert_allclose(-10 * np.log10(mse), scores["psnr"], atol=1e-3)
