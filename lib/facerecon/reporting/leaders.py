"""The findings' cells: for each obfuscation, study architecture and test measure, the loss
whose networks lead among those that restore (beat their obfuscated input on that measure), its
difference from L2 beside the configuration's seed range, the best non-learned baseline, the
losses beyond the study's five apart, and what an open cell waits for (findings_table); and the
table as it prints, with the rule that decides a cell (printed, TABLE_NOTE)."""
from __future__ import annotations

import pandas as pd

from ..axes.architectures import ARCHITECTURES
from ..axes.losses import LOSSES
from ..axes.measures import TABLE_MEASURES, best_of, better_than, shown
from ..axes.obfuscation import OBFUSCATIONS
from ..core.stats import MIN_SEEDS
from ..experiment.config import REFERENCE_LOSS, STUDY_ARCHITECTURES, STUDY_LOSSES
from ..experiment.study import finished, select
from .evidence import VERDICT_RULE, WITHIN_SEED_RANGE, WITHIN_SEED_RANGE_MARK, Evidence

NOT_RECORDED = "not recorded: the runs need a retrain"
NO_RESTORATION = "no network restores here"
# The measure a reconstruction figure picks its loss by, as the findings rank it.
FIGURE_MEASURE = "ssim"
def better(difference_verdict: str, higher_is_better: bool) -> bool:
    return difference_verdict == ("higher" if higher_is_better else "lower")


# MS-SSIM + L1 is ours, not the study's: "which loss is best" is answered among the study's five
# losses, and each loss beyond them is set against L2 apart.
BEYOND_STUDY = [loss for loss in LOSSES if loss not in STUDY_LOSSES]


def against_l2(rows: pd.DataFrame, leader: str, up: bool) -> str:
    """The verdict on the leading loss against L2 (`rows`: the cell's paired differences of the
    study's losses): against L2 itself where the leader is another loss; where L2 leads,
    against every other loss."""
    if leader == REFERENCE_LOSS:
        wins = [better(v, not up) for v in rows["verdict"]]  # the others worse than L2
    else:
        rows = rows[rows["loss"] == leader]
        wins = [better(v, up) for v in rows["verdict"]]
    if rows.empty:
        return "no comparison"
    seeds = int(rows["n_seeds"].min())
    if seeds < MIN_SEEDS:
        return "one seed: open"
    return f"{'resolved' if all(wins) else 'not resolved'} on {seeds} seeds"


def waiting_for(grid: pd.DataFrame) -> str:
    """'7 runs: L2, L1, PSNR ×1; SSIM, PSNR+SSIM ×2' (or '10 runs: every study loss ×2'): the
    runs of a cell that have not finished, by loss, losses missing as many runs named together."""
    missing = grid[grid["status"] != "finished"]
    counts = missing["loss"].value_counts()
    runs = f"{len(missing)} run{'s' if len(missing) != 1 else ''}"
    if set(counts.index) == set(STUDY_LOSSES) and counts.nunique() == 1:
        return f"{runs}: every study loss ×{counts.iloc[0]}"
    groups = {n: [LOSSES[loss].label for loss in LOSSES if counts.get(loss) == n]
              for n in sorted(set(counts))}
    return f"{runs}: " + "; ".join(f"{', '.join(names)} ×{n}" for n, names in groups.items())


def effect_fields(rows: pd.DataFrame, means: pd.Series, leader: str, measure) -> dict:
    """The leader's paired difference from L2 (where L2 leads, the runner-up's), with its
    interval and seed range; empty where that comparison does not exist yet."""
    if leader == REFERENCE_LOSS:
        others = means.drop(REFERENCE_LOSS)
        if others.empty:
            return {}
        leader = others.index[others == best_of(others, measure)][0]
    match = rows[rows["loss"] == leader]
    if match.empty:
        return {}
    effect = match.iloc[0]
    return {"against": leader, "effect_verdict": effect["verdict"],
            **{k: float(effect[k]) for k in ("difference", "ci_low", "ci_high", "seed_range")}}


def beyond_study_fields(rows: pd.DataFrame) -> dict:
    """Each loss beyond the study's five against L2: difference, interval and verdict ('' and
    NaN where that comparison does not exist yet)."""
    fields = {}
    for loss in BEYOND_STUDY:
        match = rows[rows["loss"] == loss]
        effect = match.iloc[0] if len(match) else pd.Series({"verdict": ""})
        fields.update({f"{loss}_{k}": effect.get(k, float("nan"))
                       for k in ("difference", "ci_low", "ci_high", "verdict")})
    return fields


def baseline_means(evidence: Evidence, obfuscation: str, name: str) -> pd.Series:
    """Test mean of one measure per non-learned method ('input': the obfuscated faces)."""
    test = select(evidence.baselines, obfuscation=obfuscation, subset="test")
    return test.groupby("method")[name].mean() if name in test else pd.Series(dtype=float)


