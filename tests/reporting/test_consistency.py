"""The committed findings of every profile agree with the tables they cite: each verdict with
the paired tests of significance_vs_l2.csv, each difference with its row there, and each open
cell with the runs all_runs.csv lacks. (Regenerate with ./run_all.sh --report-only after a
change to the rules.)"""
import pandas as pd
import pytest

from facerecon.axes.measures import TABLE_MEASURES
from facerecon.experiment.config import REFERENCE_LOSS, STUDY_LOSSES

from support import ROOT

PROFILES = [p for p in ("quick", "paper") if (ROOT / "results" / p / "findings.csv").exists()]


def committed(profile: str):
    results = ROOT / "results" / profile
    table = pd.read_csv(results / "findings.csv", keep_default_na=False, na_values=[""])
    return (table.fillna({"best_loss": "", "against": ""}),
            pd.read_csv(results / "tables" / "significance_vs_l2.csv"),
            pd.read_csv(results / "all_runs.csv"))


def paired(significance: pd.DataFrame, row, loss: str | None = None) -> pd.DataFrame:
    rows = significance[(significance["architecture"] == row.architecture)
                        & (significance["obfuscation"] == row.obfuscation)
                        & (significance["metric"] == f"test_{row.measure}")
                        & significance["loss"].isin(STUDY_LOSSES)]
    return rows if loss is None else rows[rows["loss"] == loss]


@pytest.mark.parametrize("profile", PROFILES)
def test_every_verdict_agrees_with_the_paired_tests_it_cites(profile):
    table, significance, _ = committed(profile)
    for row in table.itertuples():
        up = TABLE_MEASURES[row.measure].higher_is_better
        good = "higher" if up else "lower"
        if row.against:
            cited = paired(significance, row, row.against).iloc[0]
            assert cited["difference"] == pytest.approx(row.difference), row
            assert (cited["ci_low"], cited["ci_high"]) == pytest.approx((row.ci_low, row.ci_high))
        if not str(row.verdict).startswith(("resolved", "not resolved")):
            continue
        rows = paired(significance, row)
        wins = ((rows["verdict"] != good).all() & rows["verdict"].isin(["higher", "lower"]).all()
                if row.best_loss == REFERENCE_LOSS
                else (paired(significance, row, row.best_loss)["verdict"] == good).all())
        assert str(row.verdict).startswith("resolved") == bool(wins), row


@pytest.mark.parametrize("profile", PROFILES)
def test_every_open_cell_names_the_runs_all_runs_lacks(profile):
    table, _, runs = committed(profile)
    grid = runs[(runs["split"] == "random") & runs["loss"].isin(STUDY_LOSSES)]
    for row in table.itertuples():
        cell = grid[(grid["architecture"] == row.architecture)
                    & (grid["obfuscation"] == row.obfuscation)]
        missing = int((cell["status"] != "finished").sum())
        if missing:
            assert f"waits for {missing} run" in row.verdict, row
        else:
            assert "waits for" not in row.verdict, row


@pytest.mark.parametrize("profile", PROFILES)
def test_a_reconstruction_is_said_to_be_recognised_only_where_one_was_scored(profile):
    from facerecon.reporting import recognition_text

    results = ROOT / "results" / profile
    table = pd.read_csv(results / "recognition.csv")
    scored = table[(table["condition"] == "run") & table["top1"].notna()]
    groups = scored.groupby(["recogniser", "obfuscation"]).ngroups
    text = recognition_text.stored_text(results)
    assert text.count("The best reconstruction") == groups
    assert text.count("Reconstructions are named") == groups
