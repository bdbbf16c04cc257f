"""Shared fixtures (helpers without a fixture live in tests/support.py). Real-data tests use an
LFW copy in scikit-learn's layout: $LFW_HOME, else ../shared/lfw_home beside the checkout; where
neither exists they are skipped with the reason. What many tests only read is made once per test
run: one synthetic smoke run (`trained_run`) and the real-LFW smoke study (`smoke_study`).

./run_tests.sh runs test modules side by side, one pytest-xdist worker per core (--dist loadfile:
a module's tests share a worker, so a module's fixtures are made once; a session fixture is made
once per worker that asks for it, so the smoke study's readers stay in one module).
(--dist loadgroup would group finer, but with pytest 9.2 it silently groups nothing:
pytest-xdist issue 1386.)"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from support import (SHARED_LFW, SMOKE_STUDY_LOSSES, TRAINED_RUN, finished, lfw_copy,
                     start_run_all, synthetic_dataset_of)


def minutes(item) -> int:
    marker = item.get_closest_marker("minutes")
    return marker.args[0] if marker else 0


def pytest_collection_modifyitems(items):
    """The longest modules (marked `minutes(n)`) first, so that workers side by side finish
    together; the smoke study is made once per worker that reads it, so its readers stay in one
    module."""
    items.sort(key=lambda item: -minutes(item))  # stable: the rest keep their order
    readers = {item.path for item in items if "smoke_invocations" in item.fixturenames}
    if len(readers) > 1:
        raise pytest.UsageError("the smoke study is read in " + ", ".join(map(str, readers)) +
                                ": keep its readers in tests/e2e/test_run_all.py, or each "
                                "worker trains it again")


# The checks that need the JAX backend; tests/test_jax_backend.py runs them in a subprocess.
collect_ignore = [] if os.environ.get("KERAS_BACKEND") == "jax" else ["jax_backend"]


@pytest.fixture(scope="session")
def lfw_home() -> Path:
    path = lfw_copy()
    if path is None:
        pytest.skip(f"no LFW copy: set LFW_HOME or provide {SHARED_LFW} (real-data test)")
    return path


@pytest.fixture(scope="session")
def lfw_data_home(lfw_home) -> Path:
    """A writable scikit-learn data_home whose lfw_home links to the read-only LFW copy: the
    checkout's data/scikit_learn_data, which ./run_all.sh uses too, so scikit-learn decodes the
    13,233 faces into its cache once for the whole suite (and a checkout), not once per test
    process."""
    from facerecon.data.lfw import LINKED_DATA_HOME, link_lfw_copy

    return link_lfw_copy(lfw_home, LINKED_DATA_HOME)


@pytest.fixture
def synthetic_dataset():
    """A smoke-profile Dataset built from synthetic faces (no LFW needed)."""
    return synthetic_dataset_of()


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory) -> Path:
    """A results root holding one finished smoke run (TRAINED_RUN) on synthetic faces, trained
    once per test run. Read it in place; copy it (`copy_of`) to change it."""
    from facerecon.training import train

    results = tmp_path_factory.mktemp("trained_run") / "results"
    train.train_run(TRAINED_RUN, synthetic_dataset_of(), results, verbose=0)
    return results


@pytest.fixture(scope="session")
def smoke_invocations(lfw_home, tmp_path_factory):
    """./run_all.sh --profile smoke (two losses) on the real LFW, once per test run, and at the
    same time a second invocation of one slice of it on the same results root, as a user with
    two terminals would start them: (results, figures, first, second)."""
    root = tmp_path_factory.mktemp("smoke")
    results, figures = root / "results", root / "figures"
    roots = ["--results-root", str(results), "--figures-root", str(figures)]
    first = start_run_all(root / "first", "--profile", "smoke", "--loss",
                          ",".join(SMOKE_STUDY_LOSSES), *roots)
    second = start_run_all(root / "second", "--profile", "smoke", "--only", "simple_cnn",
                           "--loss", "l2", *roots)
    return results, figures, finished(first, root / "first"), finished(second, root / "second")


@pytest.fixture(scope="session")
def smoke_study(smoke_invocations):
    """The smoke study's (results, figures, console) once it finished."""
    results, figures, first, _ = smoke_invocations
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-4000:]
    return results, figures, first
