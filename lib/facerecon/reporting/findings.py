"""The study's answer, first: for each obfuscation and architecture, the loss that gives the best
test PSNR, SSIM and identity distance (means over the grid's seeds) among the networks that
restore (beat their obfuscated input on that measure), whether that is decided against L2 over
seeds and test images, how complete the grid is and how its runs ended (converged, or cut off by
the epoch cap), and the study's conclusions in one sentence each. Computed from the evidence (and
the reproduction table); written as results/<profile>/findings.{csv,md} and tables/findings.tex,
which the notebook, the report and the README open with."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..axes.architectures import ARCHITECTURES
from ..axes.losses import LOSSES
from ..axes.measures import TABLE_MEASURES, best_of, better_than, shown
from ..data.baselines import METHODS
from ..axes.obfuscation import OBFUSCATIONS
from ..core import io
from ..core.stats import MIN_SEEDS
from ..experiment.config import REFERENCE_LOSS, STUDY_ARCHITECTURES, STUDY_LOSSES
from ..training.runs import finished, select
from . import latex
from .evidence import VERDICT_RULE, WITHIN_SEED_RANGE, Evidence
from .finishing import finishing_text
from .reproduction import held

NOT_RECORDED = "not recorded: the runs need a retrain"
NO_RESTORATION = "no network restores here"


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


# A run that ended at the epoch cap with its validation PSNR still rising by more than GAIN_DB
# over its last GAIN_EPOCHS epochs had not converged.
GAIN_EPOCHS, GAIN_DB = 5, 0.1


def last_gain(history: pd.DataFrame) -> float:
    """How much a run's validation PSNR rose over its last GAIN_EPOCHS (NaN: fewer epochs)."""
    psnr = history["val_psnr"].to_numpy()
    return float(psnr[-1] - psnr[-1 - GAIN_EPOCHS]) if len(psnr) > GAIN_EPOCHS else float("nan")


def still_gaining(history: pd.DataFrame) -> bool:
    """Whether a run's validation PSNR rose by more than GAIN_DB over its last GAIN_EPOCHS."""
    return last_gain(history) > GAIN_DB


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
    return {"against": leader, **{k: float(effect[k]) for k in
                                  ("difference", "ci_low", "ci_high", "seed_range")}}


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


def baseline_fields(baselines: pd.Series, name: str) -> dict:
    """The obfuscated input's mean and the best other non-learned method with its mean."""
    others = baselines.drop("input", errors="ignore").dropna()
    best = others.index[others == best_of(others, TABLE_MEASURES[name])][0] if len(others) else ""
    return {"input_mean": float(baselines.get("input", float("nan"))), "best_baseline": best,
            "best_baseline_mean": float(others[best]) if best else float("nan")}


EMPTY_EFFECT = {"against": "", "difference": float("nan"), "ci_low": float("nan"),
                "ci_high": float("nan"), "seed_range": float("nan")}


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
    if verdict.startswith("resolved") and abs(row["difference"]) < row["seed_range"]:
        verdict += f"; {WITHIN_SEED_RANGE}"
    return {**row, "verdict": verdict}


def findings_table(evidence: Evidence) -> pd.DataFrame:
    """One row per obfuscation, study architecture and test measure (TABLE_MEASURES)."""
    return pd.DataFrame([leader_row(evidence, arch, obfuscation, name)
                         for obfuscation in OBFUSCATIONS for arch in STUDY_ARCHITECTURES
                         for name in TABLE_MEASURES])


def tally(leads: pd.Series) -> str:
    """'PSNR+SSIM 4, SSIM 2': how often each loss leads, most often first."""
    return ", ".join(f"{LOSSES[loss].label} {n}" for loss, n in leads.value_counts().items())


# Why a cell is not decided, by the start of its verdict.
OPEN_REASONS = {"open: waits for": "wait for runs", "one seed": "have one seed",
                "not resolved": "are not resolved", "not recorded": "need a retrain",
                NO_RESTORATION: "have no restoring network",
                "cannot be decided": "have no scored input", "no comparison": "have no runs"}


def open_reasons(verdicts: pd.Series) -> str:
    """'4 wait for runs, 2 have one seed': why the undecided cells are undecided."""
    reasons = verdicts.map(lambda v: next((said for start, said in OPEN_REASONS.items()
                                           if v.startswith(start)), v))
    return ", ".join(f"{n} {reason}" for reason, n in reasons.value_counts().items())


def is_decided(verdicts: pd.Series) -> pd.Series:
    """Cells whose study losses have all run on every seed and been compared with L2."""
    return verdicts.str.match(r"(not )?resolved on")