# The figure of region_gains (figures.py).
REGION_FIGURE = "test_psnr_inner_vs_border"
# Test PSNR inside the SSIM window's centres and in the border none centres on (axes/metrics.py),
# each with its obfuscated input's.
REGION_COLUMNS = [f"test{side}_psnr_{region}" for region in ("inner", "border")
                  for side in ("", "_input")]


def region_gains(runs: pd.DataFrame) -> pd.DataFrame:
    """Per configuration of the random split, the mean gain in test PSNR over its obfuscated
    input inside the SSIM window's centres (`inner`) and in the border none centres on
    (`border`), over the finished runs that recorded both (empty where none did)."""
    done = select(finished(runs), split="random")
    if not set(REGION_COLUMNS) <= set(done):
        return pd.DataFrame(columns=["architecture", "loss", "obfuscation", "inner", "border"])
    # A configuration counts only where every finished run of it recorded them (no mean over
    # the rescored seeds alone).
    whole = done.groupby(["architecture", "loss", "obfuscation"])[REGION_COLUMNS].transform(
        lambda column: column.notna().all()).all(axis=1)
    done = done[whole]
    gains = done.assign(inner=done["test_psnr_inner"] - done["test_input_psnr_inner"],
                        border=done["test_psnr_border"] - done["test_input_psnr_border"])
    return gains.groupby(["architecture", "loss", "obfuscation"], as_index=False)[
        ["inner", "border"]].mean()


def baseline_fields(baselines: pd.Series, name: str) -> dict:
    """The obfuscated input's mean and the best other non-learned method with its mean."""
    others = baselines.drop("input", errors="ignore").dropna()
    best = others.index[others == best_of(others, TABLE_MEASURES[name])][0] if len(others) else ""
    return {"input_mean": float(baselines.get("input", float("nan"))), "best_baseline": best,
            "best_baseline_mean": float(others[best]) if best else float("nan")}


EMPTY_EFFECT = {"against": "", "effect_verdict": "", "difference": float("nan"),
                "ci_low": float("nan"), "ci_high": float("nan"), "seed_range": float("nan")}


def leader_row(evidence: Evidence, arch: str, obfuscation: str, name: str) -> dict:
    """One cell (architecture × obfuscation × test measure): the study's loss with the best mean
    over seeds among those whose networks beat the obfuscated input on that measure (none leads
    where none does), its difference from L2 with the seed range beside it, and the verdict:
    decided once every one of the study's losses has run on every seed, open (naming the runs
    it waits for) before; the losses beyond the study against L2, apart."""
    measure, metric = TABLE_MEASURES[name], f"test_{name}"
    grid = select(evidence.runs, architecture=arch, obfuscation=obfuscation, split="random")
    grid = grid[grid["loss"].isin(STUDY_LOSSES)]
    done = grid[grid["status"] == "finished"]
    missing = len(grid) - len(done)
    paired = select(evidence.significance, architecture=arch, obfuscation=obfuscation,
                    metric=metric)
    baselines = baseline_fields(baseline_means(evidence, obfuscation, name), name)
    row = {"obfuscation": obfuscation, "architecture": arch, "measure": name, "best_loss": "",
           "mean": float("nan"), "n_seeds": 0, "runs_missing": missing, "losses_scored": 0,
           "restoring": 0, **baselines, **EMPTY_EFFECT, **beyond_study_fields(paired)}
    waits = f"open: waits for {waiting_for(grid)}" if missing else ""
    scored = done[done[metric].notna()] if metric in done else done.iloc[:0]
    if scored.empty:
        recorded = NOT_RECORDED + (f"; {waits.removeprefix('open: ')}" if waits else "")
        return {**row, "verdict": recorded if len(done) else waits or "no comparison"}
    means = scored.groupby("loss")[metric].mean()
    row["losses_scored"] = len(means)
    given = baselines["input_mean"]
    if pd.isna(given):  # whether a network restores cannot be told
        return {**row, "verdict": "cannot be decided: the input is not scored"}
    restoring = means[[better_than(m, given, measure) for m in means]]
    row["restoring"] = len(restoring)
    if restoring.empty:
        best = best_of(means, measure)
        return {**row, "verdict": f"{NO_RESTORATION} "
                f"({LOSSES[means.index[means == best][0]].label}: {shown(best, measure)})"
                + (f"; {waits}" if waits else "")}
    leader = restoring.index[restoring == best_of(restoring, measure)][0]
    row.update(best_loss=leader, mean=float(means[leader]),
               n_seeds=int(scored.loc[scored["loss"] == leader, "seed"].nunique()),
               **effect_fields(paired, means, leader, measure))
    unscored = len(done) - len(scored)
    if waits:
        verdict = waits
    elif unscored:
        verdict = NOT_RECORDED.replace("the runs", f"{unscored} runs")
    else:
        verdict = against_l2(paired[paired["loss"].isin(STUDY_LOSSES)], leader,
                             measure.higher_is_better)
    if verdict.startswith("resolved") and within_seed_range(row):
        verdict += f"; {WITHIN_SEED_RANGE}"
    return {**row, "verdict": verdict}


