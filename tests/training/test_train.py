"""The training engine on synthetic faces (smoke profile): outputs, cache, atomic writes, NaN."""
import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from facerecon.app import cli
from facerecon.axes import losses
from facerecon.core.io import PROJECT_ROOT
from facerecon.data import faces
from facerecon.experiment import fingerprint
from facerecon.experiment.config import (REFERENCE_ARCHITECTURE, STUDY_LOSSES, RunConfig,
                                         load_profile)
from facerecon.experiment import runs, study
from facerecon.training import train

from support import TRAINED_RUN, copy_of


@pytest.fixture
def results(tmp_path):
    return tmp_path / "results"


def run_folder(results, config):
    return runs.RunStore(results, load_profile(config.profile)).folder(config.key)


def test_a_run_writes_every_output(trained_run, synthetic_dataset):
    config, results = TRAINED_RUN, trained_run
    metrics = runs.RunStore(results, load_profile("smoke")).metrics(config.key)
    folder = run_folder(results, config)
    for name in ("config.json", "history.csv", "per_image.csv", "test_samples.png",
                 "test_faces.npz", "metrics.json"):
        assert (folder / name).exists(), name
    assert runs.RunStore(results, load_profile("smoke")).weights(config.key).exists()
    assert metrics["status"] == "finished"
    for key in ("train_psnr", "train_ssim", "test_psnr", "test_ssim", "test_input_psnr",
                "epochs_run", "best_epoch", "wall_seconds", "backend", "device", "code_version",
                "packages"):
        assert key in metrics, key
    per_image = pd.read_csv(folder / "per_image.csv")
    assert (per_image["subset"] == "test").sum() == synthetic_dataset.profile.n_test
    assert np.isfinite(per_image[["psnr", "ssim"]].to_numpy()).all()
    assert metrics["test_psnr"] == pytest.approx(per_image.query("subset == 'test'")["psnr"].mean())
    assert not list(folder.glob(".*")), "temporary files left behind"
    lfw_index, stored = faces.read_faces(folder / "test_faces.npz")
    assert (lfw_index == synthetic_dataset.lfw_index["test"]).all()
    assert stored.shape == (len(lfw_index), *faces.FACE_SIZE) and stored.dtype == np.uint8


def test_a_finished_run_is_skipped_and_force_recomputes(trained_run, synthetic_dataset, tmp_path,
                                                        monkeypatch):
    config, results = TRAINED_RUN, copy_of(trained_run, tmp_path)
    first = runs.RunStore(results, load_profile("smoke")).metrics(config.key)
    monkeypatch.setattr(train, "build_for_profile", lambda *a, **k: pytest.fail("trained again"))
    second = train.train_run(config, synthetic_dataset, results, verbose=0)
    assert second["status"] == "cached" and second["test_psnr"] == first["test_psnr"]
    with pytest.raises(pytest.fail.Exception, match="trained again"):
        train.train_run(config, synthetic_dataset, results, force=True, verbose=0)


def test_a_changed_configuration_is_not_taken_from_the_cache(trained_run, synthetic_dataset,
                                                             tmp_path):
    config, results = TRAINED_RUN, copy_of(trained_run, tmp_path)
    path = run_folder(results, config) / "metrics.json"
    metrics = json.loads(path.read_text())
    metrics["fingerprint"]["profile"]["learning_rate"] = 0.5
    path.write_text(json.dumps(metrics))
    assert train.train_run(config, synthetic_dataset, results, verbose=0)["status"] == "finished"