def against_baselines(led: pd.DataFrame) -> str:
    """How many leading networks beat the best non-learned baseline on their measure."""
    compared = led[led["best_baseline"].fillna("") != ""]  # "" or NaN (read from CSV): none
    if compared.empty:
        return ""
    ahead = [better_than(row.mean, row.best_baseline_mean, TABLE_MEASURES[row.measure])
             for row in compared.itertuples()]
    behind = compared[[not better for better in ahead]]
    methods = ", ".join(sorted({METHODS[m].short_label for m in behind["best_baseline"]}))
    return (f"- Against the best non-learned baseline of each cell: the leading network is "
            f"better in {sum(ahead)} of the {len(compared)} cells with a lead"
            + (f"; in the other {'cell' if len(behind) == 1 else f'{len(behind)} cells'} "
               f"{methods} is better." if len(behind) else "."))


def better_or_worse(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Resolved differences from L2 split into the loss doing better and worse than L2 (a
    lower ID distance is better)."""
    up = rows["metric"].map(lambda m: TABLE_MEASURES[m.removeprefix("test_")].higher_is_better)
    resolved = rows["verdict"].isin(["higher", "lower"])
    good = resolved & ((rows["verdict"] == "higher") == up)
    return rows[good], rows[resolved & ~good]


def pairwise_text(significance: pd.DataFrame) -> str:
    """The study's losses against L2 on their own (a pairwise verdict needs only the two
    losses' runs): how many differences are resolved, which way, and how many of those are
    smaller than their seed range."""
    rows = significance[significance["loss"].isin(STUDY_LOSSES)]
    if rows.empty:
        return ""
    good, bad = better_or_worse(rows)
    resolved = pd.concat([good, bad])
    within = int(resolved["within_seed_range"].astype(bool).sum())
    said = (f"- Each of the study's losses against L2 on its own: {len(resolved)} of the "
            f"{len(rows)} differences with both runs are resolved")
    if len(resolved):
        said += (f" (better than L2: {tally(good['loss']) or 'none'}; worse: "
                 f"{tally(bad['loss']) or 'none'}), {within} of them smaller than their seed "
                 "range")
    unresolved = rows[~rows.index.isin(resolved.index)]
    if len(unresolved):
        said += "; " + ", ".join(f"{n} {verdict}" for verdict, n in
                                 unresolved["verdict"].value_counts().items())
    return said + "."


def beyond_study_text(table: pd.DataFrame) -> list[str]:
    """Each loss beyond the study's five against L2, over the findings' cells."""
    lines = []
    for loss in BEYOND_STUDY:
        rows = pd.DataFrame({"metric": "test_" + table["measure"], "loss": loss,
                             "verdict": table[f"{loss}_verdict"].fillna("")})
        if (rows["verdict"] == "").all():
            lines.append(f"- {LOSSES[loss].label} (beyond the study's five): not run yet.")
            continue
        good, bad = better_or_worse(rows)
        counts = rows["verdict"].replace("", "not run").value_counts()
        others = ", ".join(f"{n} {v}" for v, n in counts.items() if v not in ("higher", "lower"))
        lines.append(f"- {LOSSES[loss].label} (beyond the study's five), against L2 in the "
                     f"{len(table)} cells: better in {len(good)}, worse in {len(bad)}"
                     + (f"; {others}" if others else "") + ".")
    return lines


def below_input_text(evidence: Evidence) -> str:
    """Every configuration whose mean over seeds does not beat its obfuscated input, per test
    measure, with both numbers: a network that makes faces worse on a measure is named, whatever
    its loss trades for it (the SSIM loss, e.g., gives up PSNR for SSIM by design)."""
    done = finished(evidence.runs)
    if done.empty:
        return ""
    parts = []
    for name, measure in TABLE_MEASURES.items():
        metric = f"test_{name}"
        if metric not in done:
            continue
        means = done.groupby(["architecture", "loss", "obfuscation"])[metric].mean().dropna()
        inputs = {o: baseline_means(evidence, o, name).get("input", float("nan"))
                  for o in OBFUSCATIONS}
        below = []
        for (arch, loss, obfuscation), mean in means.items():
            given = inputs[obfuscation]
            if not pd.isna(given) and not better_than(mean, given, measure):
                below.append(f"{ARCHITECTURES[arch].label} {LOSSES[loss].label} "
                             f"{OBFUSCATIONS[obfuscation].label.lower()} "
                             f"({shown(mean, measure)} against {shown(given, measure)})")
        if len(means):
            parts.append(f"test {measure.label}, {len(below) or 'none'} of {len(means)}"
                         + (": " + "; ".join(below) if below else ""))
    return ("- Configurations that do not beat their obfuscated input (mean over seeds) — "
            + "; ".join(parts) + ".") if parts else ""


def headline_text(table: pd.DataFrame) -> str:
    """The answer in a few sentences: which of the study's losses leads most often in the
    decided cells (every study loss run on every seed) among networks that restore, and how
    many leads are resolved against L2; why nothing is decided where nothing is."""
    led = table[table["best_loss"] != ""]
    decided = led[is_decided(led["verdict"])]
    unrestored = int(table["verdict"].str.startswith(NO_RESTORATION).sum())
    cells = f"{len(table)} cells (obfuscation × architecture × test measure)"
    if decided.empty:
        if led.empty and unrestored:
            why = f"no network beats its obfuscated input in {unrestored} of the {cells}"
        elif len(table) and (table["verdict"] != "no comparison").any():
            why = f"none of the {cells} is decided: {open_reasons(table['verdict'])}"
        else:
            why = "no network run of the grid has finished"
        headline = f"Not answerable yet: {why}."
    else:
        top = decided["best_loss"].value_counts()
        resolved = decided["verdict"].str.startswith("resolved")
        within = decided["verdict"].str.endswith(WITHIN_SEED_RANGE)
        headline = (f"{LOSSES[top.index[0]].label} leads most often: in {top.iloc[0]} of the "
                    f"{len(decided)} decided cells where a network beats its obfuscated input; "
                    f"{int(resolved.sum())} of those leads are resolved against L2"
                    + (f" ({int(within.sum())} {WITHIN_SEED_RANGE})" if within.any() else "")
                    + ".")
        if len(decided) < len(table):
            headline += f" {len(table) - len(decided)} of the {cells} are open."
        if unrestored:
            headline += f" In {unrestored} no network beats its obfuscated input."
    return headline


def answer_text(table: pd.DataFrame, significance: pd.DataFrame, below: str = "") -> str:
    """The answer to the study's question among its five losses: which loss leads most often in
    the cells that are decided (every study loss run on every seed) among networks that
    restore, and how many leads are resolved against L2; then per measure the decided and the
    provisional leads and why open cells are open, the configurations that do not beat their
    input (`below`: below_input_text), the losses against L2 on their own, the losses beyond the
    study, and the leaders against the non-learned baselines."""
    led = table[table["best_loss"] != ""]
    lines = [f"**Which loss restores faces best?** {headline_text(table)}", ""]
    for name, rows in table.groupby("measure", sort=False):
        closed = is_decided(rows["verdict"]) & (rows["best_loss"] != "")
        said = (f"decided in {int(closed.sum())} of {len(rows)}"
                + (f" (leads: {tally(rows.loc[closed, 'best_loss'])})" if closed.any() else ""))
        if (~closed).any():
            said += f"; open: {open_reasons(rows.loc[~closed, 'verdict'])}"
            early = rows[~closed & (rows["best_loss"] != "") & (rows["losses_scored"] > 1)]
            if len(early):
                said += f" (best so far, provisional: {tally(early['best_loss'])})"
        lines.append(f"- Test {TABLE_MEASURES[name].label}: {said}.")
    pairwise = pairwise_text(significance)
    baselines = against_baselines(led)
    return "\n".join(lines + [b for b in (below, pairwise) if b] + beyond_study_text(table)
                     + ([baselines] if baselines else []))


def conclusion_sentences(reproduction: pd.DataFrame) -> list[str]:
    """The study's conclusions, one sentence each: held in its numbers, in ours, and the count
    of comparisons behind ours. Ours compare means over the seeds that ran, as the study's
    single runs do: a check of the study's claims, not a verdict (VERDICT_RULE), which the
    sentence says."""
    said = {True: "holds", False: "does not hold", None: "cannot be decided (runs missing)"}
    lines = []
    for row in reproduction[reproduction["section"] == "conclusion"].itertuples():
        ours = str(row.evidence).split("| ours: ", 1)[-1].split(";")[0]
        lines.append(f"{row.item}: in the study's numbers it "
                     f"{said[held(row.holds_in_study)]}; in ours, on means over the seeds that "
                     f"ran (no verdict), it {said[held(row.holds_in_ours)]} ({ours}).")
    return lines


def difference_shown(difference: float, low: float, high: float, measure) -> str:
    """'+0.88 [0.54, 1.24] dB': a paired difference and its interval ('—' where none)."""
    if pd.isna(difference):
        return "—"
    d, unit = measure.digits, f" {measure.unit}" if measure.unit else ""
    return f"{difference:+.{d}f} [{low:.{d}f}, {high:.{d}f}]{unit}"


def printed(table: pd.DataFrame) -> pd.DataFrame:
    """The findings with display names: the obfuscated input's mean, the best of the study's
    losses with its mean over seeds, its paired difference from L2 (where L2 leads, the
    runner-up's) beside the seed range, the verdict, and each loss beyond the study against
    L2."""
    measures = table["measure"].map(TABLE_MEASURES)

    def best(row, measure) -> str:
        if not row["best_loss"]:
            return "—"
        return (f"{LOSSES[row['best_loss']].label}: {shown(row['mean'], measure)} "
                f"(n = {row['n_seeds']})")

    def effect(row, measure) -> str:
        if not row["against"]:
            return "—"
        return (f"{LOSSES[row['against']].label} − L2: "
                + difference_shown(row["difference"], row["ci_low"], row["ci_high"], measure))

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
    "the report, the paired tests' table).")
# Under the findings table: the rules, in full where nothing above states the verdict rule (the
# Markdown), pointing to the report's Methods, which does.
TABLE_NOTE = f"{CELL_RULE} {VERDICT_RULE}"
REPORT_TABLE_NOTE = f"{CELL_RULE} Each difference follows the verdict rule of the Methods."


# The profile whose loss-versus-L2 differences a profile's are set beside.
COMPARED_PROFILE = {"quick": "paper", "paper": "quick"}
DIFFERENCE_KEY = ["architecture", "obfuscation", "loss", "metric"]


def direction_agreement(significance: pd.DataFrame, profile: str, results_root: Path) -> str:
    """Whether this profile's loss-versus-L2 differences point the way the compared profile's
    do: of the differences both have, the share with the same sign (and among those resolved in
    both); '' where there is no compared profile or nothing in common."""
    other = COMPARED_PROFILE.get(profile)
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
    quick, paper = (profile, other) if profile == "quick" else (other, profile)
    return (f"**Does the {quick} profile point the way the {paper} profile does?** Of the "
            f"{len(both)} loss-versus-L2 differences both profiles have (architecture × "
            f"obfuscation × loss × test measure), {int(same.sum())} "
            f"({same.mean():.0%}) have the same sign"
            + (f"; of the {int(resolved.sum())} resolved in both, "
               f"{int((same & resolved).sum())} agree." if resolved.any()
               else "; none is resolved in both."))


def findings_text(answer: str, completeness: str, agreement: str, conclusions: list[str],
                  shown_table: str, note: str = TABLE_NOTE) -> str:
    """The findings section in Markdown: the answer, the grid's completeness, the table of leads
    (`shown_table`: the table as the document includes it) and its `note`, whether the compared
    profile points the same way, and the study's conclusions."""
    listed = "\n".join(f"- {line}" for line in conclusions)
    compared = f"{agreement}\n\n" if agreement else ""
    return (f"{answer}\n\n**Completeness.** {completeness}\n\n{shown_table}\n\n{note}\n\n"
            f"{compared}**The study's conclusions.**\n\n{listed}\n")


TABLE_INPUT = "\\input{tables/findings.tex}"  # markdown_tex keeps a line that is LaTeX


def write_findings(evidence: Evidence, reproduction: pd.DataFrame, results: Path) -> dict:
    """findings.csv (the leads, as numbers), findings.md (the section as Markdown) and
    tables/findings.tex; `tex_source` is the section for the report (its Markdown with the
    table's input, which latex.markdown_tex turns into LaTeX)."""
    table = findings_table(evidence)
    io.write_csv(results / "findings.csv", table)
    shown = printed(table)
    # The report's copy leaves the losses beyond the study to the paired-test table, where each
    # is against L2 with its seed range: with them the table would not fit a turned page.
    beyond = [f"{LOSSES[loss].label} − L2" for loss in BEYOND_STUDY]
    io.write_text(io.writable_dir(results / "tables") / "findings.tex", latex.table_tex(
        shown.drop(columns=beyond).map(latex.stacked), f"The best of the study's losses, per "
        f"obfuscation, architecture and test measure ({evidence.profile} profile); "
        f"{', '.join(LOSSES[loss].label for loss in BEYOND_STUDY)} against L2: the paired tests' "
        "table", "findings",
        landscape=True))
    pieces = (answer_text(table, evidence.significance, below_input_text(evidence)),
              f"{completeness_text(evidence.runs)} {finishing_text(evidence)} "
              f"{convergence_text(evidence)} {seed_device_text(evidence.runs)}".strip(),
              direction_agreement(evidence.significance, evidence.profile, evidence.results_root),
              conclusion_sentences(reproduction))
    text = findings_text(*pieces, shown.to_markdown(index=False))
    io.write_text(results / "findings.md", text)
    return {"table": table, "text": text, "answer": pieces[0], "completeness": pieces[1],
            "agreement": pieces[2],
            "tex_source": findings_text(*pieces, TABLE_INPUT, REPORT_TABLE_NOTE)}
