"""./run_all.sh --profile smoke end to end on the real LFW, into a temporary results root."""
import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from facerecon import report
from facerecon.config import OBFUSCATIONS, load_profile
from facerecon.losses import LOSSES
from facerecon.models import ARCHITECTURES

ROOT = Path(__file__).resolve().parents[1]


def run_all(*args):
    return subprocess.run([str(ROOT / "run_all.sh"), *args], capture_output=True, text=True,
                          timeout=1500)


@pytest.fixture(scope="module")
def smoke_run(lfw_home, tmp_path_factory):
    root = tmp_path_factory.mktemp("smoke")
    results, figures = root / "results", root / "figures"
    first = run_all("--profile", "smoke", "--results-root", str(results),
                    "--figures-root", str(figures))
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-4000:]
    return results, figures, first


def test_every_table_exists_with_finite_numbers_in_range(smoke_run):
    results, _, _ = smoke_run
    tables = results / "smoke" / "tables"
    names = [f"loss_{l}_{o}" for l in LOSSES for o in OBFUSCATIONS]
    names += [f"architecture_{a}_{o}" for a in ARCHITECTURES for o in OBFUSCATIONS]
    names += ["input_vs_reconstruction"]
    for name in names:
        for suffix in (".csv", ".md", ".tex"):
            assert (tables / f"{name}{suffix}").exists(), name + suffix
        table = pd.read_csv(tables / f"{name}.csv")
        for metric in report.METRICS:
            values = table[metric].dropna().to_numpy()
            assert len(values) and np.isfinite(values).all(), (name, metric)
            low, high = (0, 100) if "psnr" in metric else (-1, 1)
            assert ((values >= low) & (values <= high)).all(), (name, metric)


def test_every_run_finished(smoke_run):
    results, _, _ = smoke_run
    runs = pd.read_csv(results / "smoke" / "all_runs.csv")
    assert len(runs) == 3 * len(LOSSES) * 2 + 2
    assert (runs["status"] == "finished").all()


def test_every_figure_exists(smoke_run):
    _, figures, _ = smoke_run
    folder = figures / "smoke"
    stems = [f"training_curves_{a}_{o}" for a in ARCHITECTURES for o in OBFUSCATIONS]
    stems += [f"reconstructions_{a}_best_loss" for a in ("simple_cnn", "srresnet",
                                                         "residual_autoencoder")]
    stems += ["test_psnr_ssim_architectures_x_losses", "sample_faces_original_blurred_pixelated"]
    for stem in stems:
        for suffix in (".png", ".pdf"):
            assert (folder / f"{stem}{suffix}").stat().st_size > 0, stem + suffix


def test_executed_notebooks_are_kept(smoke_run):
    results, _, _ = smoke_run
    executed = sorted(p.name for p in (results / "smoke" / "notebooks").glob("*.ipynb"))
    assert len(executed) == 1 + 3 * len(LOSSES) + 1
    assert "tables:" in smoke_run[2].stdout and "figures:" in smoke_run[2].stdout


def test_a_second_invocation_trains_nothing(smoke_run):
    results, figures, _ = smoke_run
    before = {p: p.stat().st_mtime_ns for p in (results / "smoke" / "runs").glob("*/metrics.json")}
    again = run_all("--profile", "smoke", "--only", "residual_autoencoder", "--loss", "l2",
                    "--results-root", str(results), "--figures-root", str(figures))
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    after = {p: p.stat().st_mtime_ns for p in (results / "smoke" / "runs").glob("*/metrics.json")}
    assert after == before


def test_a_bad_flag_value_is_a_one_line_error():
    result = run_all("--profile", "smoke", "--loss", "l3")
    assert result.returncode == 2
    assert "unknown loss 'l3'; valid:" in result.stderr
