"""Fault injection: bad input, a full disk, a stalled network, a killed run, two processes on
one run, copied folders. Each test failed before the fix it guards. Smoke scale throughout."""
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pandas as pd
import pytest
import yaml

from facerecon.app import cli, execution, pipeline
from facerecon.core import io
from facerecon.core.checks import ConfigError
from facerecon.data import lfw
from facerecon.data.lfw import DataError
from facerecon.experiment import config, runs, study
from facerecon.experiment.config import load_profile
from facerecon.experiment.fingerprint import fingerprint
from facerecon.reporting import tables
from facerecon.reporting.evidence import gather_evidence
from facerecon.training import plan, train

from support import ROOT, TRAINED_RUN as RUN, copy_of, synthetic_dataset_of


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err, err
    return err


# --- 1. bad values are one line naming the file, the key and what is valid --------------------

@pytest.fixture
def params(tmp_path, monkeypatch):
    """A copy of params/ that a test may break."""
    folder = tmp_path / "params"
    shutil.copytree(config.PARAMS_DIR, folder)
    monkeypatch.setattr(config, "PARAMS_DIR", folder)
    return folder


def break_smoke(params, text: str):
    (params / "smoke.yaml").write_text(text)


def test_a_bad_seed_on_the_command_line(capsys):
    assert cli.main(["train", "--profile", "smoke", "--seed", "x"]) == 2
    assert "--seed must be integers separated by commas, not 'x'" in one_line_error(capsys)


@pytest.mark.parametrize("text,message", [
    ("learning_rate: fast", r"params/smoke.yaml: learning_rate must be a positive finite number, not 'fast'"),
    ("seeds: [zero]", r"params/smoke.yaml: seeds must be a list of non-negative integers"),
    ("run_eagerly: maybe", r"params/smoke.yaml: run_eagerly must be true or false"),
])
def test_a_bad_value_in_a_profile(params, text, message, capsys):
    key, value = text.split(": ")
    raw = yaml.safe_load((params / "smoke.yaml").read_text())
    raw[key] = yaml.safe_load(value)
    break_smoke(params, yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match=message):
        load_profile("smoke")
    assert cli.main(["report", "--profile", "smoke"]) == 2
    assert key in one_line_error(capsys)


@pytest.mark.parametrize("text,message", [
    ("", r"params/smoke.yaml holds no settings"),
    ("name: smoke\nheight: [16\n", r"params/smoke.yaml is not valid YAML at line 3"),
])
def test_an_empty_or_malformed_profile(params, text, message):
    break_smoke(params, text)
    with pytest.raises(ConfigError, match=message):
        load_profile("smoke")


def test_the_profile_is_checked_before_any_notebook_starts(params, tmp_path, monkeypatch, capsys):
    break_smoke(params, "name: smoke\nheight: [16\n")
    monkeypatch.setattr(pipeline, "execute", lambda steps: pytest.fail("a notebook started"))
    assert cli.main(["run", "--profile", "smoke", "--results-root", str(tmp_path)]) == 2
    assert "params/smoke.yaml is not valid YAML" in one_line_error(capsys)


# --- 2, 3. LFW: the linked copy follows LFW_HOME; a stalled download ends ---------------------

def fake_lfw(folder: Path, n_images: int) -> Path:
    for i in range(n_images):
        person = folder / "lfw" / f"Person_{i}"
        person.mkdir(parents=True)
        (person / f"Person_{i}_0001.jpg").write_bytes(b"jpeg")
    return folder


def test_run_all_without_lfw_stops_before_any_plan_folder_or_lock(tmp_path, monkeypatch, capsys):
    """LFW is found missing first: no training plan said, no notebooks/ made, no lock left, and
    the line names the copy that was looked for (--data-home over LFW_HOME)."""
    def missing(profile, data_home=None):
        raise DataError(f"no LFW in {data_home}")

    monkeypatch.setattr(pipeline, "prepare_cache", missing)
    monkeypatch.setattr(pipeline, "planned_training", lambda *a: pytest.fail("a plan was made"))
    monkeypatch.setenv("LFW_HOME", str(tmp_path / "elsewhere"))
    results = tmp_path / "results"
    assert cli.main(["run", "--profile", "smoke", "--results-root", str(results),
                     "--data-home", str(tmp_path / "data")]) == 2
    said = capsys.readouterr()
    assert said.out.splitlines()[1:] == [f"LFW: in {tmp_path / 'data'} (--data-home)"]
    assert said.err == f"error: no LFW in {tmp_path / 'data'}\n"
    assert [p.relative_to(results) for p in results.rglob("*")] == [Path("smoke")]


