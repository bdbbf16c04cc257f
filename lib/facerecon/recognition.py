"""Does a reconstruction give the identity back? Face recognition (eigenfaces + an SVM, as in
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

import json
from pathlib import Path

import numpy as np
import pandas as pd

from . import baselines, io, runtime, stats
from .faces import FACE_SIZE, FACES_FILE, read_faces, recognition_faces, write_faces
from .calibration import setting_label
from .config import load_profile
from .data import Dataset, load_dataset, resize_to_profile
from .fingerprint import run_settings, short_hash
from .lfw import DataError, fetch_lfw
from .obfuscation import OBFUSCATIONS, obfuscate, obfuscate_for_profile
from .runs import RunStore, finished, run_config, select

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


# --- scoring every condition -------------------------------------------------------------------

def profile_strength(profile, obfuscation: str) -> str:
    """The profile's strength of an obfuscation, labelled as the calibration labels it."""
    return setting_label(obfuscation, profile.obfuscation_settings(obfuscation))


class Probing:
    """The protocol's faces at the profile's pipeline (resized and min-max scaled like the
    networks' faces) and the recogniser of the original gallery."""

    def __init__(self, dataset: Dataset, protocol: pd.DataFrame, lfw_images: np.ndarray):
        self.dataset, self.profile = dataset, dataset.profile
        gallery = select(protocol, role="gallery")
        probes = select(protocol, role="probe")
        self.gallery_people = gallery["person"].to_numpy()
        self.gallery = dataset.scaler.to_unit(resize_to_profile(
            lfw_images[gallery["lfw_index"].to_numpy()], self.profile))
        position = {index: i for i, index in enumerate(dataset.lfw_index["test"])}
        self.probe_position = np.array([position[i] for i in probes["lfw_index"]])
        self.probes = probes.reset_index(drop=True)
        self.recogniser = fit_recogniser(recognition_faces(self.gallery), self.gallery_people)
        self.fits = [self.fit_record("original", None, self.recogniser)]

    def fit_record(self, trained_on: str, strength, search) -> dict:
        return {"trained_on": trained_on, "strength": strength,
                "cv_top1": float(search.best_score_),
                **{k.split("__")[1]: v for k, v in search.best_params_.items()}}

    def scored(self, faces: np.ndarray, recogniser=None, **fields) -> pd.DataFrame:
        """Ranks of the probes' faces (recognition faces, in protocol order)."""
        found = ranks(recogniser or self.recogniser, faces, self.probes["person"].to_numpy())
        return pd.concat([self.probes[["lfw_index", "person"]], found], axis=1).assign(**fields)

    def probe_images(self) -> np.ndarray:
        return self.dataset.images["test"][self.probe_position]

    def fixed_conditions(self, results_root) -> list[pd.DataFrame]:
        """Originals; every obfuscation at every candidate strength, named by the original
        gallery's recogniser and by one trained on the gallery obfuscated alike; the baselines'
        reconstructions at the profile's strength."""
        originals = self.probe_images()
        frames = [self.scored(recognition_faces(originals), condition="original")]
        have_baselines = not baselines.per_image_scores(results_root, self.profile.name).empty
        for name in OBFUSCATIONS:
            chosen = self.profile.obfuscation_settings(name)
            for settings in self.profile.obfuscations[name]["candidates"]:
                label = setting_label(name, settings)
                hidden = recognition_faces(obfuscate(originals, name, **settings))
                trained = fit_recogniser(recognition_faces(obfuscate(self.gallery, name,
                                                                     **settings)),
                                         self.gallery_people)
                self.fits.append(self.fit_record(name, label, trained))
                fields = {"obfuscation": name, "strength": label}
                frames += [self.scored(hidden, condition="obfuscated", **fields),
                           self.scored(hidden, trained, condition="trained_on_obfuscated",
                                       **fields)]
                print(f"  recognition: {name} {label}"
                      f"{' (the profile strength)' if settings == chosen else ''}", flush=True)
            hidden = obfuscate_for_profile(originals, name, self.profile)
            for method in OBFUSCATIONS[name].baselines:
                if method == "input" or not have_baselines:
                    continue  # the obfuscated faces themselves, or no baselines computed
                setting = baselines.chosen_setting(results_root, self.profile.name, name, method)
                restored = baselines.METHODS[method].restore(hidden, chosen, setting)
                frames.append(self.scored(recognition_faces(restored), condition="baseline",
                                          obfuscation=name, strength=setting_label(name, chosen),
                                          method=method))
        return frames

    def run_condition(self, run: pd.Series, faces_path: Path) -> pd.DataFrame | None:
        """The probes as the run reconstructed them; None (with a line) when the run was scored
        on other test faces than the profile's (e.g. a synthetic dataset)."""
        lfw_index, faces = read_faces(faces_path)
        position = {index: i for i, index in enumerate(lfw_index)}
        if not set(self.probes["lfw_index"]) <= set(position):
            print(f"recognition: {run['key']} was not tested on this profile's test faces; "
                  "left out")
            return None
        probe_faces = faces[[position[i] for i in self.probes["lfw_index"]]]
        return self.scored(probe_faces, condition="run", obfuscation=run["obfuscation"],
                           strength=profile_strength(self.profile, run["obfuscation"]),
                           **{k: run[k] for k in ("key", "architecture", "loss", "seed",
                                                  "split")},
                           run_finished_at=run["finished_at"])


