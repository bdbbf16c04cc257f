import dataclasses

import pytest
import yaml

from facerecon.config import (PARAMS_DIR, PROFILES, ConfigError, RunConfig, load_profile,
                              profile_from_dict)


@pytest.mark.parametrize("name", PROFILES)
def test_profiles_load(name):
    profile = load_profile(name)
    assert profile.name == name
    assert profile.height % 8 == 0 and profile.width % 8 == 0


def test_paper_profile_is_the_study():
    p = load_profile("paper")
    assert (p.height, p.width, p.n_train, p.n_test) == (112, 112, 2000, 500)
    assert (p.batch_size, p.learning_rate, p.patience) == (16, 1e-4, 5)


def test_unknown_profile_lists_valid_names():
    with pytest.raises(ConfigError, match="valid: smoke, quick, paper"):
        load_profile("huge")


def raw_profile(name="smoke"):
    return yaml.safe_load((PARAMS_DIR / f"{name}.yaml").read_text())


def test_unknown_profile_key_is_rejected():
    raw = raw_profile()
    raw["learning_rte"] = 0.1
    with pytest.raises(ConfigError, match="unknown profile key.*learning_rte.*valid:"):
        profile_from_dict(raw)


def test_missing_profile_key_is_rejected():
    raw = raw_profile()
    del raw["batch_size"]
    with pytest.raises(ConfigError, match="lacks key.*batch_size"):
        profile_from_dict(raw)


@pytest.mark.parametrize("key,value", [("height", 30), ("blur_kernel", 4), ("n_train", 0),
                                        ("interpolation", "bicubic")])
def test_bad_profile_values_are_rejected(key, value):
    raw = raw_profile()
    raw[key] = value
    if key == "blur_kernel":
        raw["blur_candidates"] = [[4, raw["blur_sigma"]]]
    with pytest.raises(ConfigError):
        profile_from_dict(raw)


@pytest.mark.parametrize("field,value", [("architecture", "unet"), ("loss", "l3"),
                                          ("obfuscation", "mosaic"), ("profile", "huge")])
def test_run_config_rejects_unknown_names(field, value):
    fields = dict(architecture="srresnet", loss="ssim", obfuscation="blur", seed=0,
                  profile="smoke")
    fields[field] = value
    with pytest.raises(ConfigError, match="valid:"):
        RunConfig(**fields)


def test_run_key_is_readable_and_profile_frozen():
    config = RunConfig("srresnet", "ssim", "blur", 3, "quick")
    assert config.key == "srresnet__ssim__blur__seed3"
    with pytest.raises(dataclasses.FrozenInstanceError):
        load_profile("smoke").height = 8
