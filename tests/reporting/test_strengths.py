"""The strength sweep's table and text, from frames of runs made up for the purpose."""
import dataclasses

import pandas as pd
import pytest

from facerecon.data.calibration import setting_label
from facerecon.experiment.config import load_profile
from facerecon.reporting import formatting, strengths
from facerecon.reporting.study_reference import load_reference, study_means

# The quick profile with pixelate candidates block 3, 4 (the profile's), 5, 6, swept on seeds 0, 1.
PROFILE = dataclasses.replace(load_profile("quick"), sweep_seeds=[0, 1], obfuscations={
    **load_profile("quick").obfuscations,
    "pixelate": {"block": 4, "candidates": [{"block": b} for b in (3, 4, 5, 6)]}})


def run(seed, test_psnr, strength=None, arch="residual_autoencoder", loss="l2",
        obfuscation="pixelate"):
    row = {"key": f"{arch}__{loss}__{obfuscation}__seed{seed}" + (f"__{strength}" if strength
                                                                   else ""),
           "architecture": arch, "loss": loss, "obfuscation": obfuscation, "seed": seed,
           "split": "random", "status": "finished", "test_psnr": test_psnr,
           "test_ssim": test_psnr / 40}
    return {**row, "strength": strength} if strength else row


def calibration():
    return pd.DataFrame([{"obfuscation": o, "setting": setting_label(o, c),
                          "test_psnr_mean": 30 - i, "test_ssim_mean": 0.9 - i / 10}
                         for o in ("blur", "pixelate")
                         for i, c in enumerate(PROFILE.obfuscations[o]["candidates"])])


def table_of(grid_rows, sweep_rows):
    return strengths.sweep_table(pd.DataFrame(grid_rows), pd.DataFrame(sweep_rows),
                                 calibration(), load_reference(), PROFILE)


GRID = [run(0, 22.5), run(1, 21.5), run(5, 99.0)]  # seed 5 is not one of the sweep's seeds
SWEEP = [run(0, 25.5, "block3"), run(1, 24.5, "block3"), run(0, 20.0, "block6"),
         {**run(1, float("nan"), "block6"), "status": "missing"}]


def test_the_table_has_every_candidate_in_order_with_missing_ones_marked():
    table = table_of(GRID, SWEEP)
    pixel = table[table["obfuscation"] == "pixelate"].set_index("strength")
    assert list(pixel.index) == ["block3", "block4", "block5", "block6"]
    assert pixel["profile_strength"].tolist() == [False, True, False, False]
    assert pixel.loc["block3", "test_psnr"] == pytest.approx(25.0)
    assert pixel.loc["block4", "test_psnr"] == pytest.approx(22.0)  # the grid's seeds 0 and 1
    assert pixel.loc["block4", "seeds"] == "0 1"
    assert pixel.loc["block6", "n_seeds"] == 1 and pixel.loc["block6", "seeds"] == "0"
    assert pixel.loc["block5", "status"] == "missing" and pixel.loc["block5", "n_seeds"] == 0
    assert pixel["input_test_psnr"].tolist() == [30, 29, 28, 27]
    study = study_means(load_reference()).loc[("residual_autoencoder", "l2", "pixelate")]
    assert (pixel["study_test_psnr"] == study["test_psnr"]).all()
    printed = formatting.sweep_printed(table)
    assert printed.loc[table["strength"] == "block5", "PSNR (dB)"].item() == "missing"
    assert printed.loc[table["strength"] == "block4", "Strength"].item() == "block 4 *"
    assert f"{study['test_psnr']:.2f} dB" in formatting.sweep_legend(table)


def test_the_text_places_the_study_between_two_trained_strengths():
    table = table_of(GRID, SWEEP)
    text = strengths.gap_text(pd.DataFrame(GRID[:2]), table, load_reference())
    pixel = next(line for line in text.splitlines() if "Pixelated" in line)
    study = study_means(load_reference()).loc[("residual_autoencoder", "l2", "pixelate"),
                                              "test_psnr"]
    assert f"our test PSNR is {study - 22.0:.2f} dB below the study's" in pixel
    assert "1 configurations" in pixel
    assert "trained at 3 of 4 strengths (block 3; block 4; block 6), on seed" in pixel
    assert "block 4 (the profile’s) 22.00 dB" in pixel and "block 5" not in pixel
    assert pixel.count("missing") == 0  # what is not trained is said once, by the count
    assert ("Over the 3 strengths trained, the network's test PSNR spans 5.00 dB, its input's "
            "3.00 dB. At 3 of them the reconstruction scores below") in pixel
    assert (f"The study's {study:.2f} dB for this network lies between block 3 (25.00 dB) and "
            f"block 4 (22.00 dB).") in pixel
    blur = next(line for line in text.splitlines() if "Blurred" in line)
    assert "no configuration of the study's tables has a finished run" in blur


def test_the_study_is_not_placed_on_the_profile_strength_alone():
    table = table_of(GRID, [])
    rows = table[table["obfuscation"] == "pixelate"]
    assert rows["status"].tolist() == ["missing", "finished", "missing", "missing"]
    assert "cannot be placed until the sweep has at least two strengths" in strengths.placement(
        rows)
    assert strengths.trained_at(rows) == "trained at 1 of 4 strengths (block 4)"
    above = table_of(GRID, [run(0, 23.0, "block3")])
    assert "is above every strength trained (highest: block 3, 23.00 dB)" in strengths.placement(
        above[above["obfuscation"] == "pixelate"])


def test_a_profile_without_a_sweep_has_no_table():
    import dataclasses

    table = strengths.sweep_table(pd.DataFrame(GRID), pd.DataFrame(), calibration(),
                                  load_reference(), dataclasses.replace(PROFILE, sweep_seeds=()))
    assert table.empty