def faces_from_weights(run: pd.Series, dataset: Dataset, store: RunStore) -> None:
    """A run trained before runs kept their test faces: its faces from its stored weights
    (random split: the dataset's scaling is that split's)."""
    from .models import build_for_profile, get_architecture
    from .train import evaluate

    model = build_for_profile(run["architecture"], dataset.profile)
    model.load_weights(store.weights(run["key"]))
    outputs, _ = evaluate(model, dataset, "test", run_config(run),
                          get_architecture(run["architecture"]).output_range,
                          dataset.profile.batch_size)
    write_faces(store.folder(run["key"]) / FACES_FILE, dataset.lfw_index["test"], outputs)
    print(f"recognition: test faces of {run['key']} reconstructed from its weights")


def used_images(dataset: Dataset, data_home=None) -> pd.DataFrame:
    """Every face any split of the profile uses (subset, lfw_index, person), from its cache."""
    from .data import prepare_cache

    with np.load(prepare_cache(dataset.profile, data_home)) as arrays:
        subsets = [k[:-len("_index")] for k in arrays.files if k.endswith("_index")]
        return pd.concat([pd.DataFrame({"subset": s, "lfw_index": arrays[f"{s}_index"],
                                        "person": arrays[f"{s}_person"]}) for s in subsets],
                         ignore_index=True)


def configuration(profile, protocol: pd.DataFrame) -> dict:
    return {"protocol": short_hash(protocol.to_dict("list")), "face_size": list(FACE_SIZE),
            "min_gallery": MIN_GALLERY, "max_gallery": MAX_GALLERY,
            "n_components": N_COMPONENTS, "param_grid": PARAM_GRID, "cv_folds": CV_FOLDS,
            "seed": SEED, "profile": run_settings(profile)}


def stored_per_probe(folder: Path) -> tuple[pd.DataFrame, dict]:
    path, meta = folder / "per_probe.csv", folder / "metrics.json"
    if not (path.exists() and meta.exists()):
        return pd.DataFrame(columns=PER_PROBE_COLUMNS), {}
    return pd.read_csv(path), json.loads(meta.read_text())


