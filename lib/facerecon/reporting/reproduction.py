"""The reproduction report: the study's reported numbers beside ours, and the study's conclusions
as checks computed from a table of test means, on the study's numbers and on ours.

The study's numbers are data in results/reference/study.csv (transcribed from its slides by
scripts/study_reference.py, each with the slide it comes from). The report is written to
results/<profile>/reproduction.{csv,md}: section "number" rows compare values, section
"conclusion" rows say whether each conclusion holds in the study and in our results, with the
evidence. A conclusion whose cells are not all there is neither true nor false: it says what is
missing.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..axes.architectures import ARCHITECTURES
from ..axes.losses import LOSSES
from ..axes.metrics import SCORES
from ..axes.obfuscation import OBFUSCATIONS
from ..core import io
from ..core.io import PROJECT_ROOT
from ..experiment.config import OBFUSCATION_NAMES, STUDY_ARCHITECTURES, STUDY_LOSSES
from ..training.runs import finished, select

REFERENCE = PROJECT_ROOT / "results" / "reference" / "study.csv"
COMPARED_SOURCE = "Results Comparison table"  # the study's summary tables
INPUT_SOURCE = "Limitations slide"
ARCH, LOSS, OBF = "architecture", "loss", "obfuscation"
DIGITS = {"test_psnr": 2, "test_ssim": 4}  # the study's printed precision (ties below it)


def load_reference(path: Path = REFERENCE) -> pd.DataFrame:
    return pd.read_csv(path)


def study_means(reference: pd.DataFrame) -> pd.DataFrame:
    """The study's test PSNR/SSIM per (architecture, loss, obfuscation), from its summary
    tables, in the layout of our_means."""
    table = select(reference[reference["source"].str.startswith(COMPARED_SOURCE)], subset="test")
    wide = table.pivot_table(index=[ARCH, LOSS, OBF], columns="metric", values="value")
    return wide.rename(columns={"psnr": "test_psnr", "ssim": "test_ssim"})


def our_means(runs: pd.DataFrame) -> pd.DataFrame:
    """Our test PSNR/SSIM per (architecture, loss, obfuscation): means over the finished seeds
    of the random split."""
    return finished(runs).groupby([ARCH, LOSS, OBF])[["test_psnr", "test_ssim"]].mean()


# --- the conclusions, each a check on a table of means ---------------------------------------------

def value(means: pd.DataFrame, arch, loss, obfuscation, metric) -> float:
    key = (arch, loss, obfuscation)
    return float(means.loc[key, metric]) if key in means.index else np.nan


def verdict(comparisons: list[tuple[str, float, float]], strict: bool = True) -> tuple:
    """comparisons: (what, left, right) meaning 'left beats right'. Holds if every comparison
    does; unknown (None) if a value is missing."""
    missing = [what for what, a, b in comparisons if np.isnan(a) or np.isnan(b)]
    wins = [what for what, a, b in comparisons if a > b or (not strict and a >= b)]
    shown = len(comparisons) - len(missing)
    evidence = f"{len(wins)} of {shown} comparisons hold"
    failed = [what for what, a, b in comparisons if what not in missing and what not in wins]
    if failed:
        evidence += f"; fails: {', '.join(failed[:6])}{' ...' if len(failed) > 6 else ''}"
    if missing:
        return None, f"{evidence}; missing {len(missing)} of {len(comparisons)}"
    return len(wins) == len(comparisons), evidence


def named(*names: str) -> str:
    """'Simple CNN, blurred, SSIM': codes of the axes (and 'test_psnr') as a reader reads them."""
    def one(name):
        for registry in (ARCHITECTURES, LOSSES):
            if name in registry:
                return registry[name].label
        if name in OBFUSCATIONS:
            return OBFUSCATIONS[name].label.lower()
        return name.replace("test_", "test ").replace("psnr", "PSNR").replace("ssim", "SSIM")

    return ", ".join(one(name) for name in names)


def ssim_losses_beat_l2(means):
    return verdict([(named(a, o, loss), value(means, a, loss, o, "test_ssim"),
                     value(means, a, "l2", o, "test_ssim"))
                    for a in STUDY_ARCHITECTURES for o in OBFUSCATION_NAMES
                    for loss in ("ssim", "psnr_ssim")])


def psnr_ssim_best_or_tied(means):
    """Tied: equal at the study's printed precision (4 decimals of SSIM)."""
    comparisons = []
    for a in STUDY_ARCHITECTURES:
        for o in OBFUSCATION_NAMES:
            ours = round(value(means, a, "psnr_ssim", o, "test_ssim"), DIGITS["test_ssim"])
            for loss in STUDY_LOSSES:
                if loss != "psnr_ssim":
                    other = round(value(means, a, loss, o, "test_ssim"), DIGITS["test_ssim"])
                    comparisons.append((f"{named(a, o)} vs {named(loss)}", ours, other))
    return verdict(comparisons, strict=False)


