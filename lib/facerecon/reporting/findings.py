"""The study's answer, first: for each obfuscation and architecture, the loss that gives the best
test PSNR, SSIM and identity distance (means over the grid's seeds) among the networks that
restore (beat their obfuscated input on that measure), whether that is decided against L2 over
seeds and test images, how complete the grid is and how its runs ended (converged, or cut off by
the epoch cap), and the study's conclusions in one sentence each. Computed from the evidence (and
the reproduction table); written as results/<profile>/findings.{csv,md} and tables/findings.tex,
which the notebook, the report and the README open with. The cells are leaders.py's, what they
stand on completeness.py's; this module words them."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..axes.architectures import ARCHITECTURES
from ..axes.losses import LOSSES
from ..axes.measures import TABLE_MEASURES, better_than, shown
from ..axes.metrics import SSIM_BORDER, border_mask
from ..axes.obfuscation import OBFUSCATIONS
from ..core import io
from ..data.baselines import METHODS
from ..experiment.config import STUDY_LOSSES
from ..experiment.study import finished
from . import latex
from .completeness import (completeness_text, convergence_text, direction_agreement,
                           seed_device_text)
from .evidence import WITHIN_SEED_RANGE, Evidence
from .finishing import finishing_text
from .leaders import (BEYOND_STUDY, NO_RESTORATION, REGION_COLUMNS, REGION_FIGURE,
                      REPORT_TABLE_NOTE, TABLE_NOTE, baseline_means, findings_table, printed,
                      region_gains)
from .reproduction import held


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


def region_runs(rows: pd.DataFrame) -> pd.DataFrame | None:
    """A configuration's runs' test PSNR inside the SSIM window's centres and in the border none
    centres on, each with its input's (None where a run lacks them: trained before they existed
    and not rescored)."""
    if not set(REGION_COLUMNS) <= set(rows) or rows[REGION_COLUMNS].isna().any(axis=None):
        return None
    return rows[REGION_COLUMNS]


def region_text(runs: pd.DataFrame) -> str:
    means, psnr = runs.mean(), TABLE_MEASURES["psnr"]
    return (f"inside the SSIM window's centres {shown(means['test_psnr_inner'], psnr)} against "
            f"{shown(means['test_input_psnr_inner'], psnr)}, in the {SSIM_BORDER}-pixel border "
            f"{shown(means['test_psnr_border'], psnr)} against "
            f"{shown(means['test_input_psnr_border'], psnr)}")


def border_share(profile) -> str:
    """'53% of the pixels at 32×32': the border's share of a profile's images."""
    share = border_mask(profile.height, profile.width).mean()
    return f"{share:.0%} of the pixels at {profile.height}×{profile.width}"


def border_text(evidence: Evidence) -> str:
    """Where test PSNR is gained over the input, under the losses built on SSIM's window and
    under the others: how many configurations fall below their input in the border none of its
    centres covers, and how many gain less there than inside."""
    gains = region_gains(evidence.runs)
    if gains.empty:
        return ""
    windowed = gains["loss"].map(lambda loss: LOSSES[loss].windowed).astype(bool)
    groups = [(gains[windowed], "under the losses built on SSIM's window ({})"),
              (gains[~windowed], "under the others ({})")]
    groups = [(part, said.format(", ".join(LOSSES[loss].label for loss in LOSSES
                                           if loss in set(part["loss"]))))
              for part, said in groups if not part.empty]
    below = "; ".join(f"{said} in {int((part['border'] < 0).sum())} of {len(part)}"
                      for part, said in groups)
    less = " and ".join(f"{int((part['inner'] > part['border']).sum())} of {len(part)}"
                        for part, _ in groups)
    more = " and ".join(f"{(part['inner'] - part['border']).median():.2f}" for part, _ in groups)
    return (f"- Where test PSNR is gained over the input (mean over seeds; figure {REGION_FIGURE}"
            f"): in the {SSIM_BORDER}-pixel border, which no SSIM window centres on "
            f"({border_share(evidence.store.profile)}), configurations fall below their input "
            f"{below}. The border gains less than the inside in {less} of them (median "
            f"{more} dB more inside).")


def border_only_text(regions: list[pd.DataFrame], profile) -> str:
    """Of the configurations below their input on test PSNR, how many fall below it in the
    border on every seed, and how many beat it inside the SSIM window's centres (on the mean
    over seeds, and on every seed)."""
    def count(test) -> int:
        return sum(bool(test(runs)) for runs in regions)

    border = count(lambda r: (r["test_psnr_border"] < r["test_input_psnr_border"]).all())
    inside = count(lambda r: r["test_psnr_inner"].mean() > r["test_input_psnr_inner"].mean())
    every = count(lambda r: (r["test_psnr_inner"] > r["test_input_psnr_inner"]).all())
    return (f" Of the {len(regions)} below their input on test PSNR with these scores, "
            f"{border} fall below it in the {SSIM_BORDER}-pixel border on every seed "
            f"({border_share(profile)}, which SSIM and every loss built on it weigh less, its "
            f"outermost pixels barely at all); inside the SSIM window's centres {inside} beat "
            f"it on the mean over seeds, {every} on every seed.")


def below_input_text(evidence: Evidence) -> str:
    """Every configuration whose mean over seeds does not beat its obfuscated input, per test
    measure, with both numbers: a network that makes faces worse on a measure is named, whatever
    its loss trades for it (the SSIM loss, e.g., gives up PSNR for SSIM by design). Below it on
    PSNR, the numbers inside and outside the SSIM window's centres say where it is lost."""
    done = finished(evidence.runs)
    if done.empty:
        return ""
    parts, regions = [], []
    for name, measure in TABLE_MEASURES.items():
        metric = f"test_{name}"
        if metric not in done:
            continue
        groups = done.groupby(["architecture", "loss", "obfuscation"])
        means = groups[metric].mean().dropna()
        inputs = {o: baseline_means(evidence, o, name).get("input", float("nan"))
                  for o in OBFUSCATIONS}
        below = []
        for (arch, loss, obfuscation), mean in means.items():
            given = inputs[obfuscation]
            if pd.isna(given) or better_than(mean, given, measure):
                continue
            where = region_runs(groups.get_group((arch, loss, obfuscation))) \
                if name == "psnr" else None
            regions += [] if where is None else [where]
            below.append(f"{ARCHITECTURES[arch].label} {LOSSES[loss].label} "
                         f"{OBFUSCATIONS[obfuscation].label.lower()} "
                         f"({shown(mean, measure)} against {shown(given, measure)}"
                         + ("" if where is None else f"; {region_text(where)}") + ")")
        if len(means):
            parts.append(f"test {measure.label}, {len(below) or 'none'} of {len(means)}"
                         + (": " + "; ".join(below) if below else ""))
    if not parts:
        return ""
    return ("- Configurations that do not beat their obfuscated input (mean over seeds) — "
            + "; ".join(parts) + "."
            + (border_only_text(regions, evidence.store.profile) if regions else ""))


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
        first = list(top.index[top == top.iloc[0]])  # a tie names every loss in it
        theirs = decided["best_loss"].isin(first)
        names = " and ".join(LOSSES[loss].label for loss in first)
        headline = (f"{names} {'leads' if len(first) == 1 else 'lead'} most often: in "
                    f"{top.iloc[0]}{'' if len(first) == 1 else ' each'} of the {len(decided)} "
                    f"decided cells where a network beats its obfuscated input, "
                    f"{int((theirs & resolved).sum())} of {'them' if len(first) == 1 else 'these'}"
                    " resolved against L2")
        if theirs.sum() < len(decided):  # the other losses' leads
            headline += (f"; of all {len(decided)} leads, {int(resolved.sum())} are resolved "
                         "against L2")
        headline += (f" ({int(within.sum())} {WITHIN_SEED_RANGE})" if within.any() else "") + "."
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
    table's input, which document.markdown_tex turns into LaTeX)."""
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
    below = "\n".join(t for t in (below_input_text(evidence), border_text(evidence)) if t)
    pieces = (answer_text(table, evidence.significance, below),
              f"{completeness_text(evidence.runs)} {finishing_text(evidence)} "
              f"{convergence_text(evidence)} {seed_device_text(evidence.runs)}".strip(),
              direction_agreement(evidence.significance, evidence.profile, evidence.results_root),
              conclusion_sentences(reproduction))
    text = findings_text(*pieces, shown.to_markdown(index=False))
    io.write_text(results / "findings.md", text)
    return {"table": table, "text": text, "answer": pieces[0], "completeness": pieces[1],
            "agreement": pieces[2],
            "tex_source": findings_text(*pieces, TABLE_INPUT, REPORT_TABLE_NOTE)}
