"""The self-contained GPU job (app/job.py), end to end on this CPU with the smoke profile: built
here from LFW, trained in a folder that is no checkout, with no LFW and where Ray cannot be
imported, through the job's own run.sh and JAX; what it packed is published here into a results
root and models/ as train_run would have written it. Wheels are not carried (this interpreter
has Keras and dlib); `job build` downloads them for a GPU machine."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from facerecon.app import job as gpu_job
from facerecon.app import job_train
from facerecon.core.checks import ConfigError
from facerecon.experiment.config import RunConfig, load_profile
from facerecon.experiment.runs import RunStore

pytestmark = pytest.mark.minutes(1)

PROFILE = load_profile("smoke")
RUNS = [RunConfig("srresnet", "l2", "blur", 0, "smoke"),
        RunConfig("simple_cnn", "l2", "blur", 0, "smoke")]
SELECT = ["--arch", "srresnet,simple_cnn", "--loss", "l2", "--obfuscation", "blur", "--seed",
          "0", "--split", "random"]


def facerecon(*args, **options) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "facerecon", *map(str, args)],
                          capture_output=True, text=True, timeout=900, **options)


@pytest.fixture(scope="module")
def job_folder(lfw_home, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("job")
    built = facerecon("job", "build", "--profile", "smoke", "--results-root",
                      folder / "results_here", "--wheels", "none", *SELECT, folder / "job",
                      env={**os.environ, "LFW_HOME": str(lfw_home)})
    assert built.returncode == 0, built.stderr
    assert f"{len(RUNS)} run(s) of profile smoke" in built.stdout
    return folder / "job"


def test_a_job_folder_holds_what_a_machine_without_the_checkout_needs(job_folder):
    manifest = json.loads((job_folder / "job.json").read_text())
    assert [RunConfig(**r) for r in manifest["runs"]] == RUNS  # the study's priority order
    names = {p.relative_to(job_folder).as_posix() for p in job_folder.rglob("*") if p.is_file()}
    assert {"run.sh", "job.json", "README.txt", "lib/facerecon/__main__.py", "params/smoke.yaml",
            f"faces/{manifest['cache']}.xz"} <= names
    assert {f"dlib_models/{n}.xz" for n in ("shape_predictor_5_face_landmarks.dat",
                                            "dlib_face_recognition_resnet_model_v1.dat")} <= names
    assert not [n for n in names if n.startswith(("results", "figures", "data/")) or
                "__pycache__" in n]
    assert gpu_job.folder_size(job_folder) <= gpu_job.JOB_LIMIT


def test_a_second_build_into_a_used_folder_is_one_line(job_folder):
    done = facerecon("job", "build", "--profile", "smoke", "--wheels", "none", *SELECT,
                     job_folder)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "exists and is not an empty folder" in done.stderr


def run_there(job_folder: Path, there: Path, *options) -> subprocess.CompletedProcess:
    """run.sh of a copy of the job in `there`, where nothing of this checkout, LFW or Ray is:
    Ray's import fails, no LFW_HOME."""
    no_ray = there / "no_ray" / "ray"
    no_ray.mkdir(parents=True)
    (no_ray / "__init__.py").write_text("raise ImportError('no Ray on this machine')\n")
    env = {k: v for k, v in os.environ.items()
           if k not in ("LFW_HOME", "PYTHONPATH", "RAY_ADDRESS", "SCIKIT_LEARN_DATA")}
    env.update(PYTHON=sys.executable, PYTHONPATH=str(no_ray.parent), KERAS_BACKEND="jax",
               JAX_PLATFORMS="cpu", HOME=str(there))
    subprocess.run(["cp", "-r", str(job_folder), str(there / "job")], check=True)
    return subprocess.run([str(there / "job" / "run.sh"), str(there / "out"), *options],
                          cwd=there, env=env, capture_output=True, text=True, timeout=900,
                          preexec_fn=ignore_ctrl_c)