def test_an_interrupted_run_leaves_no_metrics(synthetic_dataset, results, monkeypatch):
    config = RunConfig("simple_cnn", "l2", "blur", 0, "smoke")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(train, "evaluate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train.train_run(config, synthetic_dataset, results, verbose=0)
    store = runs.RunStore(results, load_profile("smoke"))
    assert not store.staging(config.key).exists()  # the attempt removes what it staged
    assert not (store.folder(config.key) / "metrics.json").exists()
    assert store.status(config.key) == "missing"


def test_a_runs_lock_refuses_a_second_holder_and_leaves_no_file(results):
    store = runs.RunStore(results, load_profile("smoke"))
    lock = store.runs_dir / ".training.lock"
    with store.lock("training"):
        assert lock.exists()
        with pytest.raises(runs.RunBusy, match="training is being trained by another process"):
            with store.lock("training"):
                pass
        assert lock.exists()
    assert not lock.exists()
    with store.lock("training"):  # taken again at once
        pass
    assert list(store.runs_dir.iterdir()) == []


def test_an_abandoned_staging_folder_is_removed_unless_its_run_trains(results):
    store = runs.RunStore(results, load_profile("smoke"))
    for key in ("killed", "training"):
        (store.staging(key) / "history.csv").parent.mkdir(parents=True)
    with store.lock("training"):
        assert store.discard_abandoned() == ["killed"]
    assert store.staging("training").exists() and not store.staging("killed").exists()


def nan_loss(x, y):
    return losses.l2(x, y) * float("nan")


def test_a_nan_loss_is_recorded_as_failed(synthetic_dataset, results, monkeypatch):
    monkeypatch.setitem(losses.LOSSES, "l2", losses.Loss("NaN", "#000000", "o", nan_loss))
    config = RunConfig("simple_cnn", "l2", "blur", 0, "smoke")
    outcome = train.train_run(config, synthetic_dataset, results, verbose=0)
    folder = run_folder(results, config)
    assert outcome["status"] == "failed"
    assert not (folder / "metrics.json").exists()
    assert "non-finite" in json.loads((folder / "failed.json").read_text())["reason"]


def test_the_grid_has_the_reference_row_under_l2_only():
    grid = study.grid(load_profile("quick"), seeds=[0])
    reference = [r for r in grid if r.architecture == REFERENCE_ARCHITECTURE]
    assert {r.loss for r in reference} == {"l2"}
    assert len([r for r in grid if r.split == "random"]) == 3 * 6 * 2 + 2


def test_the_command_line_rejects_unknown_names(capsys):
    assert cli.main(["train", "--profile", "smoke", "--arch", "unet"]) == 2
    assert "valid: simple_cnn" in capsys.readouterr().err
    assert cli.main(["train", "--profile", "smoke", "--split", "people"]) == 2
    assert "unknown split 'people'; valid: random, identity" in capsys.readouterr().err


def test_the_scheduler_puts_the_issue_priorities_first():
    from facerecon.training.priority import priority_order

    order = priority_order(load_profile("paper"))
    first = {r.architecture for r in order[:20]}
    assert first == {"srresnet", "residual_autoencoder"}
    assert {r.loss for r in order[:20]} == set(STUDY_LOSSES)
    assert order[20].architecture == "simple_cnn"
    assert {r.seed for r in order[:32]} == {0} and {r.seed for r in order[32:64]} == {1}
    assert {r.loss for r in order[:64]} == set(STUDY_LOSSES)
    swept = study.sweep(load_profile("paper"))
    assert swept and order[64:64 + len(swept)] == swept  # the strength sweep next
    after = order[64 + len(swept)]
    assert after.loss == "ms_ssim_l1" and after.seed == 0
    assert len(order) == len(study.grid(load_profile("paper"))) + len(swept)


def test_runs_stored_before_grid_fields_and_splits_existed_stay_cached():
    """A run stored with an older grid (one seed, no identity runs, no split field) is the same
    run: the grid's fields do not change how a run trains."""
    profile = load_profile("quick")
    config = RunConfig("srresnet", "l2", "blur", 0, "quick")
    stored = json.loads(json.dumps(fingerprint.fingerprint(config, profile)))
    stored["run"].pop("split")
    stored["profile"].update(seeds=[0], description="older text")
    for field in ("identity_losses", "identity_seeds"):
        stored["profile"].pop(field, None)
    assert fingerprint.same_fingerprint(stored, fingerprint.fingerprint(config, profile))
    other = RunConfig("srresnet", "l2", "blur", 0, "quick", split="identity")
    assert not fingerprint.same_fingerprint(stored, fingerprint.fingerprint(other, profile))


def test_the_grid_holds_every_seed_and_the_identity_disjoint_runs():
    profile = load_profile("quick")
    grid = study.grid(load_profile("quick"))
    random_runs = [r for r in grid if r.split == "random"]
    assert len(random_runs) == (3 * len(losses.LOSSES) + 1) * 2 * len(profile.seeds)
    identity = [r for r in grid if r.split == "identity"]
    assert {(r.loss, r.seed) for r in identity} == {
        (loss, seed) for loss in profile.identity_losses for seed in profile.identity_seeds}
    assert {r.architecture for r in identity} == {"simple_cnn", "srresnet", "residual_autoencoder"}
    assert all(r.key.endswith("__identity") for r in identity)
    assert len({r.key for r in grid}) == len(grid)
    assert study.grid(load_profile("quick"), losses=["l1"], seeds=[1]) == [
        r for r in random_runs if r.loss == "l1" and r.seed == 1]


def committed_runs():
    for name in ("quick", "paper"):
        profile = load_profile(name)
        store = runs.RunStore(PROJECT_ROOT / "results", profile)
        for config in study.grid(profile):
            if store.status(config.key) == "finished":
                yield store, config


def test_every_committed_run_stays_cached_under_todays_profiles():
    """Runs stored before the profiles had a section per axis (flat blur_* keys, network sizes
    in code, the fingerprint called "identity") are the same runs today."""
    found = list(committed_runs())
    if not found:
        pytest.skip("no committed runs in results/ (fingerprint test)")
    profiles = {p: load_profile(p) for p in ("quick", "paper")}
    stale = [config.key for store, config in found
             if store.cached(config.key, fingerprint.fingerprint(config, profiles[config.profile])) is None]
    assert not stale


def test_a_changed_network_size_is_another_run():
    # The paper profile: its networks have the sizes that records without sizes imply.
    profile = load_profile("paper")
    config = RunConfig("srresnet", "l2", "blur", 0, "paper")
    stored = fingerprint.fingerprint(config, profile)
    bigger = dataclasses.replace(profile, architectures={
        **profile.architectures, "srresnet": {"filters": 64, "blocks": 16}})
    assert not fingerprint.same_fingerprint(stored, fingerprint.fingerprint(config, bigger))
    blur, pixelate = profile.obfuscations["blur"], profile.obfuscations["pixelate"]
    legacy = {**{k: v for k, v in stored["profile"].items()
                 if k not in ("architectures", "obfuscations")},
              "blur_kernel": blur["kernel"], "blur_sigma": blur["sigma"],
              "pixel_block": pixelate["block"],
              "blur_candidates": [[c["kernel"], c["sigma"]] for c in blur["candidates"]],
              "pixel_candidates": [c["block"] for c in pixelate["candidates"]]}
    assert fingerprint.same_fingerprint({"run": stored["run"], "profile": legacy}, stored)
    assert not fingerprint.same_fingerprint(
        {"run": stored["run"], "profile": {**legacy, "blur_kernel": 7}}, stored)
    # a blur run's fingerprint holds no pixelation setting: another axis changes nothing
    assert fingerprint.same_fingerprint(
        {"run": stored["run"], "profile": {**legacy, "pixel_block": pixelate["block"] + 1}}, stored)


def test_the_run_store_says_what_state_a_run_is_in(tmp_path):
    store = runs.RunStore(tmp_path, load_profile("smoke"))
    assert store.status("a") == "missing"
    store.start("a", {"run": {}})
    assert store.status("a") == "incomplete"
    store.fail("a", {"reason": "non-finite loss"})
    assert store.status("a") == "failed" and not store.staging("a").exists()
    store.start("a", {"run": {}})
    (store.staging("a") / "per_image.csv").write_text("subset\n")
    assert store.status("a") == "failed"  # the previous record stands until the new one lands
    store.finish("a", {"test_psnr": 20.0})
    assert store.status("a") == "finished" and store.metrics("a")["test_psnr"] == 20.0
    assert sorted(p.name for p in store.folder("a").iterdir()) == [
        "config.json", "metrics.json", "per_image.csv"]


def test_select_keeps_rows_equal_to_every_value():
    frame = pd.DataFrame({"a": [1, 1, 2, 3], "b": ["x", "y", "x", "x"]})
    assert study.select(frame, a=1, b="x").index.tolist() == [0]
    assert study.select(frame, a=[1, 3], b="x").index.tolist() == [0, 3]
    assert study.select(frame).index.tolist() == [0, 1, 2, 3]


def test_a_sweep_run_trains_on_faces_obfuscated_at_its_strength(synthetic_dataset, results):
    """The sweep's run at block 4 sees block-4 faces, is another run than the grid's (block 2,
    the smoke profile's) and is listed by collect_sweep, not by collect."""
    swept = RunConfig("residual_autoencoder", "l2", "pixelate", 0, "smoke", strength="block4")
    assert study.sweep(load_profile("smoke")) == [swept]
    metrics = train.train_run(swept, synthetic_dataset, results, verbose=0)
    at_block4 = synthetic_dataset.score("test", synthetic_dataset.obfuscated("test", "pixelate",
                                                                             "block4"))
    at_block2 = synthetic_dataset.score("test", synthetic_dataset.obfuscated("test", "pixelate"))
    assert metrics["test_input_psnr"] == pytest.approx(at_block4["psnr"].mean())
    assert metrics["test_input_psnr"] < at_block2["psnr"].mean()
    assert metrics["strength"] == "block4"
    store = runs.RunStore(results, load_profile("smoke"))
    own = RunConfig("residual_autoencoder", "l2", "pixelate", 0, "smoke")
    assert store.cached(own.key, fingerprint.fingerprint(own, load_profile("smoke"))) is None
    assert swept.key not in set(store.collect()["key"])
    sweep_frame = store.collect_sweep()
    assert sweep_frame.set_index("key").loc[swept.key, "status"] == "finished"


def test_the_command_line_trains_a_slice_at_a_named_strength(monkeypatch):
    planned = []
    monkeypatch.setattr(train, "train_many", lambda runs, *a, **k: planned.extend(runs)
                        or pd.DataFrame({"status": ["finished"] * len(runs)}))
    # --force: the plan passes on every run selected, the committed finished ones too
    assert cli.main(["train", "--profile", "quick", "--arch", "srresnet", "--loss", "l2",
                     "--split", "random", "--seed", "0", "--strength", "block3", "--force"]) == 0
    assert [r.key for r in planned] == ["srresnet__l2__pixelate__seed0__block3"]
    planned.clear()
    assert cli.main(["train", "--profile", "quick", "--sweep", "--force"]) == 0
    quick = load_profile("quick")
    swept = sum(len(quick.swept_strengths(name)) for name in quick.obfuscations)
    assert planned == study.sweep(quick) and len(planned) == swept * len(quick.sweep_seeds)
