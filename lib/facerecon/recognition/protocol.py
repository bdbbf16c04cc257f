"""The recognition protocol and its recognisers. Does a reconstruction give the identity back?
Face recognition on original, obfuscated and reconstructed test faces, by each recogniser of
RECOGNISERS: eigenfaces + an SVM (scikit-learn's LFW example), and dlib's deep face descriptor
(axes/face_descriptor.py) with a classifier chosen on the gallery alone.

Protocol (results/<profile>/recognition_protocol.csv): the probes are our test faces whose
person has at least MIN_GALLERY LFW images outside every image the study's splits use; the
gallery is those images (at most MAX_GALLERY per person, in a seeded order), so no gallery image
is a training, validation or test face of any network. Each recogniser learns the gallery's
originals (hyper-parameters by cross-validation on the gallery alone) and names each probe: as
the original, as obfuscated, as each non-learned baseline's and each run's reconstruction. A
second recogniser learns the obfuscated gallery (McPherson et al., 2016): does reconstruction
beat simply training on obfuscated faces? Both are also scored at every calibration candidate's
strength, to say which strengths still leak identity.

A run keeps its test reconstructions as eigenfaces sees them (grayscale, FACE_SIZE, uint8:
test_faces.npz in its folder, not committed) and their deep descriptors (test_descriptors.npz,
committed: 0.25 KB a face), so recognition is computed wherever LFW is, also for runs trained on
a machine without it, and the deep recogniser needs no retrain on a fresh clone. The ranks of
every probe under every condition are stored in results/<profile>/recognition/per_probe.csv;
a run's rows are recomputed when it is retrained, and without LFW the stored rows stand.

    python -m facerecon recognise --profile quick
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ..axes import face_descriptor
from ..axes.obfuscation import setting_label
from ..core.registry import Registry
from ..data.faces import (DESCRIPTORS_FILE, FACE_SIZE, FACES_FILE, read_descriptors,
                          read_faces, recognition_faces)

MIN_GALLERY = 10      # images of a probe's person outside the study's images
MAX_GALLERY = 50      # per person: George W. Bush alone has 530
N_COMPONENTS = 100    # eigenfaces
PARAM_GRID = {"svm__C": [1.0, 10.0, 100.0, 1000.0], "svm__gamma": [0.0003, 0.001, 0.003, 0.01]}
CV_FOLDS = 3
SEED = 0
TOP_K = (1, 5)
DEEP_GALLERY = 10     # per person for the deep recogniser: a descriptor costs 0.04 s on 2 cores
LINEAR_C = [0.1, 1.0, 10.0]
PER_PROBE_COLUMNS = ["recogniser", "condition", "obfuscation", "strength", "method", "key", "architecture",
                     "loss", "seed", "split", "run_finished_at", "lfw_index", "person", "rank",
                     "predicted"]
RECORDS = "recognition"  # results/<profile>/recognition/: per_probe.csv and metrics.json
CONDITIONS = {  # condition -> what the reader sees
    "original": "Original faces",
    "obfuscated": "Obfuscated faces",
    "trained_on_obfuscated": "Obfuscated faces, recogniser trained alike",
    "baseline": "Non-learned baseline's reconstruction",
    "run": "Network's reconstruction",
}


# --- protocol and recogniser -------------------------------------------------------------------

def recognition_protocol(names: np.ndarray, used: pd.DataFrame, seed: int = SEED) -> pd.DataFrame:
    """role (probe or gallery), lfw_index and person. `names`: every LFW image's person;
    `used`: the study's split tables (subset, lfw_index, person), test faces included. The
    gallery avoids every used image; probes are test faces of people with at least MIN_GALLERY
    gallery images."""
    taken = np.zeros(len(names), bool)
    taken[used["lfw_index"].to_numpy()] = True
    order = np.random.default_rng(seed).permutation(len(names))
    free = order[~taken[order]]
    gallery = pd.DataFrame({"lfw_index": free, "person": names[free]})
    counts = gallery["person"].value_counts()
    test = used.loc[used["subset"] == "test", ["lfw_index", "person"]].drop_duplicates()
    people = set(counts[counts >= MIN_GALLERY].index) & set(test["person"])
    gallery = gallery[gallery["person"].isin(people)].groupby("person", sort=False).head(MAX_GALLERY)
    probes = test[test["person"].isin(people)]
    return pd.concat([probes.assign(role="probe"), gallery.assign(role="gallery")],
                     ignore_index=True)[["role", "lfw_index", "person"]]


def fit_recogniser(features: np.ndarray, people: np.ndarray, seed: int = SEED):
    """Eigenfaces (whitened PCA) + an RBF SVM with balanced class weights, C and gamma chosen by
    stratified cross-validation on these faces alone (scikit-learn's LFW example)."""
    import joblib
    from sklearn.decomposition import PCA
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.pipeline import Pipeline
    from sklearn.svm import SVC

    components = min(N_COMPONENTS, len(features) * (CV_FOLDS - 1) // CV_FOLDS - 1,
                     features.shape[1])
    pipeline = Pipeline([("pca", PCA(components, whiten=True, svd_solver="randomized",
                                     random_state=seed)),
                         ("svm", SVC(kernel="rbf", class_weight="balanced"))])
    # 3.5 s in workers on 2 cores for quick's gallery, 10.1 s in one process.
    search = GridSearchCV(pipeline, PARAM_GRID, n_jobs=-1,
                          cv=StratifiedKFold(CV_FOLDS, shuffle=True, random_state=seed))
    # joblib registers its workers' memmapping folder with loky's resource tracker before it
    # creates it, and never unregisters one that no array was large enough to create: the
    # tracker then warns of a "leaked folder" into the notebook (joblib#1620). Memmapping every
    # array creates the folder, so joblib's own clean-up removes and unregisters it.
    with joblib.parallel_config(max_nbytes=0):
        return search.fit(features, people)


def flat(faces: np.ndarray) -> np.ndarray:
    return faces.reshape(len(faces), -1).astype(np.float32) / 255.0


def fit_descriptor_classifier(features: np.ndarray, people: np.ndarray, seed: int = SEED):
    """Deep descriptors: the nearest class mean or a linear SVM (C in LINEAR_C), whichever
    stratified cross-validation on the gallery alone prefers."""
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.neighbors import NearestCentroid
    from sklearn.pipeline import Pipeline
    from sklearn.svm import LinearSVC

    grid = [{"classifier": [NearestCentroid()]},
            {"classifier": [LinearSVC(class_weight="balanced")], "classifier__C": LINEAR_C}]
    # In this process: 128 numbers a face fit faster than worker processes start (1.0 s
    # against 1.5 s for three galleries of 300 faces here).
    search = GridSearchCV(Pipeline([("classifier", NearestCentroid())]), grid,
                          cv=StratifiedKFold(CV_FOLDS, shuffle=True, random_state=seed))
    return search.fit(features, people)


@dataclass(frozen=True)
class Recogniser:
    """How a recogniser sees faces (RGB in [0, 1], with their originals' alignment) and learns a
    gallery (`fit(features, people)`: an estimator with classes_ and decision_function); the file
    in which a run keeps its test faces' features (`kept_file`, read by `read_kept` as (lfw_index,
    features)); max_gallery caps its gallery per person (in the protocol's seeded order); its
    settings, which with the protocol's make its fingerprint: changing one recogniser, or adding
    one, leaves every other recogniser's stored ranks standing."""

    label: str
    features: Callable[[np.ndarray, "face_descriptor.Alignment | None"], np.ndarray]
    fit: Callable
    aligned: bool
    kept_file: str
    read_kept: Callable
    settings: dict  # its own part of the recognition fingerprint
    max_gallery: int = MAX_GALLERY


def read_kept_faces(path) -> tuple[np.ndarray, np.ndarray]:
    lfw_index, faces = read_faces(path)
    return lfw_index, flat(faces)


RECOGNISERS = Registry("recogniser", {
    "eigenfaces": Recogniser("eigenfaces + SVM",
                             lambda images, alignment: flat(recognition_faces(images)),
                             fit_recogniser, aligned=False, kept_file=FACES_FILE,
                             read_kept=read_kept_faces,
                             settings={"face_size": list(FACE_SIZE), "max_gallery": MAX_GALLERY,
                                       "n_components": N_COMPONENTS, "param_grid": PARAM_GRID}),
    "dlib": Recogniser("dlib's ResNet descriptor", face_descriptor.descriptors,
                       fit_descriptor_classifier, aligned=True, kept_file=DESCRIPTORS_FILE,
                       read_kept=read_descriptors, max_gallery=DEEP_GALLERY,
                       settings={"deep_gallery": DEEP_GALLERY, "linear_c": LINEAR_C,
                                 "chip": [face_descriptor.CHIP_SIZE, face_descriptor.CHIP_PADDING],
                                 "eye_distance_range": list(face_descriptor.EYE_DISTANCE_RANGE)}),
})


def ranks(recogniser, features: np.ndarray, people: np.ndarray) -> pd.DataFrame:
    """Each face's true person's rank among the recogniser's scores (1: named first; people the
    recogniser never saw rank last) and its first guess."""
    scores = recogniser.decision_function(features)
    classes = list(recogniser.classes_)
    known = np.array([p in classes for p in people])
    true = np.array([scores[i, classes.index(p)] if k else -np.inf
                     for i, (p, k) in enumerate(zip(people, known))])
    rank = np.where(known, 1 + (scores > true[:, None]).sum(axis=1), len(classes) + 1)
    return pd.DataFrame({"rank": rank, "predicted": np.asarray(classes)[scores.argmax(axis=1)]})


def profile_strength(profile, obfuscation: str) -> str:
    """The profile's strength of an obfuscation, labelled as the calibration labels it."""
    return setting_label(obfuscation, profile.obfuscation_settings(obfuscation))


def stored_per_probe(folder: Path) -> tuple[pd.DataFrame, dict]:
    """The ranks recognise.py recorded in a profile's recognition folder (PER_PROBE_COLUMNS) and
    their metrics.json; none where nothing was recorded. The report reads these only."""
    path, meta = folder / "per_probe.csv", folder / "metrics.json"
    if not (path.exists() and meta.exists()):
        return pd.DataFrame(columns=PER_PROBE_COLUMNS), {}
    rows, meta = pd.read_csv(path), json.loads(meta.read_text())
    if "recogniser" not in rows:  # the layout of a single recogniser
        rows = rows.assign(recogniser="eigenfaces")
        meta["fits"] = [{"recogniser": "eigenfaces", **fit} for fit in meta.get("fits", [])]
    return rows.reindex(columns=PER_PROBE_COLUMNS), meta


def kept_features(folder: Path) -> set[str]:
    """The recognisers whose features of its test faces a run (its folder) kept on this machine."""
    return {name for name, entry in RECOGNISERS.items() if (folder / entry.kept_file).exists()}