def ignore_ctrl_c() -> None:
    """As in a shell's background job (`nohup run.sh ... &`): the stop must work even so."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.fixture(scope="module")
def came_back(job_folder, tmp_path_factory) -> Path:
    there = tmp_path_factory.mktemp("there")
    copy = there / "job"
    done = run_there(job_folder, there, "--deadline-s", "300", "--stop-s", "800")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "process pool" in done.stdout and "2 run(s): 2 finished" in done.stdout
    # The job's own copy of the package wrote there: the runs are in its folder.
    assert RunStore(copy / "results", PROFILE).keys_found() == sorted(r.key for r in RUNS)
    return there / "out"


def test_what_comes_back_is_every_record_but_the_test_faces_in_parts(came_back):
    parts = sorted(came_back.iterdir())
    assert parts and all(p.name.startswith(job_train.BACK) for p in parts)
    assert all(p.stat().st_size <= job_train.PART_SIZE for p in parts)
    whole = came_back.parent / "whole.tar.gz"
    whole.write_bytes(b"".join(p.read_bytes() for p in parts))
    with tarfile.open(whole) as tar:
        names = tar.getnames()
    for run in RUNS:
        assert f"smoke/runs/{run.key}/metrics.json" in names
        assert f"smoke/runs/{run.key}/per_image.csv" in names
        assert f"smoke/runs/{run.key}/test_faces.npz" not in names
    assert sum(n.startswith("smoke/weights/") for n in names) == 2  # one per architecture


def test_publishing_what_came_back_gives_the_records_train_run_writes(came_back, tmp_path):
    published = facerecon("job", "publish", came_back, "--results-root", tmp_path / "results",
                          "--models-dir", tmp_path / "models")
    assert published.returncode == 0, published.stderr
    assert "2 run(s) published" in published.stdout
    store = RunStore(tmp_path / "results", PROFILE)
    manifest = json.loads(next((came_back.parent / "job").glob("job.json")).read_text())
    for run in RUNS:
        assert store.status(run.key) == "finished"
        metrics = store.metrics(run.key)
        assert metrics["code_version"] == manifest["code_version"]  # the checkout's, not unknown
        assert {"test_psnr_y", "test_identity"} <= set(metrics), sorted(metrics)
        assert store.weights(run.key).is_file()
    # models/ holds the best run per obfuscation (models.publish_best): one, of blur
    assert len(list((tmp_path / "models").glob("smoke__*__blur__*.weights.h5"))) == 1
    again = facerecon("job", "publish", came_back, "--results-root", tmp_path / "results",
                      "--models-dir", tmp_path / "models")
    assert "0 run(s) published" in again.stdout and "2 kept" in again.stdout


def test_parts_missing_or_cut_short_are_one_line(came_back, tmp_path):
    parts = sorted(came_back.iterdir())
    (tmp_path / "cut").mkdir()
    (tmp_path / "cut" / parts[0].name).write_bytes(parts[0].read_bytes()[:1000])
    done = facerecon("job", "publish", tmp_path / "cut", "--results-root", tmp_path / "r")
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "cut short" in done.stderr
    done = facerecon("job", "publish", tmp_path / "nowhere", "--results-root", tmp_path / "r")
    assert done.returncode == 2 and "does not exist" in done.stderr
    (tmp_path / "empty").mkdir()
    done = facerecon("job", "publish", tmp_path / "empty", "--results-root", tmp_path / "r")
    assert done.returncode == 2 and "holds no job_back" in done.stderr


def test_runs_still_training_at_the_stop_are_dropped_and_the_rest_packed(job_folder, tmp_path):
    done = run_there(job_folder, tmp_path, "--deadline-s", "300", "--stop-s", "3")
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    assert "stopped at" in done.stdout and "0 run folder(s) packed" in done.stdout
    assert not list((tmp_path / "job" / "results" / "smoke" / "runs").glob(".*.partial"))
    published = facerecon("job", "publish", tmp_path / "out", "--results-root", tmp_path / "r",
                          "--models-dir", tmp_path / "models")
    assert published.returncode == 0, published.stderr
    assert f"{len(RUNS)} of the job's {len(RUNS)} did not come back" in published.stdout


@pytest.mark.parametrize("tar_filter", [gpu_job.DATA_FILTER, {}], ids=["filter", "no filter"])
def test_parts_that_would_write_outside_their_folder_are_refused(tmp_path, monkeypatch,
                                                                 tar_filter):
    """Whether or not this Python's tarfile has its own filter (3.11.4 on)."""
    monkeypatch.setattr(gpu_job, "DATA_FILTER", tar_filter)
    evil = tmp_path / "evil.txt"
    evil.write_text("x")
    (tmp_path / "back").mkdir()
    with tarfile.open(tmp_path / "back" / f"{job_train.BACK}00", "w:gz") as tar:
        tar.add(evil, arcname="../../evil.txt")
    with pytest.raises(ConfigError, match="which no job packs"):
        gpu_job.publish(tmp_path / "back", tmp_path / "results", tmp_path / "models")
    assert not (tmp_path.parent / "evil.txt").exists()
