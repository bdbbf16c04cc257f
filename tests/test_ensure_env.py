"""The environment's two sets of wheels (scripts/ensure_env.sh): the choice between them
(scripts/device_choice.sh) with a faked nvidia-smi, FACERECON_DEVICE and its bad values; what
ensure_env.sh installs for each set and on a switch, with a stand-in pip (no wheel is
installed); the line ./run_all.sh prints; and, asking the registry, that the GPU pins resolve
for Linux x86_64 on Python 3.11 and 3.12."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from facerecon.app import commands
from facerecon.core import runtime

ROOT = Path(__file__).resolve().parents[1]
CHOICE = ROOT / "scripts" / "device_choice.sh"
PYTHONS = ["3.11", "3.12"]
H100 = "NVIDIA H100 80GB HBM3"
# What the scripts call besides nvidia-smi: a PATH of these alone hides a real nvidia-smi.
TOOLS = ("bash", "dirname", "timeout", "grep", "head", "wc", "cat", "cut", "sort", "comm",
         "sha256sum", "mv", "rm")


def tools_only(folder: Path) -> Path:
    """A folder of links to the tools the scripts use, and nothing else."""
    folder.mkdir()
    for tool in TOOLS:
        (folder / tool).symlink_to(shutil.which(tool))
    return folder


def fake_nvidia_smi(folder: Path, script: str) -> None:
    (folder / "nvidia-smi").write_text("#!/bin/sh\n" + script)
    (folder / "nvidia-smi").chmod(0o755)


def choose(folder: Path, device: str | None = None) -> subprocess.CompletedProcess:
    env = {"PATH": str(folder)} | ({"FACERECON_DEVICE": device} if device is not None else {})
    return subprocess.run(["bash", str(CHOICE)], capture_output=True, text=True, env=env,
                          timeout=60)


@pytest.mark.parametrize("nvidia_smi, said", [
    (f"echo '{H100}'", f"gpu: nvidia-smi lists {H100}"),
    (f"printf '{H100}\\n{H100}\\n'", f"gpu: nvidia-smi lists {H100} and 1 more"),
    ("echo 'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.'; "
     "exit 9", "cpu: nvidia-smi fails, exit status 9: NVIDIA-SMI has failed because"),
    ("exit 0", "cpu: nvidia-smi lists no GPU"),
    (None, "cpu: no nvidia-smi on the PATH"),
])
def test_the_gpu_set_where_nvidia_smi_lists_a_gpu(tmp_path, nvidia_smi, said):
    folder = tools_only(tmp_path / "bin")
    if nvidia_smi is not None:
        fake_nvidia_smi(folder, nvidia_smi)
    chosen = choose(folder)
    assert chosen.returncode == 0, chosen.stderr
    assert chosen.stdout.startswith(said) and chosen.stdout.count("\n") == 1, chosen.stdout


def test_facerecon_device_overrides_the_probe(tmp_path):
    folder = tools_only(tmp_path / "bin")
    assert choose(folder, "gpu").stdout == "gpu: FACERECON_DEVICE=gpu\n"
    fake_nvidia_smi(folder, f"echo '{H100}'")
    assert choose(folder, "cpu").stdout == "cpu: FACERECON_DEVICE=cpu\n"


# --- what ensure_env.sh installs, with a stand-in for the venv's python -m pip -----------------

# Records each call and keeps the "installed" names in a file: `install -r FILE` adds the names
# FILE pins, `uninstall` removes, `list --format=freeze` prints them.
STAND_IN_PIP = """
import sys
from pathlib import Path
here = Path(__file__).parent
installed_file = here / "installed"
installed = set(installed_file.read_text().split()) if installed_file.exists() else set()
args = sys.argv[1:]
with open(here / "calls", "a") as calls:
    calls.write(" ".join(a.rsplit("/", 1)[-1] for a in args) + "\\n")
if args[2] == "list":
    print("\\n".join(sorted(installed)))
elif args[2] == "uninstall":
    installed = {i for i in installed if i.split("==")[0] not in args[3:]}
