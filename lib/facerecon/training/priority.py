"""The order the grid trains in, so that whatever a session finishes answers the most: the
study's grid seed by seed, tier by tier (each architecture entry's `priority`), then what is
beyond it. The scheduler, the lock-step trainer and the GPU job all train in this order."""
from __future__ import annotations

from itertools import groupby

from ..axes.architectures import ARCHITECTURES, STUDY_ARCHITECTURES
from ..experiment.config import STUDY_LOSSES, Profile, RunConfig
from ..experiment.study import grid, sweep


def priority_order(profile: Profile) -> list[RunConfig]:
    """The study's grid seed by seed, each seed's architectures tier by tier (their entries'
    `priority`: SRResNet and the residual autoencoder under the study's losses, then the Simple
    CNN, then the reference row), all on the random split: a second seed of the study's grid
    comes before MS-SSIM+L1, since a difference between losses is resolved only across seeds
    (stats.seed_image_bootstrap). Then the strength sweep (one network at every calibration
    candidate: how far a strength moves the study's numbers), then MS-SSIM+L1 and the rest:
    further seeds and the identity-disjoint runs."""
    random = ["random"]

    def priority(arch):
        return ARCHITECTURES[arch].priority

    ranked = sorted(ARCHITECTURES, key=priority)  # stable: the registry's order within a tier

    def study_grid(seeds):
        return [run for _, tier in groupby(ranked, key=priority)
                for run in grid(profile, list(tier), list(STUDY_LOSSES), seeds=seeds,
                                splits=random)]

    seeds = list(profile.seeds)
    tiers = [study_grid(seeds[:1]), study_grid(seeds[1:2]), sweep(profile),
             grid(profile, [a for a in ranked if a in STUDY_ARCHITECTURES], ["ms_ssim_l1"],
                  seeds=seeds[:1], splits=random),
             grid(profile)]
    ordered, seen = [], set()
    for run in (r for tier in tiers for r in tier):
        if run.key not in seen:
            seen.add(run.key)
            ordered.append(run)
    return ordered


def in_priority_order(runs: list[RunConfig], profile: Profile) -> list[RunConfig]:
    """The runs, those of the priority order first and in its order."""
    chosen = set(runs)
    order = [run for run in priority_order(profile) if run in chosen]
    ordered = set(order)
    return order + [run for run in runs if run not in ordered]
