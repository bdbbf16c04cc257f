"""What a run is on disk, and the grid of runs a profile holds.

A run lives in results/<profile>/runs/<key>/ (key: RunConfig.key, e.g.
srresnet__ssim__blur__seed0[__identity]) and holds config.json (its fingerprint), history.csv
(per epoch), per_image.csv, test_samples.png and, written last and atomically, metrics.json.
Its status is finished (metrics.json), failed (failed.json: a non-finite loss), incomplete (a
folder without either: interrupted) or missing (no folder). A run's fingerprint says what makes
two runs the same run: its own fields and every profile setting that changes how it trains; a
finished run with the same fingerprint is never trained again.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import io
from .config import (ARCHITECTURE_SETTINGS, LOSSES, OBFUSCATIONS, REFERENCE_ARCHITECTURE,
                     REFERENCE_LOSS, SPLITS, STUDY_ARCHITECTURES, Profile, RunConfig,
                     load_profile)

METRICS = ("train_psnr", "train_ssim", "test_psnr", "test_ssim")
TEST_METRICS = ("test_psnr", "test_ssim")
RUN_FIELDS = ("key", "architecture", "loss", "obfuscation", "seed", "split")


# --- the fingerprint ---------------------------------------------------------------------------

# Profile fields that say which runs a grid holds, not how a run trains: changing them keeps
# every finished run (a run's own seed and split are part of the run).
GRID_FIELDS = ("description", "seeds", "identity_losses", "identity_seeds")


def short_hash(obj) -> str:
    text = json.dumps(obj, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def run_settings(profile: Profile) -> dict:
    """The settings that make a run what it is: every profile field but the GRID_FIELDS."""
    return {k: v for k, v in dataclasses.asdict(profile).items() if k not in GRID_FIELDS}


def fingerprint(config: RunConfig, profile: Profile) -> dict:
    """What makes two runs the same run: the run's fields and every profile setting that changes
    how it trains (not the grid's seeds or description)."""
    settings = run_settings(profile)
    return {"run": config.as_dict(), "profile": settings, "profile_hash": short_hash(settings)}


# Before profiles had a section per axis, the obfuscation settings were flat keys and the
# architectures' sizes were fixed in code, at these values.
LEGACY_ARCHITECTURES = {"simple_cnn": {"filters": 128, "middle_layers": 3},
                        "srresnet": {"filters": 64, "blocks": 5},
                        "residual_autoencoder": {"widths": [64, 128, 256], "blocks": 3},
                        "original_residual_autoencoder": {"widths": [64, 128, 256], "blocks": 3}}


def upgraded_settings(stored: dict) -> dict:
    """Profile settings as stored by any version, in today's layout."""
    if "obfuscations" in stored or "blur_kernel" not in stored:
        return stored
    flat = dict(stored)
    flat["obfuscations"] = {
        "blur": {"kernel": flat.pop("blur_kernel"), "sigma": flat.pop("blur_sigma"),
                 "candidates": [{"kernel": k, "sigma": s} for k, s in flat.pop("blur_candidates")]},
        "pixelate": {"block": flat.pop("pixel_block"),
                     "candidates": [{"block": b} for b in flat.pop("pixel_candidates")]}}
    flat["architectures"] = {name: LEGACY_ARCHITECTURES[name] for name in ARCHITECTURE_SETTINGS}
    return flat


def defaults_of(cls) -> dict:
    return {f.name: f.default for f in dataclasses.fields(cls)
            if f.default is not dataclasses.MISSING}


def same_settings(stored: dict, wanted: dict, cls=Profile) -> bool:
    """Every wanted setting equals the stored one. A setting added after the record was stored
    counts as its default value, which is what that record used."""
    stored = upgraded_settings(stored) if cls is Profile else stored
    filled = json.loads(json.dumps({**defaults_of(cls), **stored}))
    wanted = json.loads(json.dumps(wanted))
    return {k: filled.get(k) for k in wanted} == wanted


def same_fingerprint(stored: dict, wanted: dict) -> bool:
    """Equal run fields and run settings; stored grid fields are ignored."""
    return (same_settings(stored.get("run", {}), wanted["run"], RunConfig)
            and same_settings(stored.get("profile", {}), wanted["profile"]))


def stored_fingerprint(record: dict) -> dict:
    # Records written before the rename call it "identity".
    return record.get("fingerprint", record.get("identity", {}))


# --- one profile's runs on disk ----------------------------------------------------------------

@dataclass(frozen=True)
class RunStore:
    """The runs of one profile under a results root."""

    results_root: Path
    profile: str

    def folder(self, key: str) -> Path:
        return Path(self.results_root) / self.profile / "runs" / key

    def status(self, key: str) -> str:
        folder = self.folder(key)
        if (folder / "metrics.json").exists():
            return "finished"
        if (folder / "failed.json").exists():
            return "failed"
        return "incomplete" if folder.exists() else "missing"

    def metrics(self, key: str) -> dict:
        return json.loads((self.folder(key) / "metrics.json").read_text())

    def cached(self, key: str, wanted: dict) -> dict | None:
        """The finished run's metrics if its fingerprint is the wanted one."""
        if self.status(key) != "finished":
            return None
        metrics = self.metrics(key)
        return metrics if same_fingerprint(stored_fingerprint(metrics), wanted) else None

    def start(self, key: str, run_fingerprint: dict) -> Path:
        """A writable folder for a fresh run: stale records removed, config.json written."""
        folder = io.writable_dir(self.folder(key))
        for stale in ("metrics.json", "failed.json", "history.csv"):
            (folder / stale).unlink(missing_ok=True)
        io.write_json(folder / "config.json", run_fingerprint)
        return folder

    def finish(self, key: str, metrics: dict) -> None:
        io.write_json(self.folder(key) / "metrics.json", metrics)

    def fail(self, key: str, failure: dict) -> None:
        io.write_json(self.folder(key) / "failed.json", failure)

    def history(self, key: str) -> pd.DataFrame:
        return pd.read_csv(self.folder(key) / "history.csv")

    def per_image(self, key: str) -> pd.DataFrame:
        return pd.read_csv(self.folder(key) / "per_image.csv")

    def samples(self, key: str) -> Path:
        return self.folder(key) / "test_samples.png"

    def keys_found(self) -> list[str]:
        runs = Path(self.results_root) / self.profile / "runs"
        return sorted(p.name for p in runs.iterdir() if p.is_dir()) if runs.exists() else []

    def collect(self) -> pd.DataFrame:
        """One row per run of the profile's grid (and any other run folder found), with its
        status and, for finished runs, every metric of metrics.json."""
        expected = {run.key: run for run in grid(self.profile)}
        rows = []
        for key in list(expected) + [k for k in self.keys_found() if k not in expected]:
            status = self.status(key)
            if status == "finished":
                metrics = self.metrics(key)
                for record in ("fingerprint", "identity"):
                    metrics.pop(record, None)
                packages = metrics.pop("packages", {})
                row = {**metrics, "keras_version": packages.get("keras")}
            elif key in expected:
                row = expected[key].as_dict()
            else:
                row = json.loads((self.folder(key) / "config.json").read_text())["run"]
            if status == "failed":
                row["reason"] = json.loads((self.folder(key) / "failed.json").read_text())["reason"]
            rows.append({"key": key, **row, "status": status})
        frame = pd.DataFrame(rows)
        for column in METRICS:
            if column not in frame:
                frame[column] = np.nan
        # Runs stored before the identity-disjoint split existed were on the random split.
        frame["split"] = frame.get("split", pd.Series(index=frame.index, dtype=object)).fillna(
            "random")
        first = ["key", "architecture", "loss", "obfuscation", "seed", "split", "profile",
                 "status", *METRICS]
        return frame[first + [c for c in frame.columns if c not in first]]


# --- the grid and frames of runs ---------------------------------------------------------------

def grid(profile: str, architectures=None, losses=None, obfuscations=None,
         seeds=None, splits=None) -> list[RunConfig]:
    """The runs of the study (or a slice of it): every architecture, loss, obfuscation and seed
    on the random split, then the profile's identity-disjoint runs (its identity losses and
    seeds, study architectures only). The original residual autoencoder is the study's
    reference row and is trained under REFERENCE_LOSS only."""
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


def select(frame: pd.DataFrame, **columns) -> pd.DataFrame:
    """The rows whose columns equal the given values (a list, tuple or set: any of them)."""
    keep = pd.Series(True, index=frame.index)
    for column, value in columns.items():
        keep &= frame[column].isin(value) if isinstance(value, (list, tuple, set)) \
            else frame[column] == value
    return frame[keep]


def finished(runs: pd.DataFrame, split: str | None = "random") -> pd.DataFrame:
    """Finished runs (of one split; None: of every split)."""
    done = select(runs, status="finished")
    return done if split is None else select(done, split=split)
