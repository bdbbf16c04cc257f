"""Weights a researcher can try without training: models/ holds, per obfuscation, the weights of
a profile's best run, named <profile>__<run key> (e.g. quick__srresnet__psnr__blur__seed0) and
stored as float16 without the optimizer's state (a sixth of the run's weights file), and
models/index.csv says what each is, how it was chosen and how it scored.

    python -m facerecon models --profile quick       # publishes the best quick run per obfuscation
    python -m facerecon reconstruct --model quick__srresnet__psnr__blur__seed0 face.jpg

No Keras here: h5py copies the weights, and a float32 network loads the float16 copy as it is
(Keras casts each array on assignment; the reconstructions differ by float16 rounding only).

May import: core, experiment, training (runs on disk).
"""
from __future__ import annotations

from io import BytesIO
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from ..core import io
from ..core.checks import ConfigError
from ..core.io import PROJECT_ROOT
from ..experiment.config import PROFILE_NAMES, Profile, load_profile
from ..experiment.convergence import ending
from ..experiment.runs import RUN_FIELDS, RunStore
from ..experiment.study import finished

MODELS_DIR = PROJECT_ROOT / "models"
INDEX = "index.csv"
SUFFIX = ".weights.h5"
# The groups of a Keras weights file that reconstructing does not read: Adam's moments are twice
# the network's size and are of no use to a network that only infers.
NOT_COPIED = ("optimizer",)
INDEX_COLUMNS = ("name", "profile", "key", "architecture", "loss", "obfuscation", "seed",
                 "resolution", "selection", "epoch", "ended", "val_psnr", "val_ssim", "test_psnr",
                 "test_ssim", "code_version", "device", "bytes")


def model_name(profile_name: str, key: str) -> str:
    return f"{profile_name}__{key}"


def to_float16(source: Path, target: Path) -> None:
    """Copies a Keras .weights.h5 with every float32 array cast to float16 and without the
    optimizer's state, atomically (a full disk keeps the previous file). Deterministic bytes
    (no timestamps), so republishing the same weights leaves git clean."""
    buffer = BytesIO()
    with h5py.File(source, "r") as given, h5py.File(buffer, "w") as copy:
        copy.attrs.update(dict(given.attrs))

        def copied(name: str, item) -> None:
            if name.split("/")[0] in NOT_COPIED:
                return
            if isinstance(item, h5py.Group):
                copy.require_group(name).attrs.update(dict(item.attrs))
                return
            data = item[()]
            if item.dtype == np.float32:
                with np.errstate(over="ignore"):
                    half = data.astype(np.float16)
                if not np.array_equal(np.isfinite(half), np.isfinite(data)):
                    raise ConfigError(f"{source}: {name} holds values beyond float16's range "
                                      f"(largest {np.abs(data).max():g}); it cannot be halved")
                data = half
            copy.create_dataset(name, data=data, track_times=False).attrs.update(dict(item.attrs))

        given.visititems(copied)
    io.write_bytes(target, buffer.getvalue())


def store_of(store_or_results_root: RunStore | Path | str, profile: Profile) -> RunStore:
    if isinstance(store_or_results_root, RunStore):
        return store_or_results_root
    return RunStore(Path(store_or_results_root), profile)


def restored_epoch(history: pd.DataFrame) -> pd.Series:
    """The row of a run's history.csv whose weights it kept: the lowest validation loss (Keras'
    EarlyStopping restores that epoch's weights; the first, where epochs tie)."""
    return history.loc[history["val_loss"].idxmin()]


def candidates(results_root, profile: Profile) -> pd.DataFrame:
    """The profile's finished runs (not stale: trained as the profile says today) on the random
    split at the profile's strength whose weights are here, with their validation PSNR and SSIM
    at the restored epoch."""
    store = store_of(results_root, profile)
    runs = finished(store.collect()) if store.runs_dir.is_dir() else pd.DataFrame()
    if runs.empty:
        return pd.DataFrame(columns=[*RUN_FIELDS, "epoch", "val_psnr", "val_ssim"])
    runs = runs[[store.weights(key).is_file() for key in runs["key"]]].copy()
    epochs = [restored_epoch(store.history(key)) for key in runs["key"]]
    runs["epoch"] = [int(row["epoch"]) for row in epochs]
    runs["val_psnr"] = [float(row["val_psnr"]) for row in epochs]
    runs["val_ssim"] = [float(row["val_ssim"]) for row in epochs]
    return runs


