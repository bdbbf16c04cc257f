"""The splits, resizing, min-max scaling and the prepared cache, from the 62x47 LFW faces that
lfw.py loads.

A seeded permutation of all LFW images draws the study's images (n_train + n_test). `SPLITS`
says how each split draws its training and validation faces: the study's random split takes
validation faces from outside the study's images, so that training keeps the study's training
images and the test set never steers training; the identity-disjoint split draws them, in the
same seeded order, only from people who have no test face. Every split is scored on the same
test faces. The drawn 62x47 faces are cached as one compressed .npz in data/ (keyed by the
split), and resized to the profile's resolution with cv2.resize on every load: that is cheap,
and keeps the cache small enough to travel to a GPU machine.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
import pandas as pd

from ..axes import face_descriptor
from ..axes.measures import scores_per_image
from ..axes.obfuscation import obfuscate
from ..core import io
from ..core.io import PROJECT_ROOT
from ..core.registry import Registry
from ..experiment import config
from ..experiment.config import Profile
from ..experiment.fingerprint import short_hash
from .lfw import DataError, fetch_lfw, resolve_data_home

SUBSETS = ("train", "val", "test")
CACHE_DIR = PROJECT_ROOT / "data" / "prepared"
INTERPOLATION_FLAGS = {
    "nearest": cv2.INTER_NEAREST, "linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC,
    "area": cv2.INTER_AREA, "lanczos4": cv2.INTER_LANCZOS4,
}


# --- splits and cache --------------------------------------------------------------------------

def random_training(order, people, test, profile: Profile):
    """The study's split: the permutation's first n_train images (test follows them), and the
    validation images after the study's n_train + n_test."""
    n_study = profile.n_train + profile.n_test
    return order[:profile.n_train], order[n_study:n_study + profile.n_val]


def identity_disjoint_training(order, people, test, profile: Profile):
    """Training and validation images, in the same seeded order, only of people who have no
    test face."""
    unseen = order[~np.isin(people[order], people[test])]
    if len(unseen) < profile.n_train + profile.n_val:
        raise DataError(f"profile {profile.name}: only {len(unseen)} faces belong to people "
                        f"outside the test set; the identity-disjoint split needs "
                        f"{profile.n_train + profile.n_val}")
    return unseen[:profile.n_train], unseen[profile.n_train:profile.n_train + profile.n_val]


@dataclass(frozen=True)
class Split:
    label: str
    # (seeded permutation of LFW, each face's person, test indices, profile) -> (train, val)
    draw: Callable


# Every split shares the test faces; they differ in what the networks train and validate on.
SPLITS = Registry("split", {
    "random": Split("random (the study's)", random_training),
    "identity": Split("identity-disjoint", identity_disjoint_training),
}, config.SPLIT_NAMES)


def draw_split(people: np.ndarray, profile: Profile) -> dict[str, np.ndarray]:
    """Indices into LFW (whose faces belong to `people`) of the test faces and of every split's
    training and validation faces, under the cache's names (see stored_subset). A seeded
    permutation of all LFW images: the test faces are its images n_train to n_train + n_test."""
    n_images = len(people)
    needed = profile.n_train + profile.n_test + profile.n_val
    if needed > n_images:
        raise DataError(f"profile {profile.name} needs {needed} images; LFW has {n_images}")
    order = np.random.default_rng(profile.split_seed).permutation(n_images)
    test = order[profile.n_train:profile.n_train + profile.n_test]
    subsets = {"test": test}
    for name, split in SPLITS.items():
        train, val = split.draw(order, people, test, profile)
        subsets[stored_subset(name, "train")], subsets[stored_subset(name, "val")] = train, val
    return subsets


def cache_path(profile: Profile) -> Path:
    """Named by the fields that change which images are drawn (and the cache's layout: 2 added
    the identity-disjoint split)."""
    fields = {k: getattr(profile, k) for k in ("n_train", "n_test", "n_val", "split_seed")}
    return CACHE_DIR / f"lfw_{short_hash({**fields, 'layout': 2})}.npz"


def prepare_cache(profile: Profile, data_home=None, force: bool = False) -> Path:
    """Loads LFW once, draws the split and stores the drawn 62x47 faces in data/prepared/."""
    path = cache_path(profile)
    if path.exists() and not force:
        return path
    print(f"loading LFW through scikit-learn (data_home={resolve_data_home(data_home)}) ...")
    images, names = fetch_lfw(data_home)
    split = draw_split(names, profile)
    arrays = {}
    for subset in split:
        arrays[f"{subset}_images"] = images[split[subset]]
        arrays[f"{subset}_index"] = split[subset]
        arrays[f"{subset}_person"] = names[split[subset]].astype(str)
    buffer = BytesIO()
    np.savez_compressed(buffer, **arrays)
    io.write_bytes(path, buffer.getvalue())
    print(f"cached {len(np.unique(np.concatenate(list(split.values()))))} faces in {path} "
          f"({path.stat().st_size / 2**20:.1f} MB)")
    return path


# --- scaling and the dataset -------------------------------------------------------------------

def resize_images(images: np.ndarray, height: int, width: int, interpolation: str) -> np.ndarray:
    """cv2.resize of every image to (height, width); float32, clipped to the input's 0-255 range
    (cubic and Lanczos kernels overshoot)."""
    flag = INTERPOLATION_FLAGS[interpolation]
    out = np.stack([cv2.resize(img.astype(np.float32), (width, height), interpolation=flag)
                    for img in images])
    return np.clip(out, 0.0, 255.0)


