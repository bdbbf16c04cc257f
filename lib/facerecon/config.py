"""The study's configuration, a leaf that imports nothing of the project and no Keras: the
names of the four axes (architecture, loss, obfuscation, split), each with a `Registry` elsewhere
(models, losses, obfuscation, data) that must hold exactly these names; the profiles
(params/*.yaml: data, every architecture's and obfuscation's settings, optimisation); and one
run (a profile plus architecture, loss, obfuscation, seed and split). Bad keys or values fail in
one line that lists the valid ones.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PARAMS_DIR = PROJECT_ROOT / "params"
PROFILES = ("smoke", "quick", "paper")
INTERPOLATIONS = ("nearest", "linear", "cubic", "area", "lanczos4")

# --- the axes: each name with the settings a profile gives it, and the kind of each setting ----

ARCHITECTURE_SETTINGS = {
    "simple_cnn": {"filters": "count", "middle_layers": "count"},
    "srresnet": {"filters": "count", "blocks": "count"},
    "residual_autoencoder": {"widths": "counts", "blocks": "count"},
    "original_residual_autoencoder": {"widths": "counts", "blocks": "count"},
}
OBFUSCATION_SETTINGS = {
    "blur": {"kernel": "odd", "sigma": "positive"},
    "pixelate": {"block": "count"},
}
ARCHITECTURES = tuple(ARCHITECTURE_SETTINGS)
LOSSES = ("l2", "l1", "psnr", "ssim", "psnr_ssim", "ms_ssim_l1")
OBFUSCATIONS = tuple(OBFUSCATION_SETTINGS)
# "random": the study's split, the same people in train and test; "identity": the same test
# faces, with training and validation faces drawn only from people who have no test face.
SPLITS = ("random", "identity")

STUDY_ARCHITECTURES = ("simple_cnn", "srresnet", "residual_autoencoder")
STUDY_LOSSES = ("l2", "l1", "psnr", "ssim", "psnr_ssim")
# The study's reference row (trained under L2 only) and the loss every other is tested against.
REFERENCE_ARCHITECTURE, REFERENCE_LOSS = "original_residual_autoencoder", "l2"


class ConfigError(ValueError):
    """A configuration value or key that the study does not know."""


def check_choice(kind: str, value, valid) -> None:
    """Fail with one line that lists the valid names."""
    if value not in valid:
        raise ConfigError(f"unknown {kind} {value!r}; valid: {', '.join(map(str, valid))}")


class Registry(dict):
    """One axis (or another named family): name -> entry, in the configuration's order. Looking
    up an unknown name fails in one line that lists the valid ones."""

    def __init__(self, kind: str, entries: dict, names=None):
        super().__init__(entries)
        self.kind = kind
        if names is not None and tuple(entries) != tuple(names):
            raise ConfigError(f"the {kind} registry holds {', '.join(entries)} but the "
                              f"configuration names {', '.join(names)}: make them agree")

    def __missing__(self, name):
        check_choice(self.kind, name, list(self))


# --- values ------------------------------------------------------------------------------------

def as_float(value) -> float:
    """A number, or a number written as text (YAML reads 1e-4 as text); NaN for anything else."""
    try:
        return float("nan") if isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        return float("nan")


KINDS = {  # kind of a setting: (test, what a value must be)
    "count": (lambda v: type(v) is int and v > 0, "a positive integer"),
    "odd": (lambda v: type(v) is int and v > 0 and v % 2 == 1, "a positive odd integer"),
    "positive": (lambda v: as_float(v) > 0, "a positive number"),
    "counts": (lambda v: type(v) is list and len(v) > 0 and all(type(x) is int and x > 0 for x in v),
               "a non-empty list of positive integers"),
}


def checked(where: str, kind: str, value):
    """The value if it is of its kind (a positive number as a float); else one line naming it."""
    test, text = KINDS[kind]
    if not test(value):
        raise ConfigError(f"{where} must be {text}, not {value!r}")
    return float(value) if kind == "positive" else value


def checked_keys(where: str, given, valid, optional=()) -> None:
    if not isinstance(given, dict):
        raise ConfigError(f"{where} must be a mapping of {', '.join(valid)}")
    unknown = sorted(set(given) - set(valid) - set(optional))
    missing = [k for k in valid if k not in given]
    if unknown:
        raise ConfigError(f"unknown key(s) {', '.join(unknown)} in {where}; valid: "
                          f"{', '.join([*valid, *optional])}")
    if missing:
        raise ConfigError(f"{where} lacks key(s) {', '.join(missing)}")


def settings_of(where: str, given, kinds: dict, optional=()) -> dict:
    """The given settings, checked against their kinds (keys in `optional` are the caller's)."""
    checked_keys(where, given, list(kinds), optional)
    return {k: checked(f"{where}.{k}", kind, given[k]) for k, kind in kinds.items()}


def axis_settings(where: str, given, schema: dict[str, dict], candidates: bool) -> dict:
    """Every entry of an axis with its settings checked; with `candidates`, each entry also
    lists its calibration candidates (default: its own setting), among which its setting is."""
    checked_keys(where, given, list(schema))
    out = {}
    for name, kinds in schema.items():
        here = f"{where}.{name}"
        out[name] = settings_of(here, given[name], kinds, ("candidates",) if candidates else ())
        if candidates:
            options = [settings_of(f"{here}.candidates[{i}]", option, kinds)
                       for i, option in enumerate(given[name].get("candidates") or [out[name]])]
            if out[name] not in options:
                raise ConfigError(f"{here}: the chosen setting must be among its candidates")
            out[name]["candidates"] = options
    return out


# --- profiles ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Profile:
    """Everything a profile fixes: data, the settings of every architecture and obfuscation,
    optimisation."""

    name: str
    description: str
    height: int
    width: int
    interpolation: str
    n_train: int
    n_test: int
    n_val: int
    split_seed: int
    seeds: tuple[int, ...]
    batch_size: int
    learning_rate: float
    patience: int
    max_epochs: int
    architectures: dict  # name -> its hyper-parameters
    obfuscations: dict   # name -> its strength and calibration candidates
    n_samples: int = 6
    bn_momentum: float = 0.99
    run_eagerly: bool = False  # smoke: a handful of steps does not repay compiling them
    # Identity-disjoint runs, reported beside the random split: these losses, these seeds.
    identity_losses: tuple[str, ...] = ()
    identity_seeds: tuple[int, ...] = ()

    def __post_init__(self):
        check_choice("profile", self.name, PROFILES)
        check_choice("interpolation", self.interpolation, INTERPOLATIONS)
        # The residual autoencoder halves the resolution three times and doubles it back.
        if self.height % 8 or self.width % 8:
            raise ConfigError(f"profile {self.name}: height and width must be multiples of 8")
        if not self.seeds:
            raise ConfigError(f"profile {self.name}: seeds must name at least one seed")
        for loss in self.identity_losses:
            check_choice("identity loss", loss, LOSSES)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (self.height, self.width, 3)

    def obfuscation_settings(self, obfuscation: str) -> dict:
        """The obfuscation's strength in this profile, e.g. {'kernel': 13, 'sigma': 7.0}."""
        check_choice("obfuscation", obfuscation, OBFUSCATIONS)
        return {k: v for k, v in self.obfuscations[obfuscation].items() if k != "candidates"}


def load_profile(name: str) -> Profile:
    """Reads params/<name>.yaml into a Profile; unknown profiles or keys fail with the valid ones."""
    check_choice("profile", name, PROFILES)
    raw = yaml.safe_load((PARAMS_DIR / f"{name}.yaml").read_text())
    return profile_from_dict(raw)


COUNT_FIELDS = ("height", "width", "n_train", "n_test", "n_val", "batch_size", "patience",
                "max_epochs", "n_samples")


def profile_from_dict(raw: dict) -> Profile:
    valid = [f.name for f in dataclasses.fields(Profile)]
    unknown = sorted(set(raw) - set(valid))
    if unknown:
        raise ConfigError(f"unknown profile key(s) {', '.join(unknown)}; valid: {', '.join(valid)}")
    missing = [f.name for f in dataclasses.fields(Profile)
               if f.name not in raw and f.default is dataclasses.MISSING]
    if missing:
        raise ConfigError(f"profile {raw.get('name')!r} lacks key(s) {', '.join(missing)}")
    where = f"profile {raw['name']}"
    values = dict(raw)
    for key in COUNT_FIELDS:
        if key in values:
            values[key] = checked(f"{where}: {key}", "count", values[key])
    values["learning_rate"] = checked(f"{where}: learning_rate", "positive", values["learning_rate"])
    values["seeds"] = tuple(int(s) for s in values["seeds"])
    values["identity_seeds"] = tuple(int(s) for s in values.get("identity_seeds", ()))
    values["identity_losses"] = tuple(values.get("identity_losses", ()))
    values["architectures"] = axis_settings(f"{where}: architectures", values["architectures"],
                                            ARCHITECTURE_SETTINGS, candidates=False)
    values["obfuscations"] = axis_settings(f"{where}: obfuscations", values["obfuscations"],
                                           OBFUSCATION_SETTINGS, candidates=True)
    return Profile(**values)


def parse_list(value, valid=None, kind: str = "") -> list | None:
    """A list given as 'a,b' or as a list, each item checked against `valid`; None for all."""
    if value in (None, "", "all"):
        return None
    items = value if isinstance(value, list) else [
        item.strip() for item in str(value).split(",") if item.strip()]
    for item in items if valid is not None else ():
        check_choice(kind, item, valid)
    return items


# --- runs --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RunConfig:
    """One training run of the grid: what is trained, on what, with which loss and seed."""

    architecture: str
    loss: str
    obfuscation: str
    seed: int
    profile: str
    split: str = "random"

    def __post_init__(self):
        check_choice("architecture", self.architecture, ARCHITECTURES)
        check_choice("loss", self.loss, LOSSES)
        check_choice("obfuscation", self.obfuscation, OBFUSCATIONS)
        check_choice("profile", self.profile, PROFILES)
        check_choice("split", self.split, SPLITS)

    @property
    def key(self) -> str:
        """A readable run name, unique within a profile."""
        key = f"{self.architecture}__{self.loss}__{self.obfuscation}__seed{self.seed}"
        return key if self.split == "random" else f"{key}__{self.split}"

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)