def recognise(profile_name: str, results_root, data_home=None, force: bool = False) -> pd.DataFrame:
    """Every probe's rank under every condition (PER_PROBE_COLUMNS), computing what is missing:
    all of it when the protocol or settings changed, else the rows of runs trained since. Without
    LFW the stored rows stand (a line says so)."""
    results = Path(results_root) / profile_name
    folder = results / "recognition"
    stored, meta = stored_per_probe(folder)
    store = RunStore(Path(results_root), profile_name)
    runs = finished(store.collect(), split=None)
    profile = load_profile(profile_name)
    try:
        dataset = load_dataset(profile, data_home)
        lfw_images, names = fetch_lfw(data_home)
    except DataError as error:
        print(f"recognition: LFW is not available ({error}); the stored results stand")
        return stored
    for _, run in select(runs, split="random").iterrows():
        if not (store.folder(run["key"]) / FACES_FILE).exists() and \
                store.weights(run["key"]).exists():
            faces_from_weights(run, dataset, store)
    with_faces = [run for _, run in runs.iterrows()
                  if (store.folder(run["key"]) / FACES_FILE).exists()]
    protocol = recognition_protocol(names, used_images(dataset, data_home))
    config = configuration(profile, protocol)
    keep = (not force and meta.get("fingerprint") == json.loads(json.dumps(config)))
    current = {run["key"]: run["finished_at"] for run in with_faces}
    if keep:
        run_rows = select(stored, condition="run")
        fresh = run_rows["key"].map(current) == run_rows["run_finished_at"]
        stored = pd.concat([stored[stored["condition"] != "run"], run_rows[fresh]],
                           ignore_index=True)
    scored_keys = set(select(stored, condition="run")["key"]) if keep else set()
    todo = [run for run in with_faces if run["key"] not in scored_keys]
    if keep and not todo:
        return stored
    if protocol["person"].nunique() < 2:
        print(f"recognition ({profile_name}): fewer than two people have test faces and "
              f"{MIN_GALLERY} gallery images; nothing to recognise")
        return pd.DataFrame(columns=PER_PROBE_COLUMNS)
    io.write_csv(results / "recognition_protocol.csv", protocol)
    print(f"recognition ({profile_name}): {len(select(protocol, role='probe'))} probes of "
          f"{protocol['person'].nunique()} people, gallery {len(select(protocol, role='gallery'))}"
          f" images; {len(todo)} run(s) to score", flush=True)
    probing = Probing(dataset, protocol, lfw_images)
    frames = [stored] if keep else probing.fixed_conditions(results_root)
    frames += [probing.run_condition(run, store.folder(run["key"]) / FACES_FILE) for run in todo]
    frames = [f for f in frames if f is not None]
    per_probe = pd.concat(frames, ignore_index=True).reindex(columns=PER_PROBE_COLUMNS)
    io.write_csv(folder / "per_probe.csv", per_probe)
    fits = meta.get("fits", []) if keep else probing.fits
    io.write_json(folder / "metrics.json", {"fingerprint": config, "fits": fits,
                                            **runtime.provenance()})
    return per_probe


# --- tables and what they show -----------------------------------------------------------------

def accuracy(frame: pd.DataFrame) -> dict:
    """Top-k accuracy over probes averaged over seeds, with the two-level (seeds, then probes)
    bootstrap interval (stats.seed_image_bootstrap), for each k in TOP_K."""
    row = {"n_seeds": int(frame["seed"].fillna(-1).nunique()),
           "n_probes": int(frame["lfw_index"].nunique())}
    for k in TOP_K:
        interval = stats.seed_image_bootstrap(hit_matrix(frame, k).to_numpy())
        row.update({f"top{k}": interval["difference"], f"top{k}_ci_low": interval["ci_low"],
                    f"top{k}_ci_high": interval["ci_high"]})
    return row


def hit_matrix(frame: pd.DataFrame, k: int = 1) -> pd.DataFrame:
    """(seeds, probes) 1.0 where the true person is among the first k."""
    seeds = frame.assign(seed=frame["seed"].fillna(-1), hit=(frame["rank"] <= k).astype(float))
    return seeds.pivot_table(index="seed", columns="lfw_index", values="hit")


