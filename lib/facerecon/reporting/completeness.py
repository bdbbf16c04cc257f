"""What the findings stand on: how many of the grid's runs finished, on which seeds and devices,
how they ended (stopped early, or at the epoch cap still gaining), and whether the quick profile
points the way the paper profile does (the share of loss-versus-L2 differences with the same
sign in both)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..experiment.convergence import GAIN_DB, GAIN_EPOCHS, still_gaining
from ..experiment.study import finished
from .evidence import Evidence


def completeness_text(runs: pd.DataFrame) -> str:
    """How many of the grid's runs exist, on how many seeds per configuration, and what is
    missing, per split."""
    parts = []
    for split in dict.fromkeys(["random", *runs["split"]]):
        mine = runs[runs["split"] == split]
        if mine.empty:
            continue
        done = mine["status"] == "finished"
        configurations = mine.assign(done=done).groupby(
            ["architecture", "loss", "obfuscation"])["done"].sum()
        spread = ", ".join(f"{n} on {seeds} seed{'s' if seeds != 1 else ''}"
                           for seeds, n in sorted(configurations.value_counts().items(),
                                                  reverse=True))
        name = "random split" if split == "random" else f"{split}-disjoint split"
        parts.append(f"{name} {int(done.sum())} of {len(mine)} (seeds "
                     f"{', '.join(str(int(s)) for s in sorted(mine['seed'].unique()))}; of its "
                     f"{len(configurations)} configurations {spread})")
    finished = int((runs["status"] == "finished").sum())
    missing = len(runs) - finished
    return (f"{finished} of {len(runs)} runs exist" + (f", {missing} missing" if missing else "")
            + ": " + "; ".join(parts) + ".")


def seed_device_text(runs: pd.DataFrame) -> str:
    """Where each seed's runs trained on devices no other seed's did, the seed-to-seed spread
    also holds the devices' (and their code versions') difference: said, with the devices."""
    done = finished(runs, split=None)
    if "device" not in done or done["seed"].nunique() < 2:
        return ""
    devices = done.dropna(subset=["device"]).groupby("seed")["device"].agg(set)
    sets = list(devices)
    if len(sets) < 2 or any(a & b for i, a in enumerate(sets) for b in sets[i + 1:]):
        return ""
    said = "; ".join(f"seed {int(seed)}: {', '.join(sorted(names))}"
                     for seed, names in devices.items())
    return (f"Each seed trained on its own devices ({said}), so a seed range here also holds "
            "any difference between those devices and the code versions they ran.")


def convergence_text(evidence: Evidence) -> str:
    """How the finished runs ended: stopped early, or at the epoch cap, where those still
    gaining are named (they had not converged)."""
    done = finished(evidence.runs, split=None)
    if done.empty:
        return ""
    capped = done[~done["stopped_early"].eq(True)]
    gaining = [key for key in capped["key"] if still_gaining(evidence.store.history(key))]
    named = ", ".join(gaining[:5]) + (f" and {len(gaining) - 5} more" if len(gaining) > 5 else "")
    return (f"Of the {len(done)} finished runs, {len(done) - len(capped)} stopped early and "
            f"{len(capped)} ran to the epoch cap, {len(gaining)} of them still gaining more than "
            f"{GAIN_DB} dB of validation PSNR over their last {GAIN_EPOCHS} epochs"
            + (f" (not converged: {named})." if gaining else "."))


# The profile whose loss-versus-L2 differences a profile's are set beside.
COMPARED_PROFILE = {"quick": "paper", "paper": "quick"}
DIFFERENCE_KEY = ["architecture", "obfuscation", "loss", "metric"]


def direction_agreement(significance: pd.DataFrame, profile_name: str, results_root: Path) -> str:
    """Whether this profile's loss-versus-L2 differences point the way the compared profile's
    do: of the differences both have, the share with the same sign (and among those resolved in
    both); '' where there is no compared profile or nothing in common."""
    other = COMPARED_PROFILE.get(profile_name)
    path = Path(results_root) / str(other) / "tables" / "significance_vs_l2.csv"
    if other is None or not path.exists():
        return ""
    both = significance.merge(pd.read_csv(path), on=DIFFERENCE_KEY, suffixes=("", "_other"))
    both = both[both["difference"].notna() & both["difference_other"].notna()]
    if both.empty:
        return ""
    same = (both["difference"] > 0) == (both["difference_other"] > 0)
    resolved = both["verdict"].isin(["higher", "lower"]) & \
        both["verdict_other"].isin(["higher", "lower"])
    quick, paper = (profile_name, other) if profile_name == "quick" else (other, profile_name)
    return (f"**Does the {quick} profile point the way the {paper} profile does?** Of the "
            f"{len(both)} loss-versus-L2 differences both profiles have (architecture × "
            f"obfuscation × loss × test measure), {int(same.sum())} "
            f"({same.mean():.0%}) have the same sign"
            + (f"; of the {int(resolved.sum())} resolved in both, "
               f"{int((same & resolved).sum())} agree." if resolved.any()
               else "; none is resolved in both."))
