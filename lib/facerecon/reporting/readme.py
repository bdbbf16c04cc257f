"""The README's results, written from a profile's CSVs between two markers, so that no number in
the README is typed by hand: `./run_all.sh --profile quick|paper` rewrites its profile's block
(only when the results are the project's own, under results/).

    <!-- results:paper begin --> ... <!-- results:paper end -->
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..axes.architectures import ARCHITECTURES
from ..axes.losses import LOSSES
from ..axes.measures import measure_of
from ..axes.obfuscation import OBFUSCATIONS
from ..core import io
from ..core.io import PROJECT_ROOT
from ..data.baselines import METHODS, per_image_scores
from ..data.calibration import calibration_text
from ..experiment.config import OBFUSCATION_NAMES, REFERENCE_ARCHITECTURE, STUDY_ARCHITECTURES
from . import recognition_report, strengths
from .reproduction import held

README = PROJECT_ROOT / "README.md"
PROFILES_IN_README = ("quick", "paper")


def markers(profile: str) -> tuple[str, str]:
    return f"<!-- results:{profile} begin -->", f"<!-- results:{profile} end -->"


def cell(value: float, digits: int) -> str:
    return "—" if pd.isna(value) else f"{value:.{digits}f}"


def run_status(runs: pd.DataFrame) -> str:
    """How many runs finished, per split and seed, and what the rest are."""
    parts = []
    for split in dict.fromkeys(["random", *runs["split"]]):
        mine = runs[runs["split"] == split]
        if len(mine):
            seeds = ", ".join(f"seed {int(seed)} {int((g['status'] == 'finished').sum())} of "
                              f"{len(g)}" for seed, g in mine.groupby("seed"))
            parts.append(f"{'random' if split == 'random' else split + '-disjoint'} split: {seeds}")
    finished = int((runs["status"] == "finished").sum())
    others = runs.loc[runs["status"] != "finished", "status"].value_counts()
    rest = "".join(f"; {n} {status}" for status, n in others.items())
    return f"**{finished} of {len(runs)} runs finished**{rest} ({'; '.join(parts)})."


def baseline_means(results: Path) -> pd.DataFrame:
    """Test means of the obfuscated input and the best non-learned baseline of each obfuscation
    (best by validation PSNR, as its setting was chosen)."""
    selection = results / "baselines" / "selection.csv"
    if not selection.exists():
        return pd.DataFrame(columns=["obfuscation", "row", "psnr", "ssim"])
    scores = per_image_scores(results.parent, results.name).query("subset == 'test'")
    chosen = pd.read_csv(selection).query("chosen")
    rows = []
    for obfuscation in OBFUSCATION_NAMES:
        methods = chosen[(chosen["obfuscation"] == obfuscation) & (chosen["method"] != "input")]
        named = {"Obfuscated input": "input"}
        if len(methods):
            best = methods.loc[methods["val_psnr"].idxmax(), "method"]
            named[f"Best baseline: {METHODS[best].label}"] = best
        for row, method in named.items():
            mine = scores[(scores["obfuscation"] == obfuscation) & (scores["method"] == method)]
            rows.append({"obfuscation": obfuscation, "row": row, "psnr": mine["psnr"].mean(),
                         "ssim": mine["ssim"].mean()})
    return pd.DataFrame(rows)


def results_table(runs: pd.DataFrame, baselines: pd.DataFrame) -> str:
    """Test PSNR / SSIM per architecture and loss (means over the finished seeds of the random
    split), the best of each column in bold, then the inputs and baselines."""
    done = runs[(runs["status"] == "finished") & (runs["split"] == "random")]
    means = done.groupby(["architecture", "loss", "obfuscation"])[["test_psnr", "test_ssim"]].mean()
    seeds = done.groupby(["architecture", "loss"])["seed"].nunique()
    pairs = [(a, loss) for a in (*STUDY_ARCHITECTURES, REFERENCE_ARCHITECTURE) for loss in LOSSES
             if ((runs["architecture"] == a) & (runs["loss"] == loss)).any()]
    columns = [(o, m) for o in OBFUSCATION_NAMES for m in ("test_psnr", "test_ssim")]
    obfuscation_of = means.index.get_level_values("obfuscation")
    best = {(o, m): means.loc[obfuscation_of == o, m].max() for o, m in columns}
    header = ["Architecture", "Loss"] + [
        f"{OBFUSCATIONS[o].label}: {measure_of(m).heading}"
        for o, m in columns] + ["Seeds"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * 2 + "---:|" * (len(columns) + 1)]
    for arch, loss in pairs:
        values = []
        for obfuscation, metric in columns:
            value = means[metric].get((arch, loss, obfuscation), np.nan)
            text = cell(value, 2 if metric == "test_psnr" else 4)
            values.append(f"**{text}**" if value == best[(obfuscation, metric)] else text)
        lines.append(f"| {ARCHITECTURES[arch].label} | {LOSSES[loss].label} | "
                     + " | ".join(values) + f" | {int(seeds.get((arch, loss), 0))} |")
    for row in dict.fromkeys(baselines["row"]):
        mine = baselines[baselines["row"] == row].set_index("obfuscation")
        values = [cell(mine[m.split("_")[1]].get(o, np.nan), 2 if m == "test_psnr" else 4)
                  for o, m in columns]
        lines.append(f"| {row} | | " + " | ".join(values) + " | |")
    return "\n".join(lines)


def conclusions(results: Path) -> str:
    """The study's conclusions with whether each holds in the study's numbers and in ours."""
    path = results / "reproduction.csv"
    if not path.exists():
        return "No reproduction report yet."
    table = pd.read_csv(path).query("section == 'conclusion'")
    lines = ["| The study's conclusion | In the study's numbers | In ours |", "|---|---|---|"]
    said = {True: "yes", False: "no", None: "unknown (runs missing)"}
    lines += [f"| {r.item} | {said[held(r.holds_in_study)]} | {said[held(r.holds_in_ours)]} |"
              for r in table.itertuples()]
    return "\n".join(lines)


def obfuscation_placement(results: Path) -> str:
    """Where the study's example faces fall among ours (calibration.py), from its CSVs."""
    names = ("obfuscation_quality.csv", "obfuscation_examples.csv",
             "obfuscation_ssim_conventions.csv")
    if not all((results / name).exists() for name in names):
        return "No calibration yet (`python -m facerecon calibrate`)."
    return ("Obfuscation strengths (`obfuscation_quality.csv`):\n\n"
            + calibration_text(*(pd.read_csv(results / name) for name in names)))


