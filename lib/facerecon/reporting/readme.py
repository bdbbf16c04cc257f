"""The README's answer and each profile's results page, written from the profile's CSVs so that
no number a reader sees is typed by hand. The report (build.py) writes results/<profile>/README.md,
the page of its results (GitHub shows it with the folder); `./run_all.sh --profile quick|paper`
rewrites the README's headline of its profile (only when the results are the project's own,
under results/) and the table of every profile's settings (params/*.yaml), between markers:

    <!-- headline:paper begin --> ... <!-- headline:paper end -->
    <!-- profiles begin --> ... <!-- profiles end -->
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..axes.architectures import ARCHITECTURES
from ..axes.losses import LOSSES
from ..axes.measures import MEASURE_NAMES, measure_of
from ..axes.obfuscation import OBFUSCATIONS, setting_label
from ..core import io
from ..core.io import PROJECT_ROOT
from ..data.baselines import METHODS, per_image_scores, selection_text
from ..data.calibration import calibration_text
from ..experiment.config import (OBFUSCATION_NAMES, PROFILE_NAMES, REFERENCE_ARCHITECTURE,
                                 STUDY_ARCHITECTURES, Profile, load_profile)
from . import recognition_text, strengths
from .findings import headline_text

README = PROJECT_ROOT / "README.md"
PROFILES_IN_README = ("quick", "paper")
RESULTS_PAGE = "README.md"  # results/<profile>/README.md


def markers(name: str) -> tuple[str, str]:
    """The comments around a generated block: 'results:paper', 'headline:quick'."""
    return f"<!-- {name} begin -->", f"<!-- {name} end -->"


def with_block(text: str, name: str, block: str) -> str | None:
    """The text with its generated block `name` replaced by `block`; None where it has none."""
    begin, end = markers(name)
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        return None
    return pattern.sub(lambda _: f"{begin}\n{block}\n{end}", text)


def cell(value: float, digits: int) -> str:
    return "—" if pd.isna(value) else f"{value:.{digits}f}"


def baseline_means(results: Path) -> pd.DataFrame:
    """Test means of the obfuscated input and the best non-learned baseline of each obfuscation
    (best by validation PSNR, as its setting was chosen)."""
    selection = results / "baselines" / "selection.csv"
    if not selection.exists():
        return pd.DataFrame(columns=["obfuscation", "row", *MEASURE_NAMES])
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
            rows.append({"obfuscation": obfuscation, "row": row,
                         **{m: mine[m].mean() if m in mine else np.nan for m in MEASURE_NAMES}})
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


def obfuscation_placement(results: Path) -> str:
    """Where the study's example faces fall among ours (calibration.py), from its CSVs."""
    names = ("obfuscation_quality.csv", "obfuscation_examples.csv",
             "obfuscation_ssim_conventions.csv")
    if not all((results / name).exists() for name in names):
        return "No calibration yet (`python -m facerecon calibrate`)."
    return ("Obfuscation strengths (`obfuscation_quality.csv`):\n\n"
            + calibration_text(*(pd.read_csv(results / name) for name in names)))


def stored(results: Path, name: str, missing: str) -> str:
    path = results / name
    return path.read_text().strip() if path.exists() else missing


def baseline_settings(results: Path) -> str:
    path = results / "baselines" / "selection.csv"
    if not path.exists():
        return ""
    return "Baselines' settings:\n\n" + selection_text(pd.read_csv(path))


def results_page(profile_name: str, results_root) -> str:
    """The profile's results page: the findings first, then the table of test means, the
    baselines' settings, the obfuscation strengths, the gap to the study and recognition."""
    results = Path(results_root) / profile_name
    runs = pd.read_csv(results / "all_runs.csv")
    figures = f"../../figures/{profile_name}"  # the page lives in results/<profile>/
    return "\n\n".join(part for part in [
        f"# Results of the {profile_name} profile\n\nWritten by `python -m facerecon report` (and "
        f"`./run_all.sh`) from this folder's CSVs: nothing here is typed by hand. How the runs "
        f"were produced, on which machine and commit, is in every run's `metrics.json` "
        f"([runs/](runs/)) and in [CHANGELOG.md](../../CHANGELOG.md); the whole report is "
        f"[report.tex](report.tex) (report.pdf where pdflatex is). Back to the "
        f"[project's README](../../README.md).",
        "## The answer",
        stored(results, "findings.md", "No findings yet (`python -m facerecon report`)."),
        "## Test means",
        "Test PSNR / SSIM, means over seeds ([all_runs.csv](all_runs.csv); — is a run "
        "that has not finished; bold: the best network of a column, a mean over the seeds its "
        "row's Seeds column counts; baselines chosen on validation faces):",
        results_table(runs, baseline_means(results)),
        baseline_settings(results),
        "## Obfuscation strengths and the gap to the study",
        obfuscation_placement(results),
        f"**The gap to the study's numbers, and the obfuscation strength** "
        f"([tables/strength_sweep.md](tables/strength_sweep.md), "
        f"[figure]({figures}/strength_sweep.png)):",
        strengths.stored_text(results),
        "## Does reconstruction give the identity back?",
        "Face recognition on original, obfuscated and reconstructed test faces "
        "([recognition.csv](recognition.csv), "
        f"[figure]({figures}/recognition_vs_psnr.png)):",
        recognition_text.stored_text(results),
    ] if part) + "\n"


