"""Face recognition on original, obfuscated and reconstructed faces (#17): the protocol keeps the
gallery apart from every image the networks saw, is deterministic, and the recogniser is
near-perfect on clean faces of a toy set and near chance on noise."""
import numpy as np
import pandas as pd
import pytest

from facerecon.data import faces
from facerecon.experiment.config import load_profile
from facerecon.recognition import protocol as protocols
from facerecon.recognition import recognise
from facerecon.reporting import recognition_report


def toy_lfw(n_people=12, images_each=20, seed=0):
    """Names of a toy LFW: person i has images_each images, interleaved."""
    return np.array([f"person_{i % n_people}" for i in range(n_people * images_each)])


def toy_used(names, seed=0):
    """A split using a third of the images: half of them test faces."""
    rng = np.random.default_rng(seed)
    used = rng.choice(len(names), size=len(names) // 3, replace=False)
    subsets = np.where(np.arange(len(used)) % 2 == 0, "test", "train")
    return pd.DataFrame({"subset": subsets, "lfw_index": used, "person": names[used]})


def test_the_gallery_never_holds_an_image_the_networks_saw():
    names = toy_lfw()
    used = toy_used(names)
    protocol = protocols.recognition_protocol(names, used)
    gallery, probes = (protocol[protocol["role"] == r] for r in ("gallery", "probe"))
    assert not set(gallery["lfw_index"]) & set(used["lfw_index"])
    assert set(probes["lfw_index"]) <= set(used.loc[used["subset"] == "test", "lfw_index"])
    counts = gallery["person"].value_counts()
    assert counts.min() >= protocols.MIN_GALLERY and counts.max() <= protocols.MAX_GALLERY
    assert set(probes["person"]) == set(gallery["person"])
    assert (names[protocol["lfw_index"]] == protocol["person"]).all()


def test_people_with_too_few_other_images_give_no_probes():
    names = np.array(["rare"] * 5 + ["common"] * 40)
    used = pd.DataFrame({"subset": "test", "lfw_index": [0, 5], "person": ["rare", "common"]})
    protocol = protocols.recognition_protocol(names, used)
    assert set(protocol["person"]) == {"common"}


def test_the_protocol_is_deterministic_and_follows_its_seed():
    names = toy_lfw(images_each=80)
    used = toy_used(names)
    a, b = (protocols.recognition_protocol(names, used) for _ in range(2))
    pd.testing.assert_frame_equal(a, b)
    other = protocols.recognition_protocol(names, used, seed=1)
    assert set(a["lfw_index"]) != set(other["lfw_index"])  # 80 images, at most 50 kept


def toy_faces(n_people=10, per_person=14, noise=0.05, seed=0):
    """Each person a random prototype face; their images the prototype plus small noise."""
    rng = np.random.default_rng(seed)
    prototypes = rng.uniform(0, 1, size=(n_people, 32, 32, 3))
    people = np.repeat(np.arange(n_people), per_person)
    images = np.clip(prototypes[people] + rng.normal(0, noise, (len(people), 32, 32, 3)), 0, 1)
    return (protocols.flat(faces.recognition_faces(images)), np.array([f"p{i}" for i in people]),
            rng)


def test_the_recogniser_names_clean_faces_and_not_noise():
    known, people, rng = toy_faces()
    recogniser = protocols.fit_recogniser(known[::2], people[::2])
    clean = protocols.ranks(recogniser, known[1::2], people[1::2])
    assert (clean["rank"] == 1).mean() > 0.9
    assert (clean["predicted"] == people[1::2]).mean() > 0.9
    noise = protocols.flat(faces.recognition_faces(rng.uniform(0, 1, size=(200, 32, 32, 3))))
    guessed = protocols.ranks(recogniser, noise, rng.choice(people, 200))
    assert (guessed["rank"] == 1).mean() < 0.25  # chance is 0.1
    assert guessed["rank"].between(1, 10).all()


def test_a_person_the_recogniser_never_saw_ranks_last():
    known, people, _ = toy_faces(n_people=3, per_person=12)
    recogniser = protocols.fit_recogniser(known, people)
    found = protocols.ranks(recogniser, known[:2], np.array(["p0", "stranger"]))
    assert list(found["rank"]) == [1, 4]


def test_faces_are_stored_as_the_recogniser_sees_them(tmp_path):
    images = np.random.default_rng(0).uniform(0, 1, (5, 64, 48, 3)).astype(np.float32)
    faces.write_faces(tmp_path / "f.npz", np.arange(5) + 100, images)
    index, stored = faces.read_faces(tmp_path / "f.npz")
    assert list(index) == [100, 101, 102, 103, 104]
    assert stored.shape == (5, *faces.FACE_SIZE) and stored.dtype == np.uint8
    gray = np.full((1, 64, 48, 3), 0.5, np.float32)
    assert (faces.recognition_faces(gray) == 128).all()


def test_accuracy_averages_seeds_and_carries_an_interval():
    frame = pd.DataFrame({"seed": [0, 0, 1, 1], "lfw_index": [1, 2, 1, 2],
                          "rank": [1, 3, 1, 1]})
    row = recognition_report.accuracy(frame)
    assert row["n_seeds"] == 2 and row["n_probes"] == 2
    assert row["top1"] == pytest.approx(0.75) and row["top5"] == 1.0
    assert row["top1_ci_low"] <= 0.75 <= row["top1_ci_high"]


def test_a_real_smoke_run_is_recognised_once_and_again_when_retrained(lfw_data_home, tmp_path):
    from facerecon.data.dataset import load_dataset
    from facerecon.experiment.config import RunConfig
    from facerecon.training import train

    results = tmp_path / "results"
    dataset = load_dataset(load_profile("smoke"), lfw_data_home)
    config = RunConfig("simple_cnn", "l2", "blur", 0, "smoke")
    train.train_run(config, dataset, results, verbose=0)
    faces_file = results / "smoke" / "runs" / config.key / faces.FACES_FILE
    _, trained_faces = faces.read_faces(faces_file)
    faces_file.unlink()  # as a run trained before runs kept their faces: rebuilt from weights
    per_probe = recognise.recognise(load_profile("smoke"), results, lfw_data_home)
    assert (faces.read_faces(faces_file)[1] == trained_faces).all()
    protocol = pd.read_csv(results / "smoke" / "recognition_protocol.csv")
    probes = set(protocol.loc[protocol["role"] == "probe", "lfw_index"])
    assert set(per_probe["condition"]) == {"original", "obfuscated", "trained_on_obfuscated",
                                           "run"}
    assert set(per_probe["recogniser"]) == set(protocols.RECOGNISERS)
    for name in protocols.RECOGNISERS:  # both recognisers name the run's probes
        rows = per_probe[(per_probe["condition"] == "run") & (per_probe["recogniser"] == name)]
        assert set(rows["lfw_index"]) == probes
    assert per_probe["rank"].between(1, protocol["person"].nunique()).all()
    stored = results / "smoke" / "recognition" / "per_probe.csv"
    stamp = stored.stat().st_mtime_ns
    recognise.recognise(load_profile("smoke"), results, lfw_data_home)
    assert stored.stat().st_mtime_ns == stamp  # nothing new: nothing recomputed
    train.train_run(config, dataset, results, force=True, verbose=0)
    again = recognise.recognise(load_profile("smoke"), results, lfw_data_home)
    assert stored.stat().st_mtime_ns != stamp
    assert len(again) == len(per_probe)  # the run's rows replaced, not added


def test_recognition_tells_not_trained_from_trained_but_not_kept():
    """Three states a reader must not confuse: scored, trained but its faces not kept (retrain)
    and never trained (not trained)."""
    from facerecon.experiment.runs import grid

    profile = load_profile("smoke")
    configs = list(grid(profile))
    trained = configs[0]
    runs = pd.DataFrame([{"architecture": c.architecture, "loss": c.loss,
                          "obfuscation": c.obfuscation, "split": c.split, "seed": c.seed,
                          "status": "finished" if c == trained else "missing"} for c in configs])
    scored = pd.DataFrame(columns=["condition", *recognition_report.FIELDS])
    rows = pd.DataFrame(recognition_report.missing_configurations(scored, runs, profile))
    status = rows.set_index(recognition_report.FIELDS)["status"]
    assert status[(trained.architecture, trained.loss, trained.obfuscation,
                   trained.split)] == "retrain"
    assert (status == "retrain").sum() == 1 and (status == "missing").sum() == len(status) - 1
    shown = recognition_report.printed(
        rows.reindex(columns=recognition_report.TABLE_COLUMNS).assign(recogniser="dlib"))
    assert sorted(set(shown["Top-1 (%)"])) == ["not trained", "retrain"]


def test_each_recogniser_has_its_own_fingerprint_and_the_old_layout_is_eigenfaces(tmp_path):
    """Adding or changing a recogniser must leave the others' stored ranks standing: paper runs
    scored by eigenfaces on a machine that had their faces cannot be scored again here."""
    import json

    names = toy_lfw()
    protocol = protocols.recognition_protocol(names, toy_used(names))
    config = recognise.configuration(load_profile("smoke"), protocol)
    assert set(config) == set(protocols.RECOGNISERS)
    assert "deep_gallery" not in config["eigenfaces"] and "n_components" not in config["dlib"]
    assert config["eigenfaces"]["protocol"] == config["dlib"]["protocol"]
    folder = tmp_path / "recognition"
    folder.mkdir()
    rows = pd.DataFrame({"condition": ["original"], "lfw_index": [3], "person": ["person_3"],
                         "rank": [1], "predicted": ["person_3"]})  # before the column existed
    rows.to_csv(folder / "per_probe.csv", index=False)
    (folder / "metrics.json").write_text(json.dumps(
        {"fingerprint": config["eigenfaces"], "fits": [{"C": 10.0, "trained_on": "original"}]}))
    stored, meta = recognise.stored_per_probe(folder)
    assert stored["recogniser"].tolist() == ["eigenfaces"]
    assert meta["fits"][0]["recogniser"] == "eigenfaces"
    assert recognise.stored_fingerprints(meta) == {"eigenfaces": config["eigenfaces"]}