def residual_autoencoder_best_blur_ssim(means):
    return verdict([(f"{named(loss)} vs {named(a)}", value(means, "residual_autoencoder", loss, "blur", "test_ssim"),
                     value(means, a, loss, "blur", "test_ssim"))
                    for loss in STUDY_LOSSES for a in STUDY_ARCHITECTURES
                    if a != "residual_autoencoder"])


def blur_beats_pixelation(means):
    return verdict([(f"{named(a, loss)} {named(m)}", value(means, a, loss, "blur", m),
                     value(means, a, loss, "pixelate", m))
                    for a in STUDY_ARCHITECTURES for loss in STUDY_LOSSES
                    for m in ("test_psnr", "test_ssim")])


def l1_beats_l2(means):
    return verdict([(f"{named(a, o)} {named(m)}", value(means, a, "l1", o, m), value(means, a, "l2", o, m))
                    for a in STUDY_ARCHITECTURES for o in OBFUSCATION_NAMES
                    for m in ("test_psnr", "test_ssim")])


CONCLUSIONS = {
    "SSIM-based losses (SSIM, PSNR+SSIM) beat L2 on test SSIM, every architecture and "
    "obfuscation": ssim_losses_beat_l2,
    "The PSNR+SSIM loss has the best test SSIM or ties it (4 decimals), every architecture "
    "and obfuscation": psnr_ssim_best_or_tied,
    "The residual autoencoder has the best test SSIM on blur, under every loss":
        residual_autoencoder_best_blur_ssim,
    "Blurred faces are reconstructed better than pixelated ones (test PSNR and SSIM), every "
    "architecture and loss": blur_beats_pixelation,
    "L1 beats L2 (test PSNR and SSIM), every architecture and obfuscation": l1_beats_l2,
}


def significance_note(significance: pd.DataFrame, losses, metric: str = "test_ssim") -> str:
    """How many of our loss-vs-L2 differences behind a conclusion are resolved over seeds and
    images, and which way; then what the per-image test of the trained networks says."""
    rows = select(significance, **{LOSS: list(losses), "metric": metric,
                                   ARCH: list(STUDY_ARCHITECTURES)})
    if rows.empty:
        return ""
    verdicts = rows["verdict"].value_counts()
    seeds = "-".join(str(n) for n in sorted({int(rows["n_seeds"].min()),
                                             int(rows["n_seeds"].max())}))
    up = int((rows["networks_differ"] & (rows["difference"] > 0)).sum())
    down = int((rows["networks_differ"] & (rows["difference"] < 0)).sum())
    return (f"; loss minus L2 ({named(metric)}, bootstrap over {seeds} seed(s) and test images): "
            f"{verdicts.get('higher', 0)} resolved higher, {verdicts.get('lower', 0)} resolved "
            f"lower, {verdicts.get('not resolved', 0)} not resolved, "
            f"{verdicts.get('one seed', 0)} on one seed (training noise unseen) of {len(rows)}; "
            f"per-image Wilcoxon of the trained networks (Holm): {up} higher, {down} lower")


def conclusion_rows(runs: pd.DataFrame, significance: pd.DataFrame,
                    reference: pd.DataFrame) -> list[dict]:
    study, ours = study_means(reference), our_means(runs)
    notes = {ssim_losses_beat_l2: ("ssim", "psnr_ssim"), l1_beats_l2: ("l1",)}
    rows = []
    for claim, check in CONCLUSIONS.items():
        in_study, study_evidence = check(study)
        in_ours, our_evidence = check(ours)
        if check in notes:
            our_evidence += significance_note(significance, notes[check])
        rows.append({"section": "conclusion", "item": claim, "holds_in_study": in_study,
                     "holds_in_ours": in_ours,
                     "evidence": f"study: {study_evidence} | ours: {our_evidence}",
                     "source": f"{COMPARED_SOURCE}s (test set)"})
    return rows


