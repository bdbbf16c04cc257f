"""Extending the study as docs/extending.md says, here only in temporary registry entries and
temporary copies of params/ and notebooks/: a JPEG-quality obfuscation (its function, its entry
in axes/obfuscation.py, its profile sections), an architecture (its builder registered with
@builds, its entry in axes/architectures.py, its sizes, its notebook) and a measure (its entry,
with its per-image function, in axes/measures.py). Each one's smoke run trains, the grid, the
scheduler and the pipeline hold it, and no other run's fingerprint changes; a measure's run
records it per image, per epoch and in its means, and the tables show it."""
import json
import shutil

import cv2
import numpy as np
import pytest

from facerecon.app import pipeline
from facerecon.axes import networks
from facerecon.axes.architectures import ARCHITECTURES, STUDY_ARCHITECTURES, Architecture
from facerecon.axes.measures import MEASURES, Measure
from facerecon.axes.metrics import ops
from facerecon.axes.obfuscation import OBFUSCATIONS, Obfuscation
from facerecon.core.quiet_keras import keras, layers
from facerecon.experiment import config
from facerecon.experiment.config import RunConfig, load_profile
from facerecon.experiment.fingerprint import fingerprint
from facerecon.reporting import evidence, formatting, tables
from facerecon.experiment import runs, study
from facerecon.training import priority, train

from support import cell_defaults, synthetic_dataset_of


def jpeg(images: np.ndarray, quality: int) -> np.ndarray:
    """Each face encoded as a JPEG at `quality` and decoded again."""
    def once(image):
        ok, data = cv2.imencode(".jpg", np.round(image * 255).astype(np.uint8),
                                [cv2.IMWRITE_JPEG_QUALITY, quality])
        assert ok
        return cv2.imdecode(data, cv2.IMREAD_UNCHANGED).astype(np.float32) / 255

    return np.stack([once(image) for image in images])


def profiles() -> dict:
    return {name: load_profile(name) for name in config.PROFILE_NAMES}


def with_params(tmp_path, monkeypatch, section: str, lines: str) -> None:
    """A params/ copy whose profiles each have `lines` at the top of `section`."""
    params = tmp_path / "params"
    shutil.copytree(config.PARAMS_DIR, params)
    for path in params.glob("*.yaml"):
        text = path.read_text()
        path.write_text(text.replace(f"{section}:\n", f"{section}:\n{lines}", 1))
    monkeypatch.setattr(config, "PARAMS_DIR", params)


def assert_no_other_fingerprint_changed(before: dict, new_run) -> None:
    for name, old in before.items():
        new = load_profile(name)
        for run in study.grid(new) + study.sweep(new):
            if not new_run(run):
                assert json.dumps(fingerprint(run, new)) == json.dumps(fingerprint(run, old)), \
                    run.key


@pytest.fixture
def with_jpeg(tmp_path, monkeypatch):
    """The registry entry and a params/ copy whose profiles each have a jpeg section; the
    profiles as they were before."""
    before = profiles()
    entry = Obfuscation("JPEG", "#009E73", "^", {"quality": "count"}, jpeg, ("input",))
    monkeypatch.setitem(OBFUSCATIONS, "jpeg", entry)
    with_params(tmp_path, monkeypatch, "obfuscations",
                "  jpeg:\n    quality: 10\n    candidates: [{quality: 10}, {quality: 30}]\n")
    return before


def test_a_new_obfuscation_in_one_place_trains_and_changes_no_other_run(with_jpeg, tmp_path):
    smoke = load_profile("smoke")
    assert smoke.obfuscation_settings("jpeg") == {"quality": 10}
    grid = study.grid(load_profile("smoke"))
    assert {r.obfuscation for r in grid} == {"blur", "pixelate", "jpeg"}
    assert any(r.obfuscation == "jpeg" and r.strength == "quality30" for r in study.sweep(load_profile("smoke")))
    assert_no_other_fingerprint_changed(with_jpeg, lambda run: run.obfuscation == "jpeg")
    # ./run_all.sh's notebooks train every obfuscation of the profile
    from facerecon.app import notebook

    params = notebook.notebook_parameters(cell_defaults("10_simple_cnn.ipynb"),
                                          pipeline.ArchitectureNotebookParams)
    assert params.obfuscations == ["blur", "pixelate", "jpeg"]

    run = RunConfig("simple_cnn", "l2", "jpeg", 0, "smoke")
    outcome = train.train_run(run, synthetic_dataset_of("smoke"), tmp_path / "results", verbose=0)
    assert outcome["status"] == "finished" and np.isfinite(outcome["test_psnr"])
    store = runs.RunStore(tmp_path / "results", load_profile("smoke"))
    row = store.collect().set_index("key").loc[run.key]
    assert row["status"] == "finished"
    assert json.loads((store.folder(run.key) / "config.json").read_text())["profile"][
        "obfuscation_settings"] == {"quality": 10}