def resize_to_profile(images: np.ndarray, profile: Profile) -> np.ndarray:
    return resize_images(images, profile.height, profile.width, profile.interpolation)


@dataclass(frozen=True)
class MinMaxScaler:
    """Min-max scaling to [0, 1] with the minimum and maximum of the training images; the inverse
    takes network outputs back to the original pixel scale."""

    minimum: float
    maximum: float

    @classmethod
    def fit(cls, images: np.ndarray) -> "MinMaxScaler":
        low, high = float(images.min()), float(images.max())
        if high <= low:
            raise DataError("min-max scaling needs images that are not all one value")
        return cls(low, high)

    def transform(self, images: np.ndarray) -> np.ndarray:
        return ((images - self.minimum) / (self.maximum - self.minimum)).astype(np.float32)

    def to_unit(self, images: np.ndarray) -> np.ndarray:
        """transform, clipped to [0, 1] (faces outside the training range)."""
        return np.clip(self.transform(images), 0.0, 1.0)

    def inverse(self, scaled: np.ndarray) -> np.ndarray:
        return (scaled * (self.maximum - self.minimum) + self.minimum).astype(np.float32)


@dataclass
class Dataset:
    """Original faces of each subset in [0, 1] at the profile's resolution; obfuscated copies
    and the originals' face alignment are made on first use and kept."""

    profile: Profile
    images: dict[str, np.ndarray]
    lfw_index: dict[str, np.ndarray]
    person: dict[str, np.ndarray]
    scaler: MinMaxScaler
    _obfuscated: dict = field(default_factory=dict, repr=False)

    def obfuscated(self, subset: str, obfuscation: str, strength: str = "") -> np.ndarray:
        """The subset obfuscated at a named candidate strength ('': the profile's)."""
        key = (subset, obfuscation, strength)
        if key not in self._obfuscated:
            self._obfuscated[key] = obfuscate(self.images[subset], obfuscation,
                                              **self.profile.strength_settings(obfuscation,
                                                                               strength))
        return self._obfuscated[key]

    def score(self, subset: str, reconstructed: np.ndarray) -> dict[str, np.ndarray]:
        """Per-image scores of reconstructions of a subset against its originals (see
        scores_on_original_scale)."""
        return scores_on_original_scale(self.scaler, reconstructed, self.images[subset])

    def descriptors(self, subset: str, versions: np.ndarray) -> np.ndarray:
        """Deep face descriptors of versions of a subset's faces (RGB in [0, 1]), cut at the
        originals' landmarks (axes/face_descriptor.py; the alignment is fitted once and kept)."""
        key = ("alignment", subset)
        if key not in self._obfuscated:
            self._obfuscated[key] = face_descriptor.align(self.images[subset])
        return face_descriptor.descriptors(versions, self._obfuscated[key])

    def identity(self, subset: str, versions: np.ndarray) -> dict[str, np.ndarray]:
        """Per face, the descriptor distance of a version to its original ('identity') and
        whether it is under dlib's same-person threshold ('same_person', 1.0 or 0.0)."""
        distance = face_descriptor.identity_distance(
            self.descriptors(subset, versions), self.descriptors(subset, self.images[subset]))
        return {"identity": distance,
                "same_person": (distance < face_descriptor.SAME_PERSON).astype(float)}

    def split_frame(self) -> pd.DataFrame:
        return pd.concat([pd.DataFrame({"subset": s, "lfw_index": self.lfw_index[s],
                                        "person": self.person[s]}) for s in SUBSETS],
                         ignore_index=True)


def scores_on_original_scale(scaler: MinMaxScaler, reconstructed: np.ndarray,
                             originals: np.ndarray) -> dict[str, np.ndarray]:
    """Per-image scores (measures.score_names) of images in [0, 1] against originals in [0, 1], on the
    original pixel scale with its range as the data range."""
    return scores_per_image(scaler.inverse(reconstructed), scaler.inverse(originals),
                            scaler.maximum - scaler.minimum)


def stored_subset(split: str, subset: str) -> str:
    """The cache's name for a subset of a split (both splits share the test faces)."""
    return subset if split == "random" or subset == "test" else f"{split}_{subset}"


def dataset_from_arrays(profile: Profile, arrays, split: str = "random") -> Dataset:
    SPLITS[split]  # an unknown split fails here, listing the valid ones
    stored = {s: stored_subset(split, s) for s in SUBSETS}
    resized = {s: resize_to_profile(arrays[f"{stored[s]}_images"], profile) for s in SUBSETS}
    scaler = MinMaxScaler.fit(resized["train"])
    return Dataset(
        profile=profile,
        images={s: scaler.to_unit(resized[s]) for s in SUBSETS},
        lfw_index={s: np.asarray(arrays[f"{stored[s]}_index"]) for s in SUBSETS},
        person={s: np.asarray(arrays[f"{stored[s]}_person"]) for s in SUBSETS},
        scaler=scaler,
    )


def load_dataset(profile: Profile, data_home=None, split: str = "random") -> Dataset:
    """The profile's dataset on one split from the prepared cache (made from LFW on first use)."""
    with np.load(prepare_cache(profile, data_home)) as arrays:
        return dataset_from_arrays(profile, arrays, split)
