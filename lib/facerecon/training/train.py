"""The training engine: one run = (architecture, loss, obfuscation, seed, split, profile).

A run writes its records through runs.RunStore (see runs.py for the layout): config.json,
history.csv after every epoch, per_image.csv, test_samples.png, test_faces.npz (its test
reconstructions as the face recogniser sees them) and, last, metrics.json, all
staged until the run ends. A finished run with the same fingerprint is skipped; an interrupted
run leaves the previous records (or none) and restarts from scratch; a run that another process
is training is skipped. A non-finite loss stops the run and records failed.json with the reason
(never a metric).

Headless: python -m facerecon train --profile quick --arch srresnet --loss ssim --obfuscation blur
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from ..axes.architectures import ARCHITECTURES
from ..axes.losses import get_loss
from ..axes.measures import epoch_metrics
from ..axes.metrics import to_unit_range
from ..axes.networks import build_for_profile
from ..core import io, runtime
from ..core.checks import ConfigError
from ..core.quiet_keras import keras
from ..data import faces
from ..data.dataset import Dataset, load_dataset
from ..experiment.config import RunConfig, load_profile
from ..experiment.fingerprint import fingerprint
from ..experiment.runs import RunBusy, RunStore


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


def reconstruct(model, dataset: Dataset, subset: str, config: RunConfig, output_range,
                batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """A subset's obfuscated inputs and the model's reconstructions of them, both in [0, 1]."""
    inputs = dataset.obfuscated(subset, config.obfuscation, config.strength)
    outputs = model.predict(to_range(inputs, output_range), batch_size=batch_size, verbose=0)
    return inputs, np.clip(to_unit_range(np.asarray(outputs, np.float32), output_range), 0.0, 1.0)


def evaluate(model, dataset: Dataset, subset: str, config: RunConfig, output_range,
             batch_size: int) -> tuple[np.ndarray, pd.DataFrame]:
    """Reconstructions of a subset in [0, 1] and per-image scores (measures.score_names, on the
    original pixel scale) of reconstruction and of the obfuscated input against the original;
    on the test faces also their identity distance to it (Dataset.identity)."""
    inputs, outputs = reconstruct(model, dataset, subset, config, output_range, batch_size)
    scores = {**dataset.score(subset, outputs),
              **{f"input_{k}": v for k, v in dataset.score(subset, inputs).items()}}
    if subset == "test":  # identity by the deep descriptor: the test faces are what it is for
        scores.update({**dataset.identity(subset, outputs),
                       **{f"input_{k}": v for k, v in dataset.identity(subset, inputs).items()}})
    frame = pd.DataFrame({"subset": subset, "lfw_index": dataset.lfw_index[subset], **scores})
    return outputs, frame


def sample_strip(dataset: Dataset, config: RunConfig, outputs: np.ndarray, n: int) -> np.ndarray:
    """Rows original / obfuscated / reconstructed of the first n test faces, as uint8 RGB."""
    rows = [dataset.images["test"][:n],
            dataset.obfuscated("test", config.obfuscation, config.strength)[:n], outputs[:n]]
    grid = np.concatenate([np.concatenate(list(row), axis=1) for row in rows], axis=0)
    return np.rint(np.clip(grid, 0, 1) * 255).astype(np.uint8)


def write_png(path: Path, rgb: np.ndarray) -> None:
    encoded, png = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not encoded:
        raise io.OutputError(f"could not encode {path} as PNG")
    io.write_bytes(path, png.tobytes())


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def train_run(config: RunConfig, dataset: Dataset | None = None, results_root="results",
              force: bool = False, verbose: int | str = "auto", data_home=None) -> dict:
    """Trains one run (or returns its cached metrics) and returns metrics.json's content, or the
    failure record with status 'failed'. The profile is the dataset's (read once for many runs)
    or, without a dataset, read here."""
    profile = dataset.profile if dataset is not None else load_profile(config.profile)
    if profile.name != config.profile:
        raise ConfigError(f"{config.key} is a run of profile {config.profile}, but the dataset "
                          f"is of profile {profile.name}")
    store = RunStore(Path(results_root), profile)
    run_fingerprint = fingerprint(config, profile)
    if not force and (cached := store.cached(config.key, run_fingerprint)):
        return {**cached, "status": "cached"}
    with store.lock(config.key):
        if not force and (cached := store.cached(config.key, run_fingerprint)):
            return {**cached, "status": "cached"}  # another process finished it meanwhile
        try:
            return train_fresh(config, profile, store, run_fingerprint,
                               dataset or load_dataset(profile, data_home, config.split), verbose)
        except BaseException:  # an error, a full disk, Ctrl-C: nothing half-staged stays behind
            store.discard(config.key)
            raise


def train_fresh(config: RunConfig, profile, store: RunStore, run_fingerprint: dict,
                dataset: Dataset, verbose) -> dict:
    """Trains the run from scratch into its staging folder and publishes its records."""
    folder = store.start(config.key, run_fingerprint)
    keras.utils.set_random_seed(config.seed)
    deterministic = runtime.enable_determinism()
    output_range = ARCHITECTURES[config.architecture].output_range
    model = build_for_profile(config.architecture, profile)
    model.compile(optimizer=keras.optimizers.Adam(profile.learning_rate),
                  loss=get_loss(config.loss, output_range),
                  metrics=epoch_metrics(output_range),
                  run_eagerly=profile.run_eagerly)

    def pair(subset):
        return (to_range(dataset.obfuscated(subset, config.obfuscation, config.strength),
                         output_range),
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
        return record_failure(store, config.key, len(history),
                              "non-finite loss: training stopped (TerminateOnNaN)")
    return publish_trained(config, profile, store, model, dataset, history,
                           {"fingerprint": run_fingerprint, "trainer": "keras_fit",
                            "train_seconds": time.perf_counter() - started,
                            "deterministic_ops": deterministic}, started)


def record_failure(store: RunStore, key: str, epochs_run: int, reason: str) -> dict:
    failure = {"status": "failed", "epochs_run": epochs_run, "finished_at": now(),
               "reason": reason}
    store.fail(key, failure)
    return failure


def publish_trained(config: RunConfig, profile, store: RunStore, model, dataset: Dataset,
                    history: pd.DataFrame, facts: dict, started: float) -> dict:
    """Scores a trained model (its best epoch's weights) on train and test, writes per_image.csv,
    test_samples.png, the test faces for recognition and its weights, and publishes the run
    with metrics.json (`facts`: the fingerprint, the trainer and what it measured)."""
    folder = store.staging(config.key)
    output_range = ARCHITECTURES[config.architecture].output_range
    _, train_frame = evaluate(model, dataset, "train", config, output_range, profile.batch_size)
    test_outputs, test_frame = evaluate(model, dataset, "test", config, output_range,
                                        profile.batch_size)
    per_image = pd.concat([train_frame, test_frame], ignore_index=True)
    io.write_csv(folder / "per_image.csv", per_image)
    write_png(folder / "test_samples.png",
              sample_strip(dataset, config, test_outputs, profile.n_samples))
    faces.write_faces(folder / faces.FACES_FILE, dataset.lfw_index["test"], test_outputs)
    faces.write_descriptors(folder / faces.DESCRIPTORS_FILE, dataset.lfw_index["test"],
                            dataset.descriptors("test", test_outputs))
    try:
        model.save_weights(store.staged_weights(config.key))
    except OSError as error:  # h5py's own message is a page long
        raise io.output_error(store.staged_weights(config.key), error) from None

    means = per_image.drop(columns="lfw_index").groupby("subset").mean()
    metrics = {
        "status": "finished",
        **config.as_dict(),
        **{f"{subset}_{m}": float(means.loc[subset, m]) for subset in ("train", "test")
           for m in means.columns if pd.notna(means.loc[subset, m])},
        "best_val_loss": float(history["val_loss"].min()),
        "epochs_run": int(len(history)),
        "best_epoch": int(history["val_loss"].idxmin()) + 1,
        "stopped_early": bool(len(history) < profile.max_epochs),
        "wall_seconds": time.perf_counter() - started,
        "n_params": int(model.count_params()),
        "precision": keras.config.dtype_policy().name,
        "finished_at": now(),
        **facts,
        **runtime.provenance(),
    }
    store.finish(config.key, metrics)
    return metrics


def summary_line(summary: dict) -> str:
    """'finished: test PSNR 23.03 dB, SSIM 0.9178, 12 epochs' (or the status and its reason)."""
    said = [f"test PSNR {summary['test_psnr']:.2f} dB"] if "test_psnr" in summary else []
    said += [f"SSIM {summary['test_ssim']:.4f}"] if "test_ssim" in summary else []
    if "epochs_run" in summary:
        said.append(f"{int(summary['epochs_run'])} epoch{'' if summary['epochs_run'] == 1 else 's'}")
    said += [summary["reason"]] if "reason" in summary else []
    return f"{summary['status']}: {', '.join(said)}" if said else summary["status"]


def train_many(runs: list[RunConfig], results_root="results", force=False, data_home=None,
               verbose: int | str = "auto") -> pd.DataFrame:
    """Trains runs one after another; a run that raises is reported and the others go on."""
    profiles = {name: load_profile(name) for name in dict.fromkeys(r.profile for r in runs)}
    datasets: dict[tuple[str, str], Dataset] = {}
    rows = []
    for i, config in enumerate(runs, 1):
        print(f"[{i}/{len(runs)}] {config.profile}/{config.key}", flush=True)
        which = (config.profile, config.split)
        if which not in datasets:
            datasets[which] = load_dataset(profiles[config.profile], data_home, config.split)
        try:
            result = train_run(config, datasets[which], results_root, force, verbose)
        except RunBusy as busy:
            result = {"status": "busy", "reason": str(busy)}
        except (KeyboardInterrupt, ConfigError, io.OutputError):
            raise
        except Exception as error:  # one broken run must not stop the grid
            result = {"status": "error", "reason": f"{type(error).__name__}: {error}"}
        summary = {k: result.get(k) for k in ("status", "test_psnr", "test_ssim", "epochs_run",
                                               "reason") if result.get(k) is not None}
        print(f"    {summary_line(summary)}", flush=True)
        rows.append({"key": config.key, **config.as_dict(), **summary})
    return pd.DataFrame(rows, columns=None if rows else ["key", "status"])