# --- the numbers side by side -----------------------------------------------------------------

def number_rows(runs: pd.DataFrame, baselines: pd.DataFrame, reference: pd.DataFrame,
                best: dict) -> list[dict]:
    """Every number of the study's summary tables and its input/reconstruction table beside
    ours (mean over seeds; n_seeds) and the difference ours - study."""
    done = finished(runs)
    rows = []
    for _, ref in reference.iterrows():
        if ref["source"].startswith(COMPARED_SOURCE):
            part = select(done, **{ARCH: ref[ARCH], LOSS: ref[LOSS], OBF: ref[OBF]})
            what = f"{ARCHITECTURES[ref[ARCH]].label}, {LOSSES[ref[LOSS]].label}"
        elif ref["source"].startswith(INPUT_SOURCE) and ref[ARCH] == "input":
            part = select(baselines, method="input", **{OBF: ref[OBF]}, subset=ref["subset"])
            part = part.rename(columns={m: f"{ref['subset']}_{m}"
                                        for m in SCORES})
            what = "obfuscated input"
        elif ref["source"].startswith(INPUT_SOURCE):
            arch, loss = best.get(ref[OBF]) or (None, None)
            part = select(done, **{ARCH: arch, LOSS: loss, OBF: ref[OBF]})
            what = (f"best reconstruction (ours: {ARCHITECTURES[arch].label}, "
                    f"{LOSSES[loss].label})" if arch else "best reconstruction (none yet)")
        else:
            continue
        column = f"{ref['subset']}_{ref['metric']}"
        ours = float(part[column].mean()) if len(part) else np.nan
        # Ours in the other conventions too (calibration.CONVENTIONS), where the scores hold them
        # (runs trained before a convention was recorded do not).
        other = {"ours_ssim_uniform": f"{column}_uniform" if ref["metric"] == "ssim" else "",
                 "ours_y": f"{column}_y"}
        others = {name: float(part[c].mean()) if c in part and part[c].notna().any() else np.nan
                  for name, c in other.items()}
        rows.append({"section": "number", "item": f"{what}, {OBFUSCATIONS[ref[OBF]].label.lower()}, "
                     f"{ref['subset']} {ref['metric'].upper()}", ARCH: ref[ARCH], LOSS: ref[LOSS],
                     OBF: ref[OBF], "subset": ref["subset"], "metric": ref["metric"],
                     "study": ref["value"], "ours": ours, **others,
                     "n_seeds": int(part["seed"].nunique()) if "seed" in part and len(part) else 0,
                     "difference": ours - ref["value"], "source": ref["source"]})
    return rows


def reproduction_table(runs, baselines, significance, best, profile: str,
                       reference: pd.DataFrame | None = None) -> pd.DataFrame:
    reference = load_reference() if reference is None else reference
    table = pd.DataFrame(number_rows(runs, baselines, reference, best)
                         + conclusion_rows(runs, significance, reference))
    table.insert(0, "profile", profile)
    table["n_seeds"] = table["n_seeds"].astype("Int64")  # blank on conclusion rows
    return table


