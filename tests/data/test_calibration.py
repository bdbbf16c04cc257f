"""The obfuscations' calibration (data/calibration.py): where the study's example faces fall
among ours under each candidate strength, the rule that picks one, the SSIM conventions."""
import numpy as np
import pandas as pd
import pytest

from facerecon.data import calibration
from facerecon.experiment.config import load_profile
from facerecon.reporting.study_reference import REFERENCE

from support import random_faces


def test_calibration_marks_the_profiles_choice():
    faces = random_faces(4, 16, 16).astype(np.float32) / 255.0
    profile = load_profile("smoke")
    images = {"test": faces[:2], "train": faces[2:]}
    per_image = calibration.per_image_quality(images, profile)
    examples = calibration.study_examples(pd.read_csv(REFERENCE))
    table = calibration.calibration_table(per_image, examples, profile)
    assert table["chosen"].sum() == 2 and table["nearest_middle"].sum() >= 2
    assert set(table["obfuscation"]) == {"blur", "pixelate"}
    assert len(examples) == 8 and set(examples["subset"]) == {"train", "test"}


def toy_faces(centres):
    """Per-image scores of two candidates: 'a' centred on `centres[0]`, 'b' on `centres[1]`."""
    rows = []
    for setting, centre in zip("ab", centres):
        for subset in ("test", "train"):
            values = centre + np.linspace(-5, 5, 101)  # percentiles are exact: 1 per step
            rows.append(pd.DataFrame({"obfuscation": "blur", "setting": setting, "kernel": 3,
                                      "sigma": 1.0 if setting == "a" else 2.0, "block": np.nan,
                                      "subset": subset, "face": range(101), "psnr": values,
                                      "ssim": values / 100}))
    return pd.concat(rows, ignore_index=True)


def toy_examples(psnr):
    return pd.DataFrame([{"obfuscation": "blur", "subset": s, "metric": m,
                          "value": psnr if m == "psnr" else psnr / 100}
                         for s in ("test", "train") for m in ("psnr", "ssim")])


def test_the_rule_picks_the_candidate_that_puts_the_examples_in_the_middle():
    profile = load_profile("smoke")
    table = calibration.calibration_table(toy_faces([20.0, 24.0]), toy_examples(24.0), profile)
    by_setting = table.set_index("setting")
    assert by_setting.loc["b", "study_test_psnr_percentile"] == pytest.approx(50)
    assert by_setting.loc["a", "study_train_ssim_percentile"] == pytest.approx(90, abs=0.6)
    assert by_setting.loc["b", "nearest_middle"] and not by_setting.loc["a", "nearest_middle"]
    assert by_setting.loc["a", "distance_from_middle"] == pytest.approx(40, abs=0.6)


def test_a_gap_between_two_faces_is_far_outside_what_set_means_show():
    faces = toy_faces([24.0, 24.0])
    spread = calibration.split_gap_spread(faces, "blur", "a", "psnr", n_splits=200)
    # 202 faces pooled: means of 101 and 101 differ by ~ sd * sqrt(2/101), single faces by sd.
    pooled = np.tile(np.linspace(-5, 5, 101), 2)
    assert spread["per_image_sd"] == pytest.approx(np.std(pooled, ddof=1))
    assert spread["gap_rms"] < spread["per_image_sd"] / 4 and spread["gap_max"] < 2


def test_the_convention_whose_ssim_matches_the_studys_examples_is_named_best():
    faces = toy_faces([24.0, 30.0])
    # RGB SSIM matches the examples (psnr / 100); the uniform window and luma lie off by 0.1
    faces = faces.assign(psnr_y=faces["psnr"], ssim_uniform=faces["ssim"] + 0.1,
                         ssim_y=faces["ssim"] - 0.1)
    conventions = calibration.ssim_conventions(faces, toy_examples(24.0))
    assert conventions["rgb_gaussian_minus_study"].abs().max() < 1e-9
    assert conventions["y_gaussian_minus_study"].to_numpy() == pytest.approx(-0.1)
    text = calibration.conventions_text(conventions)
    best = calibration.CONVENTION_LABELS["rgb_gaussian"]
    assert f"; {best} places its example faces best" in text
    swapped = calibration.conventions_text(conventions.assign(
        rgb_gaussian_minus_study=0.2))
    assert f"; {calibration.CONVENTION_LABELS['rgb_uniform']} places" in swapped
