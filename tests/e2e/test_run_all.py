"""./run_all.sh --profile smoke end to end on the real LFW, into a temporary results root (the
session's smoke study, tests/conftest.py)."""
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from facerecon.axes.architectures import ARCHITECTURES
from facerecon.axes.losses import LOSSES
from facerecon.axes import measures
from facerecon.axes.measures import TABLE_MEASURES, run_columns
from facerecon.experiment.config import OBFUSCATION_NAMES, load_profile
from facerecon.experiment import study

from support import ROOT, SMOKE_STUDY_LOSSES, run_all

pytestmark = pytest.mark.minutes(4)


def read_table(results, name):
    return pd.read_csv(results / "smoke" / "tables" / f"{name}.csv")


def test_every_table_exists_with_finite_numbers_in_range(smoke_study):
    results, _, _ = smoke_study
    tables = results / "smoke" / "tables"
    names = [f"loss_{l}_{o}" for l in LOSSES for o in OBFUSCATION_NAMES]
    names += [f"architecture_{a}_{o}" for a in ARCHITECTURES for o in OBFUSCATION_NAMES]
    names += ["input_vs_reconstruction", "significance_vs_l2", "identity_disjoint"]
    for name in names:
        for suffix in (".csv", ".md", ".tex"):
            assert (tables / f"{name}{suffix}").exists(), name + suffix
    for name in [f"loss_{l}_{o}" for l in SMOKE_STUDY_LOSSES for o in OBFUSCATION_NAMES]:
        table = read_table(results, name)
        for metric in run_columns():
            values = table[metric].dropna().to_numpy()
            assert len(values) == len(table) and np.isfinite(values).all(), (name, metric)
            low, high = (0, 100) if "psnr" in metric else (-1, 1)
            assert ((values >= low) & (values <= high)).all(), (name, metric)


def test_tables_show_seeds_intervals_and_baselines(smoke_study):
    results, _, _ = smoke_study
    seeds = len(load_profile("smoke").seeds)
    table = read_table(results, "loss_psnr_ssim_blur")
    models = table[table["kind"] == "model"]
    assert (models["n_seeds"] == seeds).all() and models["test_psnr_sd"].notna().all()
    for metric in measures.test_columns():  # not imported bare: pytest would collect it
        assert (table[f"{metric}_ci_low"] <= table[metric] + 1e-9).all()
        assert (table[metric] <= table[f"{metric}_ci_high"] + 1e-9).all()
    assert set(table.loc[table["kind"] == "baseline", "architecture"]) == {
        "input", "wiener", "richardson_lucy"}
    pixel = read_table(results, "loss_l2_pixelate")
    assert "bicubic" in set(pixel["architecture"])
    markdown = (results / "smoke" / "tables" / "loss_psnr_ssim_blur.md").read_text()
    assert "±" in markdown and "[" in markdown
    # a loss no network trained is one sentence; a table with some rows trained says missing
    assert (results / "smoke" / "tables" / "loss_l1_blur.md").read_text().endswith(
        "No network of this table has finished a run yet.\n")
    assert "missing" in (results / "smoke" / "tables" /
                         "architecture_simple_cnn_blur.md").read_text()
    selection = pd.read_csv(results / "smoke" / "baselines" / "selection.csv")
    assert selection.groupby(["obfuscation", "method"])["chosen"].sum().eq(1).all()


def test_losses_are_tested_against_l2_with_holm(smoke_study):
    results, _, _ = smoke_study
    tests = read_table(results, "significance_vs_l2")
    assert len(tests) == 3 * 2 * len(TABLE_MEASURES)  # architectures x obfuscations x measures
    assert set(tests["metric"]) == {f"test_{m}" for m in TABLE_MEASURES}  # identity too
    assert set(tests["loss"]) == {"psnr_ssim"}
    assert tests["p"].between(0, 1).all() and (tests["p_holm"] >= tests["p"] - 1e-12).all()
    assert (tests["networks_differ"] == (tests["p_holm"] < 0.05)).all()
    assert ((tests["ci_low"] <= tests["difference"]) & (tests["difference"] <= tests["ci_high"])).all()


def test_identity_disjoint_runs_are_reported_beside_the_random_split(smoke_study):
    results, _, _ = smoke_study
    identity = read_table(results, "identity_disjoint")
    assert len(identity) == 3 * 2
    assert identity["n_test_faces"].eq(load_profile("smoke").n_test).all()
    np.testing.assert_allclose(identity["drop_test_psnr"],
                               identity["random_test_psnr"] - identity["identity_test_psnr"])


