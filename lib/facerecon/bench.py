"""Training throughput (images/s) per architecture at a profile's resolution and batch size, on
the current Keras backend and device. Synthetic data: this measures speed, not quality.

    python -m facerecon.bench --profile quick [--arch simple_cnn,srresnet] [--steps 20]
"""
from __future__ import annotations

import argparse
import sys
import time

import keras
import numpy as np
import pandas as pd

from . import runtime
from .config import ConfigError, load_profile
from .losses import get_loss
from .models import ARCHITECTURES, STUDY_ARCHITECTURES, build_model
from .train import parse_list


def training_throughput(arch: str, shape, batch_size: int, steps: int, loss: str = "l2") -> float:
    """Images per second over `steps` training steps, after one warm-up epoch of the same size
    (which compiles the step)."""
    model = build_model(arch, shape)
    model.compile(optimizer=keras.optimizers.Adam(1e-4),
                  loss=get_loss(loss, ARCHITECTURES[arch].output_range))
    rng = np.random.default_rng(0)
    x = rng.random((batch_size * steps, *shape), dtype=np.float32)
    model.fit(x, x, batch_size=batch_size, epochs=1, verbose=0)
    started = time.perf_counter()
    model.fit(x, x, batch_size=batch_size, epochs=1, verbose=0)
    return len(x) / (time.perf_counter() - started)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m facerecon.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="paper")
    parser.add_argument("--arch", default=",".join(STUDY_ARCHITECTURES))
    parser.add_argument("--loss", default="l2")
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args(argv)
    try:
        profile = load_profile(args.profile)
        archs = parse_list(args.arch, list(ARCHITECTURES), "architecture") or list(ARCHITECTURES)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    rows = []
    for arch in archs:
        rate = training_throughput(arch, profile.image_shape, profile.batch_size, args.steps,
                                   args.loss)
        rows.append({"architecture": arch, "images_per_s": round(rate, 2),
                     "epoch_s_at_profile": round(profile.n_train / rate, 1)})
        print(f"{arch}: {rate:.2f} images/s", flush=True)
    print(f"\nprofile {profile.name}: {profile.height}x{profile.width}, batch {profile.batch_size}, "
          f"loss {args.loss}; backend {runtime.backend()}; device {runtime.device_name()}")
    print(pd.DataFrame(rows).to_markdown(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
