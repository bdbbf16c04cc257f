"""What a command that trains is about to do, said before it starts: how many runs it selected,
how many are finished already (skipped), which it will train, on which split, and how long those
should take at the rate this device measured on finished runs of the same profile and
architecture (never a guess where none was measured). A profile that needs an accelerator
(params: needs_accelerator) does not train where the backend sees no GPU unless asked to.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..core.checks import ConfigError
from ..core.runtime import accelerator_name, device_name, duration
from ..experiment.config import SPLIT_NAMES, Profile, RunConfig
from ..experiment.fingerprint import fingerprint
from ..experiment.runs import RunStore

LISTED = 8  # runs named one by one; beyond that, a count


@dataclass(frozen=True)
class TrainingPlan:
    profile: Profile
    selected: tuple[RunConfig, ...]
    to_train: tuple[RunConfig, ...]
    epoch_seconds: dict[str, float]  # architecture -> measured median seconds per epoch
    epochs: dict[str, float]         # architecture -> median epochs its finished runs took
    device: str

    def text(self, split_given: bool = True) -> str:
        """A few lines: the counts, the runs, the time they should take."""
        finished = len(self.selected) - len(self.to_train)
        lines = [f"{len(self.selected)} run(s) of profile {self.profile.name} selected: "
                 f"{finished} finished (skipped), {len(self.to_train)} to train"
                 + self.split_counts(split_given)]
        names = [run.key for run in self.to_train]
        lines += [f"  {name}" for name in names[:LISTED]]
        if len(names) > LISTED:
            lines.append(f"  ... and {len(names) - LISTED} more")
        if self.to_train:
            lines.append(self.time_needed())
        return "\n".join(lines)

    def split_counts(self, split_given: bool) -> str:
        counts = {split: sum(run.split == split for run in self.to_train) for split in SPLIT_NAMES}
        if not counts["identity"]:
            return ""
        text = " (" + ", ".join(f"{n} on the {split} split" for split, n in counts.items() if n)
        if counts["random"] and not split_given:
            text += "; --split random leaves the identity-disjoint runs out"
        return text + ")"

    def time_needed(self) -> str:
        """The time the runs to train should take, from this device's measured rate."""
        unmeasured = sorted({r.architecture for r in self.to_train} - set(self.epoch_seconds))
        if unmeasured:
            return (f"time: not measured on this device ({self.device}) for "
                    f"{', '.join(unmeasured)} of profile {self.profile.name} "
                    "(no finished run here yet)")
        typical = sum(self.epoch_seconds[r.architecture] * self.epochs[r.architecture]
                      for r in self.to_train)
        most = sum(self.epoch_seconds[r.architecture] for r in self.to_train) \
            * self.profile.max_epochs
        return (f"time: about {duration(typical)}, at most {duration(most)} "
                f"({self.profile.max_epochs} epochs each), at the rate finished runs measured "
                f"on this device ({self.device})")


def measured_rates(store: RunStore, device: str) -> tuple[dict, dict]:
    """Median seconds per epoch and epochs per run, per architecture, over the profile's
    finished runs (grid and sweep) trained on this device."""
    runs = pd.concat([store.collect(), store.collect_sweep()], ignore_index=True)
    if "device" not in runs or "train_seconds" not in runs:
        return {}, {}
    done = runs[(runs["status"] == "finished") & (runs["device"] == device)
                & (runs["epochs_run"] > 0)]
    per_epoch = (done["train_seconds"] / done["epochs_run"]).groupby(done["architecture"])
    return per_epoch.median().to_dict(), done.groupby("architecture")["epochs_run"].median().to_dict()


def training_plan(runs: list[RunConfig], store: RunStore, force: bool = False) -> TrainingPlan:
    """The plan for the store's runs (all of its profile); with force, every run trains."""
    profile = store.profile
    to_train = [run for run in runs
                if force or not store.cached(run.key, fingerprint(run, profile))]
    device = device_name()
    rates, epochs = measured_rates(store, device)
    return TrainingPlan(profile, tuple(runs), tuple(to_train), rates, epochs, device)


def check_device(plan: TrainingPlan, allow_cpu: bool) -> None:
    """Refuses to train a profile that needs an accelerator where the backend sees none."""
    if not plan.to_train or not plan.profile.needs_accelerator or allow_cpu \
            or accelerator_name():
        return
    raise ConfigError(
        f"profile {plan.profile.name} needs an accelerator (params/{plan.profile.name}.yaml: "
        f"needs_accelerator) and the Keras backend sees none here: {len(plan.to_train)} run(s) "
        f"to train at the study's full size; {plan.time_needed().removeprefix('time: ')}. Add "
        "--allow-cpu to train here anyway, train on a GPU (docs/running.md), or report what "
        "exists (--report-only)")
