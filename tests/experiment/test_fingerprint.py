"""A run's fingerprint is its own settings only: adding a candidate, an obfuscation or an
architecture to a profile leaves every other run's fingerprint as it was; changing a run's own
setting changes it; reports show a run whose fingerprint is not its profile's as stale."""
import dataclasses
import json

import pytest

from facerecon.experiment.config import RunConfig, load_profile
from facerecon.experiment.fingerprint import fingerprint, fingerprint_differences, same_fingerprint
from facerecon.experiment import runs, study
from facerecon.training import train


def fingerprints(profile, of=None) -> dict:
    """Every run's fingerprint under `profile`, for the runs of `of` (default: the profile's)."""
    of = of or profile
    return {run.key: json.dumps(fingerprint(run, profile), sort_keys=True)
            for run in study.grid(of) + study.sweep(of)}


def with_obfuscation_section(profile, name: str, section: dict):
    return dataclasses.replace(profile, obfuscations={**profile.obfuscations, name: section})


@pytest.mark.parametrize("profile_name", ["quick", "paper"])
def test_adding_a_candidate_an_obfuscation_or_an_architecture_changes_no_other_run(profile_name):
    profile = load_profile(profile_name)
    before = fingerprints(profile)
    pixelate = profile.obfuscations["pixelate"]
    more_candidates = with_obfuscation_section(profile, "pixelate", {
        **pixelate, "candidates": [*pixelate["candidates"], {"block": 10}]})
    new_obfuscation = with_obfuscation_section(profile, "jpeg", {
        "quality": 10, "candidates": [{"quality": 10}]})
    new_architecture = dataclasses.replace(profile, architectures={
        **profile.architectures, "unet": {"filters": 32}})
    for changed in (more_candidates, new_obfuscation, new_architecture):
        assert fingerprints(changed, of=profile) == before


def test_changing_a_runs_own_setting_changes_it_and_only_its_runs():
    profile = load_profile("quick")
    blur = RunConfig("srresnet", "l2", "blur", 0, "quick")
    pixelated = RunConfig("srresnet", "l2", "pixelate", 0, "quick")
    cnn = RunConfig("simple_cnn", "l2", "blur", 0, "quick")
    stronger = with_obfuscation_section(profile, "blur", {
        **profile.obfuscations["blur"], "sigma": 2.0})
    assert not same_fingerprint(fingerprint(blur, profile), fingerprint(blur, stronger))
    assert same_fingerprint(fingerprint(pixelated, profile), fingerprint(pixelated, stronger))
    filters = profile.architectures["srresnet"]["filters"]
    wider = dataclasses.replace(profile, architectures={
        **profile.architectures, "srresnet": {"filters": 2 * filters, "blocks": 5}})
    assert fingerprint_differences(fingerprint(blur, profile), fingerprint(blur, wider)) == [
        f"architecture_settings.filters: {filters} -> {2 * filters}"]
    assert same_fingerprint(fingerprint(cnn, profile), fingerprint(cnn, wider))
    slower = dataclasses.replace(profile, learning_rate=1e-5)
    assert not same_fingerprint(fingerprint(cnn, profile), fingerprint(cnn, slower))


def test_a_swept_run_sees_its_own_strength_only():
    profile = load_profile("quick")
    swept = RunConfig("residual_autoencoder", "l2", "pixelate", 0, "quick", strength="block6")
    settings = fingerprint(swept, profile)["profile"]
    assert settings["obfuscation_settings"] == {"block": 6}
    assert "obfuscations" not in settings and "architectures" not in settings


def test_a_wide_record_of_an_earlier_version_is_the_same_run():
    """Records stored before the fingerprint was narrowed hold every profile setting."""
    profile = load_profile("quick")
    run = RunConfig("srresnet", "l2", "blur", 0, "quick")
    wide = {"run": run.as_dict(), "profile": dataclasses.asdict(profile)}
    assert same_fingerprint(json.loads(json.dumps(wide)), fingerprint(run, profile))
    wide["profile"]["obfuscations"]["blur"]["kernel"] = 3
    assert not same_fingerprint(json.loads(json.dumps(wide)), fingerprint(run, profile))


def test_a_run_whose_profile_changed_is_reported_stale(synthetic_dataset, tmp_path):
    config = RunConfig("simple_cnn", "l2", "blur", 0, "smoke")
    train.train_run(config, synthetic_dataset, tmp_path, verbose=0)
    store = runs.RunStore(tmp_path, load_profile("smoke"))
    row = store.collect().set_index("key").loc[config.key]
    assert row["status"] == "finished"
    path = store.folder(config.key) / "metrics.json"
    metrics = json.loads(path.read_text())
    metrics["fingerprint"]["profile"]["learning_rate"] = 0.5
    path.write_text(json.dumps(metrics))
    frame = runs.RunStore(tmp_path, load_profile("smoke")).collect().set_index("key")
    assert frame.loc[config.key, "status"] == "stale"
    assert "learning_rate: 0.5 -> 0.0001" in frame.loc[config.key, "reason"]
    assert config.key not in set(study.finished(frame.reset_index())["key"])
