"""The checks that need the JAX backend (tests/jax_backend/: every architecture and loss, the grid
trainer), in one subprocess with KERAS_BACKEND=jax where JAX is installed: Keras picks its
backend once per process, and this suite's runs on TensorFlow."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import ROOT

pytestmark = pytest.mark.minutes(2)


@pytest.mark.skipif(importlib.util.find_spec("jax") is None,
                    reason="JAX is not installed: the JAX backend's checks are skipped")
def test_every_jax_backend_check_passes():
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    folder = Path(__file__).with_name("jax_backend")
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             str(folder)], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=1500)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-3000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout
