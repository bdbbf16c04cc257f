"""The runs a profile holds (grid: the study's runs; sweep: the strength sweep's), and picking
rows out of a frame of runs (select, finished): what trains, what the store expects and what the
report reads."""
from __future__ import annotations

import pandas as pd

from .config import (LOSS_NAMES, REFERENCE_ARCHITECTURE, REFERENCE_LOSS, SPLIT_NAMES,
                     STUDY_ARCHITECTURES, Profile, RunConfig)


def grid(profile: Profile, architectures=None, losses=None, obfuscations=None,
         seeds=None, splits=None) -> list[RunConfig]:
    """The runs of the study (or a slice of it): every architecture, loss, obfuscation and seed
    on the random split, then the profile's identity-disjoint runs (its identity losses and
    seeds, study architectures only). The original residual autoencoder is the study's
    reference row and is trained under REFERENCE_LOSS only."""
    architectures = architectures or [*STUDY_ARCHITECTURES, REFERENCE_ARCHITECTURE]
    losses = losses or list(LOSS_NAMES)
    obfuscations = obfuscations or list(profile.obfuscations)
    seeds = [int(s) for s in seeds or profile.seeds]
    splits = splits or list(SPLIT_NAMES)

    def runs_of(split, archs, split_losses, split_seeds):
        return [RunConfig(arch, loss, obfuscation, seed, profile.name, split)
                for arch in archs for loss in split_losses
                if arch != REFERENCE_ARCHITECTURE or loss == REFERENCE_LOSS
                for obfuscation in obfuscations for seed in split_seeds]

    runs = runs_of("random", architectures, losses, seeds) + runs_of(
        "identity", [a for a in architectures if a in STUDY_ARCHITECTURES],
        [loss for loss in losses if loss in profile.identity_losses],
        [s for s in profile.identity_seeds if s in seeds])
    return [run for run in runs if run.split in splits]


def sweep(profile: Profile) -> list[RunConfig]:
    """The strength sweep: the profile's sweep architecture and loss on its sweep seeds (random
    split) at every calibration candidate of every obfuscation but the profile's own strength,
    whose runs are the grid's."""
    return [RunConfig(profile.sweep_architecture, profile.sweep_loss, obfuscation, seed,
                      profile.name, "random", strength)
            for obfuscation in profile.obfuscations
            for strength in profile.swept_strengths(obfuscation) for seed in profile.sweep_seeds]


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
