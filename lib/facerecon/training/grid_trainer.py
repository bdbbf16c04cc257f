"""The grid trainer: the runs of one architecture trained in lock-step groups (lockstep.py), each
run still one study run: its own seed, batch size, Adam, early stopping on validation loss with
the profile's patience and its best epoch's weights restored, the profile's epoch cap, and the
same records as the Keras `fit` path (train.py), with the trainer named in metrics.json.

    KERAS_BACKEND=jax python -m facerecon lockstep --profile paper --strategy vmap --group-size 12
"""
from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass, field

import jax.numpy as jnp
import numpy as np
import pandas as pd

from ..axes.losses import LOSS_NAMES
from ..axes.measures import MEASURE_NAMES
from ..core import io
from ..core.checks import ConfigError
from ..data.dataset import load_dataset
from ..experiment.config import RunConfig, load_profile
from ..experiment.fingerprint import fingerprint, shared_settings, short_hash
from ..experiment.runs import RunBusy, RunStore
from .lockstep import Lockstep
from .train import publish_trained, record_failure


def history_columns() -> list[str]:
    """history.csv's columns, as the Keras path writes them: the loss and every measure, on the
    training batches and on validation."""
    scored = ["loss", *MEASURE_NAMES]
    return ["epoch", *scored, *(f"val_{name}" for name in scored), "seconds"]


@dataclass
class Stopper:
    """Keras' EarlyStopping(monitor='val_loss', patience, restore_best_weights=True), for one
    run: it stops once `patience` epochs passed without a lower validation loss."""

    patience: int
    best: float | None = None
    best_epoch: int = 0
    wait: int = 0
    stopped: bool = False

    def update(self, epoch: int, value: float) -> bool:
        """Records epoch's (0-based) validation loss; True if it is the best so far."""
        self.wait += 1
        if self.best is None or value < self.best:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            return True
        if self.wait >= self.patience and epoch > 0:
            self.stopped = True
        return False


@dataclass
class Member:
    """One run of a group, with where its data sits on the device."""

    config: RunConfig
    inputs: int   # index of its (split, obfuscation, strength) faces
    targets: int  # index of its split's originals
    stopper: Stopper
    rows: list = field(default_factory=list)
    failed: bool = False


class Group:
    """The faces of a group's runs on the device, every (split, obfuscation, strength) once."""

    def __init__(self, runs: list[RunConfig], profile, data_home, datasets=None):
        splits = list(dict.fromkeys(r.split for r in runs))
        pairs = list(dict.fromkeys((r.split, r.obfuscation, r.strength) for r in runs))
        self.datasets = datasets or {s: load_dataset(profile, data_home, s) for s in splits}
        for subset in ("train", "val"):
            sizes = {len(d.images[subset]) for d in self.datasets.values()}
            if len(sizes) != 1:
                raise ConfigError(f"the splits of a group need equal {subset} sizes")
        self.inputs = {subset: jnp.asarray(np.stack([
            self.datasets[s].obfuscated(subset, o, strength) for s, o, strength in pairs]))
            for subset in ("train", "val")}
        self.targets = {subset: jnp.asarray(np.stack([
            self.datasets[s].images[subset] for s in splits])) for subset in ("train", "val")}
        self.members = [Member(r, pairs.index((r.split, r.obfuscation, r.strength)),
                               splits.index(r.split),
                               Stopper(profile.patience)) for r in runs]
        self.epochs = 0  # trained so far, by every member still active


def epoch_orders(rngs, n_images: int, batch_size: int) -> np.ndarray:
    """Each run's shuffled batches for one epoch: (runs, steps, batch) image indices."""
    return np.stack([rng.permutation(n_images).reshape(-1, batch_size) for rng in rngs])