def write_reproduction(table: pd.DataFrame, results_root, profile: str, gap: str = "") -> Path:
    """reproduction.csv and reproduction.md (with `gap`: what the strength sweep says about the
    distance between the study's numbers and ours, strengths.gap_text)."""
    folder = io.writable_dir(Path(results_root) / profile)
    io.write_csv(folder / "reproduction.csv", table)
    numbers = table[table["section"] == "number"][["item", "study", "ours", "n_seeds",
                                                   "difference"]].copy()
    ssim_rows = table.loc[numbers.index, "metric"] == "ssim"
    numbers.insert(3, "ours, scikit-image SSIM", [
        "" if not is_ssim else "missing" if pd.isna(v) else f"{v:.4f}"
        for is_ssim, v in zip(ssim_rows, table.loc[numbers.index, "ours_ssim_uniform"])])
    numbers.insert(4, "ours, Y", ["missing" if pd.isna(v) else f"{v:.4f}"
                                  for v in table.loc[numbers.index, "ours_y"]])
    checks = table[table["section"] == "conclusion"][["item", "holds_in_study", "holds_in_ours",
                                                      "evidence"]]
    checks = checks.assign(**{c: checks[c].map({True: "true", False: "false"}).fillna("unknown")
                              for c in ("holds_in_study", "holds_in_ours")})
    text = (f"# Reproduction report ({profile} profile)\n\n"
            f"Our numbers are means over seeds of the finished runs; missing runs are blank."
            f"{'' if profile == 'paper' else ' This profile does not use the study settings, so the numbers are not expected to match; the checks say whether the same conclusions follow.'}\n\n"
            f"## The study's conclusions, checked\n\n{checks.to_markdown(index=False)}\n\n"
            f"## The study's numbers beside ours\n\n"
            f"SSIM is ours with an 11×11 Gaussian window; the column beside it is scikit-image's "
            f"default (7×7 uniform window, sample covariance), which the study's numbers fit "
            f"better; \"ours, Y\" is PSNR or SSIM on BT.601 luma, as restoration papers report "
            f"them (runs trained before a convention was recorded show it as missing). "
            f"{convention_fit(table)}The rows from the "
            f"study's Limitations slide are single example faces there and set means here "
            f"(`obfuscation_examples.csv`).\n\n"
            f"{numbers.to_markdown(index=False, floatfmt='.4f', missingval='missing')}\n"
            + (f"\n## The gap to the study's numbers, and the obfuscation strength\n\n{gap}\n"
               if gap else ""))
    io.write_text(folder / "reproduction.md", text)
    return folder / "reproduction.csv"


def convention_fit(table: pd.DataFrame) -> str:
    """Which convention places the study's numbers best: the median |ours - study| of its SSIM
    and PSNR rows in each convention, over the rows that have it (a sentence, or '')."""
    numbers = table[table["section"] == "number"]
    said = []
    for metric in ("psnr", "ssim"):
        rows = numbers[numbers["metric"] == metric]
        columns = {"RGB": "ours", "Y": "ours_y"}
        if metric == "ssim":
            columns["RGB, scikit-image SSIM"] = "ours_ssim_uniform"
        gaps = {name: (rows[c] - rows["study"]).abs().dropna() for name, c in columns.items()}
        gaps = {name: gap for name, gap in gaps.items() if len(gap)}
        if len(gaps) > 1:
            nearest = min(gaps, key=lambda name: gaps[name].median())
            said.append(f"{metric.upper()}: " + ", ".join(
                f"{name} {gap.median():.{2 if metric == 'psnr' else 3}f} (n = {len(gap)})"
                for name, gap in gaps.items()) + f", nearest in {nearest}")
    if not said:
        return ""
    return ("Median distance to the study's numbers, by convention: " + "; ".join(said)
            + ". ")


def held(value) -> bool | None:
    """A conclusion's verdict as written (True/False, or their text read back from a CSV); None
    where it cannot be decided (runs missing)."""
    return None if pd.isna(value) else value in (True, "True")


def conclusions_text(table: pd.DataFrame) -> str:
    """The study's conclusions as a Markdown list: whether each holds in the study's numbers and
    in ours, with the evidence (from reproduction_table)."""
    said = {True: "holds", False: "does not hold",
            None: "cannot be decided yet (runs are missing)"}
    rows = table[table["section"] == "conclusion"]
    return "\n".join(f"- **{r.item}.** In the study's numbers it {said[held(r.holds_in_study)]}; "
                     f"in ours it {said[held(r.holds_in_ours)]}. Evidence: {r.evidence}."
                     for r in rows.itertuples())


def numbers_printed(table: pd.DataFrame) -> pd.DataFrame:
    """The study's numbers beside ours as a reader reads them (display names, the study's
    digits, 'missing' for a run that has not finished)."""
    numbers = table[table["section"] == "number"]
    digits = numbers["metric"].map({"psnr": 2, "ssim": 4})

    def shown(values):
        return [("missing" if pd.isna(v) else f"{v:.{d}f}") for v, d in zip(values, digits)]

    return pd.DataFrame({"Number": numbers["item"].str.replace(" PSNR", " PSNR (dB)"),
                         "Study": shown(numbers["study"]), "Ours": shown(numbers["ours"]),
                         "Seeds": numbers["n_seeds"].astype(int),
                         "Ours − study": shown(numbers["difference"])})
