"""The study's figures (reporting/figures.py): the loss a figure shows as an architecture's
best, and every figure of a results root drawn from its evidence."""
import pandas as pd

from facerecon.experiment.config import load_profile
from facerecon.reporting import figures
from facerecon.reporting.evidence import gather_evidence


def runs(rows):
    return pd.DataFrame([{"architecture": "srresnet", "status": "finished", "split": "random",
                          **row} for row in rows])


def test_the_best_loss_has_the_highest_test_ssim_over_obfuscations():
    frame = runs([{"loss": "l2", "obfuscation": "blur", "test_ssim": 0.9},
                  {"loss": "l2", "obfuscation": "pixelate", "test_ssim": 0.5},
                  {"loss": "ssim", "obfuscation": "blur", "test_ssim": 0.8},
                  {"loss": "ssim", "obfuscation": "pixelate", "test_ssim": 0.7},
                  {"loss": "l1", "obfuscation": "blur", "test_ssim": 0.99, "status": "failed"}])
    assert figures.best_loss(frame, "srresnet") == "ssim"
    assert figures.best_loss(frame, "simple_cnn") is None


def test_every_figure_is_drawn_from_the_evidence(trained_run, tmp_path):
    written = figures.write_figures(gather_evidence(trained_run, load_profile("smoke")), tmp_path)
    assert written and all(path.exists() and path.stat().st_size for path in written)
    assert {path.parent for path in written} <= {tmp_path / "smoke", *tmp_path.glob("smoke/*")}
