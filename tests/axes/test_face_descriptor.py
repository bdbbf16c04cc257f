"""The deep face descriptor (axes/face_descriptor.py): deterministic, 0 from a face to itself, far
between people, near-perfect naming of real LFW originals, and one line without its files."""
import numpy as np
import pytest

from facerecon.axes import face_descriptor
from facerecon.axes.obfuscation import obfuscate
from facerecon.core.checks import ConfigError
from facerecon.experiment.config import load_profile


@pytest.fixture(scope="module")
def lfw_faces(lfw_data_home):
    """Real LFW faces at the paper's resolution: 5 images each of the first 8 people (by name)
    with at least 10, and their people."""
    from facerecon.data.dataset import resize_to_profile
    from facerecon.data.lfw import fetch_lfw

    images, names = fetch_lfw(lfw_data_home)
    people, counts = np.unique(names, return_counts=True)
    chosen = np.concatenate([np.flatnonzero(names == p)[:5] for p in people[counts >= 10][:8]])
    return resize_to_profile(images[chosen], load_profile("paper")) / 255.0, names[chosen]


def people_apart(n=6, size=64, seed=0):
    """A toy set: n drawn faces that differ in shape, skin and features (no LFW needed)."""
    import cv2

    rng = np.random.default_rng(seed)
    out = np.zeros((n, size, size, 3), np.float32)
    for i, face in enumerate(out):
        face[:] = rng.uniform(0.1, 0.3, 3)
        cv2.ellipse(face, (size // 2, size // 2), (int(size * rng.uniform(0.28, 0.38)),
                    int(size * 0.45)), 0, 0, 360, tuple(rng.uniform(0.4, 0.9, 3)), -1)
        for x in (0.36, 0.64):
            cv2.circle(face, (int(size * x), int(size * 0.42)), int(size * rng.uniform(0.03, 0.07)),
                       (0.05, 0.05, 0.05), -1)
        cv2.ellipse(face, (size // 2, int(size * 0.72)), (int(size * rng.uniform(0.08, 0.18)),
                    int(size * 0.04)), 0, 0, 360, (0.5, 0.1, 0.1), -1)
    return out


def test_descriptors_are_deterministic_and_a_face_is_at_distance_zero_from_itself(tmp_path):
    faces = people_apart()
    alignment = face_descriptor.align(faces)
    first = face_descriptor.descriptors(faces, alignment, cache_dir=None)
    again = face_descriptor.descriptors(faces, alignment, cache_dir=tmp_path)
    assert first.shape == (len(faces), 128) and np.array_equal(first, again)
    assert np.all(face_descriptor.identity_distance(first, again) == 0)
    cached = face_descriptor.descriptors(faces, alignment, cache_dir=tmp_path)  # read from the cache
    assert np.array_equal(cached, first) and len(list(tmp_path.glob("*.npy"))) == 1


def test_different_people_of_a_toy_set_lie_far_apart():
    faces = people_apart()
    found = face_descriptor.descriptors(faces, face_descriptor.align(faces), cache_dir=None)
    distances = np.linalg.norm(found[:, None] - found[None], axis=2)[np.triu_indices(len(faces), 1)]
    shifted = face_descriptor.descriptors(np.clip(faces + 0.02, 0, 1), face_descriptor.align(faces),
                                   cache_dir=None)
    # every two people lie further apart than ten times a face from its brightened copy
    assert distances.min() > 10 * face_descriptor.identity_distance(shifted, found).max()


def test_real_lfw_originals_are_named_and_blur_moves_them_away(lfw_faces):
    images, people = lfw_faces
    alignment = face_descriptor.align(images)
    assert alignment.n_failed <= len(images) // 20
    found = face_descriptor.descriptors(images, alignment, cache_dir=None)
    distances = np.linalg.norm(found[:, None] - found[None], axis=2)
    np.fill_diagonal(distances, np.inf)
    nearest = people[distances.argmin(axis=1)]
    assert (nearest == people).mean() > 0.9  # leave-one-out: named near-perfectly
    blurred = face_descriptor.descriptors(obfuscate(images, "blur", kernel=15, sigma=8.0), alignment,
                                   cache_dir=None)
    assert np.median(face_descriptor.identity_distance(blurred, found)) > 0.2


def test_missing_model_files_give_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv(face_descriptor.MODELS_ENV, str(tmp_path))
    with pytest.raises(ConfigError) as error:
        face_descriptor.model_folder()
    assert "\n" not in str(error.value) and face_descriptor.DESCRIPTOR_FILE in str(error.value)
