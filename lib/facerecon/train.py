"""The training engine: one run = (architecture, loss, obfuscation, seed, profile).

Each run writes results/<profile>/runs/<key>/: config.json, history.csv (per epoch), per_image.csv,
test_samples.png and, last and atomically, metrics.json. A run whose metrics.json exists with the
same configuration is skipped; an interrupted run has no metrics.json and restarts from scratch.
A non-finite loss stops the run and records failed.json with the reason (never a metric).
Weights go to weights/<profile>/ (gitignored).

Headless: python -m facerecon.train --profile quick --arch srresnet --loss ssim --obfuscation blur
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import shutil
import sys
import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

import cv2
import keras
import numpy as np
import pandas as pd

from . import io, runtime
from .config import (OBFUSCATIONS, PROJECT_ROOT, SPLITS, ConfigError, Profile, RunConfig,
                     check_choice, load_profile, short_hash)
from .data import DataError, Dataset, load_dataset
from .losses import LOSSES, STUDY_LOSSES, get_loss
from .metrics import to_unit_range, val_psnr, val_ssim
from .models import ARCHITECTURES, STUDY_ARCHITECTURES, build_model, get_architecture

WEIGHTS_ROOT = PROJECT_ROOT / "weights"
REFERENCE_ARCHITECTURE, REFERENCE_LOSS = "original_residual_autoencoder", "l2"


def run_dir(results_root, profile: str, key: str) -> Path:
    return Path(results_root) / profile / "runs" / key


def run_identity(config: RunConfig, profile: Profile) -> dict:
    """What makes two runs the same run: the run's fields and every profile setting that changes
    how it trains (not the grid's seeds or description)."""
    settings = profile.run_settings()
    return {"run": config.as_dict(), "profile": settings, "profile_hash": short_hash(settings)}


def defaults_of(cls) -> dict:
    return {f.name: f.default for f in dataclasses.fields(cls)
            if f.default is not dataclasses.MISSING}


def same_run(stored: dict, identity: dict) -> bool:
    """Equal run fields and run settings. A field added after the run was stored counts as its
    default value, which is what that run used; stored grid fields are ignored."""
    wanted = json.loads(json.dumps(identity))
    filled = {part: json.loads(json.dumps({**defaults_of(cls), **stored.get(part, {})}))
              for part, cls in (("run", RunConfig), ("profile", Profile))}
    return all({k: filled[part].get(k) for k in wanted[part]} == wanted[part]
               for part in ("run", "profile"))


def cached_metrics(folder: Path, identity: dict) -> dict | None:
    path = folder / "metrics.json"
    if not path.exists():
        return None
    metrics = json.loads(path.read_text())
    return metrics if same_run(metrics.get("identity", {}), identity) else None


class EpochLog(keras.callbacks.Callback):
    """Writes history.csv after every epoch (atomically) with the epoch's wall time."""

    def __init__(self, path: Path):
        super().__init__()
        self.path, self.rows = path, []

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        row = {"epoch": epoch + 1, **{k: float(v) for k, v in (logs or {}).items()},
               "seconds": time.perf_counter() - self.started}
        self.rows.append(row)
        io.write_csv(self.path, pd.DataFrame(self.rows))


def to_range(images: np.ndarray, output_range) -> np.ndarray:
    low, high = output_range
    return (images * (high - low) + low).astype(np.float32)


def evaluate(model, dataset: Dataset, subset: str, obfuscation: str, output_range,
             batch_size: int) -> tuple[np.ndarray, pd.DataFrame]:
    """Reconstructions of a subset in [0, 1] and per-image PSNR/SSIM of reconstruction and of
    the obfuscated input, both against the original, on the original pixel scale."""
    inputs = dataset.obfuscated(subset, obfuscation)
    outputs = model.predict(to_range(inputs, output_range), batch_size=batch_size, verbose=0)
    outputs = np.clip(to_unit_range(np.asarray(outputs, np.float32), output_range), 0.0, 1.0)
    psnr, ssim = dataset.score(subset, outputs)
    input_psnr, input_ssim = dataset.score(subset, inputs)
    frame = pd.DataFrame({"subset": subset, "lfw_index": dataset.lfw_index[subset],
                          "psnr": psnr, "ssim": ssim,
                          "input_psnr": input_psnr, "input_ssim": input_ssim})
    return outputs, frame


def sample_strip(dataset: Dataset, obfuscation: str, outputs: np.ndarray, n: int) -> np.ndarray:
    """Rows original / obfuscated / reconstructed of the first n test faces, as uint8 RGB."""
    rows = [dataset.images["test"][:n], dataset.obfuscated("test", obfuscation)[:n], outputs[:n]]
    grid = np.concatenate([np.concatenate(list(row), axis=1) for row in rows], axis=0)
    return np.rint(np.clip(grid, 0, 1) * 255).astype(np.uint8)


def write_png(path: Path, rgb: np.ndarray) -> None:
    with io.atomic_path(path) as tmp:
        if not cv2.imwrite(str(tmp), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)):
            raise io.OutputError(f"could not write {path}")


