"""What a run is on disk (the runs a profile holds are study.py's).

A run lives in results/<profile>/runs/<key>/ (key: RunConfig.key, e.g.
srresnet__ssim__blur__seed0[__identity]) and holds config.json (its fingerprint), history.csv
(per epoch), per_image.csv, test_samples.png, test_faces.npz (not committed: recognition/) and,
written last and atomically, metrics.json; its weights go to
results/<profile>/weights/<key>.weights.h5 (not committed). While it trains, its records and
weights grow in runs/.<key>.partial/ and move into place only when it ends, so a rerun (--force)
that is interrupted or fills the disk keeps the previous records and weights; a lock file
(runs/.<key>.lock) keeps a second process from training the same run. Its status is finished
(metrics.json), damaged (finished, but a record cut short or missing: named with what, never
counted, trained again), failed (failed.json: a non-finite loss), incomplete (interrupted),
missing, stray (a finished run in a folder that another key names, e.g. a copy: it never counts) or
stale (finished, but its fingerprint is not what its profile says today: shown with what
changed, never counted). A run's fingerprint says
what makes two runs the same run (experiment/fingerprint.py); a finished run with the same
fingerprint is never trained again.
"""
from __future__ import annotations

import json
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..axes.measures import run_columns
from ..core import io
from ..core.checks import ConfigError
from .config import Profile
from .fingerprint import (fingerprint, fingerprint_differences, holds_its_own_run, record_damage,
                          run_config, same_fingerprint, stored_fingerprint)
from .study import grid, sweep

RUN_FIELDS = ("key", "architecture", "loss", "obfuscation", "seed", "split")
STAGED_WEIGHTS = "model.weights.h5"  # Keras' save_weights wants the .weights.h5 ending



# --- one profile's runs on disk ----------------------------------------------------------------

class RunBusy(RuntimeError):
    """Another process is training this run."""


@dataclass(frozen=True)
class StagedRun:
    """A run's published files as bytes, to carry from where it trained (a Ray worker's own
    folder) to the one process that writes the results root (RunStore.receive)."""

    key: str
    record: str                # metrics.json or failed.json: what it ended with
    files: dict[str, bytes]    # the run folder's files, by name
    weights: bytes | None      # results/<profile>/weights/<key>.weights.h5, where it has one

    @property
    def content(self) -> dict:
        return json.loads(self.files[self.record])