def validation_chunks(n_images: int, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Validation image indices in chunks of batch_size (the last padded with image 0), and the
    mask of real images."""
    padded = -(-n_images // batch_size) * batch_size
    indices = np.concatenate([np.arange(n_images), np.zeros(padded - n_images, int)])
    return indices.reshape(-1, batch_size), np.arange(padded) < n_images


COMPILED: dict[tuple, Lockstep] = {}


def lockstep_for(arch: str, profile, strategy: str, unroll: int | None) -> Lockstep:
    """One Lockstep, and so one compilation per group size, for each architecture and profile
    settings: every group of the same shape reuses it."""
    settings = {**shared_settings(profile), "architecture": profile.architectures[arch]}
    key = (arch, short_hash(settings), strategy, unroll)
    if key not in COMPILED:
        COMPILED[key] = Lockstep(arch, profile, strategy, unroll)
    return COMPILED[key]


def shuffler(seed: int) -> np.random.Generator:
    """A run's own batch order, epoch after epoch."""
    return np.random.default_rng([seed, 1])


def train_group(runs: list[RunConfig], results_root, strategy: str = "vmap", data_home=None,
                deadline: float | None = None, unroll: int | None = None, profile=None,
                datasets=None) -> list[tuple[RunConfig, dict]]:
    """Trains the runs (one architecture, one profile) together; returns each ended run with
    its metrics or failure. Runs still training at `deadline` (time.monotonic()) leave no
    records; those that stopped before it are kept. `profile` and `datasets` (split -> Dataset)
    replace the named profile and LFW (tests)."""
    profile = profile or load_profile(runs[0].profile)
    if profile.n_train % profile.batch_size:
        raise ConfigError(f"the grid trainer needs n_train ({profile.n_train}) to be a "
                          f"multiple of batch_size ({profile.batch_size})")
    store = RunStore(results_root, profile)
    with ExitStack() as locks:
        for run in runs:
            locks.enter_context(store.lock(run.key))
        fingerprints = {r.key: fingerprint(r, profile) for r in runs}
        for run in runs:
            store.start(run.key, fingerprints[run.key])
        group = Group(runs, profile, data_home, datasets)
        step = lockstep_for(runs[0].architecture, profile, strategy, unroll)
        started = time.perf_counter()
        best, timed_out = train_until_stopped(step, group, profile, store, deadline)
        trained_s = time.perf_counter() - started
        outcomes = [(m.config, finish(step, group, m, best, profile, store, fingerprints,
                                      strategy, started))
                    for m in group.members if not timed_out or m.stopper.stopped or m.failed]
        # Every member computes every epoch until the last one stops (stopped ones are masked).
        images = len(runs) * group.epochs * (profile.n_train + profile.n_val)
        print(f"{runs[0].architecture}: {len(outcomes)} of {len(runs)} runs ended; {group.epochs} "
              f"epochs in {trained_s:.0f} s ({images / max(trained_s, 1e-9):.0f} images/s, "
              f"training and validation), records in {time.perf_counter() - started - trained_s:.0f}"
              f" s", flush=True)
        return outcomes


def train_until_stopped(step: Lockstep, group: Group, profile, store: RunStore, deadline):
    """Epochs until every run stopped or the deadline passed; each run's history.csv is written
    after every epoch. Returns the best (trainable, non-trainable) variables and whether the
    deadline cut training short."""
    members, columns = group.members, history_columns()
    state = step.initial_state([m.config.seed for m in members])
    best = state[:2]
    rngs = [shuffler(m.config.seed) for m in members]
    loss_index = jnp.asarray([list(LOSS_NAMES).index(m.config.loss) for m in members])
    which = jnp.asarray([[m.inputs, m.targets] for m in members])
    chunks, mask = validation_chunks(group.inputs["val"].shape[1], profile.batch_size)
    for epoch in range(profile.max_epochs):
        active = np.array([not (m.stopper.stopped or m.failed) for m in members])
        if not active.any():
            return best, False
        if deadline is not None and time.monotonic() > deadline:
            return best, True
        began = time.perf_counter()
        orders = epoch_orders(rngs, group.inputs["train"].shape[1], profile.batch_size)
        state, per_step = step.epoch(state, jnp.asarray(orders), group.inputs["train"],
                                     group.targets["train"], which, loss_index,
                                     jnp.asarray(active))
        val = np.asarray(step.validate(state[0], state[1], group.inputs["val"],
                                       group.targets["val"], which, loss_index,
                                       jnp.asarray(chunks)))
        val = val.transpose(0, 2, 1, 3).reshape(len(members), 1 + len(MEASURE_NAMES), -1)[:, :, mask].mean(axis=2)
        per_step = np.asarray(per_step)
        train_means = per_step.mean(axis=1)
        improved = np.zeros(len(members), bool)
        for i, member in enumerate(members):
            if not active[i]:
                continue
            member.rows.append(dict(zip(columns, [epoch + 1, *train_means[i], *val[i],
                                                          time.perf_counter() - began])))
            io.write_csv(store.staging(member.config.key) / "history.csv",
                         pd.DataFrame(member.rows, columns=columns))
            if not np.isfinite(per_step[i, :, 0]).all() or not np.isfinite(val[i, 0]):
                member.failed = True
                continue
            improved[i] = member.stopper.update(epoch, val[i, 0])
        best = step.keep_best(best, state[:2], jnp.asarray(improved))
        group.epochs = epoch + 1
    return best, False


def finish(step: Lockstep, group: Group, member: Member, best, profile, store: RunStore,
           fingerprints: dict, strategy: str, started: float) -> dict:
    config = member.config
    if member.failed:
        return record_failure(store, config.key, len(member.rows),
                              "non-finite loss: training stopped")
    index = group.members.index(member)
    for variables, values in zip((step.model.trainable_variables,
                                  step.model.non_trainable_variables), best):
        for variable, value in zip(variables, values):
            variable.assign(value[index])
    facts = {"fingerprint": fingerprints[config.key], "trainer": f"grid/{strategy}",
             "group_size": len(group.members), "unroll": step.unroll,
             "train_seconds": time.perf_counter() - started, "deterministic_ops": False}
    return publish_trained(config, profile, store, step.model, group.datasets[config.split],
                           pd.DataFrame(member.rows), facts, started)


def train_grid(runs: list[RunConfig], results_root, strategy: str = "vmap",
               group_size: int = 12, data_home=None, deadline_s: float | None = None,
               force: bool = False, unroll: int | None = None) -> pd.DataFrame:
    """Trains the runs (of one profile) not yet finished, in their order, in groups of one
    architecture (at most group_size runs); prints each group's outcome."""
    deadline = None if deadline_s is None else time.monotonic() + deadline_s
    if not runs:
        return pd.DataFrame()
    profile = load_profile(runs[0].profile)
    store = RunStore(results_root, profile)
    pending = [r for r in runs if force or store.cached(r.key, fingerprint(r, profile)) is None]
    datasets = {}  # each split loaded once, when a group first needs it
    rows = []
    while pending:
        arch = pending[0].architecture
        group = [r for r in pending if r.architecture == arch][:group_size]
        pending = [r for r in pending if r not in group]
        for split in {r.split for r in group} - set(datasets):
            datasets[split] = load_dataset(profile, data_home, split)
        try:
            outcomes = train_group(group, results_root, strategy, data_home, deadline, unroll,
                                   profile, datasets)
        except RunBusy as busy:
            print(f"skipped a group of {arch}: {busy}", flush=True)
            continue
        rows += [{"key": r.key, "status": o.get("status"), "test_psnr": o.get("test_psnr"),
                  "epochs_run": o.get("epochs_run")} for r, o in outcomes]
        if deadline is not None and time.monotonic() > deadline:
            break
    return pd.DataFrame(rows)