def best_runs(store: RunStore, by: tuple[str, ...] = ("obfuscation",)) -> dict[tuple, str]:
    """The key of the run with the best validation PSNR (at its restored epoch) per group of
    run fields `by` (e.g. ("architecture", "obfuscation")), among candidates(); ties go to the
    first key in sorted order."""
    # Chosen on validation, never on test: picking the best of many runs by their test scores
    # would select for luck on those 200 faces, and the test numbers published beside the model
    # would then overstate what it does on faces it has not seen.
    runs = candidates(store, store.profile).sort_values(["val_psnr", "key"],
                                                        ascending=[False, True])
    return {group: runs_of["key"].iloc[0] for group, runs_of in runs.groupby(list(by))}


def best_run_per_obfuscation(results_root, profile: Profile) -> dict[str, str]:
    """best_runs per obfuscation, in the profile's order: {obfuscation: key}."""
    store = store_of(results_root, profile)
    best = best_runs(store, ("obfuscation",))
    return {o: best[(o,)] for o in store.profile.obfuscations if (o,) in best}


def index_row(store: RunStore, key: str, weights: Path, selection: str) -> dict:
    """A published model's row of index.csv: fixed formats, so that the same run gives the same
    row."""
    metrics, history = store.metrics(key), store.history(key)
    epoch = restored_epoch(history)
    profile = store.profile
    return {"name": model_name(profile.name, key), "profile": profile.name, "key": key,
            **{field: metrics[field] for field in ("architecture", "loss", "obfuscation")},
            "seed": int(metrics["seed"]), "resolution": f"{profile.height}x{profile.width}",
            "selection": selection, "epoch": int(epoch["epoch"]),
            "ended": ending(history, bool(metrics.get("stopped_early"))),
            "val_psnr": f"{epoch['val_psnr']:.2f}", "val_ssim": f"{epoch['val_ssim']:.4f}",
            "test_psnr": f"{metrics['test_psnr']:.2f}", "test_ssim": f"{metrics['test_ssim']:.4f}",
            "code_version": metrics.get("code_version", ""), "device": metrics.get("device", ""),
            "bytes": weights.stat().st_size}


def read_index(models_dir: Path) -> pd.DataFrame:
    """models/index.csv as text (as written), or an empty index."""
    path = Path(models_dir) / INDEX
    if not path.exists():
        return pd.DataFrame(columns=INDEX_COLUMNS)
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def write_index(models_dir: Path, rows: pd.DataFrame) -> None:
    rows = rows.astype(str).sort_values("name").reset_index(drop=True)
    io.write_csv(Path(models_dir) / INDEX, rows[list(INDEX_COLUMNS)], lineterminator="\n")


def publish(store_or_results_root, profile: Profile, key: str, models_dir: Path | None = None,
            selection: str = "named") -> Path:
    """Writes a finished run's weights to models/<name>.weights.h5 (float16) and its row of
    models/index.csv (replacing the row of the same name). Returns the weights' path."""
    store, models_dir = store_of(store_or_results_root, profile), Path(models_dir or MODELS_DIR)
    if store.status(key) != "finished" or not store.weights(key).is_file():
        raise ConfigError(f"{store.profile.name}/{key} is not a finished run with its weights "
                          f"({store.weights(key)}); train it first")
    target = models_dir / f"{model_name(store.profile.name, key)}{SUFFIX}"
    to_float16(store.weights(key), target)
    row = index_row(store, key, target, selection)
    index = read_index(models_dir)
    write_index(models_dir, pd.concat([index[index["name"] != row["name"]],
                                       pd.DataFrame([row])], ignore_index=True))
    return target


