"""Every probe's rank under every condition (recognition/protocol.py draws probes and gallery):
the original, obfuscated and baselines' faces and each run's reconstruction, at the profile's
strength and at every calibration candidate's, cached per recogniser by its configuration in
results/<profile>/recognition/ (per_probe.csv, metrics.json). A run's rows are recomputed when it
is retrained; without LFW the stored rows stand.

    python -m facerecon recognise --profile quick
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..axes import face_descriptor
from ..axes.architectures import ARCHITECTURES
from ..axes.obfuscation import OBFUSCATIONS, obfuscate, obfuscate_for_profile, setting_label
from ..core import io, runtime
from ..data import baselines
from ..data.dataset import Dataset, load_dataset, prepare_cache, resize_to_profile
from ..data.faces import DESCRIPTORS_FILE, FACES_FILE, write_descriptors, write_faces
from ..data.lfw import DataError, fetch_lfw
from ..experiment.config import Profile
from ..experiment.fingerprint import (differences, plain, run_config, shared_settings,
                                      short_hash)
from ..experiment.runs import RunStore
from ..experiment.study import finished, select
from .protocol import (CV_FOLDS, MIN_GALLERY, PER_PROBE_COLUMNS, RECOGNISERS, RECORDS, SEED,
                       kept_features, profile_strength, ranks, recognition_protocol,
                       stored_per_probe)

# --- scoring every condition -------------------------------------------------------------------

class Probing:
    """The protocol's faces at the profile's pipeline (resized and min-max scaled like the
    networks' faces), their originals' alignment, and each recogniser fitted to the original
    gallery (at most its max_gallery images per person)."""

    def __init__(self, dataset: Dataset, protocol: pd.DataFrame, lfw_images: np.ndarray,
                 recognisers=tuple(RECOGNISERS)):
        self.dataset, self.profile, self.recognisers = dataset, dataset.profile, recognisers
        gallery = select(protocol, role="gallery")
        probes = select(protocol, role="probe")
        self.gallery_people = gallery["person"].to_numpy()
        self.gallery = dataset.scaler.to_unit(resize_to_profile(
            lfw_images[gallery["lfw_index"].to_numpy()], self.profile))
        position = {index: i for i, index in enumerate(dataset.lfw_index["test"])}
        self.probe_position = np.array([position[i] for i in probes["lfw_index"]])
        self.probes = probes.reset_index(drop=True)
        self.kept = {name: gallery.groupby("person", sort=False).cumcount().to_numpy()
                     < RECOGNISERS[name].max_gallery for name in recognisers}
        aligned = any(RECOGNISERS[name].aligned for name in recognisers)
        self.alignment = {"gallery": face_descriptor.align(self.gallery) if aligned else None,
                          "probes": face_descriptor.align(self.probe_images()) if aligned else None}
        self.fits, self.fitted = [], {}
        for name in recognisers:
            self.fitted[name] = self.fit(name, self.gallery, "original", None)

    def alignment_failures(self) -> dict:
        return {role: a.n_failed for role, a in self.alignment.items() if a is not None}

    def features(self, name: str, images: np.ndarray, role: str) -> np.ndarray:
        """A recogniser's features of versions of the probes or of its gallery."""
        entry, alignment = RECOGNISERS[name], self.alignment[role]
        if role == "gallery":
            images = images[self.kept[name]]
            alignment = alignment and face_descriptor.Alignment(alignment.points[self.kept[name]],
                                                         alignment.failed[self.kept[name]])
        return entry.features(images, alignment)

    def fit(self, name: str, gallery_images: np.ndarray, trained_on: str, strength):
        search = RECOGNISERS[name].fit(self.features(name, gallery_images, "gallery"),
                                       self.gallery_people[self.kept[name]])
        params = {k.split("__")[-1]: v for k, v in search.best_params_.items()}
        self.fits.append({"recogniser": name, "trained_on": trained_on, "strength": strength,
                          "cv_top1": float(search.best_score_),
                          **{k: (type(v).__name__ if k == "classifier" else v)
                             for k, v in params.items()}})
        return search

    def scored(self, name: str, features: np.ndarray, recogniser=None, **fields) -> pd.DataFrame:
        """Ranks of the probes' features (in protocol order) by a recogniser."""
        found = ranks(recogniser or self.fitted[name], features, self.probes["person"].to_numpy())
        return pd.concat([self.probes[["lfw_index", "person"]], found], axis=1).assign(
            recogniser=name, **fields)

    def probe_images(self) -> np.ndarray:
        return self.dataset.images["test"][self.probe_position]

    def fixed_conditions(self, results_root, names) -> list[pd.DataFrame]:
        """For each recogniser of `names`: originals; every obfuscation at every candidate strength, named
        by the original gallery's recogniser and by one trained on the gallery obfuscated alike;
        the baselines' reconstructions at the profile's strength."""
        originals = self.probe_images()
        have_baselines = not baselines.per_image_scores(results_root, self.profile.name).empty
        frames = []
        for name in names:
            frames.append(self.scored(name, self.features(name, originals, "probes"),
                                      condition="original"))
            for obfuscation in OBFUSCATIONS:
                chosen = self.profile.obfuscation_settings(obfuscation)
                for settings in self.profile.obfuscations[obfuscation]["candidates"]:
                    label = setting_label(obfuscation, settings)
                    hidden = self.features(name, obfuscate(originals, obfuscation, **settings),
                                           "probes")
                    trained = self.fit(name, obfuscate(self.gallery, obfuscation, **settings),
                                       obfuscation, label)
                    fields = {"obfuscation": obfuscation, "strength": label}
                    frames += [self.scored(name, hidden, condition="obfuscated", **fields),
                               self.scored(name, hidden, trained, condition="trained_on_obfuscated",
                                           **fields)]
                    print(f"  recognition ({RECOGNISERS[name].label}): {obfuscation} {label}"
                          f"{' (the profile strength)' if settings == chosen else ''}", flush=True)
                hidden = obfuscate_for_profile(originals, obfuscation, self.profile)
                for method in OBFUSCATIONS[obfuscation].baselines:
                    if method == "input" or not have_baselines:
                        continue  # the obfuscated faces themselves, or no baselines computed
                    setting = baselines.chosen_setting(results_root, self.profile.name,
                                                       obfuscation, method)
                    restored = baselines.METHODS[method].restore(hidden, chosen, setting)
                    frames.append(self.scored(name, self.features(name, restored, "probes"),
                                              condition="baseline", obfuscation=obfuscation,
                                              strength=setting_label(obfuscation, chosen),
                                              method=method))
        return frames

    def run_conditions(self, run: pd.Series, folder: Path) -> list[pd.DataFrame]:
        """The probes as the run reconstructed them, by each recogniser whose features the run
        kept (its kept_file); none (with a line) when
        the run was scored on other test faces than the profile's (e.g. a synthetic dataset)."""
        frames = []
        for name in self.recognisers:
            path = folder / RECOGNISERS[name].kept_file
            if not path.exists():
                continue
            lfw_index, features = RECOGNISERS[name].read_kept(path)
            position = {index: i for i, index in enumerate(lfw_index)}
            if not set(self.probes["lfw_index"]) <= set(position):
                print(f"recognition: {run['key']} was not tested on this profile's test faces; "
                      "left out")
                return []
            frames.append(self.scored(
                name, features[[position[i] for i in self.probes["lfw_index"]]], condition="run",
                obfuscation=run["obfuscation"],
                strength=profile_strength(self.profile, run["obfuscation"]),
                **{k: run[k] for k in ("key", "architecture", "loss", "seed", "split")},
                run_finished_at=run["finished_at"]))
        return frames


def faces_from_weights(run: pd.Series, dataset: Dataset, store: RunStore) -> None:
    """A run trained before runs kept their test faces: its faces from its stored weights
    (random split: the dataset's scaling is that split's)."""
    from ..axes.networks import build_for_profile
    from ..training.train import reconstruct

    model = build_for_profile(run["architecture"], dataset.profile)
    model.load_weights(store.weights(run["key"]))
    _, outputs = reconstruct(model, dataset, "test", run_config(run),
                             ARCHITECTURES[run["architecture"]].output_range,
                             dataset.profile.batch_size)
    folder = store.folder(run["key"])
    write_faces(folder / FACES_FILE, dataset.lfw_index["test"], outputs)
    write_descriptors(folder / DESCRIPTORS_FILE, dataset.lfw_index["test"],
                      dataset.descriptors("test", outputs))
    print(f"recognition: test faces of {run['key']} reconstructed from its weights")


def used_images(dataset: Dataset, data_home=None) -> pd.DataFrame:
    """Every face any split of the profile uses (subset, lfw_index, person), from its cache."""
    with np.load(prepare_cache(dataset.profile, data_home)) as arrays:
        subsets = [k[:-len("_index")] for k in arrays.files if k.endswith("_index")]
        return pd.concat([pd.DataFrame({"subset": s, "lfw_index": arrays[f"{s}_index"],
                                        "person": arrays[f"{s}_person"]}) for s in subsets],
                         ignore_index=True)


def configuration(profile, protocol: pd.DataFrame) -> dict:
    """Each recogniser's fingerprint: the protocol's settings and its own (a recogniser added or
    changed leaves the others' stored ranks standing)."""
    shared = {"protocol": short_hash(protocol.to_dict("list")), "min_gallery": MIN_GALLERY,
              "cv_folds": CV_FOLDS, "seed": SEED,
              "profile": {**shared_settings(profile), "obfuscations": profile.obfuscations}}
    return {name: {**shared, **entry.settings} for name, entry in RECOGNISERS.items()}


def stored_fingerprints(meta: dict) -> dict:
    """The stored fingerprint per recogniser; one of the layout before there were several
    recognisers (flat, no recogniser column in per_probe.csv) is eigenfaces'."""
    fingerprint = meta.get("fingerprint", {})
    return {"eigenfaces": fingerprint} if "protocol" in fingerprint else fingerprint


def standing(stored: pd.DataFrame, runs: pd.DataFrame, store: RunStore) -> tuple:
    """The stored rows that stand, and the finished runs to score anew. A scored run keeps its
    rows until it is retrained, also where its faces are not on this machine (test_faces.npz is
    not committed): only runs with faces here can be scored anew, for the recognisers whose
    features they kept."""
    current = dict(zip(runs["key"], runs["finished_at"])) if len(runs) else {}
    run_rows = select(stored, condition="run")
    retrained = run_rows["key"].map(current) != run_rows["run_finished_at"]
    stored = stored.drop(run_rows.index[retrained.to_numpy()])
    scored = set(map(tuple, select(stored, condition="run")[["key", "recogniser"]].to_numpy()))
    kept = {key: kept_features(store.folder(key)) for key in runs["key"]}
    todo = [run for _, run in runs.iterrows()
            if any((run["key"], name) not in scored for name in kept[run["key"]])]
    again = {(run["key"], name) for run in todo for name in kept[run["key"]]}  # scored anew
    return stored[[pair not in again for pair in zip(stored["key"], stored["recogniser"])]], todo


def recognise(profile: Profile, results_root, data_home=None, force: bool = False) -> pd.DataFrame:
    """Every probe's rank under every condition (PER_PROBE_COLUMNS), computing what is missing:
    every condition of a recogniser whose fingerprint (the protocol's settings and its own)
    changed or that is new, and the rows of runs trained since. Without LFW the stored rows stand
    (a line says so)."""
    profile_name = profile.name
    results = Path(results_root) / profile_name
    folder = results / RECORDS
    stored, meta = stored_per_probe(folder)
    store = RunStore(Path(results_root), profile)
    runs = finished(store.collect(), split=None)
    try:
        dataset = load_dataset(profile, data_home)
        lfw_images, names = fetch_lfw(data_home)
    except DataError as error:
        print(f"recognition: LFW is not available ({error}); the stored results stand")
        return stored
    for _, run in select(runs, split="random").iterrows():
        if kept_features(store.folder(run["key"])) != set(RECOGNISERS) \
                and store.weights(run["key"]).exists():
            faces_from_weights(run, dataset, store)
    protocol = recognition_protocol(names, used_images(dataset, data_home))
    config, was = configuration(profile, protocol), stored_fingerprints(meta)
    fresh = [] if force else [name for name in RECOGNISERS
                              if name in was and not differences(was[name], plain(config[name]))]
    stale = [name for name in RECOGNISERS if name not in fresh]
    stored, todo = standing(stored[stored["recogniser"].isin(fresh)], runs, store)
    if not stale and not todo:
        return stored
    if protocol["person"].nunique() < 2:
        print(f"recognition ({profile_name}): fewer than two people have test faces and "
              f"{MIN_GALLERY} gallery images; nothing to recognise")
        return pd.DataFrame(columns=PER_PROBE_COLUMNS)
    io.write_csv(results / "recognition_protocol.csv", protocol)
    print(f"recognition ({profile_name}): {len(select(protocol, role='probe'))} probes of "
          f"{protocol['person'].nunique()} people, gallery {len(select(protocol, role='gallery'))}"
          f" images; {len(todo)} run(s) to score"
          + (f"; every condition by {', '.join(stale)}" if stale else ""), flush=True)
    probing = Probing(dataset, protocol, lfw_images)
    frames = [stored] + probing.fixed_conditions(results_root, stale)
    frames += [frame for run in todo for frame in probing.run_conditions(run,
                                                                         store.folder(run["key"]))]
    per_probe = pd.concat(frames, ignore_index=True).reindex(columns=PER_PROBE_COLUMNS)
    io.write_csv(folder / "per_probe.csv", per_probe)
    fits = ([fit for fit in meta.get("fits", []) if fit.get("recogniser") in fresh]
            + [fit for fit in probing.fits if fit["recogniser"] in stale])
    failures = (probing.alignment_failures() if any(RECOGNISERS[n].aligned for n in stale)
                else meta.get("alignment_failed", {}))
    io.write_json(folder / "metrics.json", {"fingerprint": config, "fits": fits,
                                            "alignment_failed": failures,
                                            **runtime.provenance()})
    return per_probe
