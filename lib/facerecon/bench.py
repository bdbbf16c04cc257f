"""Training throughput (images/s) per architecture at a profile's resolution and batch size, on
the current Keras backend and device. Synthetic data: this measures speed, not quality.

    python -m facerecon bench --profile quick [--arch simple_cnn,srresnet] [--steps 20]
"""
from __future__ import annotations

import time

import keras
import numpy as np
import pandas as pd

from . import runtime
from .config import Profile
from .losses import get_loss
from .models import build_for_profile, get_architecture


def training_throughput(arch: str, profile: Profile, steps: int, loss: str = "l2") -> float:
    """Images per second over `steps` training steps, after one warm-up epoch of the same size
    (which compiles the step)."""
    model = build_for_profile(arch, profile)
    model.compile(optimizer=keras.optimizers.Adam(1e-4),
                  loss=get_loss(loss, get_architecture(arch).output_range))
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
