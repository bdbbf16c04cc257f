"""Rescoring: a score added since a run trained joins its records from its weights, or the run
keeps what it has and says why."""
import pandas as pd
import pytest

from facerecon.core import io
from facerecon.experiment.config import load_profile
from facerecon.experiment.runs import RunStore
from facerecon.training.rescore import rescore_profile

from support import TRAINED_RUN, copy_of

ADDED = ["psnr_inner", "psnr_border"]


def without_added_scores(store: RunStore, key: str) -> tuple[pd.DataFrame, dict]:
    """A run's records as a run trained before ADDED existed had them; the full records."""
    per_image, metrics = store.per_image(key), store.metrics(key)
    dropped = [c for c in per_image if c.removeprefix("input_") in ADDED]
    io.write_csv(store.folder(key) / "per_image.csv", per_image.drop(columns=dropped))
    io.write_json(store.folder(key) / "metrics.json",
                  {k: v for k, v in metrics.items() if not any(k.endswith(a) for a in ADDED)})
    return per_image, metrics


def test_a_run_gains_the_scores_it_lacks_and_keeps_every_other(trained_run, synthetic_dataset,
                                                               tmp_path, capsys):
    store = RunStore(copy_of(trained_run, tmp_path), load_profile("smoke"))
    whole, metrics = without_added_scores(store, TRAINED_RUN.key)
    history = store.history(TRAINED_RUN.key)

    counts = rescore_profile(store, lambda split: synthetic_dataset)
    assert counts == {"rescored": 1, "refused": 0, "without weights": 0, "whole": 0}
    assert "added psnr_inner, psnr_border" in capsys.readouterr().out
    rescored = store.per_image(TRAINED_RUN.key)
    assert list(rescored.columns) == list(whole.columns)  # a new run's layout
    pd.testing.assert_frame_equal(rescored, whole, atol=1e-4)
    after = store.metrics(TRAINED_RUN.key)
    for name, value in metrics.items():
        assert after[name] == (pytest.approx(value, abs=1e-4) if isinstance(value, float)
                               else value), name
    assert after["scores_added"] == "psnr_inner, psnr_border" and after["scores_added_by"]
    pd.testing.assert_frame_equal(store.history(TRAINED_RUN.key), history)
    # Rescoring again finds nothing to add.
    assert rescore_profile(store, lambda split: pytest.fail("loaded")) == {
        "rescored": 0, "refused": 0, "without weights": 0, "whole": 1}


@pytest.mark.parametrize("damage", ["other weights", "no weights"])
def test_a_run_whose_weights_are_not_its_own_keeps_its_records(trained_run, synthetic_dataset,
                                                               tmp_path, capsys, damage):
    store = RunStore(copy_of(trained_run, tmp_path), load_profile("smoke"))
    without_added_scores(store, TRAINED_RUN.key)
    per_image = store.per_image(TRAINED_RUN.key)
    if damage == "no weights":
        store.weights(TRAINED_RUN.key).unlink()
    else:  # the recorded PSNR of every face off by 1 dB: these weights did not make them
        io.write_csv(store.folder(TRAINED_RUN.key) / "per_image.csv",
                     per_image.assign(psnr=per_image["psnr"] + 1.0))
        per_image = store.per_image(TRAINED_RUN.key)
    before = (store.folder(TRAINED_RUN.key) / "metrics.json").read_text()

    counted = "without weights" if damage == "no weights" else "refused"
    assert rescore_profile(store, lambda split: synthetic_dataset)[counted] == 1
    said = capsys.readouterr().out
    assert ("weights are not on this machine" if damage == "no weights"
            else "do not give back its recorded train PSNR") in said, said
    assert (store.folder(TRAINED_RUN.key) / "metrics.json").read_text() == before
    pd.testing.assert_frame_equal(store.per_image(TRAINED_RUN.key), per_image)