def verdict_against(runs: pd.DataFrame, reference: pd.DataFrame) -> str:
    """Whether a configuration's top-1 accuracy is higher or lower than a reference condition's
    on the same probes: the paired difference per seed and probe, resolved where its two-level
    bootstrap interval excludes zero on at least two seeds (stats.seed_image_bootstrap)."""
    if reference.empty:
        return "missing"
    ours, theirs = hit_matrix(runs), hit_matrix(reference)
    ours, theirs = ours.align(theirs, join="inner", axis=1)
    return stats.seed_image_bootstrap(ours.to_numpy() - theirs.to_numpy()[:1])["verdict"]


def condition_label(condition: str, method=None, architecture=None, loss=None) -> str:
    from .losses import LOSSES
    from .models import ARCHITECTURES

    if condition == "run":
        return f"{ARCHITECTURES[architecture].label}, {LOSSES[loss].label}"
    if condition == "baseline":
        return baselines.METHODS[method].label
    return CONDITIONS[condition]


TABLE_COLUMNS = ["label", "condition", "obfuscation", "strength", "method", "architecture",
                 "loss", "split", "n_seeds", "n_probes", "top1", "top1_ci_low", "top1_ci_high",
                 "top5", "top5_ci_low", "top5_ci_high", "top1_vs_obfuscated",
                 "top1_vs_trained_on_obfuscated", "test_psnr", "test_ssim", "status"]


def recognition_table(per_probe: pd.DataFrame, runs: pd.DataFrame, input_scores: pd.DataFrame,
                      profile_settings) -> pd.DataFrame:
    """One row per condition at the profile's strength (runs: per architecture x loss x split,
    over seeds): top-1 and top-5 accuracy with intervals, and the condition's mean test PSNR and
    SSIM (all test faces) from the runs and baselines; every configuration of the grid without
    a scored run as 'missing'."""
    chosen = per_probe["obfuscation"].map(
        lambda o: profile_strength(profile_settings, o) if isinstance(o, str) else None)
    profile = per_probe[(per_probe["condition"] == "original")
                        | (per_probe["strength"] == chosen)]
    fields = ["condition", "obfuscation", "strength", "method", "architecture", "loss", "split"]
    rows = []
    for values, group in profile.groupby(fields, dropna=False, sort=False):
        cell = dict(zip(fields, values))
        cell = {k: (None if pd.isna(v) else v) for k, v in cell.items()}
        row = {"label": condition_label(cell["condition"], cell["method"], cell["architecture"],
                                        cell["loss"]), **cell, **accuracy(group)}
        if cell["condition"] == "run":
            for reference in ("obfuscated", "trained_on_obfuscated"):
                row[f"top1_vs_{reference}"] = verdict_against(group, select(
                    profile, condition=reference, obfuscation=cell["obfuscation"]))
            done = select(finished(runs, split=cell["split"]), architecture=cell["architecture"],
                          loss=cell["loss"], obfuscation=cell["obfuscation"])
            row["test_psnr"], row["test_ssim"] = done["test_psnr"].mean(), done["test_ssim"].mean()
        elif cell["condition"] in ("baseline", "obfuscated"):
            method = cell["method"] or "input"
            scores = select(input_scores, obfuscation=cell["obfuscation"], method=method,
                            subset="test")
            row["test_psnr"], row["test_ssim"] = scores["psnr"].mean(), scores["ssim"].mean()
        rows.append({**row, "status": "finished"})
    rows += missing_configurations(profile, runs)
    table = pd.DataFrame(rows).reindex(columns=TABLE_COLUMNS)
    order = {name: i for i, name in enumerate(CONDITIONS)}
    return table.sort_values(["obfuscation", "condition", "architecture", "loss"],
                             key=lambda c: c.map(order) if c.name == "condition" else c,
                             na_position="first", kind="stable").reset_index(drop=True)


