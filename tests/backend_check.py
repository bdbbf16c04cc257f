"""Run with KERAS_BACKEND set: one training step per architecture x loss and the gradient of
every loss on identical, constant and random images must be finite. Prints one summary line."""
import keras
import numpy as np
from keras import ops

from facerecon.axes.architectures import ARCHITECTURES
from facerecon.axes.loss_functions import get_loss
from facerecon.axes.losses import LOSSES
from facerecon.axes.networks import build_model
from facerecon.experiment.config import load_profile


def loss_gradients_are_finite(loss_name):
    import jax

    fn = get_loss(loss_name)
    rng = np.random.default_rng(0)
    random = rng.random((2, 32, 32, 3), dtype=np.float32)
    constant = np.full_like(random, 0.5)
    for pred, true in [(random, random), (constant, constant), (random, rng.random(random.shape,
                                                                                   dtype=np.float32))]:
        value, grad = jax.value_and_grad(lambda p: fn(ops.convert_to_tensor(true), p))(pred)
        if not (np.isfinite(float(value)) and np.isfinite(np.asarray(grad)).all()):
            return False
    return True


def main():
    backend = keras.backend.backend()
    failures = []
    rng = np.random.default_rng(0)
    for arch in ARCHITECTURES:
        low, high = ARCHITECTURES[arch].output_range
        x = rng.random((4, 16, 16, 3), dtype=np.float32) * (high - low) + low
        for loss in LOSSES:
            model = build_model(arch, (16, 16, 3), 0.99,
                                **load_profile("paper").architectures[arch])
            # Eager steps: no program to compile per pair, which keeps the check fast.
            model.compile(optimizer=keras.optimizers.Adam(1e-4), loss=get_loss(loss, (low, high)),
                          run_eagerly=True)
            if not np.isfinite(model.train_on_batch(x, x)):
                failures.append(f"{arch}/{loss}: step")
    if backend == "jax":
        failures += [f"{loss}: gradient" for loss in LOSSES if not loss_gradients_are_finite(loss)]
    print(f"backend {backend}: " + ("all finite" if not failures else "FAILED " + ", ".join(failures)))
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    main()
