"""Configuration in one place: the profiles (params/*.yaml) and the configuration of one run.

A profile fixes everything about the data, the obfuscations and the optimisation; a run adds the
architecture, the loss, the obfuscation, the training seed and the split (the study's random
split, or the identity-disjoint one). Unknown keys or values fail with a message that lists the
valid ones.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PARAMS_DIR = PROJECT_ROOT / "params"
PROFILES = ("smoke", "quick", "paper")
OBFUSCATIONS = ("blur", "pixelate")
INTERPOLATIONS = ("nearest", "linear", "cubic", "area", "lanczos4")
# "random": the study's split, the same people in train and test; "identity": the same test
# faces, with training and validation faces drawn only from people who have no test face.
SPLITS = ("random", "identity")
# Profile fields that say which runs a grid holds, not how a run trains: changing them keeps
# every finished run (a run's own seed and split are part of the run).
GRID_FIELDS = ("description", "seeds", "identity_losses", "identity_seeds")


class ConfigError(ValueError):
    """A configuration value or key that the study does not know."""


def check_choice(kind: str, value, valid) -> None:
    """Fail with one line that lists the valid names."""
    if value not in valid:
        raise ConfigError(f"unknown {kind} {value!r}; valid: {', '.join(map(str, valid))}")


@dataclass(frozen=True)
class Profile:
    """Everything a profile fixes: data, obfuscation strengths and optimisation."""

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
    blur_kernel: int
    blur_sigma: float
    pixel_block: int
    blur_candidates: tuple[tuple[int, float], ...]
    pixel_candidates: tuple[int, ...]
    n_samples: int = 6
    bn_momentum: float = 0.99
    run_eagerly: bool = False  # smoke: a handful of steps does not repay compiling them
    # Identity-disjoint runs, reported beside the random split: these losses, these seeds.
    identity_losses: tuple[str, ...] = ()
    identity_seeds: tuple[int, ...] = ()

    def __post_init__(self):
        check_choice("profile", self.name, PROFILES)
        check_choice("interpolation", self.interpolation, INTERPOLATIONS)
        positive = ("height", "width", "n_train", "n_test", "n_val", "batch_size", "patience",
                    "max_epochs", "blur_kernel", "pixel_block", "n_samples")
        for key in positive:
            if not isinstance(getattr(self, key), int) or getattr(self, key) <= 0:
                raise ConfigError(f"profile {self.name}: {key} must be a positive integer")
        # The residual autoencoder halves the resolution three times and doubles it back.
        if self.height % 8 or self.width % 8:
            raise ConfigError(f"profile {self.name}: height and width must be multiples of 8")
        if self.blur_kernel % 2 == 0 or any(k % 2 == 0 for k, _ in self.blur_candidates):
            raise ConfigError(f"profile {self.name}: Gaussian kernel sizes must be odd")
        if (self.blur_kernel, self.blur_sigma) not in self.blur_candidates or \
                self.pixel_block not in self.pixel_candidates:
            raise ConfigError(f"profile {self.name}: the chosen blur and pixel block must be "
                              "among the calibration candidates")
        if not self.seeds:
            raise ConfigError(f"profile {self.name}: seeds must name at least one seed")
        from .losses import LOSSES

        for loss in self.identity_losses:
            check_choice("identity loss", loss, list(LOSSES))

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (self.height, self.width, 3)

    def data_key(self) -> str:
        """Names the prepared-data cache: only the fields that change which images are drawn
        (and the cache's layout: 2 added the identity-disjoint split)."""
        fields = {k: getattr(self, k) for k in ("n_train", "n_test", "n_val", "split_seed")}
        return "lfw_" + short_hash({**fields, "layout": 2})

    def run_settings(self) -> dict:
        """The settings that make a run what it is: every field but the GRID_FIELDS."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k not in GRID_FIELDS}

    def obfuscation_params(self, obfuscation: str) -> dict:
        check_choice("obfuscation", obfuscation, OBFUSCATIONS)
        if obfuscation == "blur":
            return {"kernel": self.blur_kernel, "sigma": self.blur_sigma}
        return {"block": self.pixel_block}


def short_hash(obj) -> str:
    text = json.dumps(obj, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def load_profile(name: str) -> Profile:
    """Reads params/<name>.yaml into a Profile; unknown profiles or keys fail with the valid ones."""
    check_choice("profile", name, PROFILES)
    raw = yaml.safe_load((PARAMS_DIR / f"{name}.yaml").read_text())
    return profile_from_dict(raw)


def profile_from_dict(raw: dict) -> Profile:
    valid = [f.name for f in dataclasses.fields(Profile)]
    unknown = sorted(set(raw) - set(valid))
    if unknown:
        raise ConfigError(f"unknown profile key(s) {', '.join(unknown)}; valid: {', '.join(valid)}")
    missing = [f.name for f in dataclasses.fields(Profile)
               if f.name not in raw and f.default is dataclasses.MISSING]
    if missing:
        raise ConfigError(f"profile {raw.get('name')!r} lacks key(s) {', '.join(missing)}")
    values = dict(raw)
    values["seeds"] = tuple(int(s) for s in values["seeds"])
    values["identity_seeds"] = tuple(int(s) for s in values.get("identity_seeds", ()))
    values["identity_losses"] = tuple(values.get("identity_losses", ()))
    values["blur_candidates"] = tuple((int(k), float(s)) for k, s in values["blur_candidates"])
    values["pixel_candidates"] = tuple(int(b) for b in values["pixel_candidates"])
    values["blur_sigma"] = float(values["blur_sigma"])
    values["learning_rate"] = float(values["learning_rate"])
    return Profile(**values)


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
        from .losses import LOSSES
        from .models import ARCHITECTURES

        check_choice("architecture", self.architecture, list(ARCHITECTURES))
        check_choice("loss", self.loss, list(LOSSES))
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


@dataclass(frozen=True)
class ArchitectureNotebookParams:
    """The parameters of an architecture notebook (its papermill `parameters` cell)."""

    profile: str = "smoke"
    loss: str = "l2"
    obfuscations: list = field(default_factory=lambda: list(OBFUSCATIONS))
    seeds: list | None = None
    results_root: str | None = None  # None: the project's results/
    data_home: str | None = None
    force: bool = False


@dataclass(frozen=True)
class DataPrepNotebookParams:
    """The parameters of 00_data_prep."""

    profile: str = "smoke"
    data_home: str | None = None
    results_root: str | None = None
    figures_root: str | None = None


@dataclass(frozen=True)
class ComparisonNotebookParams:
    """The parameters of 90_comparison, which reads results and never trains."""

    profile: str = "smoke"
    results_root: str | None = None
    figures_root: str | None = None