elif args[2] == "install":
    for i, arg in enumerate(args):
        if arg == "-r":
            installed |= {line.split("==")[0] + "==1" for line in open(args[i + 1])}
installed_file.write_text("\\n".join(sorted(installed)))
"""


@pytest.fixture
def checkout(tmp_path) -> Path:
    """The scripts and pin files in a folder of their own, with a venv whose python is the
    stand-in pip."""
    root = tmp_path / "checkout"
    (root / "scripts").mkdir(parents=True)
    for script in ("ensure_env.sh", "device_choice.sh"):
        shutil.copy(ROOT / "scripts" / script, root / "scripts")
    (root / "requirements.txt").write_text("keras==3\njax==0\n")
    (root / "requirements-gpu.txt").write_text("jax-cuda12-plugin==0\n")
    (root / "pyproject.toml").write_text("")
    (root / ".venv" / "bin").mkdir(parents=True)
    (root / ".venv" / "bin" / "python").write_text(f"#!{sys.executable}\n{STAND_IN_PIP}")
    (root / ".venv" / "bin" / "python").chmod(0o755)
    return root


def ensure_env(root: Path, path: Path, device: str = "") -> tuple[str, list[str]]:
    """Sources ensure_env.sh; its console, KERAS_BACKEND and the choice it exported, and the
    pip calls it made."""
    calls = root / ".venv" / "bin" / "calls"
    calls.unlink(missing_ok=True)
    done = subprocess.run(["bash", "-c", f"source {root}/scripts/ensure_env.sh && echo "
                           "\"KERAS_BACKEND=${KERAS_BACKEND-} $FACERECON_DEVICE_CHOICE\""],
                          capture_output=True, text=True, timeout=60,
                          env={"PATH": str(path), "FACERECON_DEVICE": device})
    assert done.returncode == 0, done.stderr
    return done.stdout, calls.read_text().splitlines() if calls.exists() else []


def installed(root: Path) -> list[str]:
    return (root / ".venv" / "bin" / "installed").read_text().split()


def test_each_set_installs_once_and_a_switch_reinstalls(checkout, tmp_path):
    folder = tools_only(tmp_path / "bin")
    said, calls = ensure_env(checkout, folder)
    assert "installing the pinned requirements, the cpu set" in said
    assert "-m pip install -q -r requirements.txt" in calls
    assert installed(checkout) == ["jax==1", "keras==1"]
    assert said.endswith("KERAS_BACKEND= cpu: no nvidia-smi on the PATH\n")
    assert ensure_env(checkout, folder) == ("KERAS_BACKEND= cpu: no nvidia-smi on the PATH\n", [])

    fake_nvidia_smi(folder, f"echo '{H100}'")
    said, calls = ensure_env(checkout, folder)
    assert f"the gpu set, into {checkout}/.venv (nvidia-smi lists {H100};" in said
    assert "-m pip install -q -r requirements.txt -r requirements-gpu.txt" in calls
    assert installed(checkout) == ["jax-cuda12-plugin==1", "jax==1", "keras==1"]
    assert (checkout / ".venv" / ".gpu-packages").read_text() == "jax-cuda12-plugin\n"
    assert said.endswith(f"KERAS_BACKEND=jax gpu: nvidia-smi lists {H100}\n")
    assert ensure_env(checkout, folder)[1] == []

    said, calls = ensure_env(checkout, folder, "cpu")  # back to today's set, exactly
    assert "-m pip uninstall -q -y jax-cuda12-plugin" in calls
    assert installed(checkout) == ["jax==1", "keras==1"]
    assert not (checkout / ".venv" / ".gpu-packages").exists()
    assert said.endswith("KERAS_BACKEND= cpu: FACERECON_DEVICE=cpu\n")


@pytest.mark.parametrize("value", ["tpu", "GPU", " "])
def test_a_bad_facerecon_device_is_one_line_and_installs_nothing(checkout, tmp_path, value):
    folder = tools_only(tmp_path / "bin")
    script = f"source {checkout}/scripts/ensure_env.sh && echo sourced"
    for done in (choose(folder, value),
                 subprocess.run(["bash", "-c", script], capture_output=True, text=True,
                                timeout=60, env={"PATH": str(folder), "FACERECON_DEVICE": value})):
        assert done.returncode == 2 and done.stdout == ""
        assert done.stderr == (f"error: FACERECON_DEVICE is '{value}'; valid: cpu, gpu (or "
                               "unset: gpu where nvidia-smi lists one)\n")
    assert not (checkout / ".venv" / "bin" / "calls").exists()
    assert not (checkout / ".venv" / ".requirements.sha256").exists()


# --- the line ./run_all.sh prints ---------------------------------------------------------------

@pytest.mark.parametrize("seen, choice, line", [
    (H100, f"gpu: nvidia-smi lists {H100}",
     f"device: GPU (nvidia-smi lists {H100}; the {{backend}} backend sees {H100}); "
     "FACERECON_DEVICE=cpu to train on the CPU"),
    (None, "cpu: no nvidia-smi on the PATH",
     "device: CPU (no nvidia-smi on the PATH; the {backend} backend sees no GPU)"),
    (None, None, "device: CPU (the {backend} backend sees no GPU)"),
])
def test_run_all_says_the_device_and_why(monkeypatch, seen, choice, line):
    monkeypatch.setattr(runtime, "find_accelerator", lambda: seen)
    if choice is None:
        monkeypatch.delenv("FACERECON_DEVICE_CHOICE", raising=False)
    else:
        monkeypatch.setenv("FACERECON_DEVICE_CHOICE", choice)
    assert commands.training_device() == line.format(backend=runtime.backend())


# --- the GPU pins ---------------------------------------------------------------------------------

def pins(name: str, python: str) -> list[Requirement]:
    """The requirements a pin file gives on Linux x86_64 with that Python (pip evaluates markers
    for the Python it runs on, not for --python-version, so they are evaluated here)."""
    where = {"python_version": python, "python_full_version": f"{python}.0",
             "sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64"}
    found = []
    for line in (ROOT / name).read_text().splitlines():
        if line.split("#")[0].strip():
            requirement = Requirement(line.split("#")[0])
            if requirement.marker is None or requirement.marker.evaluate(where):
                requirement.marker = None
                found.append(requirement)
    return found


@pytest.mark.parametrize("python", PYTHONS)
def test_the_gpu_pins_follow_the_jax_pins(python):
    def jax_pins(name):
        return {str(r.specifier) for r in pins(name, python) if r.name == "jax"}

    assert jax_pins("requirements-gpu.txt") == jax_pins("requirements.txt") != set()
    assert {e for r in pins("requirements-gpu.txt", python) for e in r.extras} == {"cuda12"}


@pytest.mark.network
@pytest.mark.skipif(os.environ.get("FACERECON_NETWORK_TESTS") != "1",
                    reason="asks the package registry: FACERECON_NETWORK_TESTS=1")
@pytest.mark.parametrize("python", PYTHONS)
def test_the_gpu_pins_resolve_for_linux_x86_64(python, tmp_path):
    """Wheels only, on top of requirements.txt's pins (as constraints)."""
    wanted, constraints = tmp_path / "gpu.txt", tmp_path / "pins.txt"
    wanted.write_text("\n".join(map(str, pins("requirements-gpu.txt", python))))
    constraints.write_text("\n".join(f"{r.name}{r.specifier}"
                                     for r in pins("requirements.txt", python)))
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--dry-run", "--ignore-installed",
         "--only-binary=:all:", "--platform", "manylinux_2_27_x86_64", "--platform",
         "manylinux2014_x86_64", "--python-version", python, "--target", str(tmp_path / "x"),
         "-r", str(wanted), "-c", str(constraints), "--report", "-"],
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    resolved = {i["metadata"]["name"]: i["metadata"]["version"]
                for i in json.loads(done.stdout)["install"]}
    jax = next(r for r in pins("requirements.txt", python) if r.name == "jax")
    assert jax.specifier.contains(resolved["jax"])
    assert resolved["jax-cuda12-plugin"] == resolved["jaxlib"] == resolved["jax"]
