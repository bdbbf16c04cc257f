"""Training throughput (training/bench.py): images/s per architecture, the time an epoch of the
profile would take, and the line per architecture the scheduler reads."""
import re

import pytest

from facerecon.experiment.config import load_profile
from facerecon.training import bench


def test_bench_measures_images_per_second_and_the_profiles_epoch(capsys):
    profile = load_profile("smoke")
    table = bench.bench(profile, ["simple_cnn"], steps=2)
    row = table.iloc[0]
    assert row["architecture"] == "simple_cnn" and row["images_per_s"] > 0
    assert row["epoch_s_at_profile"] == pytest.approx(profile.n_train / row["images_per_s"],
                                                      abs=0.1)
    assert re.search(r"^simple_cnn: [\d.]+ images/s$", capsys.readouterr().out, re.M)
