"""Every probe's rank under every condition (recognition/protocol.py draws probes and gallery):
the original, obfuscated and baselines' faces and each run's reconstruction, at the profile's
strength and at every calibration candidate's, cached by its configuration in
results/<profile>/recognition/ (per_probe.csv, metrics.json). A run's rows are recomputed when it
is retrained; without LFW the stored rows stand.

    python -m facerecon recognise --profile quick
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..axes.architectures import ARCHITECTURES
from ..axes.obfuscation import OBFUSCATIONS, obfuscate, obfuscate_for_profile, setting_label
from ..core import io, runtime
from ..data import baselines
from ..data.dataset import Dataset, load_dataset, prepare_cache, resize_to_profile
from ..data.faces import FACE_SIZE, FACES_FILE, read_faces, recognition_faces, write_faces
from ..data.lfw import DataError, fetch_lfw
from ..experiment.config import Profile
from ..experiment.fingerprint import differences, plain, shared_settings, short_hash
from ..training.runs import RunStore, finished, run_config, select
from .protocol import (CV_FOLDS, MAX_GALLERY, MIN_GALLERY, N_COMPONENTS, PARAM_GRID,
                       PER_PROBE_COLUMNS, SEED, fit_recogniser, profile_strength, ranks,
                       recognition_protocol)

# --- scoring every condition -------------------------------------------------------------------

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
    from ..axes.networks import build_for_profile
    from ..training.train import evaluate

    model = build_for_profile(run["architecture"], dataset.profile)
    model.load_weights(store.weights(run["key"]))
    outputs, _ = evaluate(model, dataset, "test", run_config(run),
                          ARCHITECTURES[run["architecture"]].output_range,
                          dataset.profile.batch_size)
    write_faces(store.folder(run["key"]) / FACES_FILE, dataset.lfw_index["test"], outputs)
    print(f"recognition: test faces of {run['key']} reconstructed from its weights")


def used_images(dataset: Dataset, data_home=None) -> pd.DataFrame:
    """Every face any split of the profile uses (subset, lfw_index, person), from its cache."""
    with np.load(prepare_cache(dataset.profile, data_home)) as arrays:
        subsets = [k[:-len("_index")] for k in arrays.files if k.endswith("_index")]
        return pd.concat([pd.DataFrame({"subset": s, "lfw_index": arrays[f"{s}_index"],
                                        "person": arrays[f"{s}_person"]}) for s in subsets],
                         ignore_index=True)


def configuration(profile, protocol: pd.DataFrame) -> dict:
    return {"protocol": short_hash(protocol.to_dict("list")), "face_size": list(FACE_SIZE),
            "min_gallery": MIN_GALLERY, "max_gallery": MAX_GALLERY,
            "n_components": N_COMPONENTS, "param_grid": PARAM_GRID, "cv_folds": CV_FOLDS,
            "seed": SEED,
            "profile": {**shared_settings(profile), "obfuscations": profile.obfuscations}}


def stored_per_probe(folder: Path) -> tuple[pd.DataFrame, dict]:
    path, meta = folder / "per_probe.csv", folder / "metrics.json"
    if not (path.exists() and meta.exists()):
        return pd.DataFrame(columns=PER_PROBE_COLUMNS), {}
    return pd.read_csv(path), json.loads(meta.read_text())


def recognise(profile: Profile, results_root, data_home=None, force: bool = False) -> pd.DataFrame:
    """Every probe's rank under every condition (PER_PROBE_COLUMNS), computing what is missing:
    all of it when the protocol or settings changed, else the rows of runs trained since. Without
    LFW the stored rows stand (a line says so)."""
    profile_name = profile.name
    results = Path(results_root) / profile_name
    folder = results / "recognition"
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
        if not (store.folder(run["key"]) / FACES_FILE).exists() and \
                store.weights(run["key"]).exists():
            faces_from_weights(run, dataset, store)
    with_faces = [run for _, run in runs.iterrows()
                  if (store.folder(run["key"]) / FACES_FILE).exists()]
    protocol = recognition_protocol(names, used_images(dataset, data_home))
    config = configuration(profile, protocol)
    keep = not force and not differences(meta.get("fingerprint", {}), plain(config))
    # A scored run keeps its rows until it is retrained, also where its faces are not on this
    # machine (test_faces.npz is not committed): only runs with faces here can be scored anew.
    current = dict(zip(runs["key"], runs["finished_at"])) if len(runs) else {}
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
