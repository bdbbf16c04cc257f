"""Every architecture and loss on the JAX backend (run by tests/test_jax_backend.py in a
subprocess with KERAS_BACKEND=jax): one training step per architecture x loss, and the gradient
of every loss on identical, constant and random images, are finite."""
import keras
import numpy as np
import pytest
from keras import ops

pytestmark = pytest.mark.skipif(keras.backend.backend() != "jax", reason="the JAX backend's checks")

from facerecon.axes.architectures import ARCHITECTURES  # noqa: E402
from facerecon.axes.losses import get_loss  # noqa: E402
from facerecon.axes.losses import LOSSES  # noqa: E402
from facerecon.axes.networks import build_model  # noqa: E402
from facerecon.experiment.config import load_profile  # noqa: E402


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_a_training_step_is_finite_for_every_loss(arch):
    low, high = ARCHITECTURES[arch].output_range
    x = np.random.default_rng(0).random((4, 16, 16, 3), dtype=np.float32) * (high - low) + low
    failed = []
    # The study's topology (layer kinds, counts, kernels, strides) at an eighth of its widths:
    # whether a step is finite depends on the loss and the layers, not on how wide they are.
    sizes = {k: [w // 8 for w in v] if isinstance(v, list) else v // 8 if k == "filters" else v
             for k, v in load_profile("paper").architectures[arch].items()}
    for loss in LOSSES:
        model = build_model(arch, (16, 16, 3), 0.99, **sizes)
        # Eager steps: no program to compile per pair, which keeps the check fast.
        model.compile(optimizer=keras.optimizers.Adam(1e-4), loss=get_loss(loss, (low, high)),
                      run_eagerly=True)
        if not np.isfinite(model.train_on_batch(x, x)):
            failed.append(loss)
    assert not failed, f"{arch}: a non-finite step under {failed}"


@pytest.mark.parametrize("loss", list(LOSSES))
def test_a_loss_gradient_is_finite_on_identical_constant_and_random_images(loss):
    import jax

    fn = get_loss(loss)
    rng = np.random.default_rng(0)
    random = rng.random((2, 32, 32, 3), dtype=np.float32)
    constant = np.full_like(random, 0.5)
    other = rng.random(random.shape, dtype=np.float32)
    for pred, true in [(random, random), (constant, constant), (random, other)]:
        value, grad = jax.value_and_grad(lambda p: fn(ops.convert_to_tensor(true), p))(pred)
        assert np.isfinite(float(value)) and np.isfinite(np.asarray(grad)).all()
