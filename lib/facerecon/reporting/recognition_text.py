"""What the recognition results show, in sentences written from the numbers of
recognition_report's tables: per recogniser, the originals and obfuscated faces against chance,
each network configuration against the obfuscated faces and against a recogniser trained on
them, the strengths that still leak identity, and whether better PSNR goes with more faces
named. Each claim is about one recogniser and true of its own numbers."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..axes.obfuscation import OBFUSCATIONS
from ..experiment.study import select
from ..recognition.protocol import RECOGNISERS
from .formatting import RETRAIN


def chance(protocol: pd.DataFrame) -> float:
    """Top-1 accuracy of guessing uniformly among the gallery's people."""
    return 1 / protocol["person"].nunique() if len(protocol) else np.nan


def percent(value: float) -> str:
    return f"{100 * value:.0f}%"


def with_interval(row, k: int = 1) -> str:
    return (f"{percent(row[f'top{k}'])} (95% interval {percent(row[f'top{k}_ci_low'])}–"
            f"{percent(row[f'top{k}_ci_high'])})")


def recognition_text(table: pd.DataFrame, strengths: pd.DataFrame,
                     protocol: pd.DataFrame) -> str:
    """What the recognition results show, in Markdown, from the numbers: one part per
    recogniser (the tables' `recogniser` column)."""
    if table.empty:
        return "Recognition: missing (no stored results and no LFW to compute them)."
    return "\n\n".join(recogniser_text(name, select(table, recogniser=name),
                                       select(strengths, recogniser=name), protocol)
                        for name in RECOGNISERS if name in set(table["recogniser"]))


def gallery_size(protocol: pd.DataFrame, name: str) -> int:
    gallery = select(protocol, role="gallery")
    return len(gallery.groupby("person", sort=False).head(RECOGNISERS[name].max_gallery))


def recogniser_text(name: str, table: pd.DataFrame, strengths: pd.DataFrame,
                    protocol: pd.DataFrame) -> str:
    n_people, n_probes = protocol["person"].nunique(), (protocol["role"] == "probe").sum()
    original = select(table, condition="original").iloc[0]
    lines = [f"#### {RECOGNISERS[name].label}\n\nThe recogniser ({RECOGNISERS[name].label}) "
             f"knows {n_people} people from "
             f"{gallery_size(protocol, name)} gallery images, none of them an image any "
             f"network trained, validated or was tested on; it is asked to name {n_probes} test "
             f"faces. On the original faces it names the right person first for "
             f"{with_interval(original)} and among its first five for "
             f"{percent(original['top5'])}; guessing would name {percent(chance(protocol))}."]
    for obfuscation in OBFUSCATIONS:
        part = select(table, obfuscation=obfuscation)
        if part.empty:
            continue
        hidden = select(part, condition="obfuscated").iloc[0]
        trained = select(part, condition="trained_on_obfuscated").iloc[0]
        text = (f"**{OBFUSCATIONS[obfuscation].label} faces** ({hidden['strength']}, the "
                f"profile's strength): {with_interval(hidden)} by the same recogniser, "
                f"{with_interval(trained)} by one trained on {OBFUSCATIONS[obfuscation].label.lower()}"
                f" gallery faces.")
        text += networks_text(select(part, condition="run").dropna(subset=["top1"]), hidden,
                              trained)
        status = select(part, condition="run")["status"]
        retrain, missing = (status == RETRAIN).sum(), (status == "missing").sum()
        if retrain:
            text += (f" {retrain} trained network configuration{'s' if retrain > 1 else ''} "
                     "cannot be scored here: their test faces are not kept, so they need a "
                     "retrain ('retrain' in the tables).")
        if missing:
            text += (f" {missing} network configuration{'s' if missing > 1 else ''} of the grid "
                     f"{'are' if missing > 1 else 'is'} not trained yet ('not trained').")
        lines.append(text + psnr_relation(table, obfuscation))
    lines.append(privacy_text(strengths, protocol, name))
    return "\n\n".join(lines)


def networks_text(nets: pd.DataFrame, hidden, trained) -> str:
    """What the scored network configurations' reconstructions show for one obfuscation: the
    best one's top-1, and how many are named right more and less often than the obfuscated
    faces and than by the recogniser trained on them, with the paired verdicts' counts (a
    point estimate on one seed resolves nothing). Nothing where no configuration is scored."""
    if nets.empty:
        return ""
    best = nets.loc[nets["top1"].idxmax()]
    seeds = f"{best['n_seeds']} seed{'s' if best['n_seeds'] > 1 else ''}"
    return (f" The best reconstruction ({best['label']}, {best['split']} split, {seeds}) is named "
            f"right for {with_interval(best)}. Reconstructions are named right "
            + more_or_less(nets["top1"], hidden["top1"], "the obfuscated faces",
                           f" of the {len(nets)} scored network configuration"
                           f"{'s' if len(nets) > 1 else ''}")
            + " (point estimates; paired verdicts: " + verdict_counts(nets["top1_vs_obfuscated"])
            + "); " + more_or_less(nets["top1"], trained["top1"],
                                   "the obfuscated faces by a recogniser trained on them")
            + " (paired verdicts: " + verdict_counts(nets["top1_vs_trained_on_obfuscated"])
            + "; paired over seeds and faces, resolved only with at least two seeds).")


