"""Scores a finished run lacks, added from its weights: a per-image score added to
axes/measures.py after the run trained (psnr_inner and psnr_border, e.g.) joins its per_image.csv
and metrics.json without training it again. A run is rescored only where its weights give back,
face by face, the PSNR it recorded; its fingerprint, history and every score it had stay as they
were, and metrics.json names the scores added and the code that added them.

    python -m facerecon rescore --profile quick
"""
from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from ..axes.architectures import ARCHITECTURES
from ..axes.measures import score_names
from ..core import io, runtime
from ..data.dataset import Dataset
from ..experiment.fingerprint import run_config
from ..experiment.runs import RunStore
from .train import reconstruct

# Recomputed PSNR may differ from the recorded one by float rounding, not by a model.
SAME_PSNR_DB = 0.01


class RescoreRefused(Exception):
    """A run whose weights cannot give its scores (not its own faces or PSNR), and why."""


class WithoutWeights(Exception):
    """A run whose weights are not on this machine (trained elsewhere, e.g. on a GPU)."""


def lacking(per_image: pd.DataFrame) -> list[str]:
    """The per-image scores (measures.score_names) a run's per_image.csv does not hold."""
    return [name for name in score_names() if name not in per_image]


def rescore_run(store: RunStore, key: str, metrics: dict, per_image: pd.DataFrame,
                dataset: Dataset) -> list[str]:
    """Adds to a finished run (its metrics.json and per_image.csv, read) the per-image scores it
    lacks and their means, from its weights; the scores added. `dataset`: the run's split."""
    from ..axes.networks import build_for_profile

    missing = lacking(per_image)
    if not store.weights(key).exists():
        raise WithoutWeights(f"{key}: its weights are not on this machine "
                             f"({store.weights(key)}); it keeps the scores it has")
    config = run_config(metrics)
    model = build_for_profile(config.architecture, dataset.profile)
    model.load_weights(store.weights(key))
    output_range = ARCHITECTURES[config.architecture].output_range
    for subset in per_image["subset"].unique():
        rows = (per_image["subset"] == subset).to_numpy()
        if not np.array_equal(per_image.loc[rows, "lfw_index"], dataset.lfw_index[subset]):
            raise RescoreRefused(f"{key}: its {subset} faces are not this dataset's")
        inputs, outputs = reconstruct(model, dataset, subset, config, output_range,
                                      dataset.profile.batch_size)
        scores = dataset.score(subset, outputs)
        drift = float(np.max(np.abs(scores["psnr"] - per_image.loc[rows, "psnr"])))
        if not drift <= SAME_PSNR_DB:  # NaN included
            raise RescoreRefused(f"{key}: its weights do not give back its recorded {subset} "
                                 f"PSNR (off by up to {drift:.3f} dB); it keeps the scores it has")
        given = dataset.score(subset, inputs)
        for name in missing:
            per_image.loc[rows, name] = scores[name]
            per_image.loc[rows, f"input_{name}"] = given[name]
    first = ["subset", "lfw_index", *score_names(), *(f"input_{n}" for n in score_names())]
    per_image = per_image[first + [c for c in per_image if c not in first]]  # a new run's order
    means = per_image.groupby("subset")[[c for n in missing for c in (n, f"input_{n}")]].mean()
    metrics.update({f"{subset}_{column}": float(value) for (subset, column), value
                    in means.stack().items()})
    metrics.update(scores_added=", ".join(missing),
                   scores_added_by=runtime.code_version())
    # per_image.csv first: metrics.json must never record a mean whose values are not there.
    io.write_csv(store.folder(key) / "per_image.csv", per_image)
    io.write_json(store.folder(key) / "metrics.json", metrics)
    return missing


def rescore_profile(store: RunStore, load) -> dict[str, int]:
    """Rescores every finished run of a store that its profile still describes (load(split):
    that split's Dataset, loaded once), one line per run rescored or refused; the counts of runs
    rescored, refused, without weights here and already whole."""
    counts = {"rescored": 0, "refused": 0, "without weights": 0, "whole": 0}
    load = functools.cache(load)
    for key in store.keys_found():
        metrics, _ = store.whole_metrics(key)
        if metrics is None or store.changes(metrics):  # unfinished, damaged or stale
            continue
        per_image = store.per_image(key)
        if not lacking(per_image):
            counts["whole"] += 1
            continue
        try:
            added = rescore_run(store, key, metrics, per_image, load(run_config(metrics).split))
            print(f"rescore: {key}: added {', '.join(added)}", flush=True)
            counts["rescored"] += 1
        except RescoreRefused as refused:
            print(f"rescore: {refused}", flush=True)
            counts["refused"] += 1
        except WithoutWeights as kept:
            print(f"rescore: {kept}", flush=True)
            counts["without weights"] += 1
    return counts
