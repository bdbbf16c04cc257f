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
from ..experiment.config import REFERENCE_LOSS, STUDY_ARCHITECTURES
from ..training.runs import finished, select
from . import latex
from .evidence import Evidence
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


def against_l2(evidence: Evidence, arch: str, obfuscation: str, leader: str, metric: str,
               missing: int) -> str:
    """The seed-aware verdict on the leading loss against L2: against L2 itself where the leader
    is another loss; where L2 leads, against every other loss."""
    rows = select(evidence.significance, architecture=arch, obfuscation=obfuscation,
                  metric=metric)
    up = TABLE_MEASURES[metric.removeprefix("test_")].higher_is_better
    if leader == REFERENCE_LOSS:
        wins = [better(v, not up) for v in rows["verdict"]]  # the others worse than L2
    else:
        rows = rows[rows["loss"] == leader]
        wins = [better(v, up) for v in rows["verdict"]]
    later = f"; {missing} runs missing" if missing else ""
    if rows.empty:
        return f"cannot be decided: {missing} runs missing" if missing else "no comparison"
    seeds = int(rows["n_seeds"].min())
    if seeds < 2:
        return f"one seed: not yet decided{later}"
    if all(wins):
        return f"resolved on {seeds} seeds{later}"
    return f"not resolved on {seeds} seeds{later}"


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


def leader_row(evidence: Evidence, arch: str, obfuscation: str, name: str) -> dict:
    """The loss with the best mean over seeds of one test measure, for one architecture and
    obfuscation, among the losses whose networks beat the obfuscated input on that measure
    (none leads where none does); its mean and seeds, and the verdict against L2."""
    measure, metric = TABLE_MEASURES[name], f"test_{name}"
    grid = select(evidence.runs, architecture=arch, obfuscation=obfuscation, split="random")
    done = grid[grid["status"] == "finished"]
    missing = len(grid) - len(done)
    baselines = baseline_fields(baseline_means(evidence, obfuscation, name), name)
    row = {"obfuscation": obfuscation, "architecture": arch, "measure": name, "best_loss": "",
           "mean": float("nan"), "n_seeds": 0, "runs_missing": missing, "restoring": 0,
           **baselines}
    scored = done[done[metric].notna()] if metric in done else done.iloc[:0]
    absent = [loss for loss in LOSSES if loss not in set(scored["loss"])]
    if scored.empty:
        verdict = NOT_RECORDED if len(done) else f"cannot be decided: {missing} runs missing"
        return {**row, "verdict": verdict}
    means = scored.groupby("loss")[metric].mean()
    given = baselines["input_mean"]
    if pd.isna(given):  # whether a network restores cannot be told
        return {**row, "verdict": "cannot be decided: the input is not scored"}
    restoring = means[[better_than(m, given, measure) for m in means]]
    row["restoring"] = len(restoring)
    later = f"; {missing} runs missing" if missing else ""
    if restoring.empty:
        best = best_of(means, measure)
        return {**row, "verdict": f"{NO_RESTORATION} "
                f"({LOSSES[means.index[means == best][0]].label}: {shown(best, measure)}){later}"}
    leader = restoring.index[restoring == best_of(restoring, measure)][0]
    row.update(best_loss=leader, mean=float(means[leader]),
               n_seeds=int(scored.loc[scored["loss"] == leader, "seed"].nunique()))
    if absent and missing:
        verdict = f"cannot be decided: {missing} runs missing"
    elif absent:
        verdict = NOT_RECORDED.replace("the runs", f"{len(absent)} losses' runs")
    else:
        verdict = against_l2(evidence, arch, obfuscation, leader, metric, missing)
    return {**row, "verdict": verdict}


def findings_table(evidence: Evidence) -> pd.DataFrame:
    """One row per obfuscation, study architecture and test measure (TABLE_MEASURES)."""
    return pd.DataFrame([leader_row(evidence, arch, obfuscation, name)
                         for obfuscation in OBFUSCATIONS for arch in STUDY_ARCHITECTURES
                         for name in TABLE_MEASURES])


def tally(leads: pd.Series) -> str:
    """'PSNR+SSIM 4, SSIM 2': how often each loss leads, most often first."""
    return ", ".join(f"{LOSSES[loss].label} {n}" for loss, n in leads.value_counts().items())


def open_reasons(verdicts: pd.Series) -> str:
    """'4 cannot be decided, 2 one seed': why the undecided cells are undecided."""
    reasons = verdicts.str.extract(r"^(cannot be decided|one seed|not resolved|not recorded|"
                                   f"{NO_RESTORATION})")[0]
    return ", ".join(f"{n} {reason}" for reason, n in reasons.value_counts().items())


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
            + (f"; in the others {methods} is better." if len(behind) else "."))