def test_the_linked_copy_follows_lfw_home(tmp_path):
    partial, full = fake_lfw(tmp_path / "partial", 1), fake_lfw(tmp_path / "full", 2)
    home = tmp_path / "data_home"
    lfw.link_lfw_copy(partial, home)
    (home / "lfw_home" / "joblib").mkdir()  # scikit-learn's cache of the partial copy
    lfw.link_lfw_copy(full, home)
    assert (home / "lfw_home" / "lfw").resolve() == (full / "lfw").resolve()
    assert lfw.count_jpegs(home / "lfw_home" / "lfw") == 2
    assert not (home / "lfw_home" / "joblib").exists()


def test_an_empty_lfw_home_names_the_users_folder(tmp_path):
    empty = tmp_path / "my_lfw"
    empty.mkdir()
    with pytest.raises(DataError, match=f"LFW_HOME={empty} holds neither lfw/ nor lfw_funneled/"):
        lfw.link_lfw_copy(empty, tmp_path / "data_home")


# scikit-learn warns at each retry of the stalled server: the retries are what this test makes.
@pytest.mark.filterwarnings("ignore:Retry downloading from url:UserWarning")
def test_a_stalled_download_ends_with_where_to_put_lfw(tmp_path, monkeypatch):
    import sklearn.datasets._lfw as sklearn_lfw

    server = socket.socket()  # accepts connections, never answers
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    url = f"http://127.0.0.1:{server.getsockname()[1]}/"
    monkeypatch.setattr(sklearn_lfw, "TARGETS", tuple(
        t._replace(url=url + t.filename) for t in sklearn_lfw.TARGETS))
    monkeypatch.setattr(lfw, "DOWNLOAD_TIMEOUT_S", 0.3)
    outcome = []

    def fetch():
        try:
            lfw.fetch_lfw(tmp_path)
        except Exception as error:
            outcome.append(error)

    worker = threading.Thread(target=fetch, daemon=True)
    worker.start()
    worker.join(timeout=60)  # 4 tries of 0.3 s and 3 pauses of 1 s, with room to spare
    server.close()  # ends a download that still hangs
    assert not worker.is_alive(), "the download still hangs after 60 s"
    assert isinstance(outcome[0], DataError)
    assert "timed out" in str(outcome[0]) and "put LFW in" in str(outcome[0])
    assert not list((tmp_path / "lfw_home").glob("*.part_*"))


# --- 4, 5. a full disk never replaces a good file --------------------------------------------