def findings_table(evidence: Evidence) -> pd.DataFrame:
    """One row per obfuscation, study architecture and test measure (TABLE_MEASURES)."""
    return pd.DataFrame([leader_row(evidence, arch, obfuscation, name)
                         for obfuscation in OBFUSCATIONS for arch in STUDY_ARCHITECTURES
                         for name in TABLE_MEASURES])


def difference_shown(difference: float, low: float, high: float, measure) -> str:
    """'+0.88 [0.54, 1.24] dB': a paired difference and its interval ('—' where none)."""
    if pd.isna(difference):
        return "—"
    d, unit = measure.digits, f" {measure.unit}" if measure.unit else ""
    return f"{difference:+.{d}f} [{low:.{d}f}, {high:.{d}f}]{unit}"


def resolved_mark(row) -> str:
    """'*' where the difference shown is resolved against L2 (a pairwise verdict, which stands
    while its cell is open), '*†' where it is also smaller than its seed range."""
    if row["effect_verdict"] not in ("higher", "lower"):
        return ""
    return "*" + (WITHIN_SEED_RANGE_MARK if within_seed_range(row) else "")


def within_seed_range(row) -> bool:
    """Whether the difference a findings row shows is smaller than its seed range."""
    return abs(row["difference"]) < row["seed_range"]


def printed(table: pd.DataFrame) -> pd.DataFrame:
    """The findings with display names: the obfuscated input's mean, the best of the study's
    losses with its mean over seeds, its paired difference from L2 (where L2 leads, the
    runner-up's) beside the seed range, the verdict, and each loss beyond the study against
    L2."""
    measures = table["measure"].map(TABLE_MEASURES.__getitem__)

    def best(row, measure) -> str:
        if not row["best_loss"]:
            return "—"
        return (f"{LOSSES[row['best_loss']].label}: {shown(row['mean'], measure)} "
                f"(n = {row['n_seeds']})")

    def effect(row, measure) -> str:
        if not row["against"]:
            return "—"
        return (f"{LOSSES[row['against']].label} − L2: "
                + difference_shown(row["difference"], row["ci_low"], row["ci_high"], measure)
                + resolved_mark(row))

    def seed_range(row, measure) -> str:
        return "—" if pd.isna(row["seed_range"]) else shown(row["seed_range"], measure)

    rows = list(zip((row for _, row in table.iterrows()), measures))
    return pd.DataFrame({
        "Obfuscation": table["obfuscation"].map(lambda o: OBFUSCATIONS[o].label),
        "Architecture": table["architecture"].map(lambda a: ARCHITECTURES[a].label),
        "Measure": measures.map(lambda m: m.label),
        "Input": [shown(row["input_mean"], m) for row, m in rows],
        "Best of the study's losses": [best(row, m) for row, m in rows],
        "Difference from L2 [95% interval]": [effect(row, m) for row, m in rows],
        "Seed range": [seed_range(row, m) for row, m in rows],
        "Verdict": table["verdict"],
        **{f"{LOSSES[loss].label} − L2": [
            difference_shown(row[f"{loss}_difference"], row[f"{loss}_ci_low"],
                             row[f"{loss}_ci_high"], m)
            + (f": {row[f'{loss}_verdict']}" if row[f"{loss}_verdict"] else "")
            for row, m in rows] for loss in BEYOND_STUDY}})


CELL_RULE = (
    "Best of the study's losses: the best mean over seeds among the study's five losses whose "
    "networks beat the obfuscated input (Input) on that measure; where none does, the cell says "
    "so, naming the best network's loss and mean. A cell is decided once every one of the five "
    "has run on every seed of the profile, and open before, naming the runs it waits for; its "
    "lead is resolved where the leader's difference from L2 is (where L2 leads, where every "
    "other loss's is), and the difference shown is the runner-up's when L2 leads. Losses beyond "
    "the study's five are compared with L2 apart (the last column of the Markdown table; in "
    "the report, the paired tests' table). In Difference from L2, * marks a difference "
    f"resolved against L2 (a pairwise verdict: it stands while its cell is open) and "
    f"*{WITHIN_SEED_RANGE_MARK} one resolved but smaller than its seed range.")


# Under the findings table: the rules, in full where nothing above states the verdict rule (the
# Markdown), pointing to the report's Methods, which does.
TABLE_NOTE = f"{CELL_RULE} {VERDICT_RULE}"
REPORT_TABLE_NOTE = f"{CELL_RULE} Each difference follows the verdict rule of the Methods."
