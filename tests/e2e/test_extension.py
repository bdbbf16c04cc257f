"""Extending the study as docs/extending.md says: a JPEG-quality obfuscation is
its function, its registry entry (axes/obfuscation.py) and its profile sections, here only in a
temporary registry entry and a temporary copy of params/. Its smoke run trains, the grid and
the pipeline hold it, and no other run's fingerprint changes."""
import json
import shutil

import cv2
import numpy as np
import pytest

from facerecon.app import pipeline
from facerecon.axes.obfuscation import OBFUSCATIONS, Obfuscation
from facerecon.experiment import config
from facerecon.experiment.config import RunConfig, load_profile
from facerecon.experiment.fingerprint import fingerprint
from facerecon.training import runs, train

from support import cell_defaults, synthetic_dataset_of


def jpeg(images: np.ndarray, quality: int) -> np.ndarray:
    """Each face encoded as a JPEG at `quality` and decoded again."""
    def once(image):
        ok, data = cv2.imencode(".jpg", np.round(image * 255).astype(np.uint8),
                                [cv2.IMWRITE_JPEG_QUALITY, quality])
        assert ok
        return cv2.imdecode(data, cv2.IMREAD_UNCHANGED).astype(np.float32) / 255

    return np.stack([once(image) for image in images])


@pytest.fixture
def with_jpeg(tmp_path, monkeypatch):
    """The registry entry and a params/ copy whose profiles each have a jpeg section."""
    before = {name: load_profile(name) for name in config.PROFILE_NAMES}
    entry = Obfuscation("JPEG", "#009E73", "^", {"quality": "count"}, jpeg, ("input",))
    monkeypatch.setitem(OBFUSCATIONS, "jpeg", entry)
    params = tmp_path / "params"
    shutil.copytree(config.PARAMS_DIR, params)
    for path in params.glob("*.yaml"):
        text = path.read_text()
        path.write_text(text.replace("obfuscations:\n", "obfuscations:\n  jpeg:\n    quality: 10\n"
                                     "    candidates: [{quality: 10}, {quality: 30}]\n", 1))
    monkeypatch.setattr(config, "PARAMS_DIR", params)
    return before


def test_a_new_obfuscation_in_one_place_trains_and_changes_no_other_run(with_jpeg, tmp_path):
    smoke = load_profile("smoke")
    assert smoke.obfuscation_settings("jpeg") == {"quality": 10}
    grid = runs.grid(load_profile("smoke"))
    assert {r.obfuscation for r in grid} == {"blur", "pixelate", "jpeg"}
    assert any(r.obfuscation == "jpeg" and r.strength == "quality30" for r in runs.sweep(load_profile("smoke")))
    for name, old in with_jpeg.items():
        new = load_profile(name)
        for run in runs.grid(new) + runs.sweep(new):
            if run.obfuscation != "jpeg":
                assert json.dumps(fingerprint(run, new)) == json.dumps(fingerprint(run, old)), \
                    run.key
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