def more_or_less(top1: pd.Series, reference: float, what: str, of: str = "") -> str:
    """'more often than <what> (47%) for 6<of>, less often for 2 and as often for 1': how many
    configurations' top-1 lies above and below a reference's (and on it, where any does)."""
    above, below = int((top1 > reference).sum()), int((top1 < reference).sum())
    ties = len(top1) - above - below
    said = [f"more often than {what} ({percent(reference)}) for {above}{of}",
            f"less often for {below}"] + ([f"as often for {ties}"] if ties else [])
    return ", ".join(said[:-1]) + " and " + said[-1]


def privacy_text(strengths: pd.DataFrame, protocol: pd.DataFrame, name: str) -> str:
    """The privacy table of one recogniser in sentences: per obfuscation, the highest and the
    lowest top-1 on obfuscated test faces over the strengths tried, by a recogniser of originals
    and by one trained on faces obfuscated alike, and for each of the two at how many strengths
    the faces stay identifiable (its own 95% interval above chance): a claim about one
    recogniser is never carried by the other's numbers."""
    rows = select(strengths, recogniser=name)
    if rows.empty:
        return ""
    level = chance(protocol)
    parts = []
    for obfuscation in dict.fromkeys(rows["obfuscation"]):
        tried = select(rows, obfuscation=obfuscation)
        label = OBFUSCATIONS[obfuscation].label
        said = [s for s in (named_by(tried, "", "a recogniser of original faces", level),
                            named_by(tried, "trained_on_obfuscated_",
                                     f"one trained on {label.lower()} faces", level)) if s]
        if said:
            parts.append(f"{label} faces are named first " + ", and ".join(said) + ".")
    return (f"**Privacy against {RECOGNISERS[name].label}** (top-1 on obfuscated test faces, "
            f"{len(rows)} strengths; chance {percent(level)}; above chance: the lower end of the "
            f"95% interval above it). " + " ".join(parts))


def named_by(tried: pd.DataFrame, prefix: str, who: str, level: float) -> str:
    """'for 9% (block 8) down to 0% (block 18) by <who>, above chance at 1 of 7 strengths
    (block 8)': one recogniser's top-1 over the strengths it scored and at how many of them its
    95% interval lies above chance; nothing where it scored none."""
    scored = tried.dropna(subset=[f"{prefix}top1"])
    if scored.empty:
        return ""
    known = scored[scored[f"{prefix}top1_ci_low"] > level]["strength"]
    which = f" ({'; '.join(known)})" if 0 < len(known) < len(scored) else ""
    return (f"for {span(scored, f'{prefix}top1')} by {who}, above chance at {len(known)} of "
            f"{len(scored)} strength{'s' if len(scored) > 1 else ''}{which}")


def span(tried: pd.DataFrame, column: str) -> str:
    """'95% (k 9, σ 3) down to 44% (k 15, σ 5)': the highest and the lowest value of a column
    over strengths, with the strength of each."""
    high, low = tried.loc[tried[column].idxmax()], tried.loc[tried[column].idxmin()]
    return (f"{percent(high[column])} ({high['strength']}) down to {percent(low[column])} "
            f"({low['strength']})")


def verdict_counts(verdicts: pd.Series) -> str:
    """'2 higher, 1 lower, 16 not resolved, 3 on one seed' (on one seed: nothing to resolve)."""
    counts = verdicts.value_counts()
    said = {"one seed": "on one seed"}
    return ", ".join(f"{counts[v]} {said.get(v, v)}" for v in
                     ("higher", "lower", "not resolved", "one seed", "missing") if v in counts)


def psnr_relation(table: pd.DataFrame, obfuscation: str) -> str:
    """Whether runs with better test PSNR are recognised more often (Spearman, one point per
    network configuration)."""
    from scipy.stats import spearmanr

    nets = select(table, condition="run", obfuscation=obfuscation).dropna(
        subset=["top1", "test_psnr"])
    if len(nets) < 4:
        return ""
    if nets["top1"].nunique() < 2 or nets["test_psnr"].nunique() < 2:
        return (f" Across the {len(nets)} network configurations, top-1 accuracy or test PSNR "
                "does not vary: no relation to measure.")
    rho, p = spearmanr(nets["test_psnr"], nets["top1"])
    return (f" Across the {len(nets)} network configurations, top-1 accuracy and test PSNR have "
            f"Spearman ρ = {rho:.2f} (p = {p:.2g}).")


STORED = ("recognition.csv", "recognition_strengths.csv", "recognition_protocol.csv")


def stored_text(results: Path) -> str:
    """recognition_text from the CSVs that write_recognition wrote (e.g. for the README)."""
    if not all((results / name).exists() for name in STORED):
        return "Recognition: missing (`python -m facerecon recognise` where LFW is)."
    return recognition_text(*(pd.read_csv(results / name) for name in STORED))
