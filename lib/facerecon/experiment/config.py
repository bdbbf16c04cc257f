"""The study's configuration: the names of its axes (read from their registries in axes/, so a
new entry there is a new name here), the profiles (params/*.yaml: data, every architecture's
and obfuscation's settings, optimisation) and one run (a profile plus architecture, loss,
obfuscation, seed, split and strength). Bad keys or values fail in one line that lists the
valid ones. No Keras here.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import yaml

from ..axes.architectures import (  # noqa: F401 (the compared ones and the reference, re-exported)
    ARCHITECTURE_NAMES, ARCHITECTURES, REFERENCE_ARCHITECTURE, STUDY_ARCHITECTURES)
from ..axes.losses import LOSS_NAMES
from ..axes.obfuscation import OBFUSCATION_NAMES, OBFUSCATIONS
from ..core.checks import (ConfigError, check_choice, checked, checked_keys, list_of, one_of,
                           settings_of)
from ..core.io import PROJECT_ROOT

PARAMS_DIR = PROJECT_ROOT / "params"
PROFILE_NAMES = ("smoke", "quick", "paper")
INTERPOLATIONS = ("nearest", "linear", "cubic", "area", "lanczos4")
# "random": the study's split, the same people in train and test; "identity": the same test
# faces, with training and validation faces drawn only from people who have no test face.
SPLIT_NAMES = ("random", "identity")

STUDY_LOSSES = ("l2", "l1", "psnr", "ssim", "psnr_ssim")
# The loss every other is tested against, and the only one the reference row trains under.
REFERENCE_LOSS = "l2"
# How the grid trainer shares a device among the runs of a group (training/lockstep.py).
STRATEGIES = ("vmap", "map", "loop")

# The kind of every profile field but the axes' sections (core.checks.KINDS, or one of names).
FIELD_KINDS = {"name": one_of(PROFILE_NAMES), "description": "text",
               "interpolation": one_of(INTERPOLATIONS),
               "height": "count", "width": "count", "n_train": "count",
               "n_test": "count", "n_val": "count", "split_seed": "seed", "seeds": "seeds",
               "batch_size": "count", "learning_rate": "positive", "patience": "count",
               "max_epochs": "count", "n_samples": "count", "bn_momentum": "fraction",
               "run_eagerly": "flag", "identity_losses": list_of(LOSS_NAMES, "loss names"),
               "identity_seeds": "seeds", "sweep_architecture": one_of(ARCHITECTURE_NAMES),
               "sweep_loss": one_of(LOSS_NAMES), "sweep_seeds": "seeds",
               "needs_accelerator": "flag"}


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
    # The strength sweep: this network and loss, on these seeds, trained at every calibration
    # candidate of every obfuscation (the profile's own strength is its grid run).
    sweep_architecture: str = "residual_autoencoder"
    sweep_loss: str = "l2"
    sweep_seeds: tuple[int, ...] = ()
    # Trained only where the backend sees a GPU, unless a command is given --allow-cpu.
    needs_accelerator: bool = False

    def __post_init__(self):
        # The residual autoencoder halves the resolution three times and doubles it back.
        if self.height % 8 or self.width % 8:
            raise ConfigError(f"profile {self.name}: height and width must be multiples of 8")
        if not self.seeds:
            raise ConfigError(f"profile {self.name}: seeds must name at least one seed")

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (self.height, self.width, 3)

    def obfuscation_settings(self, obfuscation: str) -> dict:
        """The obfuscation's strength in this profile, e.g. {'kernel': 13, 'sigma': 7.0}."""
        check_choice("obfuscation", obfuscation, OBFUSCATION_NAMES)
        return {k: v for k, v in self.obfuscations[obfuscation].items() if k != "candidates"}

    def strength_settings(self, obfuscation: str, strength: str = "") -> dict:
        """The settings of a named candidate strength ('block12'); '' is the profile's own."""
        if not strength:
            return self.obfuscation_settings(obfuscation)
        named = named_candidates(self.obfuscations[obfuscation])
        check_choice(f"strength of {obfuscation} in profile {self.name}", strength, list(named))
        return named[strength]

    def swept_strengths(self, obfuscation: str) -> list[str]:
        """The names of the obfuscation's candidate strengths other than the profile's own."""
        own = self.obfuscation_settings(obfuscation)
        return [strength_name(c) for c in self.obfuscations[obfuscation]["candidates"] if c != own]