def test_a_profile_without_the_new_section_fails_in_one_line(with_jpeg):
    path = config.PARAMS_DIR / "smoke.yaml"
    text = path.read_text()
    path.write_text(text.replace("  jpeg:\n    quality: 10\n", "  jpg:\n    quality: 10\n", 1))
    with pytest.raises(config.ConfigError, match=r"params/smoke.yaml: obfuscations: unknown "
                                                 r"key\(s\) jpg; valid: blur, pixelate, jpeg"):
        load_profile("smoke")


def build_tiny(input_shape, bn_momentum: float, filters: int) -> keras.Model:
    """One hidden convolution: the smallest network the pipeline could train."""
    inputs = keras.Input(input_shape)
    x = layers.Conv2D(filters, 3, padding="same", activation="relu")(inputs)
    outputs = layers.Conv2D(3, 3, padding="same", activation="sigmoid")(x)
    return keras.Model(inputs, outputs, name="tiny")


@pytest.fixture
def with_tiny(tmp_path, monkeypatch):
    """The builder, the entry, a params/ copy with its sizes and a notebooks/ copy with its
    notebook; the profiles as they were before."""
    before = profiles()
    monkeypatch.setitem(networks.BUILDERS, "tiny", None)  # undone: the name unregistered
    networks.builds("tiny")(build_tiny)
    monkeypatch.setitem(ARCHITECTURES, "tiny",
                        Architecture("Tiny", "#000000", "x", {"filters": "count"}, priority=1))
    notebooks = tmp_path / "notebooks"
    shutil.copytree(pipeline.NOTEBOOKS, notebooks)
    shutil.copy(notebooks / "20_srresnet.ipynb", notebooks / "50_tiny.ipynb")
    monkeypatch.setattr(pipeline, "NOTEBOOKS", notebooks)
    with_params(tmp_path, monkeypatch, "architectures", "  tiny: {filters: 8}\n")
    return before


def test_a_new_architecture_joins_the_comparison_and_changes_no_other_run(with_tiny, tmp_path):
    smoke = load_profile("smoke")
    assert "tiny" in STUDY_ARCHITECTURES and smoke.architectures["tiny"] == {"filters": 8}
    assert {r.loss for r in study.grid(smoke) if r.architecture == "tiny"} == set(config.LOSS_NAMES)
    order = [r.key for r in priority.priority_order(smoke)]
    # its priority (1, the Simple CNN's): after SRResNet's seed-0 runs, before seed 1's
    assert order.index("tiny__l2__blur__seed0") < order.index("srresnet__l2__blur__seed1")
    assert order.index("srresnet__l2__blur__seed0") < order.index("tiny__l2__blur__seed0")
    steps = pipeline.plan(smoke, list(STUDY_ARCHITECTURES), ["l2"], False, tmp_path / "results",
                          tmp_path / "figures", None)
    assert "50_tiny.ipynb" in {step.notebook for step in steps}
    assert_no_other_fingerprint_changed(with_tiny, lambda run: run.architecture == "tiny")

    run = RunConfig("tiny", "l2", "blur", 0, "smoke")
    outcome = train.train_run(run, synthetic_dataset_of("smoke"), tmp_path / "results", verbose=0)
    assert outcome["status"] == "finished" and np.isfinite(outcome["test_psnr"])


def test_an_architecture_without_its_notebook_is_one_line(with_tiny):
    (pipeline.NOTEBOOKS / "50_tiny.ipynb").unlink()
    with pytest.raises(config.ConfigError, match=r"architecture tiny needs one notebook, "
                                                 r"notebooks/NN_tiny.ipynb"):
        pipeline.architecture_notebook("tiny")


def mean_absolute_error(x, y, data_range: float = 1.0):
    """Per image, the mean absolute difference as a fraction of the data range."""
    return ops.mean(ops.abs(x - y), axis=(1, 2, 3)) / data_range


def test_a_new_measure_in_one_place_is_recorded_and_tabled_and_changes_no_run(monkeypatch,
                                                                                tmp_path):
    before = profiles()
    monkeypatch.setitem(MEASURES, "mae", Measure("MAE", "", 4, higher_is_better=False,
                                                 per_image=mean_absolute_error))
    assert_no_other_fingerprint_changed(before, lambda run: False)

    run = RunConfig("simple_cnn", "l2", "blur", 0, "smoke")
    outcome = train.train_run(run, synthetic_dataset_of("smoke"), tmp_path / "results", verbose=0)
    assert outcome["status"] == "finished"
    assert 0 < outcome["test_mae"] < 1 and 0 < outcome["train_mae"] < 1
    store = runs.RunStore(tmp_path / "results", load_profile("smoke"))
    assert {"mae", "input_mae"} <= set(store.per_image(run.key).columns)
    history = store.history(run.key)
    assert history[["mae", "val_mae"]].notna().all().all()

    found = evidence.gather_evidence(tmp_path / "results", load_profile("smoke"))
    assert found.runs.set_index("key").loc[run.key, "test_mae"] == outcome["test_mae"]
    table = tables.loss_table(found, "l2", "blur")
    assert {"train_mae", "test_mae"} <= set(table.columns)
    assert "Test MAE" in formatting.formatted(table, "{}").columns
