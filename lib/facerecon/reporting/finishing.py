"""What finishing a profile's study takes, from its records: the grid's and the strength sweep's
runs still to train (missing, incomplete, failed or stale), the finished runs to retrain because
they predate a score every run records today, and the device time all of these should take.

The time is never guessed. For each device that finished runs recorded, and each architecture:
the median recorded seconds of its finished runs there (wall_seconds: fitting, scoring and
writing a run's records, all of which a retrain repeats; a lock-step group's seconds shared among
its runs), times that architecture's runs left. An architecture with no finished run on a device
has no time there, and the text says so. Runs trained side by side on one device each record
longer than their share of it: the estimate is then an upper bound.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..axes.architectures import ARCHITECTURES
from ..axes.measures import TABLE_MEASURES
from ..data.calibration import CONVENTION_LABELS, CONVENTIONS
from ..experiment.config import Profile
from ..core.runtime import duration
from ..experiment.study import grid, select, sweep
from .evidence import Evidence

SECONDS = "wall_seconds"  # a run's recorded seconds from the start of training to its records


def recorded_scores() -> dict[str, tuple[str, ...]]:
    """The test scores every run records today, by what a reader calls them: each metric
    convention's PSNR and SSIM (calibration.CONVENTIONS) and the table measures outside them
    (the identity distance)."""
    scores = {CONVENTION_LABELS[c]: tuple(f"test_{m}" for m in columns)
              for c, columns in CONVENTIONS.items()}
    conventional = {m for columns in CONVENTIONS.values() for m in columns}
    return {**scores, **{TABLE_MEASURES[m].label: (f"test_{m}",)
                         for m in TABLE_MEASURES if m not in conventional}}


@dataclass(frozen=True)
class DeviceTime:
    """The time the runs left should take on one device, from its finished runs' seconds."""

    device: str
    finished_runs: int            # finished runs of the profile that recorded this device
    seconds: float                # for the runs of the architectures it has seconds for
    estimated_runs: int
    unestimated: dict[str, int]   # architecture -> runs left, where it has no finished run here


@dataclass(frozen=True)
class Finishing:
    """What is left of a profile's study, as numbers (for tests and callers) and as text."""

    profile_name: str
    to_train: dict[str, int]        # 'grid', 'sweep' -> runs not finished
    to_retrain: int                 # finished runs lacking a score
    lacking: dict[str, int]         # score (recorded_scores) -> finished runs without it
    runs_left: dict[str, int]       # architecture -> runs to train or retrain
    devices: tuple[DeviceTime, ...]  # the devices with the most finished runs first

    @property
    def total(self) -> int:
        return sum(self.to_train.values()) + self.to_retrain

    def text(self) -> str:
        """One paragraph: the runs left, by kind, then the time per device."""
        if not self.total:
            return f"Nothing is left to train or retrain in the {self.profile_name} profile."
        return f"{self.runs_text()} {self.time_text()}"

    def runs_text(self) -> str:
        kinds = {"grid": "of the grid", "sweep": "of the strength sweep"}
        parts = [f"{n} run{'s' if n != 1 else ''} {kinds[kind]}"
                 for kind, n in self.to_train.items() if n]
        said = " and ".join(parts) + " to train" if parts else ""
        if self.to_retrain:
            scores = "; ".join(f"{label}: {n}" for label, n in self.lacking.items())
            said += (f"{', and ' if said else ''}{self.to_retrain} finished "
                     f"run{'s' if self.to_retrain != 1 else ''} to retrain for the scores they "
                     f"did not record (runs lacking each: {scores})")
        return f"To finish the {self.profile_name} profile: {said}; {self.total} runs in all."

    def time_text(self) -> str:
        if not self.devices:
            return ("Their time cannot be estimated: no finished run of this profile records its "
                    "seconds and device.")
        return ("Their time, as the median recorded seconds per run of each architecture on a "
                "device (training, scoring and writing its records) times its runs left: "
                + "; ".join(device_text(d) for d in self.devices) + ".")