def strength_name(settings: dict) -> str:
    """A strength as a run key carries it: 'block12', 'kernel13-sigma7'."""
    return "-".join(f"{k}{v:g}" for k, v in settings.items())


def named_candidates(section: dict) -> dict:
    """An obfuscation section's calibration candidates by strength name ('block12')."""
    return {strength_name(c): c for c in section.get("candidates", [])}


class UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping (PyYAML keeps the last)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is given twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def load_profile(name: str) -> Profile:
    """Reads params/<name>.yaml into a Profile. Anything wrong with the file fails in one line
    that names the file, the key and what is valid."""
    check_choice("profile", name, PROFILE_NAMES)
    where = f"params/{name}.yaml"
    try:
        raw = yaml.load((PARAMS_DIR / f"{name}.yaml").read_text(), UniqueKeyLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{where} is not valid YAML{at}: "
                          f"{getattr(error, 'problem', None) or error}") from None
    except OSError as error:
        raise ConfigError(f"cannot read {where} ({error.strerror})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} holds no settings (an empty file?); see params/quick.yaml")
    if raw.get("name") != name:
        raise ConfigError(f"{where}: name must be {name!r}, not {raw.get('name')!r}")
    return profile_from_dict(raw, where)


def profile_from_dict(raw: dict, where: str | None = None) -> Profile:
    where = where or f"profile {raw.get('name')}"
    fields = dataclasses.fields(Profile)
    checked_keys(where, raw, [f.name for f in fields if f.default is dataclasses.MISSING],
                 [f.name for f in fields if f.default is not dataclasses.MISSING])
    values = dict(raw)
    for key, kind in FIELD_KINDS.items():
        if key in values:
            values[key] = checked(f"{where}: {key}", kind, values[key])
    values["architectures"] = axis_settings(
        f"{where}: architectures", values["architectures"],
        {name: entry.settings for name, entry in ARCHITECTURES.items()}, candidates=False)
    values["obfuscations"] = axis_settings(
        f"{where}: obfuscations", values["obfuscations"],
        {name: entry.settings for name, entry in OBFUSCATIONS.items()}, candidates=True)
    return Profile(**values)


def parse_list(value, valid=None, kind: str = "") -> list | None:
    """A list given as 'a,b' or as a list, each item checked against `valid`; None (not given)
    or 'all' for all. An empty or blank list selects nothing, which is never what was meant: it
    fails in one line listing what is valid."""
    if value is None or value == "all":
        return None
    items = value if isinstance(value, list) else [
        item.strip() for item in str(value).split(",") if item.strip()]
    if not items:
        choices = ", ".join(map(str, valid)) if valid is not None else "one or more values"
        raise ConfigError(f"an empty {kind or 'list'} ({value!r}) selects nothing; give "
                          f"{choices}, or all")
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
    strength: str = ""  # a calibration candidate's strength_name; "": the profile's strength

    def __post_init__(self):
        check_choice("architecture", self.architecture, ARCHITECTURE_NAMES)
        check_choice("loss", self.loss, LOSS_NAMES)
        check_choice("obfuscation", self.obfuscation, OBFUSCATION_NAMES)
        check_choice("profile", self.profile, PROFILE_NAMES)
        check_choice("split", self.split, SPLIT_NAMES)

    @property
    def key(self) -> str:
        """A readable run name, unique within a profile."""
        key = f"{self.architecture}__{self.loss}__{self.obfuscation}__seed{self.seed}"
        key = key if self.split == "random" else f"{key}__{self.split}"
        return f"{key}__{self.strength}" if self.strength else key

    def as_dict(self) -> dict:
        """The run's fields; the strength only where it is not the profile's (so that runs
        stored before the sweep existed keep their records)."""
        fields = dataclasses.asdict(self)
        return fields if self.strength else {k: v for k, v in fields.items() if k != "strength"}
