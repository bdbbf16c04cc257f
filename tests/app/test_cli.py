"""The command line: the installed `facerecon` command, the profile `run` (./run_all.sh) picks
when none is given, said in one line with its reason, and values refused before any work."""
import subprocess
import sys
from pathlib import Path

import pytest

from facerecon.app import cli
from facerecon.core import runtime


def test_the_installed_command_runs():
    command = Path(sys.executable).parent / "facerecon"
    if not command.exists():
        pytest.skip(f"no installed command beside {sys.executable} (pip install -e . makes it)")
    shown = subprocess.run([str(command), "--help"], capture_output=True, text=True, timeout=300)
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert "reconstruct" in shown.stdout and "schedule" in shown.stdout


@pytest.mark.parametrize("found, profile, said", [
    (None, "quick", "backend sees no GPU (paper needs one)"),
    ("NVIDIA H200", "paper", "the Keras backend sees a GPU (NVIDIA H200)"),
])
def test_without_a_profile_the_device_decides(monkeypatch, capsys, found, profile, said):
    monkeypatch.setattr(runtime, "find_accelerator", lambda: found)
    assert cli.default_profile() == profile
    line = capsys.readouterr().out
    assert line.startswith(f"no --profile given: the {profile} profile") and said in line
    assert line.count("\n") == 1


def test_a_gpu_probe_that_fails_says_so(monkeypatch, capsys):
    def broken():
        raise RuntimeError("CUDA driver version is insufficient for CUDA runtime version")

    monkeypatch.setattr(runtime, "find_accelerator", broken)
    assert cli.default_profile() == "quick"
    line = capsys.readouterr().out
    assert "GPU probe of the" in line and "failed (RuntimeError: CUDA driver version" in line
    assert line.count("\n") == 1


def test_a_negative_seed_is_refused_before_any_run_is_claimed(tmp_path, capsys):
    """Keras refuses it only inside a run, which then held its lock: refused up front."""
    results = tmp_path / "results"
    status = cli.main(["train", "--profile", "smoke", "--arch", "simple_cnn", "--loss", "l2",
                       "--obfuscation", "blur", "--seed", "-3", "--results-root", str(results)])
    assert status == 2
    said = capsys.readouterr()
    assert said.err == "error: --seed must be non-negative integers, not '-3'\n" and not said.out
    assert not results.exists()


def test_a_bad_flag_is_said_with_its_commands_usage(capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main(["train", "--profile", "smoke", "--bogus"])
    assert stopped.value.code == 2
    assert "python -m facerecon train: error: unrecognized arguments: --bogus" in \
        capsys.readouterr().err
