"""Architectures and losses on the default backend; the same checks on JAX run in a subprocess
(tests/jax_backend/test_networks_losses.py) where JAX is installed."""

import keras
import numpy as np
import pytest

from facerecon.axes.architectures import ARCHITECTURES
from facerecon.axes.losses import get_loss, ms_ssim_scales
from facerecon.axes.losses import LOSSES
from facerecon.axes.networks import build_model
from facerecon.experiment.config import load_profile

PARAMETERS = {"simple_cnn": 826_243, "srresnet": 735_491}


def study_model(arch, shape):
    """The network at the study's size (the paper profile's settings)."""
    return build_model(arch, shape, 0.99, **load_profile("paper").architectures[arch])


@pytest.mark.parametrize("arch,count", PARAMETERS.items())
def test_parameter_counts_match_the_study(arch, count):
    assert study_model(arch, (112, 112, 3)).count_params() == count


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
@pytest.mark.parametrize("shape", [(112, 112, 3), (64, 48, 3), (16, 16, 3)])
def test_models_keep_the_input_shape(arch, shape):
    assert study_model(arch, shape).output_shape == (None, *shape)


def test_architecture_settings_size_the_network():
    small = build_model("srresnet", (16, 16, 3), 0.99, filters=8, blocks=1)
    assert small.count_params() < study_model("srresnet", (16, 16, 3)).count_params() / 50


def test_unknown_architecture_lists_valid_names():
    with pytest.raises(ValueError, match="valid: simple_cnn, srresnet"):
        ARCHITECTURES["unet"]


def test_unknown_loss_lists_valid_names():
    with pytest.raises(ValueError, match="valid: l2, l1, psnr, ssim, psnr_ssim, ms_ssim_l1"):
        get_loss("l3")


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_every_architecture_and_loss_takes_a_finite_training_step(arch):
    low, high = ARCHITECTURES[arch].output_range
    rng = np.random.default_rng(0)
    x = (rng.random((4, 16, 16, 3), dtype=np.float32) * (high - low) + low)
    for loss in LOSSES:
        keras.utils.set_random_seed(0)
        model = study_model(arch, (16, 16, 3))
        # Eager steps: no graph to trace per loss, which keeps this test fast.
        model.compile(optimizer=keras.optimizers.Adam(1e-4), loss=get_loss(loss, (low, high)),
                      run_eagerly=True)
        value = model.train_on_batch(x, x)
        assert np.isfinite(value), (arch, loss, value)


def image_pairs(shape=(2, 32, 32, 3)):
    rng = np.random.default_rng(0)
    random = rng.random(shape, dtype=np.float32)
    constant = np.full(shape, 0.5, np.float32)
    return {"identical": (random, random.copy()), "constant": (constant, constant.copy()),
            "random": (random, rng.random(shape, dtype=np.float32)),
            "constant_vs_random": (constant, random)}


@pytest.mark.parametrize("loss", list(LOSSES))
def test_losses_have_finite_values_and_gradients(loss):
    import tensorflow as tf  # the default backend's autodiff; JAX is checked separately

    fn = get_loss(loss)
    for name, (pred, true) in image_pairs().items():
        pred = tf.Variable(pred)
        with tf.GradientTape() as tape:
            value = fn(tf.constant(true), pred)
        grad = tape.gradient(value, pred)
        assert np.isfinite(float(value)), (loss, name)
        assert grad is not None and np.isfinite(grad.numpy()).all(), (loss, name)


# PSNR of identical images is capped at 100 dB (MSE floor), so 1/PSNR bottoms out at 0.01.
@pytest.mark.parametrize("loss,floor", [("l2", 0), ("l1", 0), ("ssim", 0), ("ms_ssim_l1", 0),
                                        ("psnr", 0.01), ("psnr_ssim", 0.005)])
def test_losses_reach_their_minimum_for_identical_images(loss, floor):
    pred, true = image_pairs()["identical"]
    assert float(get_loss(loss)(true, pred)) == pytest.approx(floor, abs=1e-5)


def test_ms_ssim_scales_follow_the_image_size():
    assert [ms_ssim_scales(*s) for s in [(112, 112), (64, 48), (32, 32), (16, 16)]] == [4, 3, 2, 1]


def test_tanh_output_range_maps_back_before_the_loss():
    pred, true = image_pairs()["random"]
    unit = float(get_loss("ssim")(true, pred))
    signed = float(get_loss("ssim", (-1.0, 1.0))(true * 2 - 1, pred * 2 - 1))
    assert signed == pytest.approx(unit, rel=1e-5)


@pytest.mark.parametrize("loss", list(LOSSES))
def test_a_loss_marked_windowed_barely_sees_the_edge_and_no_other_loss_is_blind_to_it(loss):
    import tensorflow as tf

    from facerecon.axes.metrics import border_mask

    pred, true = image_pairs()["random"]
    pred = tf.Variable(pred)
    with tf.GradientTape() as tape:
        value = get_loss(loss)(tf.constant(true), pred)
    pull = np.abs(tape.gradient(value, pred).numpy()).mean(axis=(0, 3))  # per pixel
    height, width = pull.shape
    edge = (pull[border_mask(height, width, depth=1)].mean()
            / pull[~border_mask(height, width)].mean())  # the outermost pixels against the inside
    assert edge < 0.1 if LOSSES[loss].windowed else edge > 0.5, (loss, edge)