def results_block(profile: str, results_root) -> str:
    results = Path(results_root) / profile
    runs = pd.read_csv(results / "all_runs.csv")
    return "\n\n".join([
        run_status(runs),
        f"Test PSNR / SSIM, means over seeds (`results/{profile}/all_runs.csv`; — is a run "
        f"that has not finished; bold: the best network of a column, a mean over the seeds of "
        f"its row; baselines chosen on validation faces):",
        results_table(runs, baseline_means(results)),
        f"The study's conclusions, checked (evidence in `results/{profile}/reproduction.md`):",
        conclusions(results),
        obfuscation_placement(results),
        f"**The gap to the study's numbers, and the obfuscation strength** "
        f"(`results/{profile}/tables/strength_sweep.md`, figure "
        f"`figures/{profile}/strength_sweep.png`):",
        strengths.stored_text(results),
        f"**Does reconstruction give the identity back?** Face recognition on original, "
        f"obfuscated and reconstructed test faces (`results/{profile}/recognition.csv`, "
        f"figure `figures/{profile}/recognition_vs_psnr.png`):",
        recognition_report.stored_text(results),
    ])


def update_readme(profile: str, results_root, readme: Path = README) -> bool:
    """Rewrites the profile's block of the README; False where there is none to write (the
    smoke profile, results elsewhere than the project's, or a README without the markers)."""
    if profile not in PROFILES_IN_README or Path(results_root).resolve() != PROJECT_ROOT / "results":
        return False
    text = readme.read_text()
    begin, end = markers(profile)
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        return False
    block = f"{begin}\n{results_block(profile, results_root)}\n{end}"
    io.write_text(readme, pattern.sub(lambda _: block, text))
    return True
