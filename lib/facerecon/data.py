"""LFW through scikit-learn, the seeded split, resizing, min-max scaling and the prepared cache.

Pipeline: fetch_lfw_people(color=True, resize=0.5) gives 62x47 RGB faces. A seeded permutation
of all LFW images draws the study's images (n_train + n_test) and, from the images outside
them, a validation set for early stopping, so that training keeps the study's training images
and the test set never steers training. The identity-disjoint split keeps the same test faces
and draws training and validation faces, in the same seeded order, only from people who have
no test face: the two splits are scored on the same images. The drawn 62x47 faces are cached as one compressed
.npz in data/ (keyed by the split), and resized to the profile's resolution with cv2.resize on
every load: that is cheap, and keeps the cache small enough to travel to a GPU machine.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from . import io
from .config import PROJECT_ROOT, SPLITS, Profile, check_choice
from .obfuscation import obfuscate_for_profile

LFW_IMAGES = 13233
LFW_FUNNELED_MB = 230
SUBSETS = ("train", "val", "test")
CACHE_DIR = PROJECT_ROOT / "data" / "prepared"
LINKED_DATA_HOME = PROJECT_ROOT / "data" / "scikit_learn_data"
INTERPOLATION_FLAGS = {
    "nearest": cv2.INTER_NEAREST, "linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC,
    "area": cv2.INTER_AREA, "lanczos4": cv2.INTER_LANCZOS4,
}


class DataError(RuntimeError):
    """LFW is missing, partial or unreadable."""


# --- where LFW lives ---------------------------------------------------------------------------

def resolve_data_home(data_home: str | os.PathLike | None = None) -> Path:
    """scikit-learn's convention: an explicit folder, else $SCIKIT_LEARN_DATA, else
    ~/scikit_learn_data. If $LFW_HOME names an existing (possibly read-only) lfw_home folder and
    no folder is given, that copy is linked into the writable data/scikit_learn_data."""
    if data_home is not None:
        return Path(data_home).expanduser()
    if os.environ.get("LFW_HOME"):
        return link_lfw_copy(os.environ["LFW_HOME"], LINKED_DATA_HOME)
    from sklearn.datasets import get_data_home

    return Path(get_data_home())


def link_lfw_copy(lfw_home: str | os.PathLike, data_home: str | os.PathLike) -> Path:
    """Makes data_home/lfw_home a writable folder whose entries link to an existing LFW copy
    (scikit-learn writes its joblib cache beside the images, which a read-only copy forbids)."""
    source, data_home = Path(lfw_home).expanduser().resolve(), Path(data_home)
    if not source.is_dir():
        raise DataError(f"LFW_HOME={source} is not a folder; point it at an lfw_home folder "
                        "holding lfw/ or lfw_funneled/")
    target = data_home / "lfw_home"
    target.mkdir(parents=True, exist_ok=True)
    for entry in source.iterdir():
        link = target / entry.name
        if entry.name != "joblib" and not link.exists():
            link.symlink_to(entry)
    return data_home


def choose_lfw_variant(data_home: Path) -> bool:
    """True for the funneled set: the funneled set if present, else the plain set if present,
    else the funneled set is downloaded."""
    lfw_home = data_home / "lfw_home"
    if (lfw_home / "lfw_funneled").is_dir():
        return True
    if (lfw_home / "lfw").is_dir():
        return False
    print(f"LFW not found under {lfw_home}: downloading the funneled set (~{LFW_FUNNELED_MB} MB)")
    return True


def count_jpegs(folder: Path) -> int:
    return sum(name.endswith(".jpg") for _, _, names in os.walk(folder) for name in names)


def find_unreadable_jpegs(folder: Path) -> list[Path]:
    from PIL import Image

    bad = []
    for path in sorted(folder.rglob("*.jpg")):
        try:
            with Image.open(path) as image:
                image.load()
        except Exception:
            bad.append(path)
    return bad


def fetch_lfw(data_home: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """All LFW faces as uint8 (N, 62, 47, 3) and each face's person name."""
    from sklearn.datasets import fetch_lfw_people

    home = resolve_data_home(data_home)
    funneled = choose_lfw_variant(home)
    folder = home / "lfw_home" / ("lfw_funneled" if funneled else "lfw")
    where = (f"put LFW in {home}/lfw_home/ (scikit-learn's layout: lfw_funneled/ or lfw/), "
             "or set LFW_HOME to an existing lfw_home folder")
    if folder.is_dir() and (found := count_jpegs(folder)) != LFW_IMAGES:
        raise DataError(f"LFW at {folder} is partial: {found} of {LFW_IMAGES} images; {where}")
    try:
        bunch = fetch_lfw_people(data_home=str(home), funneled=funneled, resize=0.5, color=True,
                                 min_faces_per_person=0, download_if_missing=not folder.is_dir())
    except (OSError, ValueError) as error:
        if folder.is_dir() and (bad := find_unreadable_jpegs(folder)):
            raise DataError(f"unreadable LFW image {bad[0]} ({len(bad)} in all): replace it "
                            f"from a fresh LFW copy") from None
        raise DataError(f"LFW could not be loaded or downloaded ({error}); {where}") from None
    images = bunch.images
    # scikit-learn returns float32 on a 0-255 or a 0-1 scale depending on its version.
    scale = 255.0 if images.max() <= 1.0 else 1.0
    images = np.clip(np.rint(images * scale), 0, 255).astype(np.uint8)
    return images, bunch.target_names[bunch.target]


