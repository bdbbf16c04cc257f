"""Training throughput (images/s) per architecture at a profile's resolution and batch size, on
the current Keras backend and device. Synthetic data: this measures speed, not quality.

    python -m facerecon bench --profile quick [--arch simple_cnn,srresnet] [--steps 20]
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd

from ..axes.architectures import ARCHITECTURES
from ..axes.losses import get_loss
from ..axes.networks import build_for_profile
from ..core import runtime
from ..core.quiet_keras import keras
from ..experiment.config import Profile


def training_throughput(arch: str, profile: Profile, steps: int, loss: str = "l2") -> float:
    """Images per second over `steps` training steps, after one warm-up epoch of the same size
    (which compiles the step)."""
    model = build_for_profile(arch, profile)
    model.compile(optimizer=keras.optimizers.Adam(1e-4),
                  loss=get_loss(loss, ARCHITECTURES[arch].output_range))
    rng = np.random.default_rng(0)
    x = rng.random((profile.batch_size * steps, *profile.image_shape), dtype=np.float32)
    model.fit(x, x, batch_size=profile.batch_size, epochs=1, verbose=0)
    started = time.perf_counter()
    model.fit(x, x, batch_size=profile.batch_size, epochs=1, verbose=0)
    return len(x) / (time.perf_counter() - started)


def bench(profile: Profile, architectures: list[str], steps: int, loss: str = "l2") -> pd.DataFrame:
    """Prints 'arch: N images/s' per architecture as it is measured (the scheduler reads these
    lines), then a table with the time an epoch of the profile would take."""
    rows = []
    for arch in architectures:
        rate = training_throughput(arch, profile, steps, loss)
        rows.append({"architecture": arch, "images_per_s": round(rate, 2),
                     "epoch_s_at_profile": round(profile.n_train / rate, 1)})
        print(f"{arch}: {rate:.2f} images/s", flush=True)
    table = pd.DataFrame(rows)
    print(f"\nprofile {profile.name}: {profile.height}x{profile.width}, batch {profile.batch_size}, "
          f"loss {loss}; backend {runtime.backend()}; device {runtime.device_name()}")
    print(table.to_markdown(index=False))
    return table


def flops_per_epoch(step, state, orders, inputs, targets) -> float:
    """XLA's count of the floating-point operations of one run's training epoch: one step's
    count times the steps (XLA counts a rolled loop's body once, whatever its trip count);
    NaN off the CPU."""
    import jax
    import jax.numpy as jnp

    if jax.default_backend() != "cpu":  # XLA does not count convolutions that cuDNN runs
        return float("nan")
    one = jax.tree.map(lambda leaf: leaf[0], state)
    compiled = jax.jit(step.run_epoch).lower(one, orders[0, :1], inputs, targets,
                                             jnp.zeros(2, int), 0, True).compile()
    analysis = compiled.cost_analysis()
    analysis = analysis[0] if isinstance(analysis, list) else analysis
    return float(analysis.get("flops", float("nan"))) * orders.shape[1]


def grid_throughput(arch: str, profile: Profile, strategy: str, group_size: int,
                    epochs: int = 1) -> dict:
    """Training images/s of `group_size` runs in lock-step (lockstep.Lockstep) on synthetic
    faces of the profile's size, after a compiling epoch; with the compile time and TFLOP/s."""
    import jax
    import jax.numpy as jnp

    from .lockstep import Lockstep

    step = Lockstep(arch, profile, strategy)
    rng = np.random.default_rng(0)
    faces = jnp.asarray(rng.random((1, profile.n_train, *profile.image_shape), dtype=np.float32))
    state = step.initial_state(range(group_size))
    orders = jnp.asarray(np.stack([rng.permutation(profile.n_train).reshape(-1, profile.batch_size)
                                   for _ in range(group_size)]))
    args = (faces, faces, jnp.zeros((group_size, 2), int), jnp.arange(group_size) % 6,
            jnp.ones(group_size, bool))
    started = time.perf_counter()
    state, _ = jax.block_until_ready(step.epoch(state, orders, *args))
    compile_s = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(epochs):
        state, _ = jax.block_until_ready(step.epoch(state, orders, *args))
    seconds = (time.perf_counter() - started) / epochs
    flops = flops_per_epoch(step, state, orders, faces, faces) * group_size
    return {"architecture": arch, "strategy": strategy, "group_size": group_size,
            "images_per_s": round(group_size * profile.n_train / seconds, 1),
            "device_s_per_run_epoch": round(seconds / group_size, 4),
            "tflop_per_s": round(flops / seconds / 1e12, 3),
            "compile_and_first_epoch_s": round(compile_s, 1)}


def fit_throughput(arch: str, profile: Profile) -> dict:
    """The Keras fit path (one run, train.py) in the grid strategies' terms."""
    rate = training_throughput(arch, profile, profile.n_train // profile.batch_size)
    return {"architecture": arch, "strategy": "fit", "group_size": 1,
            "images_per_s": round(rate, 1),
            "device_s_per_run_epoch": round(profile.n_train / rate, 4)}


def strategy_table(profile: Profile, architectures: list[str], strategies: list[str],
                   group_size: int) -> pd.DataFrame:
    """The throughput of every architecture under each strategy ("fit": Keras' fit, one run;
    the grid strategies need the JAX backend and are skipped, said so, on another), printed as
    measured and as a table."""
    rows = []
    for arch in architectures:
        for strategy in strategies:
            if strategy != "fit" and runtime.backend() != "jax":
                print(f"strategy {strategy} skipped: the grid trainer needs KERAS_BACKEND=jax")
                continue
            rows.append(fit_throughput(arch, profile) if strategy == "fit"
                        else grid_throughput(arch, profile, strategy, group_size))
            print(", ".join(f"{k} {v}" for k, v in rows[-1].items()), flush=True)
    table = pd.DataFrame(rows)
    print(f"\nprofile {profile.name}: {profile.height}x{profile.width}, batch {profile.batch_size}; "
          f"backend {runtime.backend()}; device {runtime.device_name()}")
    print(table.to_markdown(index=False))
    return table
