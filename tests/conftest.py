"""Shared fixtures. Real-data tests use an LFW copy in scikit-learn's layout: $LFW_HOME, else
../shared/lfw_home beside the checkout; where neither exists they are skipped with the reason."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_LFW = ROOT.parent / "shared" / "lfw_home"
# The grid trainer's tests need the JAX backend; tests/test_grid.py runs them in a subprocess.
collect_ignore = [] if os.environ.get("KERAS_BACKEND") == "jax" else ["jax_backend"]


def require_tools(*tools: str) -> None:
    """Skips a test whose command-line tools are missing, with the reason; under CI, which
    installs them (.ci/run), fails it instead: a check CI is meant to run never skips there."""
    import shutil

    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        reason = f"no {' or '.join(missing)}: .ci/run lists the Debian packages that bring it"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


def lfw_copy() -> Path | None:
    candidate = Path(os.environ.get("LFW_HOME") or SHARED_LFW)
    return candidate if (candidate / "lfw").is_dir() or (candidate / "lfw_funneled").is_dir() else None


@pytest.fixture(scope="session")
def lfw_home() -> Path:
    path = lfw_copy()
    if path is None:
        pytest.skip(f"no LFW copy: set LFW_HOME or provide {SHARED_LFW} (real-data test)")
    return path


@pytest.fixture(scope="session")
def lfw_data_home(lfw_home, tmp_path_factory) -> Path:
    """A writable scikit-learn data_home whose lfw_home links to the read-only LFW copy."""
    from facerecon.data.lfw import link_lfw_copy

    return link_lfw_copy(lfw_home, tmp_path_factory.mktemp("scikit_learn_data"))


def random_faces(n: int, height: int, width: int, seed: int = 0) -> np.ndarray:
    """Smooth random 'faces' in 0-255 (uint8), enough for the pipeline's mechanics."""
    rng = np.random.default_rng(seed)
    base = rng.random((n, height // 4 + 1, width // 4 + 1, 3))
    import cv2

    return np.stack([np.clip(cv2.resize(b, (width, height)) * 255, 0, 255) for b in base]
                    ).astype(np.uint8)


def synthetic_dataset_of(profile="smoke", constant_test: int | None = None, split="random"):
    """A Dataset of synthetic faces (no LFW needed) for a profile (a name or a Profile);
    constant_test: every test pixel that value. The identity split trains on other faces."""
    from facerecon.data.dataset import SUBSETS, dataset_from_arrays
    from facerecon.experiment.config import load_profile

    profile = load_profile(profile) if isinstance(profile, str) else profile
    sizes = {"train": profile.n_train, "val": profile.n_val, "test": profile.n_test}
    arrays = {}
    for i, subset in enumerate(SUBSETS):
        seed = i + (10 if split != "random" and subset != "test" else 0)
        arrays[f"{subset}_images"] = random_faces(sizes[subset], 62, 47, seed=seed)
        arrays[f"{subset}_index"] = np.arange(sizes[subset]) + 1000 * i
        arrays[f"{subset}_person"] = np.array([f"person_{j}" for j in range(sizes[subset])])
    if constant_test is not None:
        arrays["test_images"] = np.full_like(arrays["test_images"], constant_test)
    return dataset_from_arrays(profile, arrays)


@pytest.fixture
def synthetic_dataset():
    """A smoke-profile Dataset built from synthetic faces (no LFW needed)."""
    return synthetic_dataset_of()


def cell_defaults(notebook: str) -> dict:
    """The values a notebook's `parameters` cell gives (its parameters' defaults)."""
    import ast

    import papermill

    from facerecon.app.pipeline import NOTEBOOKS

    return {name: ast.literal_eval(p["default"])
            for name, p in papermill.inspect_notebook(str(NOTEBOOKS / notebook)).items()}