def test_the_reproduction_report_compares_numbers_and_checks_conclusions(smoke_study):
    results, _, _ = smoke_study
    table = pd.read_csv(results / "smoke" / "reproduction.csv")
    numbers, checks = (table[table["section"] == s] for s in ("number", "conclusion"))
    assert numbers["study"].notna().all() and numbers["ours"].notna().any()
    assert numbers.loc[numbers["loss"] == "l1", "ours"].isna().all()  # not run: missing
    assert len(checks) == 5
    # every check needs L1, SSIM or PSNR runs, which this test leaves out: none may claim a verdict
    assert checks["holds_in_ours"].isna().all() and checks["holds_in_study"].notna().all()
    assert (results / "smoke" / "reproduction.md").exists()


def test_every_run_finished(smoke_study):
    results, _, _ = smoke_study
    grid = pd.read_csv(results / "smoke" / "all_runs.csv")
    ran = grid[grid["loss"].isin(SMOKE_STUDY_LOSSES)]
    seeds = len(load_profile("smoke").seeds)
    assert len(ran) == (3 * len(SMOKE_STUDY_LOSSES) + 1) * 2 * seeds + 3 * 2  # + identity-disjoint
    assert (ran["status"] == "finished").all()
    assert (grid.loc[~grid["loss"].isin(SMOKE_STUDY_LOSSES), "status"] == "missing").all()
    swept = pd.read_csv(results / "smoke" / "strength_sweep_runs.csv")
    assert list(swept["key"]) == [r.key for r in study.sweep(load_profile("smoke"))]
    assert (swept["status"] == "finished").all() and set(swept["strength"]) == {"block4"}


def test_the_reproduction_report_cites_the_strength_sweep(smoke_study):
    results, _, _ = smoke_study
    report = (results / "smoke" / "reproduction.md").read_text()
    gap = report.split("## The gap to the study's numbers, and the obfuscation strength")[1]
    assert "The strength sweep of the Residual Autoencoder under L2 is trained at" in gap
    assert "block 2 (the profile’s)" in gap and "block 4 " in gap
    table = read_table(results, "strength_sweep")
    assert table.loc[table["strength"] == "block4", "status"].item() == "finished"


def test_every_figure_exists(smoke_study):
    """Every figure of the smoke study; a reconstruction figure for each architecture with a
    best loss on test SSIM in the findings (one that restores nothing has none), and none for
    an architecture without."""
    results, figures, _ = smoke_study
    folder = figures / "smoke"
    leads = pd.read_csv(results / "smoke" / "findings.csv", keep_default_na=False)
    led = set(leads.loc[(leads["measure"] == "ssim") & (leads["best_loss"] != ""),
                        "architecture"])
    for arch in {"simple_cnn", "srresnet", "residual_autoencoder"} - led:
        assert not (folder / f"reconstructions_{arch}_best_loss.png").exists(), arch
    stems = [f"training_curves_{a}_{o}" for a in ARCHITECTURES for o in OBFUSCATION_NAMES]
    stems += [f"reconstructions_{a}_best_loss" for a in sorted(led)]
    stems += ["test_psnr_ssim_architectures_x_losses", "sample_faces_original_blurred_pixelated",
              "test_psnr_ssim_losses_with_baselines", "strength_sweep"]
    plotted = [s for s in stems if not s.startswith(("reconstructions_", "sample_faces"))]
    split = {"test_psnr_ssim_architectures_x_losses", "test_psnr_ssim_losses_with_baselines",
             "strength_sweep", "obfuscation_calibration",
             "recognition_vs_psnr"}  # one column figure per obfuscation
    stems += [f"{stem}_column" for stem in plotted if stem not in split]
    stems += [f"{stem}_{o}_column" for stem in split for o in OBFUSCATION_NAMES]
    for stem in stems:
        for suffix in (".png", ".pdf"):
            assert (folder / f"{stem}{suffix}").stat().st_size > 0, stem + suffix


def test_every_figure_fits_a_page_or_a_column(smoke_study):
    import cv2

    from facerecon.core.io import PRINT_DPI
    from facerecon.reporting.plots import COLUMN_MAX_HEIGHT_IN

    _, figures, _ = smoke_study
    for png in (figures / "smoke").glob("*.png"):
        height, width = (n / PRINT_DPI for n in cv2.imread(str(png)).shape[:2])
        column = png.stem.endswith("_column")
        assert width <= (3.5 if column else 7.0) + 0.01, (png.name, width)
        if column:  # a column figure that would stack taller is split into parts
            assert height <= COLUMN_MAX_HEIGHT_IN, (png.name, height)


