"""The study's answer, first: for each obfuscation and architecture, the loss that gives the best
test PSNR, SSIM and identity distance (means over the grid's seeds), whether that is decided
against L2 over seeds and test images, how complete the grid is, and the study's conclusions in
one sentence each. Computed from the evidence (and the reproduction table); written as
results/<profile>/findings.{csv,md} and tables/findings.tex, which the notebook, the report and
the README open with."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..axes.architectures import ARCHITECTURES
from ..axes.losses import LOSSES
from ..axes.measures import TABLE_MEASURES, best_of
from ..axes.obfuscation import OBFUSCATIONS
from ..core import io
from ..experiment.config import REFERENCE_LOSS, STUDY_ARCHITECTURES
from ..training.runs import select
from . import latex
from .evidence import Evidence
from .reproduction import held

NOT_RECORDED = "not recorded: the runs need a retrain"


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


def leader_row(evidence: Evidence, arch: str, obfuscation: str, name: str) -> dict:
    """The loss with the best mean over seeds of one test measure, for one architecture and
    obfuscation, its mean and seeds, and the verdict against L2."""
    measure, metric = TABLE_MEASURES[name], f"test_{name}"
    grid = select(evidence.runs, architecture=arch, obfuscation=obfuscation, split="random")
    done = grid[grid["status"] == "finished"]
    missing = len(grid) - len(done)
    row = {"obfuscation": obfuscation, "architecture": arch, "measure": name, "best_loss": "",
           "mean": float("nan"), "n_seeds": 0, "runs_missing": missing}
    scored = done[done[metric].notna()] if metric in done else done.iloc[:0]
    absent = [loss for loss in LOSSES if loss not in set(scored["loss"])]
    if scored.empty:
        verdict = NOT_RECORDED if len(done) else f"cannot be decided: {missing} runs missing"
        return {**row, "verdict": verdict}
    means = scored.groupby("loss")[metric].mean()
    leader = means.index[means == best_of(means, measure)][0]
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
    reasons = verdicts.str.extract(r"^(cannot be decided|one seed|not resolved|not recorded)")[0]
    return ", ".join(f"{n} {reason}" for reason, n in reasons.value_counts().items())


def answer_text(table: pd.DataFrame) -> str:
    """The answer to the study's question: which loss leads most often and whether it is decided
    against L2, then per measure which losses lead and how many leads are decided."""
    led = table[table["best_loss"] != ""]
    if led.empty:
        return ("**Which loss restores faces best?** Not answerable yet: no network run of the "
                "grid has finished.")
    decided = led["verdict"].str.startswith("resolved")
    top = led["best_loss"].value_counts()
    headline = (f"{LOSSES[top.index[0]].label} leads most often: in {top.iloc[0]} of the "
                f"{len(table)} cells (obfuscation × architecture × test measure)")
    if not decided.any():
        headline = f"Not decided yet. {headline}, but no lead is resolved against L2"
    else:
        headline += f"; {int(decided.sum())} of the {len(table)} leads are resolved against L2"
    lines = [f"**Which loss restores faces best?** {headline}.", ""]
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
    return "\n".join(lines)


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
    """The findings with display names and each mean with its unit and seeds."""
    def mean(row) -> str:
        if not row["best_loss"]:
            return "—"
        measure = TABLE_MEASURES[row["measure"]]
        unit = f" {measure.unit}" if measure.unit else ""
        return f"{row['mean']:.{measure.digits}f}{unit} (n = {row['n_seeds']})"

    return pd.DataFrame({
        "Obfuscation": table["obfuscation"].map(lambda o: OBFUSCATIONS[o].label),
        "Architecture": table["architecture"].map(lambda a: ARCHITECTURES[a].label),
        "Measure": table["measure"].map(lambda m: TABLE_MEASURES[m].label),
        "Best loss": table["best_loss"].map(lambda loss: LOSSES[loss].label if loss else "—"),
        "Mean over seeds": [mean(row) for _, row in table.iterrows()],
        "Against L2": table["verdict"]})


TABLE_NOTE = ("Against L2: the paired difference of the leading loss and L2 (where L2 leads, of "
              "every other loss), with a 95% bootstrap interval drawing seeds and then test "
              "faces; resolved where it excludes zero on at least two seeds.")


def findings_text(answer: str, completeness: str, conclusions: list[str],
                  shown_table: str) -> str:
    """The findings section in Markdown: the answer, the grid's completeness, the table of leads
    (`shown_table`: the table as the document includes it) and the study's conclusions."""
    listed = "\n".join(f"- {line}" for line in conclusions)
    return (f"{answer}\n\n**Completeness.** {completeness}\n\n{shown_table}\n\n{TABLE_NOTE}\n\n"
            f"**The study's conclusions.**\n\n{listed}\n")


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
    pieces = (answer_text(table), completeness_text(evidence.runs),
              conclusion_sentences(reproduction))
    text = findings_text(*pieces, shown.to_markdown(index=False))
    io.write_text(results / "findings.md", text)
    return {"table": table, "text": text, "answer": pieces[0], "completeness": pieces[1],
            "tex_source": findings_text(*pieces, TABLE_INPUT)}