# --- split and cache ---------------------------------------------------------------------------

def draw_split(people: np.ndarray, profile: Profile) -> dict[str, np.ndarray]:
    """Indices into LFW (whose faces belong to `people`) of every subset of both splits: train,
    test, val (random split: a seeded permutation, the first n_train + n_test images the study's,
    validation after them) and identity_train, identity_val (the permutation's first images of
    people without a test face)."""
    n_images = len(people)
    needed = profile.n_train + profile.n_test + profile.n_val
    if needed > n_images:
        raise DataError(f"profile {profile.name} needs {needed} images; LFW has {n_images}")
    order = np.random.default_rng(profile.split_seed).permutation(n_images)
    n_study = profile.n_train + profile.n_test
    test = order[profile.n_train:n_study]
    unseen = order[~np.isin(people[order], people[test])]
    if len(unseen) < profile.n_train + profile.n_val:
        raise DataError(f"profile {profile.name}: only {len(unseen)} faces belong to people "
                        f"outside the test set; the identity-disjoint split needs "
                        f"{profile.n_train + profile.n_val}")
    return {
        "train": order[:profile.n_train],
        "test": test,
        "val": order[n_study:n_study + profile.n_val],
        "identity_train": unseen[:profile.n_train],
        "identity_val": unseen[profile.n_train:profile.n_train + profile.n_val],
    }


def cache_path(profile: Profile) -> Path:
    return CACHE_DIR / f"{profile.data_key()}.npz"


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
    with io.atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez_compressed(handle, **arrays)
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

    def inverse(self, scaled: np.ndarray) -> np.ndarray:
        return (scaled * (self.maximum - self.minimum) + self.minimum).astype(np.float32)


@dataclass
class Dataset:
    """Original faces of each subset in [0, 1] at the profile's resolution; obfuscated copies are
    made on first use and kept."""

    profile: Profile
    images: dict[str, np.ndarray]
    lfw_index: dict[str, np.ndarray]
    person: dict[str, np.ndarray]
    scaler: MinMaxScaler
    _obfuscated: dict = field(default_factory=dict, repr=False)

    def obfuscated(self, subset: str, obfuscation: str) -> np.ndarray:
        key = (subset, obfuscation)
        if key not in self._obfuscated:
            self._obfuscated[key] = obfuscate_for_profile(self.images[subset], obfuscation,
                                                          self.profile)
        return self._obfuscated[key]

    def score(self, subset: str, reconstructed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-image PSNR and SSIM of reconstructions of a subset (in [0, 1]) against its
        originals, on the original pixel scale with its range as the data range."""
        from .metrics import psnr_ssim_per_image

        return psnr_ssim_per_image(self.scaler.inverse(reconstructed),
                                   self.scaler.inverse(self.images[subset]),
                                   self.scaler.maximum - self.scaler.minimum)

    def split_frame(self) -> pd.DataFrame:
        return pd.concat([pd.DataFrame({"subset": s, "lfw_index": self.lfw_index[s],
                                        "person": self.person[s]}) for s in SUBSETS],
                         ignore_index=True)


def stored_subset(split: str, subset: str) -> str:
    """The cache's name for a subset of a split (both splits share the test faces)."""
    return subset if split == "random" or subset == "test" else f"{split}_{subset}"


def dataset_from_arrays(profile: Profile, arrays, split: str = "random") -> Dataset:
    check_choice("split", split, SPLITS)
    stored = {s: stored_subset(split, s) for s in SUBSETS}
    resized = {s: resize_images(arrays[f"{stored[s]}_images"], profile.height, profile.width,
                                profile.interpolation) for s in SUBSETS}
    scaler = MinMaxScaler.fit(resized["train"])
    return Dataset(
        profile=profile,
        images={s: np.clip(scaler.transform(resized[s]), 0.0, 1.0) for s in SUBSETS},
        lfw_index={s: np.asarray(arrays[f"{stored[s]}_index"]) for s in SUBSETS},
        person={s: np.asarray(arrays[f"{stored[s]}_person"]) for s in SUBSETS},
        scaler=scaler,
    )


def load_dataset(profile: Profile, data_home=None, split: str = "random") -> Dataset:
    """The profile's dataset on one split from the prepared cache (made from LFW on first use)."""
    with np.load(prepare_cache(profile, data_home)) as arrays:
        return dataset_from_arrays(profile, arrays, split)
