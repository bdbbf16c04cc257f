"""What the findings stand on (reporting/completeness.py): the quick and paper profiles'
loss-versus-L2 differences set side by side by sign, runs cut off by the epoch cap while still
gaining named, seeds trained on different devices said to share their range with them."""
from types import SimpleNamespace

import pandas as pd

from facerecon.reporting import completeness
from facerecon.reporting.evidence import Evidence


def test_the_profiles_differences_are_compared_by_sign(tmp_path):
    key = {"architecture": "simple_cnn", "obfuscation": "blur", "metric": "test_psnr"}
    quick = pd.DataFrame([{**key, "loss": "l1", "difference": 0.5, "verdict": "higher"},
                          {**key, "loss": "ssim", "difference": -0.2, "verdict": "one seed"},
                          {**key, "loss": "psnr", "difference": 0.1, "verdict": "higher"}])
    paper = pd.DataFrame([{**key, "loss": "l1", "difference": 0.9, "verdict": "higher"},
                          {**key, "loss": "ssim", "difference": 0.3, "verdict": "not resolved"},
                          {**key, "loss": "psnr", "difference": -0.4, "verdict": "lower"},
                          {**key, "loss": "psnr_ssim", "difference": 0.4, "verdict": "higher"}])
    (tmp_path / "paper" / "tables").mkdir(parents=True)
    paper.to_csv(tmp_path / "paper" / "tables" / "significance_vs_l2.csv", index=False)
    said = completeness.direction_agreement(quick, "quick", tmp_path)
    assert said.startswith("**Does the quick profile point the way the paper profile does?** "
                           "Of the 3 loss-versus-L2 differences both profiles have")
    assert "1 (33%) have the same sign; of the 2 resolved in both, 1 agree." in said
    assert completeness.direction_agreement(quick, "smoke", tmp_path) == ""


def test_runs_cut_off_by_the_epoch_cap_while_still_gaining_are_named():
    histories = {"early": [20.0, 21.0, 20.5], "plateau": [20.0] + [22.0] * 6,
                 "gaining": [20.0 + 0.1 * i for i in range(8)]}
    runs = pd.DataFrame([{"key": key, "status": "finished", "split": "random",
                          "stopped_early": key == "early"} for key in histories]
                        + [{"key": "missing", "status": "missing", "split": "random"}])
    store = SimpleNamespace(history=lambda key: pd.DataFrame({"val_psnr": histories[key]}))
    said = completeness.convergence_text(Evidence(store, runs, None, None, None))
    assert said == ("Of the 3 finished runs, 1 stopped early and 2 ran to the epoch cap, 1 of "
                    "them still gaining more than 0.1 dB of validation PSNR over their last 5 "
                    "epochs (not converged: gaining).")
    assert completeness.convergence_text(Evidence(store, runs.iloc[3:], None, None, None)) == ""


def test_seeds_trained_on_different_devices_are_said_to_share_their_range_with_them():
    runs = pd.DataFrame([{"seed": seed, "device": device, "status": "finished",
                          "split": "random"} for seed, device in
                         [(0, "H200"), (0, "H200"), (1, "H100")]])
    assert completeness.seed_device_text(runs) == (
        "Each seed trained on its own devices (seed 0: H200; seed 1: H100), so a seed range "
        "here also holds any difference between those devices and the code versions they ran.")
    mixed = pd.concat([runs, runs.assign(seed=1, device="H200").iloc[:1]])
    assert completeness.seed_device_text(mixed) == ""
