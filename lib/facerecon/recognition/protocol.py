"""The recognition protocol and its recogniser. Does a reconstruction give the identity back? Face recognition (eigenfaces + an SVM, as in
scikit-learn's LFW example) on original, obfuscated and reconstructed test faces.

Protocol (results/<profile>/recognition_protocol.csv): the probes are our test faces whose
person has at least MIN_GALLERY LFW images outside every image the study's splits use; the
gallery is those images (at most MAX_GALLERY per person, in a seeded order), so no gallery image
is a training, validation or test face of any network. The recogniser learns the gallery's
originals (hyper-parameters by cross-validation on the gallery alone) and names each probe: as
the original, as obfuscated, as each non-learned baseline's and each run's reconstruction. A
second recogniser learns the obfuscated gallery (McPherson et al., 2016): does reconstruction
beat simply training on obfuscated faces? Both are also scored at every calibration candidate's
strength, to say which strengths still leak identity.

A run keeps its test reconstructions as the recogniser sees them (grayscale, FACE_SIZE, uint8:
test_faces.npz in its folder, not committed), so recognition is computed wherever LFW is, also
for runs trained on a machine without it. The ranks of every probe under every condition are
stored in results/<profile>/recognition/per_probe.csv; a run's rows are recomputed when it is
retrained, and without LFW the stored rows stand.

    python -m facerecon recognise --profile quick
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..axes.obfuscation import setting_label

MIN_GALLERY = 10      # images of a probe's person outside the study's images
MAX_GALLERY = 50      # per person: George W. Bush alone has 530
N_COMPONENTS = 100    # eigenfaces
PARAM_GRID = {"svm__C": [1.0, 10.0, 100.0, 1000.0], "svm__gamma": [0.0003, 0.001, 0.003, 0.01]}
CV_FOLDS = 3
SEED = 0
TOP_K = (1, 5)
PER_PROBE_COLUMNS = ["condition", "obfuscation", "strength", "method", "key", "architecture",
                     "loss", "seed", "split", "run_finished_at", "lfw_index", "person", "rank",
                     "predicted"]
CONDITIONS = {  # condition -> what the reader sees
    "original": "Original faces",
    "obfuscated": "Obfuscated faces",
    "trained_on_obfuscated": "Obfuscated faces, recogniser trained on such faces",
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


def fit_recogniser(faces: np.ndarray, people: np.ndarray, seed: int = SEED):
    """Eigenfaces (whitened PCA) + an RBF SVM with balanced class weights, C and gamma chosen by
    stratified cross-validation on these faces alone (scikit-learn's LFW example)."""
    from sklearn.decomposition import PCA
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.pipeline import Pipeline
    from sklearn.svm import SVC

    features = flat(faces)
    components = min(N_COMPONENTS, len(features) * (CV_FOLDS - 1) // CV_FOLDS - 1,
                     features.shape[1])
    pipeline = Pipeline([("pca", PCA(components, whiten=True, svd_solver="randomized",
                                     random_state=seed)),
                         ("svm", SVC(kernel="rbf", class_weight="balanced"))])
    search = GridSearchCV(pipeline, PARAM_GRID, cv=StratifiedKFold(CV_FOLDS, shuffle=True,
                                                                     random_state=seed))
    return search.fit(features, people)


def flat(faces: np.ndarray) -> np.ndarray:
    return faces.reshape(len(faces), -1).astype(np.float32) / 255.0


def ranks(recogniser, faces: np.ndarray, people: np.ndarray) -> pd.DataFrame:
    """Each face's true person's rank among the recogniser's scores (1: named first; people the
    recogniser never saw rank last) and its first guess."""
    scores = recogniser.decision_function(flat(faces))
    classes = list(recogniser.classes_)
    known = np.array([p in classes for p in people])
    true = np.array([scores[i, classes.index(p)] if k else -np.inf
                     for i, (p, k) in enumerate(zip(people, known))])
    rank = np.where(known, 1 + (scores > true[:, None]).sum(axis=1), len(classes) + 1)
    return pd.DataFrame({"rank": rank, "predicted": np.asarray(classes)[scores.argmax(axis=1)]})


def profile_strength(profile, obfuscation: str) -> str:
    """The profile's strength of an obfuscation, labelled as the calibration labels it."""
    return setting_label(obfuscation, profile.obfuscation_settings(obfuscation))