def test_executed_notebooks_are_kept(smoke_study):
    results, _, _ = smoke_study
    executed = sorted(p.name for p in (results / "smoke" / "notebooks").glob("*.ipynb"))
    assert len(executed) == 1 + 3 * len(SMOKE_STUDY_LOSSES) + 1 + 1  # data, architectures, sweep, 90
    assert "tables:" in smoke_study[2].stdout and "figures:" in smoke_study[2].stdout


def contents(*folders: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for folder in folders for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.startswith(".")}


def test_a_report_only_invocation_from_elsewhere_trains_nothing_and_rewrites_nothing(
        smoke_study):
    """`--report-only`, started in another folder with relative --results-root and
    --figures-root (relative to where run_all starts), executes every notebook of its selection
    (00 needs LFW) on the study's folders, trains nothing, and, no number having changed,
    rewrites every notebook, table and figure byte for byte (no clock time, duration or random
    id in them)."""
    results, figures, _ = smoke_study
    before = {p: p.stat().st_mtime_ns for p in (results / "smoke" / "runs").glob("*/metrics.json")}
    written = contents(results / "smoke" / "notebooks", results / "smoke" / "tables",
                       figures / "smoke")
    selection = [results / "smoke" / "notebooks" / f"{name}.ipynb"
                 for name in ("00_data_prep", "20_srresnet__l2", "90_comparison")]
    executed = {p: p.stat().st_mtime_ns for p in selection}
    again = run_all("--profile", "smoke", "--report-only", "--only", "srresnet", "--loss", "l2",
                    "--results-root", results.name, "--figures-root", figures.name,
                    cwd=results.parent)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert all(p.stat().st_mtime_ns > executed[p] for p in selection)  # run here, not elsewhere
    after = {p: p.stat().st_mtime_ns for p in (results / "smoke" / "runs").glob("*/metrics.json")}
    assert after == before
    rewritten = contents(results / "smoke" / "notebooks", results / "smoke" / "tables",
                         figures / "smoke")
    assert rewritten.keys() == written.keys()
    assert [p.name for p in written if rewritten[p] != written[p]] == []


def test_two_invocations_on_one_results_root_wait_for_each_other(smoke_invocations):
    _, _, *both = smoke_invocations
    for result in both:
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    waited = [r for r in both if "waiting: process " in r.stdout]
    assert len(waited) == 1  # whichever started second waited for the other
    # and found the other's runs finished (the slice's six are in both)
    skipped = int(re.search(r"selected: (\d+) finished \(skipped\)", waited[0].stdout)[1])
    assert skipped >= 6
    assert not list((ROOT / "notebooks").glob("kernel*"))  # no socket in the shared checkout


def test_a_bad_flag_value_is_a_one_line_error():
    result = run_all("--profile", "smoke", "--loss", "l3")
    assert result.returncode == 2
    assert "unknown loss 'l3'; valid:" in result.stderr


def outputs_of(path):
    cells = json.loads(path.read_text())["cells"]
    return [o for c in cells if c["cell_type"] == "code" for o in c.get("outputs", [])]


def test_executed_notebooks_show_their_figures_and_no_stderr(smoke_study):
    results, _, _ = smoke_study
    for path in sorted((results / "smoke" / "notebooks").glob("*.ipynb")):
        outputs = outputs_of(path)
        images = sum("image/png" in o.get("data", {}) for o in outputs)
        assert not [o for o in outputs if o.get("name") == "stderr"], path.name
        # architecture notebooks: training curves and reconstructions; 00: the sample faces
        assert images >= (2 if path.name[:2] in ("10", "20", "30") else 1), path.name


def test_the_console_shows_progress_not_kernel_noise(smoke_study):
    _, _, first = smoke_study
    console = first.stdout + first.stderr
    assert "[1/" in console and "done in" in console
    noise = [line for line in console.splitlines()
             if "without encryption" in line or "IPKernelApp" in line]
    assert not noise, noise[:3]


def test_the_comparison_notebook_opens_with_the_answer(smoke_study):
    """90_comparison's first output is the findings: the question answered from the numbers,
    before any table or figure; the findings are in the results folder too."""
    results, _, _ = smoke_study
    outputs = outputs_of(results / "smoke" / "notebooks" / "90_comparison.ipynb")
    first = "".join(outputs[0]["data"]["text/markdown"])
    assert first.startswith("**Which loss restores faces best?**")
    assert "runs exist" in first and "The study's conclusions" in first
    assert (results / "smoke" / "findings.csv").exists()
