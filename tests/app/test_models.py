"""models/: the best run per obfuscation as float16 weights a researcher can try (models.py), the
`models` command that publishes them with models/index.csv, and `reconstruct --model NAME`.
No LFW needed: a fake results root (the files models.py reads) and the synthetic smoke run."""
import errno
import hashlib
import os

import cv2
import h5py
import numpy as np
import pandas as pd
import pytest

from facerecon.app import cli, models
from facerecon.core import io
from facerecon.core.checks import ConfigError
from facerecon.experiment.config import RunConfig, load_profile
from facerecon.experiment.fingerprint import fingerprint
from facerecon.experiment.runs import RunStore

from support import TRAINED_RUN, random_faces

SMOKE = load_profile("smoke")


def fake_weights(path, seed=0):
    """A Keras-like .weights.h5: the network's arrays and the optimizer's."""
    rng = np.random.default_rng(seed)
    with h5py.File(io.writable_dir(path.parent) / path.name, "w") as f:
        f.create_group("vars").attrs["name"] = "net"
        f.create_dataset("layers/conv2d/vars/0", data=rng.normal(size=(64, 64)).astype("float32"))
        f.create_dataset("layers/conv2d/vars/1", data=rng.normal(size=64).astype("float32"))
        f.create_dataset("optimizer/vars/0", data=np.int64(3))
        f.create_dataset("optimizer/vars/1", data=rng.normal(size=(64, 64)).astype("float32"))


def fake_run(results, config: RunConfig, val_psnr: float, test_psnr: float, weights=True):
    """A finished run: metrics.json (with its fingerprint), history.csv, per_image.csv and its
    weights. Its last epoch has the highest validation PSNR but not the lowest validation loss:
    the restored epoch is the second."""
    store = RunStore(results, SMOKE)
    folder = io.writable_dir(store.folder(config.key))
    pd.DataFrame({"epoch": [1, 2, 3], "val_loss": [0.3, 0.1, 0.2],
                  "val_psnr": [val_psnr - 2, val_psnr, val_psnr + 9],
                  "val_ssim": [0.5, 0.7, 0.9]}).to_csv(folder / "history.csv", index=False)
    pd.DataFrame({"subset": ["test"], "lfw_index": [0], "psnr": [test_psnr],
                  "ssim": [0.6]}).to_csv(folder / "per_image.csv", index=False)
    io.write_json(folder / "metrics.json", {
        "status": "finished", **config.as_dict(), "fingerprint": fingerprint(config, SMOKE),
        "test_psnr": test_psnr, "test_ssim": 0.6, "best_epoch": 2, "code_version": "abc123",
        "device": "CPU: test (2 cores)"})
    if weights:
        fake_weights(store.weights(config.key))
    return config.key


def run(architecture, obfuscation, seed=0, loss="l2", split="random"):
    return RunConfig(architecture, loss, obfuscation, seed, "smoke", split)


@pytest.fixture
def results(tmp_path):
    """Runs whose validation and test orders disagree, and runs that never count."""
    root = tmp_path / "results"
    fake_run(root, run("srresnet", "blur"), val_psnr=25.0, test_psnr=24.0)     # best on val
    fake_run(root, run("simple_cnn", "blur"), val_psnr=24.0, test_psnr=27.0)   # best on test
    fake_run(root, run("simple_cnn", "pixelate"), val_psnr=20.0, test_psnr=19.0)
    fake_run(root, run("srresnet", "pixelate"), val_psnr=30.0, test_psnr=30.0, weights=False)
    fake_run(root, run("srresnet", "blur", split="identity"), val_psnr=40.0, test_psnr=40.0)
    return root


def test_the_best_run_is_chosen_on_validation_at_the_restored_epoch(results):
    # simple_cnn's blur run has the better test PSNR and srresnet's the better validation PSNR;
    # a run without weights and the identity split's run never count
    assert models.best_run_per_obfuscation(results, SMOKE) == {
        "blur": "srresnet__l2__blur__seed0", "pixelate": "simple_cnn__l2__pixelate__seed0"}
    assert models.best_runs(RunStore(results, SMOKE), ("architecture", "obfuscation")) == {
        ("simple_cnn", "blur"): "simple_cnn__l2__blur__seed0",
        ("simple_cnn", "pixelate"): "simple_cnn__l2__pixelate__seed0",
        ("srresnet", "blur"): "srresnet__l2__blur__seed0"}
    chosen = models.candidates(results, SMOKE).set_index("key")
    assert chosen.loc["srresnet__l2__blur__seed0", ["epoch", "val_psnr"]].tolist() == [2, 25.0]


def test_the_float16_copy_is_at_most_half_and_keeps_no_optimizer(tmp_path):
    source, copy = tmp_path / "run.weights.h5", tmp_path / "copy.weights.h5"
    fake_weights(source)
    models.to_float16(source, copy)
    assert copy.stat().st_size <= source.stat().st_size / 2
    with h5py.File(source) as given, h5py.File(copy) as halved:
        assert set(halved) == {"layers", "vars"} and halved["vars"].attrs["name"] == "net"
        weights = given["layers/conv2d/vars/0"][()]
        assert halved["layers/conv2d/vars/0"].dtype == np.float16
        np.testing.assert_array_equal(halved["layers/conv2d/vars/0"][()],
                                      weights.astype(np.float16))