def write_results_page(profile_name: str, results_root) -> Path:
    path = Path(results_root) / profile_name / RESULTS_PAGE
    io.write_text(path, results_page(profile_name, results_root))
    return path


def headline(profile_name: str, results_root) -> str:
    """The first screen's line for a profile: the answer's first sentence and how complete the
    grid is (findings.csv and all_runs.csv)."""
    results = Path(results_root) / profile_name
    paths = results / "findings.csv", results / "all_runs.csv"
    if not all(p.exists() for p in paths):
        return f"**{profile_name.capitalize()} profile**: no results yet."
    table = pd.read_csv(paths[0], keep_default_na=False, na_values=[""])
    table["best_loss"] = table["best_loss"].fillna("")
    runs = pd.read_csv(paths[1])
    finished = int((runs["status"] == "finished").sum())
    answer = headline_text(table)
    return (f"- **{profile_name.capitalize()} profile** ({finished} of {len(runs)} runs; "
            f"{PROFILE_NOTES[profile_name]}): {answer}")


def sizes(architecture: str, settings: dict) -> str:
    """'filters 128, middle layers 3', 'widths 64/128/256, blocks 3': an architecture's sizes
    as a profile gives them, in its registry's order of settings."""
    def shown(value) -> str:
        return "/".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)

    return ", ".join(f"{name.replace('_', ' ')} {shown(settings[name])}"
                     for name in ARCHITECTURES[architecture].settings)


def profile_rows(profile: Profile) -> dict[str, str]:
    """A profile's column of the table: its faces, resolution, obfuscation strengths, networks'
    sizes, optimiser and epoch cap."""
    rate = np.format_float_scientific(profile.learning_rate, trim="-", exp_digits=1)
    return {"Faces: train / validation / test":
                f"{profile.n_train:,} / {profile.n_val:,} / {profile.n_test:,}",
            "Resolution (interpolation)": f"{profile.height}×{profile.width} "
                                          f"({profile.interpolation})",
            "Obfuscation strengths": ", ".join(
                f"{OBFUSCATIONS[o].label.lower()} {setting_label(o, profile.obfuscation_settings(o))}"
                for o in OBFUSCATIONS),
            **{ARCHITECTURES[a].label: sizes(a, profile.architectures[a]) for a in ARCHITECTURES},
            "Adam learning rate, batch, patience":
                f"{rate}, {profile.batch_size}, {profile.patience}",
            "Epoch cap": str(profile.max_epochs)}


def profiles_table(names=PROFILE_NAMES) -> str:
    """Every profile's settings side by side, from params/<profile>.yaml: the README says what
    each profile's numbers rest on (the paper profile's are not the others'), typed nowhere."""
    columns = {name: profile_rows(load_profile(name)) for name in names}
    lines = ["| | " + " | ".join(f"`{name}`" for name in names) + " |",
             "|---|" + "---|" * len(names)]
    lines += [f"| {row} | " + " | ".join(column[row] for column in columns.values()) + " |"
              for row in next(iter(columns.values()))]
    return "\n".join(lines)


PROFILE_NOTES = {"quick": "32×32 on a CPU: the direction of effects, not the study's numbers",
                 "paper": "the study's settings"}


def update_readme(profile_name: str, results_root, readme: Path = README) -> bool:
    """Rewrites the profile's headline in the README and the table of the profiles' settings;
    False where there is none to write (the smoke profile, results elsewhere than the
    project's, or a README without the markers)."""
    if (profile_name not in PROFILES_IN_README
            or Path(results_root).resolve() != PROJECT_ROOT / "results"):
        return False
    text = readme.read_text()
    blocks = {f"headline:{profile_name}": headline(profile_name, results_root),
              "profiles": profiles_table()}
    written = False
    for name, block in blocks.items():
        if (replaced := with_block(text, name, block)) is not None:
            text, written = replaced, True
    if written:
        io.write_text(readme, text)
    return written
