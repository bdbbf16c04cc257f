import dataclasses

import pytest
import yaml

from facerecon.core.checks import ConfigError
from facerecon.core.registry import Registry
from facerecon.experiment import config
from facerecon.experiment.config import (PARAMS_DIR, PROFILE_NAMES, RunConfig, load_profile,
                                         profile_from_dict)


@pytest.mark.parametrize("name", PROFILE_NAMES)
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
    with pytest.raises(ConfigError, match="unknown key.*learning_rte.*valid:"):
        profile_from_dict(raw)


def test_missing_profile_key_is_rejected():
    raw = raw_profile()
    del raw["batch_size"]
    with pytest.raises(ConfigError, match="lacks key.*batch_size"):
        profile_from_dict(raw)


@pytest.mark.parametrize("key,value", [("height", 30), ("n_train", 0),
                                        ("interpolation", "bicubic")])
def test_bad_profile_values_are_rejected(key, value):
    raw = raw_profile()
    raw[key] = value
    with pytest.raises(ConfigError):
        profile_from_dict(raw)


@pytest.mark.parametrize("value", [float("inf"), float("nan"), ".inf", -1e-4])
def test_a_learning_rate_that_is_not_a_positive_finite_number_is_refused(value):
    raw = raw_profile()
    raw["learning_rate"] = value
    with pytest.raises(ConfigError, match="learning_rate must be a positive finite number"):
        profile_from_dict(raw)


def test_a_key_given_twice_is_refused_in_one_line(tmp_path, monkeypatch):
    """PyYAML keeps the last of two equal keys; a profile says which key and where instead."""
    params = tmp_path / "params"
    params.mkdir()
    text = (PARAMS_DIR / "smoke.yaml").read_text()
    (params / "smoke.yaml").write_text(text + "batch_size: 3\n")
    monkeypatch.setattr(config, "PARAMS_DIR", params)
    lines = len(text.splitlines())
    with pytest.raises(ConfigError, match=rf"params/smoke.yaml is not valid YAML at line "
                                          rf"{lines + 1}, column 1: the key 'batch_size' is "
                                          rf"given twice$"):
        load_profile("smoke")


@pytest.mark.parametrize("axis,name,key,value,message", [
    ("obfuscations", "blur", "kernel", 4, r"obfuscations.blur.kernel must be a positive odd"),
    ("obfuscations", "pixelate", "block", "big", r"obfuscations.pixelate.block must be a positive"),
    ("obfuscations", "blur", "kernl", 3, r"unknown key.*kernl.*valid: kernel, sigma, candidates"),
    ("architectures", "srresnet", "blocks", 0, r"architectures.srresnet.blocks must be"),
    ("architectures", "srresnet", "depth", 3, r"unknown key.*depth.*valid: filters, blocks"),
])
def test_bad_axis_settings_are_rejected_in_one_line(axis, name, key, value, message):
    raw = raw_profile()
    raw[axis][name][key] = value
    with pytest.raises(ConfigError, match=message):
        profile_from_dict(raw)


def test_every_axis_entry_must_be_given_and_known():
    raw = raw_profile()
    raw["obfuscations"]["jpeg"] = {"quality": 10}
    with pytest.raises(ConfigError, match="unknown key.*jpeg.*valid: blur, pixelate"):
        profile_from_dict(raw)
    raw = raw_profile()
    del raw["architectures"]["simple_cnn"]
    with pytest.raises(ConfigError, match="architectures lacks key.*simple_cnn"):
        profile_from_dict(raw)


def test_an_obfuscation_setting_must_be_among_its_candidates():
    raw = raw_profile()
    raw["obfuscations"]["pixelate"]["block"] = 3
    with pytest.raises(ConfigError, match="pixelate: the chosen setting must be among"):
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


def test_each_axis_is_named_once_for_the_whole_code():
    """The configuration's names are its registries' names, in their order, and every entry
    takes exactly the settings its registry entry says the profiles give it."""
    import inspect

    from facerecon.axes import architectures, losses, networks, obfuscation
    from facerecon.data import dataset as data
    from facerecon.data.baselines import METHODS

    assert list(config.ARCHITECTURE_NAMES) == list(architectures.ARCHITECTURES)
    assert list(config.LOSS_NAMES) == list(losses.LOSSES)
    assert list(config.OBFUSCATION_NAMES) == list(obfuscation.OBFUSCATIONS)
    assert tuple(data.SPLITS) == config.SPLIT_NAMES

    def required(function):
        return [p.name for p in inspect.signature(function).parameters.values()
                if p.default is inspect.Parameter.empty]

    for name, entry in architectures.ARCHITECTURES.items():
        assert required(networks.BUILDERS[name])[2:] == list(entry.settings), name
    for name, entry in obfuscation.OBFUSCATIONS.items():
        assert required(entry.apply)[1:] == list(entry.settings), name
    for name, entry in losses.LOSSES.items():
        assert callable(entry.function), name
    assert all(m in METHODS for entry in obfuscation.OBFUSCATIONS.values() for m in entry.baselines)


def test_a_registry_with_other_names_than_the_configuration_is_refused():
    with pytest.raises(ConfigError, match="registry holds l2, l3 but the configuration names"):
        Registry("loss", {"l2": 1, "l3": 2}, ("l2", "l1"))
    with pytest.raises(ConfigError, match="unknown loss 'l3'; valid: l2"):
        Registry("loss", {"l2": 1})["l3"]


def test_a_strength_is_named_in_run_keys_and_must_be_a_candidate():
    from facerecon.experiment.config import strength_name

    assert strength_name({"block": 12}) == "block12"
    assert strength_name({"kernel": 5, "sigma": 1.2}) == "kernel5-sigma1.2"
    assert strength_name({"kernel": 13, "sigma": 7.0}) == "kernel13-sigma7"
    quick = load_profile("quick")
    assert quick.strength_settings("pixelate", "block6") == {"block": 6}
    assert quick.strength_settings("pixelate") == quick.obfuscation_settings("pixelate")
    own = f"block{quick.obfuscations['pixelate']['block']}"  # the profile's own: the grid's
    assert quick.swept_strengths("pixelate") == [
        name for name in ("block3", "block4", "block5", "block6") if name != own]
    with pytest.raises(ConfigError, match="strength of pixelate in profile quick 'block7'; "
                                          "valid: block3, block4, block5, block6"):
        quick.strength_settings("pixelate", "block7")
    swept = RunConfig("residual_autoencoder", "l2", "pixelate", 0, "quick", strength="block6")
    assert swept.key == "residual_autoencoder__l2__pixelate__seed0__block6"
    assert swept.as_dict()["strength"] == "block6"
    # A run at the profile's strength keeps the fields (and so the records) it always had.
    assert "strength" not in RunConfig("srresnet", "l2", "blur", 0, "quick").as_dict()


@pytest.mark.parametrize("key,value", [("sweep_architecture", "unet"), ("sweep_loss", "l3"),
                                       ("sweep_seeds", [-1])])
def test_bad_sweep_settings_are_rejected(key, value):
    raw = yaml.safe_load((PARAMS_DIR / "smoke.yaml").read_text())
    raw[key] = value
    with pytest.raises(ConfigError, match=key):
        profile_from_dict(raw)