def record_failure(folder: Path, reason: str, history: pd.DataFrame | None) -> dict:
    failure = {"status": "failed", "reason": reason,
               "epochs_run": 0 if history is None else len(history),
               "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    io.write_json(folder / "failed.json", failure)
    return failure


def train_run(config: RunConfig, dataset: Dataset | None = None, results_root="results",
              force: bool = False, verbose: int | str = "auto", data_home=None) -> dict:
    """Trains one run (or returns its cached metrics) and returns metrics.json's content, or the
    failure record with status 'failed'."""
    profile = load_profile(config.profile)
    folder = io.writable_dir(run_dir(results_root, config.profile, config.key))
    identity = run_identity(config, profile)
    if not force and (cached := cached_metrics(folder, identity)):
        return {**cached, "status": "cached"}
    for stale in ("metrics.json", "failed.json", "history.csv"):
        (folder / stale).unlink(missing_ok=True)
    io.write_json(folder / "config.json", identity)

    dataset = dataset or load_dataset(profile, data_home, config.split)
    keras.utils.set_random_seed(config.seed)
    deterministic = runtime.enable_determinism()
    architecture = get_architecture(config.architecture)
    output_range = architecture.output_range
    model = build_model(config.architecture, profile.image_shape, profile.bn_momentum)
    model.compile(optimizer=keras.optimizers.Adam(profile.learning_rate),
                  loss=get_loss(config.loss, output_range),
                  metrics=[val_psnr(output_range), val_ssim(output_range)],
                  run_eagerly=profile.run_eagerly)

    def pair(subset):
        return (to_range(dataset.obfuscated(subset, config.obfuscation), output_range),
                to_range(dataset.images[subset], output_range))

    log = EpochLog(folder / "history.csv")
    stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=profile.patience,
                                            restore_best_weights=True)
    started = time.perf_counter()
    model.fit(*pair("train"), validation_data=pair("val"), batch_size=profile.batch_size,
              epochs=profile.max_epochs, shuffle=True, verbose=verbose,
              callbacks=[log, stopper, keras.callbacks.TerminateOnNaN()])
    history = pd.DataFrame(log.rows)
    if history.empty or not np.isfinite(history[["loss", "val_loss"]].to_numpy()).all():
        return record_failure(folder, "non-finite loss: training stopped (TerminateOnNaN)",
                              history)
    train_seconds = time.perf_counter() - started

    _, train_frame = evaluate(model, dataset, "train", config.obfuscation, output_range,
                              profile.batch_size)
    test_outputs, test_frame = evaluate(model, dataset, "test", config.obfuscation, output_range,
                                        profile.batch_size)
    per_image = pd.concat([train_frame, test_frame], ignore_index=True)
    io.write_csv(folder / "per_image.csv", per_image)
    write_png(folder / "test_samples.png",
              sample_strip(dataset, config.obfuscation, test_outputs, profile.n_samples))
    weights = WEIGHTS_ROOT / config.profile / f"{config.key}.weights.h5"
    io.writable_dir(weights.parent)
    model.save_weights(weights)

    best_epoch = int(history["val_loss"].idxmin()) + 1
    means = per_image.groupby("subset")[["psnr", "ssim", "input_psnr", "input_ssim"]].mean()
    metrics = {
        "status": "finished",
        "identity": identity,
        **config.as_dict(),
        **{f"{subset}_{m}": float(means.loc[subset, m]) for subset in ("train", "test")
           for m in means.columns},
        "best_val_loss": float(history["val_loss"].min()),
        "epochs_run": int(len(history)),
        "best_epoch": best_epoch,
        "stopped_early": bool(len(history) < profile.max_epochs),
        "train_seconds": train_seconds,
        "wall_seconds": time.perf_counter() - started,
        "n_params": int(model.count_params()),
        "deterministic_ops": deterministic,
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **runtime.provenance(),
    }
    io.write_json(folder / "metrics.json", metrics)
    return metrics


# --- the grid and the command line --------------------------------------------------------------