@dataclass(frozen=True)
class RunStore:
    """The runs of one profile under a results root (its folders are the profile's name)."""

    results_root: Path
    profile: Profile

    @property
    def runs_dir(self) -> Path:
        return Path(self.results_root) / self.profile.name / "runs"

    def folder(self, key: str) -> Path:
        return self.runs_dir / key

    def staging(self, key: str) -> Path:
        return self.runs_dir / f".{key}.partial"

    def weights(self, key: str) -> Path:
        return Path(self.results_root) / self.profile.name / "weights" / f"{key}.weights.h5"

    def staged_weights(self, key: str) -> Path:
        """Where a run's weights are saved while it trains; publish() moves them to weights()."""
        return self.staging(key) / STAGED_WEIGHTS

    def discard(self, key: str) -> None:
        """Removes an attempt's staging folder (a run that raised or was interrupted)."""
        shutil.rmtree(self.staging(key), ignore_errors=True)

    def discard_abandoned(self) -> list[str]:
        """Removes the staging folders of runs no process trains (their lock is free): what a
        process killed mid-run could not remove itself. Returns their keys."""
        removed = []
        for staging in self.runs_dir.glob(".*.partial"):
            key = staging.name[1:-len(".partial")]
            try:
                with self.lock(key):
                    self.discard(key)
            except RunBusy:
                continue
            removed.append(key)
        return removed

    def status(self, key: str) -> str:
        folder = self.folder(key)
        if (folder / "metrics.json").exists():
            return "finished"
        if (folder / "failed.json").exists():
            return "failed"
        return "incomplete" if folder.exists() or self.staging(key).exists() else "missing"

    @contextmanager
    def lock(self, key: str):
        """Held while this process trains the run; RunBusy if another process holds it."""
        try:
            with io.exclusive(io.writable_dir(self.runs_dir) / f".{key}.lock"):
                yield
        except BlockingIOError:
            raise RunBusy(f"{key} is being trained by another process; skipped") from None

    def metrics(self, key: str) -> dict:
        return json.loads((self.folder(key) / "metrics.json").read_text())

    def changes(self, metrics: dict) -> list[str]:
        """How a finished run's fingerprint differs from what its profile says today."""
        wanted = fingerprint(run_config(metrics), self.profile)
        return fingerprint_differences(stored_fingerprint(metrics), wanted)

    def cached(self, key: str, wanted: dict) -> dict | None:
        """The finished run's metrics if its fingerprint is the wanted one (and its records
        are whole: a damaged run is trained again)."""
        metrics, _ = self.whole_metrics(key)
        if metrics is None:
            return None
        return metrics if same_fingerprint(stored_fingerprint(metrics), wanted) else None

    def whole_metrics(self, key: str) -> tuple[dict | None, str | None]:
        """A finished run's metrics.json where its records are whole, else None and what is
        wrong with them (record_damage; metrics.json cut short); (None, None) if unfinished."""
        if self.status(key) != "finished":
            return None, None
        try:
            metrics = self.metrics(key)
        except ValueError as error:
            return None, f"metrics.json cannot be read ({error})"
        trouble = record_damage(self.folder(key), metrics)
        return (None, trouble) if trouble else (metrics, None)

    def start(self, key: str, run_fingerprint: dict) -> Path:
        """A fresh staging folder, where the run's records grow until it ends; config.json."""
        staging = self.staging(key)
        shutil.rmtree(staging, ignore_errors=True)  # an interrupted attempt's remains
        io.write_json(io.writable_dir(staging) / "config.json", run_fingerprint)
        return staging

    def publish(self, key: str, record: str, content: dict) -> None:
        """Writes `record` (metrics.json or failed.json) and moves the staged records into the
        run's folder, the previous records out first and `record` last: until it lands the run
        is incomplete, and until this starts the previous records stand."""
        staging, folder = self.staging(key), io.writable_dir(self.folder(key))
        io.write_json(staging / record, content)
        if (weights := staging / STAGED_WEIGHTS).exists():
            io.writable_dir(self.weights(key).parent)
            os.replace(weights, self.weights(key))
        for old in ("metrics.json", "failed.json"):
            (folder / old).unlink(missing_ok=True)
        for old in folder.iterdir():
            if not (staging / old.name).exists():
                old.unlink()
        for path in sorted(staging.iterdir(), key=lambda p: p.name == record):
            os.replace(path, folder / path.name)
        staging.rmdir()

    def packed(self, key: str) -> StagedRun:
        """A finished or failed run of this store as a StagedRun."""
        folder = self.folder(key)
        record = "metrics.json" if self.status(key) == "finished" else "failed.json"
        weights = self.weights(key)
        return StagedRun(key, record, {p.name: p.read_bytes() for p in folder.iterdir()},
                         weights.read_bytes() if weights.exists() else None)

    def receive(self, run: StagedRun) -> None:
        """Publishes a run trained elsewhere as train_run publishes its own: staged first, its
        record last. The caller holds the run's lock."""
        staging = self.staging(run.key)
        shutil.rmtree(staging, ignore_errors=True)
        try:
            io.writable_dir(staging)
            for name, data in run.files.items():
                if name != run.record:
                    io.write_bytes(staging / name, data)
            if run.weights is not None:
                io.write_bytes(staging / STAGED_WEIGHTS, run.weights)
            self.publish(run.key, run.record, run.content)
        except BaseException:
            self.discard(run.key)
            raise

    def finish(self, key: str, metrics: dict) -> None:
        self.publish(key, "metrics.json", metrics)

    def fail(self, key: str, failure: dict) -> None:
        self.publish(key, "failed.json", failure)

    def history(self, key: str) -> pd.DataFrame:
        return pd.read_csv(self.folder(key) / "history.csv")

    def per_image(self, key: str) -> pd.DataFrame:
        return pd.read_csv(self.folder(key) / "per_image.csv")

    def samples(self, key: str) -> Path:
        return self.folder(key) / "test_samples.png"

    def keys_found(self) -> list[str]:
        """Every run folder (not the staging folders and locks, whose names start with '.')."""
        runs = self.runs_dir
        return sorted(p.name for p in runs.iterdir() if p.is_dir() and not p.name.startswith(".")
                      ) if runs.exists() else []

    def check_has_runs(self) -> None:
        """For a command that only reads runs (report, recognise, --report-only): a results
        root that does not exist, or holds no run of the profile, is a typo, not a study whose
        runs are all missing."""
        root = Path(self.results_root)
        if not root.is_dir():
            what = "is a file, not a folder" if root.exists() else "does not exist"
            raise ConfigError(f"results root {root} {what}; name the folder that holds "
                              f"<profile>/runs/ (--results-root)")
        if not self.keys_found():
            raise ConfigError(f"no runs of profile {self.profile.name} under {root} (nothing in "
                              f"{self.runs_dir}); train first (python -m facerecon train "
                              f"--profile {self.profile.name}) or name the results root that "
                              "holds them")

    def run_fields(self, key: str) -> dict:
        """The run fields of a folder's records (whole metrics.json, else config.json), or {}."""
        metrics, _ = self.whole_metrics(key)
        if metrics is not None:
            return metrics
        config = self.folder(key) / "config.json"
        return json.loads(config.read_text())["run"] if config.exists() else {}

    def collect(self) -> pd.DataFrame:
        """One row per run of the profile's grid (and any other run folder found, but the
        strength sweep's), with its status and, for finished runs, every metric of
        metrics.json."""
        expected = {run.key: run for run in grid(self.profile)}
        others = [k for k in self.keys_found()
                  if k not in expected and not self.run_fields(k).get("strength")]
        return self.frame(expected, others)

    def collect_sweep(self) -> pd.DataFrame:
        """collect() for the strength sweep's runs (sweep()) and any other run folder found at
        a strength that is not the profile's."""
        expected = {run.key: run for run in sweep(self.profile)}
        others = [k for k in self.keys_found()
                  if k not in expected and self.run_fields(k).get("strength")]
        return self.frame(expected, others)

    def frame(self, expected: dict, others: list[str]) -> pd.DataFrame:
        rows = []
        for key in list(expected) + others:
            status = self.status(key)
            metrics, trouble = self.whole_metrics(key)
            if trouble:
                fields = expected[key].as_dict() if key in expected else self.run_fields(key)
                status, row = "damaged", {**fields, "reason": trouble}
            elif metrics is not None:
                own = holds_its_own_run(key, metrics)
                changed = self.changes(metrics) if own else []
                for record in ("fingerprint", "identity"):
                    metrics.pop(record, None)
                packages = metrics.pop("packages", {})
                row = {**metrics, "keras_version": packages.get("keras")}
                if not own:
                    status, row["reason"] = "stray", "holds the records of another run's key"
                elif changed:
                    status, row["reason"] = "stale", f"changed since it ran: {'; '.join(changed)}"
            elif key in expected:
                row = expected[key].as_dict()
            else:
                row = self.run_fields(key)
            if status == "failed":
                row["reason"] = json.loads((self.folder(key) / "failed.json").read_text())["reason"]
            elif status == "incomplete":
                row["reason"] = "no metrics.json yet: training now, or interrupted (trained again)"
            rows.append({"key": key, **row, "status": status})
        frame = pd.DataFrame(rows, columns=None if rows else [*RUN_FIELDS, "profile", "status"])
        for column in run_columns():
            if column not in frame:
                frame[column] = np.nan
        # Runs stored before the identity-disjoint split existed were on the random split.
        frame["split"] = frame.get("split", pd.Series(index=frame.index, dtype=object)).fillna(
            "random")
        first = ["key", "architecture", "loss", "obfuscation", "seed", "split",
                 *(["strength"] if "strength" in frame else []), "profile", "status", *run_columns()]
        return frame[first + [c for c in frame.columns if c not in first]]