def missing_configurations(scored: pd.DataFrame, runs: pd.DataFrame) -> list[dict]:
    """A row with status 'missing' for every architecture x loss x obfuscation x split of the
    profile's grid that no scored run stands for (not trained yet, or trained before runs kept
    their test faces and without weights here)."""
    if runs.empty:
        return []
    from .runs import grid

    have = set(map(tuple, select(scored, condition="run")[
        ["architecture", "loss", "obfuscation", "split"]].to_numpy()))
    wanted = dict.fromkeys((r.architecture, r.loss, r.obfuscation, r.split)
                           for r in grid(runs["profile"].iloc[0]))
    return [{"label": condition_label("run", architecture=a, loss=l), "condition": "run",
             "obfuscation": o, "architecture": a, "loss": l, "split": s, "n_seeds": 0,
             "status": "missing"} for a, l, o, s in wanted if (a, l, o, s) not in have]


def strengths_table(per_probe: pd.DataFrame, profile) -> pd.DataFrame:
    """Per obfuscation and candidate strength: top-1 accuracy on obfuscated probes by the
    original gallery's recogniser and by the one trained on the gallery obfuscated alike."""
    rows = []
    for (obfuscation, strength), group in select(
            per_probe, condition=["obfuscated", "trained_on_obfuscated"]).groupby(
            ["obfuscation", "strength"], sort=False):
        row = {"obfuscation": obfuscation, "strength": strength,
               "profile_strength": strength == profile_strength(profile, obfuscation)}
        for condition, part in group.groupby("condition"):
            prefix = "" if condition == "obfuscated" else "trained_on_obfuscated_"
            row.update({f"{prefix}{k}": v for k, v in accuracy(part).items()
                        if k.startswith("top1")})
        rows.append(row)
    return pd.DataFrame(rows)


def chance(protocol: pd.DataFrame) -> float:
    """Top-1 accuracy of guessing uniformly among the gallery's people."""
    return 1 / protocol["person"].nunique() if len(protocol) else np.nan


def percent(value: float) -> str:
    return f"{100 * value:.0f}%"


def with_interval(row, k: int = 1) -> str:
    return (f"{percent(row[f'top{k}'])} (95% interval {percent(row[f'top{k}_ci_low'])}–"
            f"{percent(row[f'top{k}_ci_high'])})")


def recognition_text(table: pd.DataFrame, strengths: pd.DataFrame,
                     protocol: pd.DataFrame) -> str:
    """What the recognition results show, in Markdown, from the numbers."""
    if table.empty:
        return "Recognition: missing (no stored results and no LFW to compute them)."
    n_people, n_probes = protocol["person"].nunique(), (protocol["role"] == "probe").sum()
    original = select(table, condition="original").iloc[0]
    lines = [f"The recogniser (eigenfaces + SVM) knows {n_people} people from "
             f"{(protocol['role'] == 'gallery').sum()} gallery images, none of them an image any "
             f"network trained, validated or was tested on; it is asked to name {n_probes} test "
             f"faces. On the original faces it names the right person first for "
             f"{with_interval(original)} and among its first five for "
             f"{percent(original['top5'])}; guessing would name {percent(chance(protocol))}."]
    for obfuscation in OBFUSCATIONS:
        part = select(table, obfuscation=obfuscation)
        if part.empty:
            continue
        hidden = select(part, condition="obfuscated").iloc[0]
        trained = select(part, condition="trained_on_obfuscated").iloc[0]
        text = (f"**{OBFUSCATIONS[obfuscation].label} faces** ({hidden['strength']}, the "
                f"profile's strength): {with_interval(hidden)} by the same recogniser, "
                f"{with_interval(trained)} by one trained on {OBFUSCATIONS[obfuscation].label.lower()}"
                f" gallery faces.")
        nets = select(part, condition="run").dropna(subset=["top1"])
        if len(nets):
            best = nets.loc[nets["top1"].idxmax()]
            seeds = f"{best['n_seeds']} seed{'s' if best['n_seeds'] > 1 else ''}"
            text += (f" The best reconstruction ({best['label']}, {best['split']} split, "
                     f"{seeds}) is named right for {with_interval(best)}. Against the obfuscated "
                     f"faces, of {len(nets)} network configurations "
                     + verdict_counts(nets["top1_vs_obfuscated"]) + "; against the recogniser "
                     "trained on obfuscated faces, " + verdict_counts(
                         nets["top1_vs_trained_on_obfuscated"]) + " (paired over seeds and "
                     "faces; resolved only with at least two seeds).")
        missing = (select(part, condition="run")["status"] == "missing").sum()
        if missing:
            text += (f" {missing} network configuration{'s' if missing > 1 else ''} of the grid "
                     "have no recognition yet (missing).")
        lines.append(text + psnr_relation(table, obfuscation))
    lines.append("**Which strengths leak identity** to a recogniser trained on faces obfuscated "
                 "alike (the lower end of its 95% interval above chance): "
                 + "; ".join(leaking_strengths(strengths, chance(protocol), o)
                             for o in dict.fromkeys(strengths["obfuscation"])) + ".")
    return "\n\n".join(lines)


