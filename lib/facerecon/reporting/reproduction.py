"""The reproduction report: the study's reported numbers (study_reference.py) beside ours, and the
study's conclusions as checks on a table of test means, on its numbers and on ours
(conclusions.py). The report is written to
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
from ..axes.measures import score_names
from ..axes.obfuscation import OBFUSCATIONS
from ..core import io
from ..experiment.study import finished, select
from .conclusions import conclusion_rows
from .study_reference import (ARCH, COMPARED_SOURCE, INPUT_SOURCE, LOSS, OBF, STUDY_MEASURES,
                              load_reference)


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
            part = part.rename(columns={m: f"{ref['subset']}_{m}" for m in score_names()})
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


def reproduction_table(runs, baselines, significance, best, profile_name: str,
                       reference: pd.DataFrame | None = None) -> pd.DataFrame:
    reference = load_reference() if reference is None else reference
    table = pd.DataFrame(number_rows(runs, baselines, reference, best)
                         + conclusion_rows(runs, significance, reference))
    table.insert(0, "profile", profile_name)
    table["n_seeds"] = table["n_seeds"].astype("Int64")  # blank on conclusion rows
    return table


def write_reproduction(table: pd.DataFrame, results_root, profile_name: str, gap: str = "") -> Path:
    """reproduction.csv and reproduction.md (with `gap`: what the strength sweep says about the
    distance between the study's numbers and ours, strengths.gap_text)."""
    folder = io.writable_dir(Path(results_root) / profile_name)
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
    text = (f"# Reproduction report ({profile_name} profile)\n\n"
            f"Our numbers are means over seeds of the finished runs; missing runs are blank."
            f"{'' if profile_name == 'paper' else ' This profile_name does not use the study settings, so the numbers are not expected to match; the checks say whether the same conclusions follow.'}\n\n"
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
    for metric in STUDY_MEASURES:
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
