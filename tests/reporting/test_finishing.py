"""What finishing a profile takes, on made-up runs of the smoke profile's grid and sweep: runs to
train counted apart from finished runs to retrain (and for which scores), and the time as the
median recorded seconds of each architecture on its device, never invented where an
architecture has no finished run there."""
import pandas as pd
import pytest

from facerecon.experiment.config import load_profile
from facerecon.reporting import finishing
from facerecon.reporting.evidence import Evidence
from facerecon.training.plan import duration
from facerecon.experiment.runs import RunStore
from facerecon.experiment.study import grid, sweep

PROFILE = load_profile("smoke")
ALL_SCORES = [c for columns in finishing.recorded_scores().values() for c in columns]
OLD_SCORES = ["test_psnr", "test_ssim"]  # what a run trained before the newer scores records


def frame(configs) -> pd.DataFrame:
    return pd.DataFrame([{"key": run.key, **run.as_dict(), "status": "missing"}
                         for run in configs])


def finish(runs: pd.DataFrame, architecture: str, n: int, device: str, seconds: list[float],
           scores=ALL_SCORES, **more) -> None:
    """Marks the first n missing runs of an architecture finished, with these seconds."""
    rows = runs.index[(runs["architecture"] == architecture)
                      & (runs["status"] == "missing")][:n]
    runs.loc[rows, "status"] = "finished"
    runs.loc[rows, "device"] = device
    runs.loc[rows, "wall_seconds"] = seconds
    for column in scores:
        runs.loc[rows, column] = 1.0
    for column, value in more.items():
        runs.loc[rows, column] = value


def study():
    """The grid with 3 SRResNet runs (one of them old) and 2 Simple CNN runs finished on a GPU,
    1 SRResNet run on a CPU, the sweep's one run missing and a stray folder outside the grid."""
    runs, sweep_runs = frame(grid(PROFILE)), frame(sweep(PROFILE))
    finish(runs, "srresnet", 2, "GPU", [100.0, 300.0])
    finish(runs, "srresnet", 1, "GPU", [140.0], scores=OLD_SCORES)
    finish(runs, "simple_cnn", 2, "GPU", [50.0, 70.0])
    finish(runs, "srresnet", 1, "CPU", [1000.0])
    other = {"key": "srresnet__l2__blur__seed9", "architecture": "srresnet",
             "status": "incomplete"}
    return pd.concat([runs, pd.DataFrame([other])], ignore_index=True), sweep_runs


def test_runs_to_train_and_to_retrain_are_counted_apart():
    runs, sweep_runs = study()
    left = finishing.what_is_left(runs, sweep_runs, PROFILE)
    assert left.to_train == {"grid": len(grid(PROFILE)) - 6, "sweep": len(sweep(PROFILE))}
    assert left.to_retrain == 1
    assert set(left.lacking) == {label for label, columns in finishing.recorded_scores().items()
                                 if set(columns) - set(OLD_SCORES)}
    assert set(left.lacking.values()) == {1}
    per_arch = frame([*grid(PROFILE), *sweep(PROFILE)])["architecture"].value_counts()
    assert left.runs_left == {"simple_cnn": per_arch["simple_cnn"] - 2,
                              "srresnet": per_arch["srresnet"] - 3,  # the old run retrains
                              "residual_autoencoder": per_arch["residual_autoencoder"],
                              "original_residual_autoencoder":
                                  per_arch["original_residual_autoencoder"]}
    text = left.text()
    assert (f"{left.to_train['grid']} runs of the grid and 1 run of the strength sweep to "
            "train, and 1 finished run to retrain") in text
    assert f"{left.total} runs in all" in text


def test_time_is_the_median_seconds_of_each_architecture_on_its_device():
    runs, sweep_runs = study()
    left = finishing.what_is_left(runs, sweep_runs, PROFILE)
    gpu, cpu = left.devices  # the device with more finished runs first
    assert (gpu.device, gpu.finished_runs, cpu.device, cpu.finished_runs) == ("GPU", 5, "CPU", 1)
    n = left.runs_left
    assert gpu.seconds == pytest.approx(140.0 * n["srresnet"] + 60.0 * n["simple_cnn"])
    assert gpu.estimated_runs == n["srresnet"] + n["simple_cnn"]
    assert gpu.unestimated == {"residual_autoencoder": n["residual_autoencoder"],
                               "original_residual_autoencoder":
                                   n["original_residual_autoencoder"]}
    assert cpu.seconds == pytest.approx(1000.0 * n["srresnet"])
    text = left.text()
    assert f"about {duration(gpu.seconds)} for {gpu.estimated_runs} of them on GPU" in text
    assert (f"the other {sum(gpu.unestimated.values())} (Residual Autoencoder, Original "
            "Residual Autoencoder) cannot be estimated") in text


def test_a_lock_step_groups_seconds_are_shared_among_its_runs():
    runs, sweep_runs = frame(grid(PROFILE)), frame(sweep(PROFILE))
    for arch in ("simple_cnn", "srresnet", "residual_autoencoder", "original_residual_autoencoder"):
        finish(runs, arch, 1, "GPU", [400.0], group_size=4)
    left = finishing.what_is_left(runs, sweep_runs, PROFILE)
    assert left.devices[0].seconds == pytest.approx(100.0 * left.total)
    assert f"about {duration(100.0 * left.total)} on GPU (4 finished runs)." in left.text()


def test_without_a_finished_run_no_time_is_given():
    left = finishing.what_is_left(frame(grid(PROFILE)), frame(sweep(PROFILE)), PROFILE)
    assert left.devices == () and left.to_retrain == 0
    assert "cannot be estimated" in left.text() and "about" not in left.text()


def test_a_finished_study_says_nothing_is_left():
    runs, sweep_runs = frame(grid(PROFILE)), frame(sweep(PROFILE))
    for rows in (runs, sweep_runs):
        rows["status"], rows["device"], rows["wall_seconds"] = "finished", "GPU", 10.0
        rows[ALL_SCORES] = 1.0
    left = finishing.what_is_left(runs, sweep_runs, PROFILE)
    assert left.total == 0
    assert left.text() == "Nothing is left to train or retrain in the smoke profile."


def test_the_evidence_reads_the_sweep_from_its_store(tmp_path):
    """finishing_text takes the findings' evidence; the sweep's runs come from its store."""
    runs, _ = study()
    evidence = Evidence(RunStore(tmp_path, PROFILE), runs, pd.DataFrame(), pd.DataFrame(),
                        pd.DataFrame())
    assert finishing.finishing_text(evidence) == finishing.what_is_left(
        runs, frame(sweep(PROFILE)), PROFILE).text()