def publish_best(results_root, profile: Profile, models_dir: Path | None = None) -> list[dict]:
    """Publishes the best run per obfuscation of the profile (best_run_per_obfuscation) and
    retires the profile's earlier model of each obfuscation. Returns their index rows, in the
    profile's order of obfuscations."""
    store, models_dir = store_of(results_root, profile), Path(models_dir or MODELS_DIR)
    store.check_has_runs()
    runs = candidates(store.results_root, store.profile)
    best = best_run_per_obfuscation(store.results_root, store.profile)
    if not best:
        weights = Path(store.results_root) / store.profile.name / "weights"
        raise ConfigError(f"no finished run of profile {store.profile.name} has its weights in "
                          f"{weights} (weights are not committed): train one, e.g. python -m "
                          f"facerecon train --profile {store.profile.name} --arch srresnet "
                          "--loss psnr --obfuscation blur --seed 0")
    for obfuscation, key in best.items():
        count = int((runs["obfuscation"] == obfuscation).sum())
        publish(store, store.profile, key, models_dir,
                f"best validation PSNR of {count} finished {obfuscation} runs")
    index = read_index(models_dir)
    names = {model_name(store.profile.name, key) for key in best.values()}
    retired = index[(index["profile"] == store.profile.name)
                    & index["obfuscation"].isin(list(best)) & ~index["name"].isin(names)]
    write_index(models_dir, index.drop(retired.index))
    for name in retired["name"]:
        (models_dir / f"{name}{SUFFIX}").unlink(missing_ok=True)
    rows = read_index(models_dir).set_index("name", drop=False)
    return [rows.loc[model_name(store.profile.name, key)].to_dict() for key in best.values()]


def available(models_dir: Path | None = None) -> list[str]:
    return sorted(p.name[:-len(SUFFIX)] for p in Path(models_dir or MODELS_DIR).glob(f"*{SUFFIX}"))


def run_of(weights: Path) -> tuple[str, dict]:
    """The profile and run fields a weights file's name gives: a model's
    (<profile>__<run key>.weights.h5, anywhere) or a run's (results/<profile>/weights/<key>...)."""
    if not weights.name.endswith(SUFFIX):
        raise ConfigError(f"{weights}: not a run's weights file (<run>.weights.h5)")
    parts = weights.name[:-len(SUFFIX)].split("__")
    profile = parts.pop(0) if parts[0] in PROFILE_NAMES else weights.parent.parent.name
    if len(parts) < 4 or not parts[3].startswith("seed"):
        raise ConfigError(f"{weights.name}: expected <architecture>__<loss>__<obfuscation>__seedN")
    if profile not in PROFILE_NAMES:
        raise ConfigError(f"{weights}: its profile is neither in its name "
                          f"(<profile>__<run>{SUFFIX}) nor its place "
                          f"(results/<profile>/weights/); profiles: {', '.join(PROFILE_NAMES)}")
    if not weights.is_file():
        raise ConfigError(f"{weights}: no such weights file")
    return profile, {"architecture": parts[0], "loss": parts[1], "obfuscation": parts[2],
                     "seed": int(parts[3][len("seed"):]), "key": "__".join(parts)}


def resolve(name_or_path, models_dir: Path | None = None) -> tuple[Path, str, dict]:
    """The weights, profile and run fields of a model: a name in models/ (with or without
    .weights.h5) or a path to a weights file. An unknown name fails in one line that lists the
    names models/ holds."""
    models_dir = Path(models_dir or MODELS_DIR)
    given = Path(name_or_path)
    name = given.name[:-len(SUFFIX)] if given.name.endswith(SUFFIX) else given.name
    if len(given.parts) == 1 and (models_dir / f"{name}{SUFFIX}").is_file():
        given = models_dir / f"{name}{SUFFIX}"
    elif len(given.parts) == 1 and not given.is_file():
        names = available(models_dir)
        held = f"{models_dir} holds {', '.join(names)}" if names else (
            f"{models_dir} holds none yet (python -m facerecon models --profile quick)")
        raise ConfigError(f"no model {str(name_or_path)!r}: {held}; or give a path, "
                          "results/<profile>/weights/<run>.weights.h5")
    profile, run = run_of(given)
    return given, profile, run


def description(name_or_path, models_dir: Path | None = None) -> str:
    """One line: what the model is and the resolution it reconstructs at."""
    _, profile_name, run = resolve(name_or_path, models_dir)
    profile = load_profile(profile_name)
    return (f"model {name_or_path}: {run['architecture']} trained with {run['loss']} on "
            f"{run['obfuscation']}, profile {profile.name}, reconstructs at "
            f"{profile.height}x{profile.width}")