def run_accuracy(per_probe: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Top-1 accuracy of every scored run with its fields and test PSNR (the figure's points)."""
    scored = select(per_probe, condition="run")
    top1 = scored.assign(hit=scored["rank"] <= 1).groupby("key")["hit"].mean().rename("top1")
    return runs.merge(top1, left_on="key", right_index=True)


def verdict_counts(verdicts: pd.Series) -> str:
    """'2 higher, 1 lower, 16 not resolved, 3 on one seed' (on one seed: nothing to resolve)."""
    counts = verdicts.value_counts()
    said = {"one seed": "on one seed"}
    return ", ".join(f"{counts[v]} {said.get(v, v)}" for v in
                     ("higher", "lower", "not resolved", "one seed", "missing") if v in counts)


def leaking_strengths(strengths: pd.DataFrame, chance_level: float, obfuscation: str) -> str:
    tried = select(strengths, obfuscation=obfuscation)
    leaking = tried[tried["trained_on_obfuscated_top1_ci_low"] > chance_level]["strength"]
    label = OBFUSCATIONS[obfuscation].label.lower()
    if len(leaking) == len(tried):
        return (f"{label}: every strength tried ({len(tried)}, from {tried['strength'].iloc[0]} "
                f"to {tried['strength'].iloc[-1]})")
    return f"{label}: {' / '.join(leaking) or 'none'} of {' / '.join(tried['strength'])}"


def psnr_relation(table: pd.DataFrame, obfuscation: str) -> str:
    """Whether runs with better test PSNR are recognised more often (Spearman, one point per
    network configuration)."""
    from scipy.stats import spearmanr

    nets = select(table, condition="run", obfuscation=obfuscation).dropna(
        subset=["top1", "test_psnr"])
    if len(nets) < 4:
        return ""
    if nets["top1"].nunique() < 2 or nets["test_psnr"].nunique() < 2:
        return (f" Across the {len(nets)} network configurations, top-1 accuracy or test PSNR "
                "does not vary: no relation to measure.")
    rho, p = spearmanr(nets["test_psnr"], nets["top1"])
    return (f" Across the {len(nets)} network configurations, top-1 accuracy and test PSNR have "
            f"Spearman ρ = {rho:.2f} (p = {p:.2g}).")


def write_recognition(profile_name: str, results_root, figures_root, runs: pd.DataFrame,
                      data_home=None, force: bool = False) -> dict:
    """Computes what is missing (recognise), writes results/<profile>/recognition.csv,
    recognition_strengths.csv and the figure figures/<profile>/recognition_vs_psnr; returns the
    tables, the figure's paths and the text."""
    from . import plots

    results = Path(results_root) / profile_name
    per_probe = recognise(profile_name, results_root, data_home, force)
    protocol_path = results / "recognition_protocol.csv"
    if per_probe.empty or not protocol_path.exists():
        return {"table": pd.DataFrame(), "strengths": pd.DataFrame(), "figures": [],
                "text": recognition_text(pd.DataFrame(), None, None)}
    protocol = pd.read_csv(protocol_path)
    profile = load_profile(profile_name)
    table = recognition_table(per_probe, runs, baselines.per_image_scores(results_root,
                                                                          profile_name), profile)
    strengths = strengths_table(per_probe, profile)
    io.write_csv(results / "recognition.csv", table)
    io.write_csv(results / "recognition_strengths.csv", strengths)
    write_printed(table, results / "tables", profile_name)
    points, level = run_accuracy(per_probe, runs), chance(protocol)
    paths = plots.save_in_both_widths(
        lambda width: plots.recognition_vs_psnr(points, table, level, width),
        io.writable_dir(Path(figures_root) / profile_name) / "recognition_vs_psnr")
    return {"table": table, "strengths": strengths, "figures": paths,
            "text": recognition_text(table, strengths, protocol)}


def printed(table: pd.DataFrame) -> pd.DataFrame:
    """The recognition table as it prints: accuracies in percent with their intervals."""
    def cell(row, k):
        if pd.isna(row.get(f"top{k}")):
            return "missing"
        return (f"{100 * row[f'top{k}']:.0f} [{100 * row[f'top{k}_ci_low']:.0f}, "
                f"{100 * row[f'top{k}_ci_high']:.0f}]")

    split = table["split"].map(lambda v: " (identity split)" if v == "identity" else "")
    return pd.DataFrame({
        "Faces": table["label"].str.replace(" (no model)", "", regex=False) + split,
        "Obfuscation": table["obfuscation"].map(
            lambda o: OBFUSCATIONS[o].label if isinstance(o, str) else "none"),
        "n": table["n_seeds"],
        "Top-1 (%)": [cell(r, 1) for _, r in table.iterrows()],
        "Top-5 (%)": [cell(r, 5) for _, r in table.iterrows()],
        "PSNR (dB)": table["test_psnr"].map(lambda v: "" if pd.isna(v) else f"{v:.2f}"),
        "vs obf.": table["top1_vs_obfuscated"].fillna(""),
        "vs trained": table["top1_vs_trained_on_obfuscated"].fillna("")})


def write_printed(table: pd.DataFrame, folder: Path, profile: str) -> None:
    from . import latex

    caption = (f"Face recognition (eigenfaces + SVM) on original, obfuscated and reconstructed "
               f"test faces ({profile} profile). Top-k: the true person among the recogniser's "
               f"first k, mean over seeds (n) with a 95% bootstrap interval drawing seeds, then "
               f"faces; PSNR: mean over all test faces; vs obf., vs trained: the paired "
               f"difference in top-1 against the obfuscated faces and against a recogniser "
               f"trained on obfuscated faces, resolved with at least two seeds")
    shown = printed(table)
    io.write_text(io.writable_dir(folder) / "recognition.md",
                  f"{caption}\n\n{shown.to_markdown(index=False)}\n")
    io.write_text(folder / "recognition.tex", latex.table_tex(shown, caption, "recognition"))


def stored_text(results: Path) -> str:
    """recognition_text from the CSVs that write_recognition wrote (e.g. for the README)."""
    names = ("recognition.csv", "recognition_strengths.csv", "recognition_protocol.csv")
    if not all((results / name).exists() for name in names):
        return "Recognition: missing (`python -m facerecon recognise` where LFW is)."
    return recognition_text(*(pd.read_csv(results / name) for name in names))
