"""The study's figures (reporting/figures.py): the run a reconstruction figure shows per
obfuscation is the findings' best loss on test SSIM, and every figure of a results root is drawn
from its evidence."""
import pytest

from facerecon.experiment.config import load_profile
from facerecon.reporting import figures, leaders
from facerecon.reporting.evidence import gather_evidence

from reporting.test_findings import (evidence_of, networks_with,  # the findings' evidence
                                     networks_with_regions)


def test_a_reconstruction_figure_shows_each_obfuscations_best_loss_in_the_findings():
    evidence = evidence_of(networks_with("ssim", 1.0))
    chosen = figures.best_runs(evidence, "simple_cnn")
    assert chosen["blur"] == ("ssim", 0)
    assert chosen["blur"][0] == leaders.leader_row(evidence, "simple_cnn", "blur",
                                                    "ssim")["best_loss"]
    assert chosen["pixelate"] is None  # no run: no lead
    assert figures.best_runs_title("simple_cnn", chosen) == (
        "Simple CNN, best loss by test SSIM (findings): blurred SSIM (seed 0), pixelated none "
        "restores")


def test_every_figure_is_drawn_from_the_evidence(trained_run, tmp_path):
    written = figures.write_figures(gather_evidence(trained_run, load_profile("smoke")), tmp_path)
    assert written and all(path.exists() and path.stat().st_size for path in written)
    assert {path.parent for path in written} <= {tmp_path / "smoke", *tmp_path.glob("smoke/*")}


def test_a_figure_whose_runs_are_gone_is_removed(trained_run, tmp_path):
    stale = tmp_path / "smoke" / "training_curves_srresnet_pixelate.png"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"a figure of runs that no longer exist")
    kept = tmp_path / "smoke" / "strength_sweep.png"  # another module's figure
    kept.write_bytes(b"drawn elsewhere")
    written = figures.write_figures(gather_evidence(trained_run, load_profile("smoke")), tmp_path)
    assert stale not in written and not stale.exists() and kept.exists()


def test_where_psnr_is_gained_is_drawn_where_runs_recorded_it_and_nowhere_else(tmp_path):
    drawn = figures.region_figure(evidence_of(networks_with_regions()), tmp_path)
    assert {p.name for p in drawn} >= {f"{leaders.REGION_FIGURE}.png",
                                       f"{leaders.REGION_FIGURE}.pdf"}
    gains = leaders.region_gains(evidence_of(networks_with_regions()).runs)
    assert gains.set_index("loss").loc["ssim", ["inner", "border"]].tolist() == [
        pytest.approx(0.5), pytest.approx(-2.0)]
    assert figures.region_figure(evidence_of(networks_with("l1", 1.0)), tmp_path / "none") == []
    # A configuration with a seed that has not recorded them (not rescored) is left out whole.
    runs = evidence_of(networks_with_regions()).runs
    runs.loc[(runs["loss"] == "ssim") & (runs["seed"] == 1), "test_psnr_border"] = float("nan")
    assert set(leaders.region_gains(runs)["loss"]) == {"l2"}
