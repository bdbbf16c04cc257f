"""Faces for a profile (data/dataset.py): the random and identity-disjoint splits, min-max
scaling, resizing, and the smoke profile's faces from the real LFW."""
import numpy as np
import pytest

from facerecon.data import dataset as data
from facerecon.data import lfw
from facerecon.data.dataset import MinMaxScaler, draw_split, resize_images
from facerecon.data.lfw import DataError
from facerecon.experiment.config import load_profile


def lfw_like_people(n=13233, n_people=5749, seed=0):
    """As many faces and people as LFW, shuffled."""
    rng = np.random.default_rng(seed)
    return np.array([f"p{int(i)}" for i in rng.permutation(np.arange(n) % n_people)])


def test_split_is_deterministic_and_disjoint():
    profile = load_profile("paper")
    people = lfw_like_people()
    first, second = draw_split(people, profile), draw_split(people, profile)
    for subset in first:
        np.testing.assert_array_equal(first[subset], second[subset])
    sizes = {s: len(first[s]) for s in first}
    assert sizes == {"train": 2000, "test": 500, "val": 250,
                     "identity_train": 2000, "identity_val": 250}
    random_split = np.concatenate([first[s] for s in ("train", "test", "val")])
    assert len(set(random_split.tolist())) == len(random_split)


def test_random_split_is_a_seeded_permutation():
    """The random split depends on the number of images and the seed only (not on names)."""
    profile = load_profile("quick")
    order = np.random.default_rng(profile.split_seed).permutation(13233)
    split = draw_split(lfw_like_people(seed=1), profile)
    np.testing.assert_array_equal(split["train"], order[:profile.n_train])
    np.testing.assert_array_equal(split["test"], order[profile.n_train:profile.n_train + profile.n_test])


def test_identity_split_keeps_test_people_out_of_training():
    profile = load_profile("paper")
    people = lfw_like_people()
    split = draw_split(people, profile)
    test_people = set(people[split["test"]])
    for subset in ("identity_train", "identity_val"):
        assert not test_people & set(people[split[subset]]), subset
    assert test_people & set(people[split["train"]])  # the random split shares people
    identity = np.concatenate([split[s] for s in ("identity_train", "identity_val", "test")])
    assert len(set(identity.tolist())) == len(identity)


def test_split_changes_with_seed():
    import dataclasses

    profile = load_profile("quick")
    other = dataclasses.replace(profile, split_seed=1)
    people = lfw_like_people()
    assert not np.array_equal(draw_split(people, profile)["train"],
                              draw_split(people, other)["train"])


def test_split_needs_enough_images():
    with pytest.raises(DataError, match="needs"):
        draw_split(lfw_like_people(100), load_profile("quick"))


def test_identity_split_needs_enough_other_people():
    with pytest.raises(DataError, match="identity-disjoint"):
        draw_split(np.array(["same person"] * 13233), load_profile("quick"))


def test_min_max_scaling_round_trips():
    rng = np.random.default_rng(0)
    images = rng.uniform(3, 250, size=(4, 8, 8, 3)).astype(np.float32)
    scaler = MinMaxScaler.fit(images)
    scaled = scaler.transform(images)
    assert scaled.min() == pytest.approx(0) and scaled.max() == pytest.approx(1)
    np.testing.assert_allclose(scaler.inverse(scaled), images, rtol=1e-5, atol=1e-4)


def test_min_max_scaling_rejects_constant_images():
    with pytest.raises(DataError):
        MinMaxScaler.fit(np.ones((2, 4, 4, 3)))


def test_resize_gives_profile_shape_in_range():
    images = (np.random.default_rng(0).random((3, 62, 47, 3)) * 255).astype(np.uint8)
    out = resize_images(images, 112, 112, "cubic")
    assert out.shape == (3, 112, 112, 3) and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 255


def test_real_lfw_smoke_dataset(lfw_data_home, tmp_path, monkeypatch):
    """Against the real LFW copy: the smoke profile's faces, split and scaling."""
    monkeypatch.setattr(data, "CACHE_DIR", tmp_path)
    profile = load_profile("smoke")
    dataset = data.load_dataset(profile, lfw_data_home)
    for subset, n in (("train", profile.n_train), ("val", profile.n_val), ("test", profile.n_test)):
        assert dataset.images[subset].shape == (n, profile.height, profile.width, 3)
        assert 0.0 <= dataset.images[subset].min() and dataset.images[subset].max() <= 1.0
    frame = dataset.split_frame()
    assert frame["lfw_index"].is_unique and set(frame["subset"]) == {"train", "val", "test"}
    order = np.random.default_rng(profile.split_seed).permutation(lfw.LFW_IMAGES)
    np.testing.assert_array_equal(dataset.lfw_index["test"],
                                  order[profile.n_train:profile.n_train + profile.n_test])
    identity = data.load_dataset(profile, lfw_data_home, "identity")
    np.testing.assert_array_equal(identity.lfw_index["test"], dataset.lfw_index["test"])
    assert not set(identity.person["train"]) & set(dataset.person["test"])