def grid(profile: str, architectures=None, losses=None, obfuscations=None,
         seeds=None, splits=None) -> list[RunConfig]:
    """The runs of the study (or a slice of it): every architecture, loss, obfuscation and seed
    on the random split, then the profile's identity-disjoint runs (its identity losses and
    seeds, study architectures only). The original residual autoencoder is the study's
    reference row and is trained under L2 only."""
    settings = load_profile(profile)
    architectures = architectures or [*STUDY_ARCHITECTURES, REFERENCE_ARCHITECTURE]
    losses = losses or list(LOSSES)
    obfuscations = obfuscations or list(OBFUSCATIONS)
    seeds = [int(s) for s in seeds or settings.seeds]
    splits = splits or list(SPLITS)

    def runs_of(split, archs, split_losses, split_seeds):
        return [RunConfig(arch, loss, obfuscation, seed, profile, split)
                for arch in archs for loss in split_losses
                if arch != REFERENCE_ARCHITECTURE or loss == REFERENCE_LOSS
                for obfuscation in obfuscations for seed in split_seeds]

    runs = runs_of("random", architectures, losses, seeds) + runs_of(
        "identity", [a for a in architectures if a in STUDY_ARCHITECTURES],
        [loss for loss in losses if loss in settings.identity_losses],
        [s for s in settings.identity_seeds if s in seeds])
    return [run for run in runs if run.split in splits]


def train_many(runs: list[RunConfig], results_root="results", force=False, data_home=None,
               verbose: int | str = "auto") -> pd.DataFrame:
    """Trains runs one after another; a run that raises is reported and the others go on."""
    datasets: dict[tuple[str, str], Dataset] = {}
    rows = []
    for i, config in enumerate(runs, 1):
        print(f"[{i}/{len(runs)}] {config.profile}/{config.key}", flush=True)
        which = (config.profile, config.split)
        if which not in datasets:
            datasets[which] = load_dataset(load_profile(config.profile), data_home, config.split)
        try:
            result = train_run(config, datasets[which], results_root, force, verbose)
        except (KeyboardInterrupt, ConfigError, io.OutputError):
            raise
        except Exception as error:  # one broken run must not stop the grid
            result = {"status": "error", "reason": f"{type(error).__name__}: {error}"}
        summary = {k: result.get(k) for k in ("status", "test_psnr", "test_ssim", "epochs_run",
                                               "reason") if result.get(k) is not None}
        print(f"    {summary}", flush=True)
        rows.append({"key": config.key, **config.as_dict(), **summary})
    return pd.DataFrame(rows)


def parse_list(value, valid=None, kind: str = "") -> list | None:
    """A list given as 'a,b' or as a list, each item checked against `valid`; None for all."""
    if value in (None, "", "all"):
        return None
    items = value if isinstance(value, list) else [
        item.strip() for item in str(value).split(",") if item.strip()]
    for item in items if valid is not None else ():
        check_choice(kind, item, valid)
    return items


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m facerecon.train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", required=True)
    parser.add_argument("--arch", help=f"comma list or 'all' of: {', '.join(ARCHITECTURES)}")
    parser.add_argument("--loss", help=f"comma list or 'all' of: {', '.join(LOSSES)}")
    parser.add_argument("--obfuscation", help=f"comma list or 'all' of: {', '.join(OBFUSCATIONS)}")
    parser.add_argument("--seed", help="comma list of seeds (default: the profile's)")
    parser.add_argument("--split", help=f"comma list or 'all' of: {', '.join(SPLITS)} (the "
                                        "identity split only for the profile's identity runs)")
    parser.add_argument("--results-root", default=str(PROJECT_ROOT / "results"))
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--force", action="store_true", help="recompute finished runs")
    args = parser.parse_args(argv)
    try:
        check_choice("profile", args.profile, ("smoke", "quick", "paper"))
        runs = grid(args.profile, parse_list(args.arch, list(ARCHITECTURES), "architecture"),
                    parse_list(args.loss, list(LOSSES), "loss"),
                    parse_list(args.obfuscation, OBFUSCATIONS, "obfuscation"),
                    [int(s) for s in args.seed.split(",")] if args.seed else None,
                    parse_list(args.split, SPLITS, "split"))
        summary = train_many(runs, args.results_root, args.force, args.data_home,
                             verbose="auto" if sys.stdout.isatty() else 2)
    except (ConfigError, DataError, io.OutputError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    failed = summary[~summary["status"].isin(["finished", "cached"])]
    for _, row in failed.iterrows():
        print(f"FAILED {row['key']}: {row.get('reason')}", file=sys.stderr)
    return 1 if len(failed) else 0


if __name__ == "__main__":
    sys.exit(main())