def device_text(time: DeviceTime) -> str:
    """'about 4h50m on NVIDIA H200 (32 finished runs)', naming what cannot be estimated."""
    where = f"{time.device} ({time.finished_runs} finished runs)"
    if not time.unestimated:
        return f"about {duration(time.seconds)} on {where}"
    names = ", ".join(ARCHITECTURES[a].label for a in time.unestimated)
    missing = sum(time.unestimated.values())
    estimated = (f"about {duration(time.seconds)} for {time.estimated_runs} of them on {where}, "
                 f"where the other {missing}" if time.estimated_runs
                 else f"on {where} the {missing}")
    return f"{estimated} ({names}) cannot be estimated: no finished run of theirs there"


def of_runs(runs: pd.DataFrame, configs) -> pd.DataFrame:
    """The rows of `runs` that are these runs (grid or sweep), not other folders found."""
    return runs[runs["key"].isin({run.key for run in configs})]


def unscored(done: pd.DataFrame) -> pd.DataFrame:
    """Per finished run (rows) and score (columns, recorded_scores): whether it lacks it."""
    return pd.DataFrame({label: done.reindex(columns=list(columns)).isna().any(axis=1)
                         for label, columns in recorded_scores().items()}, index=done.index)


def lacking_counts(lacks: pd.DataFrame) -> dict[str, int]:
    """Per score that some finished run lacks, how many lack it, the most first."""
    counts = lacks.sum().sort_values(ascending=False, kind="stable")
    return {label: int(n) for label, n in counts.items() if n}


def seconds_per_run(done: pd.DataFrame) -> pd.Series:
    """Median seconds per run, by device and architecture, of finished runs that record both; a
    lock-step group's (grid_trainer: group_size) shared among its runs."""
    timed = done.reindex(columns=["device", "architecture", SECONDS, "group_size"])
    timed = timed[timed["device"].notna() & timed[SECONDS].notna()]
    per_run = timed[SECONDS] / timed["group_size"].fillna(1)
    return per_run.groupby([timed["device"], timed["architecture"]]).median()


def device_times(done: pd.DataFrame, runs_left: dict[str, int]) -> tuple[DeviceTime, ...]:
    """The runs left's time on each device that finished runs recorded with their seconds,
    the device with the most finished runs first."""
    medians = seconds_per_run(done)
    counts = done["device"].value_counts() if "device" in done else pd.Series(dtype=int)
    times = []
    for device in (d for d in counts.index if d in medians.index.get_level_values(0)):
        known = medians[device]
        times.append(DeviceTime(
            device, int(counts[device]),
            float(sum(known[a] * n for a, n in runs_left.items() if a in known)),
            sum(n for a, n in runs_left.items() if a in known),
            {a: n for a, n in runs_left.items() if a not in known}))
    return tuple(times)


def what_is_left(runs: pd.DataFrame, sweep_runs: pd.DataFrame, profile: Profile) -> Finishing:
    """What finishing takes, from the grid's runs (RunStore.collect) and the sweep's
    (RunStore.collect_sweep)."""
    parts = {"grid": of_runs(runs, grid(profile)), "sweep": of_runs(sweep_runs, sweep(profile))}
    scheduled = pd.concat(parts.values(), ignore_index=True)
    done = select(scheduled, status="finished")
    lacks = unscored(done)
    retrain = lacks.any(axis=1)
    left = pd.concat([scheduled[scheduled["status"] != "finished"], done[retrain]])
    runs_left = {a: int(n) for a, n in left["architecture"].value_counts(sort=False).items()}
    finished_runs = pd.concat([select(f, status="finished") for f in (runs, sweep_runs)])
    return Finishing(
        profile.name,
        {kind: int((rows["status"] != "finished").sum()) for kind, rows in parts.items()},
        int(retrain.sum()),
        lacking_counts(lacks), runs_left, device_times(finished_runs, runs_left))


def finishing(evidence: Evidence) -> Finishing:
    """What finishing the evidence's profile takes (its sweep's runs read from its store)."""
    return what_is_left(evidence.runs, evidence.store.collect_sweep(), evidence.store.profile)


def finishing_text(evidence: Evidence) -> str:
    """The paragraph the findings, the report and the comparison notebook show."""
    return finishing(evidence).text()