def short_writes(monkeypatch, suffix: str):
    """A disk that fills up while writing files ending in `suffix`: the writer reports success
    after writing half (as cv2.imwrite did)."""
    real_open = open

    class HalfWriter:
        def __init__(self, handle):
            self.handle = handle

        def write(self, data):
            self.handle.write(data[:len(data) // 2])
            return len(data)

        def __getattr__(self, name):
            return getattr(self.handle, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

    def fake_open(path, mode="r", *args, **kwargs):
        handle = real_open(path, mode, *args, **kwargs)
        return HalfWriter(handle) if "w" in mode and str(path).endswith(suffix) else handle

    monkeypatch.setattr(io, "open", fake_open, raising=False)


def test_a_short_write_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "test_samples.png"
    path.write_bytes(b"a good picture")
    short_writes(monkeypatch, ".png")
    with pytest.raises(io.OutputError, match="bytes reached the disk"):
        io.write_bytes(path, b"x" * 6600)
    assert path.read_bytes() == b"a good picture"
    assert [p.name for p in tmp_path.iterdir()] == ["test_samples.png"]


def test_a_run_whose_picture_is_cut_short_does_not_finish(tmp_path, monkeypatch):
    short_writes(monkeypatch, ".png")
    with pytest.raises(io.OutputError):
        train.train_run(RUN, synthetic_dataset_of(), tmp_path, verbose=0)
    store = runs.RunStore(tmp_path, load_profile("smoke"))
    assert store.status(RUN.key) == "missing" and not store.staging(RUN.key).exists()


FULL_DISK_PDFLATEX = """#!/usr/bin/env python3
import pathlib, sys
out = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("-output-directory=")), ".")
tex = pathlib.Path(sys.argv[-1])
pathlib.Path(out, tex.stem + ".aux").write_text("aux")
pathlib.Path(out, tex.stem + ".log").write_text("log")
pathlib.Path(out, tex.stem + ".pdf").write_bytes(b"%PDF-1.5 half")
print("! I can't write on file `" + tex.stem + ".pdf'.")
sys.exit(1)
"""


def test_a_report_on_a_full_disk_keeps_the_good_pdf_and_says_so(tmp_path, monkeypatch, capsys):
    """pdflatex that fills the disk while writing: the good report.pdf stands, nothing of the
    attempt is left beside it, and the command's status says it failed."""
    from facerecon.reporting import document

    results = tmp_path / "results"
    results.mkdir()
    (results / "report.tex").write_text("\\documentclass{article}")
    (results / "report.pdf").write_bytes(b"%PDF-1.5 a good report")
    engine = tmp_path / "bin" / "pdflatex"
    engine.parent.mkdir()
    engine.write_text(FULL_DISK_PDFLATEX)
    engine.chmod(0o755)
    monkeypatch.setenv("PATH", f"{engine.parent}:{os.environ['PATH']}")
    said, failed = document.compile_report(results)
    assert failed and said.startswith("report.pdf not built (the previous one stands): "
                                      "pdflatex could not compile")
    assert "I can't write on file" in said
    assert (results / "report.pdf").read_bytes() == b"%PDF-1.5 a good report"
    assert sorted(p.name for p in results.iterdir()) == ["report.pdf", "report.tex"]


def test_a_notebook_cut_short_keeps_the_executed_copy(tmp_path, monkeypatch):
    import papermill

    output = tmp_path / "90_comparison.ipynb"
    good = (execution.NOTEBOOKS / "90_comparison.ipynb").read_text()
    output.write_text(good)

    def cut_short(source, partial, **kwargs):
        Path(partial).write_text(good[:len(good) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(papermill, "execute_notebook", cut_short)
    failed = execution.execute([execution.Step("90_comparison.ipynb", {}, output)])
    assert failed == ["90_comparison"] and output.read_text() == good
    assert [p.name for p in tmp_path.iterdir()] == [output.name]


# --- 6, 7, 8. a run counts once, trains once, and keeps its records until replaced ------------

def test_a_copied_run_folder_is_not_another_seed(trained_run, tmp_path):
    results = copy_of(trained_run, tmp_path)
    folder = runs.RunStore(results, load_profile("smoke")).folder(RUN.key)
    shutil.copytree(folder, folder.with_name(RUN.key + "_backup"))
    evidence = gather_evidence(results, load_profile("smoke"))
    assert evidence.runs.set_index("key").loc[RUN.key + "_backup", "status"] == "stray"
    table = tables.loss_table(evidence, "l2", "blur")
    assert table.set_index("architecture").loc["simple_cnn", "n_seeds"] == 1


def test_a_run_another_process_trains_is_skipped(trained_run, tmp_path, monkeypatch):
    results = copy_of(trained_run, tmp_path)
    store = runs.RunStore(results, load_profile("smoke"))
    monkeypatch.setattr(train, "load_dataset", lambda *args: synthetic_dataset_of())
    with store.lock(RUN.key):
        with pytest.raises(runs.RunBusy, match="being trained by another process"):
            train.train_run(RUN, synthetic_dataset_of(), results, force=True, verbose=0)
        summary = train.train_many([RUN], results, force=True)
    assert summary["status"].tolist() == ["busy"]


def test_weights_live_under_their_results_root(trained_run):
    assert runs.RunStore(trained_run, load_profile("smoke")).weights(RUN.key).exists()


KILLED_RERUN = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, {tests!r})
    from support import synthetic_dataset_of
    from facerecon.training import train
    from facerecon.experiment.config import RunConfig

    def killed(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)  # as kill -9 would, after training, before records

    train.evaluate = killed
    train.train_run(RunConfig("simple_cnn", "l2", "blur", 0, "smoke"), synthetic_dataset_of(),
                    {results!r}, force=True, verbose=0)
""")


def test_a_killed_forced_rerun_keeps_the_previous_records(trained_run, tmp_path):
    results = copy_of(trained_run, tmp_path)
    store = runs.RunStore(results, load_profile("smoke"))
    before = store.metrics(RUN.key)
    script = KILLED_RERUN.format(tests=str(ROOT / "tests"), results=str(results))
    killed = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=600)
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert store.metrics(RUN.key) == before and store.status(RUN.key) == "finished"
    rerun = train.train_run(RUN, synthetic_dataset_of(), results, force=True, verbose=0)
    assert rerun["status"] == "finished" and not store.staging(RUN.key).exists()
    assert store.metrics(RUN.key)["finished_at"] >= before["finished_at"]


# --- 9. the smaller ones ----------------------------------------------------------------------

def test_a_file_where_a_results_folder_belongs_is_one_line(tmp_path, capsys):
    (tmp_path / "smoke" / "runs" / RUN.key).mkdir(parents=True)
    (tmp_path / "smoke" / "notebooks").write_text("not a folder")
    assert cli.main(["run", "--profile", "smoke", "--report-only",
                     "--results-root", str(tmp_path)]) == 2
    assert f"{tmp_path / 'smoke' / 'notebooks'} is a file, not a folder" in one_line_error(capsys)


# --- 10. nothing unasked, nothing silent (a careful new user's findings) ------------------------

@pytest.mark.parametrize("flag, kind", [("--loss", "loss"), ("--arch", "architecture"),
                                        ("--obfuscation", "obfuscation"), ("--seed", "--seed"),
                                        ("--split", "split"), ("--strength", "--strength")])
@pytest.mark.parametrize("value", [",", " ", ""])
def test_an_empty_selection_selects_nothing_and_says_so(tmp_path, capsys, flag, kind, value):
    assert cli.main(["train", "--profile", "smoke", flag, value,
                     "--results-root", str(tmp_path)]) == 2
    assert f"an empty {kind} ({value!r}) selects nothing; give " in one_line_error(capsys)
    assert not list(tmp_path.iterdir())  # nothing was trained


def test_training_says_what_it_will_train_and_how_long_it_should_take(trained_run):
    store = runs.RunStore(trained_run, load_profile("smoke"))
    grid = study.grid(load_profile("smoke"), ["simple_cnn", "srresnet"], ["l2"], ["blur"], [0])
    text = plan.training_plan(grid, store).text(split_given=False)
    assert text.startswith("4 run(s) of profile smoke selected: 1 finished (skipped), 3 to train "
                           "(1 on the random split, 2 on the identity split; --split random "
                           "leaves the identity-disjoint runs out)")
    assert "  srresnet__l2__blur__seed0\n" in text and f"  {RUN.key}\n" not in text
    # srresnet has no finished run here, so no rate: said, never guessed
    assert "time: not measured on this device" in text and "for srresnet" in text
    again = plan.training_plan([RUN], store, force=True).text()
    assert "1 to train" in again and "time: about" in again and "at the rate finished runs" in again


@pytest.mark.skipif(bool(__import__("facerecon.core.runtime", fromlist=["x"]).accelerator_name()),
                    reason="this machine has a GPU: the paper profile may train here")
@pytest.mark.parametrize("command", [
    ["train", "--arch", "srresnet", "--loss", "l2", "--obfuscation", "blur", "--seed", "0"],
    ["run", "--only", "srresnet", "--loss", "l2"],
    ["schedule", "--arch", "srresnet", "--loss", "l2", "--obfuscation", "blur", "--seed", "0"],
])
def test_the_paper_profile_does_not_train_on_a_cpu_unasked(tmp_path, capsys, monkeypatch, command):
    monkeypatch.setattr(pipeline, "execute", lambda steps: pytest.fail("a notebook started"))
    assert cli.main([command[0], "--profile", "paper", *command[1:],
                     "--results-root", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert "srresnet__l2__blur__seed0" in captured.out  # the plan came first
    error = captured.err.strip()
    assert error.startswith("error: profile paper needs an accelerator") and "\n" not in error
    assert "--allow-cpu" in error and not (tmp_path / "paper" / "runs").exists()


@pytest.mark.parametrize("command", [["report"], ["recognise"], ["run", "--report-only"]])
def test_a_results_root_without_runs_is_said_not_reported(tmp_path, capsys, command):
    missing = tmp_path / "typo"
    assert cli.main([*command, "--profile", "smoke", "--results-root", str(missing)]) == 2
    assert f"results root {missing} does not exist" in one_line_error(capsys)
    assert not missing.exists()
    assert cli.main([*command, "--profile", "smoke", "--results-root", str(tmp_path)]) == 2
    assert f"no runs of profile smoke under {tmp_path}" in one_line_error(capsys)
    assert not (tmp_path / "smoke" / "tables").exists()
    a_file = tmp_path / "results.csv"
    a_file.write_text("not a folder")
    assert cli.main([*command, "--profile", "smoke", "--results-root", str(a_file)]) == 2
    assert f"results root {a_file} is a file, not a folder" in one_line_error(capsys)


@pytest.fixture
def small_disk(tmp_path):
    """A 16 MB filesystem (tmpfs) to fill; skipped where it cannot be mounted (not root, not
    Linux, no mount)."""

    folder = tmp_path / "disk"
    folder.mkdir()
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root on Linux")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(disk: Path, leave: int) -> None:
    """Fills the filesystem but for `leave` bytes."""
    with open(disk / "filler", "wb") as handle:
        handle.write(b"\0" * (shutil.disk_usage(disk).free - leave))


def snapshot(folder: Path) -> dict:
    """Every file's bytes but the (empty) lock files."""
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.suffix != ".lock"}


def test_a_full_disk_fails_a_run_in_one_line_and_keeps_the_previous_one(
        trained_run, small_disk, monkeypatch, capsys):
    results = small_disk / "results"
    shutil.copytree(trained_run, results)
    before = snapshot(results / "smoke")
    monkeypatch.setattr(train, "load_dataset", lambda *args: synthetic_dataset_of())
    fill(small_disk, leave=64 * 1024)
    assert cli.main(["train", "--profile", "smoke", "--arch", "simple_cnn", "--loss", "l2",
                     "--obfuscation", "blur", "--seed", "0", "--split", "random", "--force",
                     "--results-root", str(results)]) == 2
    assert "no space left in " + str(results / "smoke") in one_line_error(capsys)
    after = snapshot(results / "smoke")
    assert after == before
    assert runs.RunStore(results, load_profile("smoke")).status(RUN.key) == "finished"


# --- corrupt records: named, counted, the rest goes on ---------------------------------------

def damaged_copy(trained_run, where: Path, damage) -> runs.RunStore:
    results = copy_of(trained_run, where)
    damage(results / "smoke" / "runs" / RUN.key)
    return runs.RunStore(results, load_profile("smoke"))


def cut_short(path: Path) -> None:
    path.write_text(path.read_text()[:40])


def without_column(path: Path, column: str) -> None:
    frame = pd.read_csv(path)
    frame.drop(columns=column).to_csv(path, index=False)


@pytest.mark.parametrize("damage, reason", [
    (lambda run: cut_short(run / "metrics.json"), "metrics.json cannot be read (Unterminated"),
    (lambda run: (run / "history.csv").unlink(), "history.csv cannot be read (No such file"),
    (lambda run: without_column(run / "per_image.csv", "ssim"),
     "per_image.csv lacks ssim, which metrics.json records"),
])
def test_a_finished_run_with_a_damaged_record_is_named_never_counted_and_trained_again(
        trained_run, tmp_path, damage, reason):
    store = damaged_copy(trained_run, tmp_path, damage)
    row = store.collect().set_index("key").loc[RUN.key]
    assert row["status"] == "damaged" and row["reason"].startswith(reason), row["reason"]
    assert store.cached(RUN.key, fingerprint(RUN, load_profile("smoke"))) is None


def test_a_report_names_a_damaged_run_goes_on_and_says_so_in_its_status(trained_run, tmp_path,
                                                                         capsys):
    store = damaged_copy(trained_run, tmp_path, lambda run: cut_short(run / "metrics.json"))
    status = cli.main(["report", "--profile", "smoke", "--results-root", str(store.results_root),
                       "--figures-root", str(tmp_path / "figures")])
    said = capsys.readouterr()
    assert status == 1, said.err[-2000:]
    assert f"damaged: {RUN.key}: metrics.json cannot be read" in said.err
    assert "damaged" in said.out  # counted with the others
    written = pd.read_csv(store.results_root / "smoke" / "all_runs.csv").set_index("key")
    assert written.loc[RUN.key, "status"] == "damaged"
    assert (store.results_root / "smoke" / "findings.md").exists()


def test_a_full_disk_fails_a_report_in_one_line_and_keeps_the_tables(
        trained_run, small_disk, capsys):
    results, figures = small_disk / "results", small_disk / "figures"
    shutil.copytree(trained_run, results)
    arguments = ["report", "--profile", "smoke", "--results-root", str(results),
                 "--figures-root", str(figures)]
    assert cli.main(arguments) == 0
    before = snapshot(results / "smoke" / "tables")
    fill(small_disk, leave=16 * 1024)
    capsys.readouterr()
    assert cli.main(arguments) == 2
    assert "no space left in " in one_line_error(capsys)
    assert snapshot(results / "smoke" / "tables") == before