def test_a_failed_copy_keeps_the_previous_file(tmp_path, monkeypatch):
    source, target = tmp_path / "run.weights.h5", tmp_path / "models" / "m.weights.h5"
    fake_weights(source)
    models.to_float16(source, target)
    before = target.read_bytes()
    with h5py.File(source, "a") as f:
        f["layers/conv2d/vars/1"][0] = 1e6  # beyond float16's range
    with pytest.raises(ConfigError, match="beyond float16's range"):
        models.to_float16(source, target)
    fake_weights(source, seed=1)

    def full_disk(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(io.OutputError, match="no space left"):
        models.to_float16(source, target)
    assert target.read_bytes() == before and [p.name for p in target.parent.iterdir()] == [
        target.name]


def test_publishing_twice_leaves_the_same_bytes(results, tmp_path, capsys):
    out = tmp_path / "models"
    argv = ["models", "--profile", "smoke", "--results-root", str(results), "--models-dir",
            str(out)]
    assert cli.main(argv) == 0
    first = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.iterdir()}
    assert cli.main(argv) == 0
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.iterdir()} == first
    assert sorted(first) == ["index.csv", "smoke__simple_cnn__l2__pixelate__seed0.weights.h5",
                             "smoke__srresnet__l2__blur__seed0.weights.h5"]
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("smoke__srresnet__l2__blur__seed0.weights.h5: ") and \
        "val PSNR 25.00 dB, test PSNR 24.00 dB / SSIM 0.6000" in printed[0]
    index = pd.read_csv(out / "index.csv", dtype=str)
    assert list(index.columns) == list(models.INDEX_COLUMNS)
    blur = index.set_index("obfuscation").loc["blur"]
    assert (blur["resolution"], blur["epoch"], blur["val_ssim"], blur["device"]) == (
        "16x16", "2", "0.7000", "CPU: test (2 cores)")
    assert blur["selection"] == "best validation PSNR of 2 finished blur runs"
    assert int(blur["bytes"]) == (out / f"{blur['name']}.weights.h5").stat().st_size


def test_a_better_run_replaces_its_obfuscations_model(results, tmp_path):
    out = tmp_path / "models"
    models.publish_best(results, SMOKE, out)
    fake_run(results, run("srresnet", "blur", seed=1), val_psnr=26.0, test_psnr=20.0)
    models.publish_best(results, SMOKE, out)
    assert models.available(out) == ["smoke__simple_cnn__l2__pixelate__seed0",
                                     "smoke__srresnet__l2__blur__seed1"]
    assert pd.read_csv(out / "index.csv")["name"].tolist() == models.available(out)


def test_a_profile_without_weights_is_one_line(tmp_path, capsys):
    results = tmp_path / "results"
    fake_run(results, run("srresnet", "blur"), 25.0, 24.0, weights=False)
    for root in (results, tmp_path / "nowhere"):
        assert cli.main(["models", "--profile", "smoke", "--results-root", str(root),
                         "--models-dir", str(tmp_path / "models")]) == 2
        error = capsys.readouterr().err.strip()
        assert error.startswith("error: ") and len(error.splitlines()) == 1
    assert "no finished run of profile smoke has its weights" in error or "does not exist" in error
    assert not (tmp_path / "models").exists()


def test_a_model_is_found_by_name_or_path(results, tmp_path):
    out = tmp_path / "models"
    path = models.publish(results, SMOKE, "srresnet__l2__blur__seed0", out)
    fields = {"architecture": "srresnet", "loss": "l2", "obfuscation": "blur", "seed": 0,
              "key": "srresnet__l2__blur__seed0"}
    for given in ("smoke__srresnet__l2__blur__seed0", path.name, path):
        assert models.resolve(given, out) == (path, "smoke", fields)
    run_weights = RunStore(results, SMOKE).weights("srresnet__l2__blur__seed0")
    assert models.resolve(run_weights, out) == (run_weights, "smoke", fields)


def test_an_unknown_name_is_one_line_that_lists_the_models(results, tmp_path, monkeypatch,
                                                             capsys):
    out = tmp_path / "models"
    models.publish_best(results, SMOKE, out)
    monkeypatch.setattr(models, "MODELS_DIR", out)
    assert cli.main(["reconstruct", "--model", "quick__nothing", str(tmp_path)]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "no model 'quick__nothing'" in error
    assert "smoke__simple_cnn__l2__pixelate__seed0, smoke__srresnet__l2__blur__seed0" in error


def test_reconstruct_names_the_model_its_profile_and_resolution(trained_run, tmp_path,
                                                                 monkeypatch, capsys):
    """The smoke run's float16 copy, by name: its line, then reconstructions that differ from
    the float32 weights' by float16 rounding only."""
    out = tmp_path / "models"
    monkeypatch.setattr(models, "MODELS_DIR", out)
    models.publish(trained_run, SMOKE, TRAINED_RUN.key, out)
    name = models.model_name("smoke", TRAINED_RUN.key)
    portrait = tmp_path / "portrait.png"
    cv2.imwrite(str(portrait), cv2.resize(random_faces(1, 250, 250, seed=3)[0], (120, 180)))
    assert cli.main(["reconstruct", "--model", name, str(portrait), "--obfuscated",
                     "--out", str(tmp_path / "out")]) == 0
    assert capsys.readouterr().out.splitlines()[0] == (
        f"model {name}: simple_cnn trained with l2 on blur, profile smoke, reconstructs at 16x16")
    assert (tmp_path / "out" / f"portrait__smoke-16x16__{TRAINED_RUN.key}.png").exists()

    from facerecon.axes.networks import build_for_profile

    faces = random_faces(8, 16, 16, seed=1).astype("float32") / 255
    outputs = []
    for weights in (RunStore(trained_run, SMOKE).weights(TRAINED_RUN.key),
                    out / f"{name}.weights.h5"):
        model = build_for_profile(TRAINED_RUN.architecture, SMOKE)
        model.load_weights(weights)
        assert {w.dtype for w in model.weights} == {"float32"}
        outputs.append(np.asarray(model(faces, training=False)))
    assert 0 < np.abs(outputs[0] - outputs[1]).max() < 1e-2