def answer_text(table: pd.DataFrame) -> str:
    """The answer to the study's question: which loss leads most often among networks that
    restore, and whether it is decided against L2, then per measure which losses lead and how
    many leads are decided, and how the leaders fare against the non-learned baselines."""
    led = table[table["best_loss"] != ""]
    unrestored = int(table["verdict"].str.startswith(NO_RESTORATION).sum())
    cells = f"{len(table)} cells (obfuscation × architecture × test measure)"
    if led.empty:
        why = (f"no network beats its obfuscated input in {unrestored} of the {cells}"
               if unrestored else "no network run of the grid has finished")
        return f"**Which loss restores faces best?** Not answerable yet: {why}."
    decided = led["verdict"].str.startswith("resolved")
    top = led["best_loss"].value_counts()
    where = (f"in {top.iloc[0]} of the {len(led)} cells where a network beats its obfuscated "
             "input" if unrestored else f"in {top.iloc[0]} of the {cells}")
    headline = f"{LOSSES[top.index[0]].label} leads most often: {where}"
    if not decided.any():
        headline = f"Not decided yet. {headline}; no lead is resolved against L2."
    else:
        headline += f"; {int(decided.sum())} of the {len(led)} leads are resolved against L2."
    if unrestored:
        headline += f" In {unrestored} of the {cells} no network beats its obfuscated input."
    lines = [f"**Which loss restores faces best?** {headline}", ""]
    for name, rows in table.groupby("measure", sort=False):
        measure, scored = TABLE_MEASURES[name], rows[rows["best_loss"] != ""]
        resolved = scored[scored["verdict"].str.startswith("resolved")]
        said = (f"leads: {tally(scored['best_loss'])} of {len(rows)}" if len(scored)
                else "no lead yet")
        if len(resolved):
            said += f"; resolved: {tally(resolved['best_loss'])}"
        undecided = rows[~rows["verdict"].str.startswith("resolved")]
        if len(undecided):
            said += f"; open: {open_reasons(undecided['verdict'])}"
        lines.append(f"- Test {measure.label}: {said}.")
    baselines = against_baselines(led)
    return "\n".join(lines + ([baselines] if baselines else []))


def conclusion_sentences(reproduction: pd.DataFrame) -> list[str]:
    """The study's conclusions, one sentence each: held in its numbers, in ours, and the count
    of comparisons behind ours."""
    said = {True: "holds", False: "does not hold", None: "cannot be decided (runs missing)"}
    lines = []
    for row in reproduction[reproduction["section"] == "conclusion"].itertuples():
        ours = str(row.evidence).split("| ours: ", 1)[-1].split(";")[0]
        lines.append(f"{row.item}: in the study's numbers it "
                     f"{said[held(row.holds_in_study)]}; in ours it "
                     f"{said[held(row.holds_in_ours)]} ({ours}).")
    return lines


def printed(table: pd.DataFrame) -> pd.DataFrame:
    """The findings with display names, each mean with its unit and seeds, and the obfuscated
    input's mean beside it."""
    def mean(row) -> str:
        if not row["best_loss"]:
            return "—"
        return f"{shown(row['mean'], TABLE_MEASURES[row['measure']])} (n = {row['n_seeds']})"

    return pd.DataFrame({
        "Obfuscation": table["obfuscation"].map(lambda o: OBFUSCATIONS[o].label),
        "Architecture": table["architecture"].map(lambda a: ARCHITECTURES[a].label),
        "Measure": table["measure"].map(lambda m: TABLE_MEASURES[m].label),
        "Best loss": table["best_loss"].map(lambda loss: LOSSES[loss].label if loss else "—"),
        "Mean over seeds": [mean(row) for _, row in table.iterrows()],
        "Input": [shown(row["input_mean"], TABLE_MEASURES[row["measure"]])
                  for _, row in table.iterrows()],
        "Against L2": table["verdict"]})


TABLE_NOTE = ("A loss leads a cell only where its networks' mean beats the obfuscated input's "
              "(Input) on that measure; where no network does, the cell says so, naming the "
              "best network's loss and mean. Against L2: the paired difference of the leading "
              "loss and L2 (where L2 leads, of every other loss), with a 95% bootstrap interval "
              "drawing seeds and then test faces; resolved where it excludes zero on at least "
              "two seeds.")


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
                  shown_table: str) -> str:
    """The findings section in Markdown: the answer, the grid's completeness, the table of leads
    (`shown_table`: the table as the document includes it), whether the compared profile points
    the same way, and the study's conclusions."""
    listed = "\n".join(f"- {line}" for line in conclusions)
    compared = f"{agreement}\n\n" if agreement else ""
    return (f"{answer}\n\n**Completeness.** {completeness}\n\n{shown_table}\n\n{TABLE_NOTE}\n\n"
            f"{compared}**The study's conclusions.**\n\n{listed}\n")


TABLE_INPUT = "\\input{tables/findings.tex}"  # markdown_tex keeps a line that is LaTeX


def write_findings(evidence: Evidence, reproduction: pd.DataFrame, results: Path) -> dict:
    """findings.csv (the leads, as numbers), findings.md (the section as Markdown) and
    tables/findings.tex; `tex_source` is the section for the report (its Markdown with the
    table's input, which latex.markdown_tex turns into LaTeX)."""
    table = findings_table(evidence)
    io.write_csv(results / "findings.csv", table)
    shown = printed(table)
    io.write_text(io.writable_dir(results / "tables") / "findings.tex", latex.table_tex(
        shown, f"The loss with the best test mean, per obfuscation, architecture and measure "
        f"({evidence.profile} profile)", "findings"))
    pieces = (answer_text(table),
              f"{completeness_text(evidence.runs)} {convergence_text(evidence)}".strip(),
              direction_agreement(evidence.significance, evidence.profile, evidence.results_root),
              conclusion_sentences(reproduction))
    text = findings_text(*pieces, shown.to_markdown(index=False))
    io.write_text(results / "findings.md", text)
    return {"table": table, "text": text, "answer": pieces[0], "completeness": pieces[1],
            "agreement": pieces[2],
            "tex_source": findings_text(*pieces, TABLE_INPUT)}
