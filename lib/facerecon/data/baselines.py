"""Non-learned baselines, scored like the networks on the same images: the obfuscated input;
for pixelation, bicubic interpolation of the block means; for blur, Wiener and Richardson-Lucy
deconvolution (scikit-image) with the known Gaussian PSF. A method's setting (Wiener's balance,
Richardson-Lucy's iterations) is the one with the highest mean validation PSNR; every candidate's
validation scores are recorded.

Writes results/<profile>/baselines/: selection.csv (validation scores of every candidate),
per_image.csv (train and test, every method), metrics.json (means, settings, provenance). A
finished set with the same configuration is reused. Which methods an obfuscation gets is the
obfuscation's choice (obfuscation.OBFUSCATIONS[name].baselines).

    python -m facerecon baselines --profile quick
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
import pandas as pd

from ..axes.measures import MEASURE_NAMES
from ..axes.obfuscation import OBFUSCATIONS
from ..core import io, runtime
from ..core.io import PROJECT_ROOT
from ..core.registry import Registry
from ..experiment.fingerprint import (plain, settings_differences, shared_settings, short_hash,
                                      stored_fingerprint)
from .dataset import Dataset


def gaussian_psf(kernel: int, sigma: float) -> np.ndarray:
    """The PSF of cv2.GaussianBlur(kernel, sigma): the outer product of its 1-D kernel."""
    line = cv2.getGaussianKernel(kernel, sigma)
    return (line @ line.T).astype(np.float64)


def deconvolve(images: np.ndarray, psf: np.ndarray, method: str, setting) -> np.ndarray:
    """Wiener (balance = setting) or Richardson-Lucy (iterations = setting) per image and
    channel. Images are mirror-padded first, as cv2.GaussianBlur pads them, so the FFT's
    wrap-around does not ring at the borders; results are clipped to [0, 1]."""
    from skimage.restoration import richardson_lucy, wiener

    pad = psf.shape[0]
    out = np.empty_like(images, dtype=np.float32)
    for i, image in enumerate(images.astype(np.float64)):
        padded = np.pad(image, ((pad, pad), (pad, pad), (0, 0)), mode="reflect")
        if method == "wiener":
            restored = np.stack([wiener(padded[..., c], psf, balance=setting, clip=False)
                                 for c in range(padded.shape[-1])], axis=-1)
        else:
            restored = richardson_lucy(padded, psf[..., None], num_iter=int(setting), clip=False)
        out[i] = restored[pad:-pad, pad:-pad]
    return np.clip(out, 0.0, 1.0)


def bicubic_from_block_means(pixelated: np.ndarray, block: int) -> np.ndarray:
    """The block means (one value per block of the pixelated faces) upsampled bicubically."""
    height, width = pixelated.shape[1:3]
    means = pixelated[:, ::block, ::block]
    return np.clip(np.stack([cv2.resize(m, (width, height), interpolation=cv2.INTER_CUBIC)
                             for m in means]), 0.0, 1.0).astype(np.float32)


# Candidate settings, searched on the validation set.
WIENER_BALANCES = (1e-6, 1e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0)
RL_ITERATIONS = (1, 2, 5, 10, 20, 50, 100, 200)


def psf_of(blur: dict) -> np.ndarray:
    return gaussian_psf(blur["kernel"], blur["sigma"])


@dataclass(frozen=True)
class Method:
    label: str
    # (obfuscated faces, the obfuscation's settings, this method's setting) -> faces in [0, 1]
    restore: Callable[[np.ndarray, dict, object], np.ndarray]
    setting_name: str | None = None
    candidates: tuple = (None,)

    @property
    def short_label(self) -> str:
        """The label without '(no model)', where a heading or rule already says it."""
        return self.label.removesuffix(" (no model)")


METHODS = Registry("baseline", {
    "input": Method("Obfuscated input (no model)", lambda faces, _, __: faces),
    "bicubic": Method("Bicubic of block means (no model)",
                      lambda faces, pixelation, _: bicubic_from_block_means(faces,
                                                                            pixelation["block"])),
    "wiener": Method("Wiener deconvolution (no model)",
                     lambda faces, blur, balance: deconvolve(faces, psf_of(blur), "wiener", balance),
                     "balance", WIENER_BALANCES),
    "richardson_lucy": Method("Richardson-Lucy deconvolution (no model)",
                              lambda faces, blur, iterations: deconvolve(
                                  faces, psf_of(blur), "richardson_lucy", iterations),
                              "iterations", RL_ITERATIONS),
})


def restore(dataset: Dataset, subset: str, obfuscation: str, method: str, setting) -> np.ndarray:
    """A baseline's reconstruction of a subset's obfuscated faces, in [0, 1]."""
    return METHODS[method].restore(dataset.obfuscated(subset, obfuscation),
                                   dataset.profile.obfuscation_settings(obfuscation), setting)


def select_setting(dataset: Dataset, obfuscation: str, method: str) -> pd.DataFrame:
    """Validation PSNR/SSIM of every candidate setting; `chosen` marks the best PSNR."""
    rows = []
    for setting in METHODS[method].candidates:
        scores = dataset.score("val", restore(dataset, "val", obfuscation, method, setting))
        rows.append({"obfuscation": obfuscation, "method": method,
                     "setting_name": METHODS[method].setting_name, "setting": setting,
                     **{f"val_{m}": float(scores[m].mean()) for m in MEASURE_NAMES}})
    table = pd.DataFrame(rows)
    table["chosen"] = table.index == table["val_psnr"].idxmax()
    return table


def configuration(dataset: Dataset) -> dict:
    """What the baselines' scores depend on: the data, each obfuscation at the profile's strength
    and the methods' candidate settings (not the networks, not the calibration candidates)."""
    profile = dataset.profile
    return {"profile": {**shared_settings(profile),
                        "obfuscations": {o: profile.obfuscation_settings(o) for o in OBFUSCATIONS}},
            "candidates": {name: list(method.candidates) for name, method in METHODS.items()}}


def is_cached(stored: Path, config: dict) -> bool:
    if not stored.exists():
        return False
    fingerprint = stored_fingerprint(json.loads(stored.read_text()))
    return (fingerprint.get("candidates") == plain(config["candidates"])
            and not settings_differences(fingerprint.get("profile", {}), config["profile"]))


def run_baselines(dataset: Dataset, results_root=PROJECT_ROOT / "results",
                  force: bool = False) -> pd.DataFrame:
    """Scores every baseline of both obfuscations on train and test (settings chosen on
    validation) and returns one row per method with its mean train/test PSNR and SSIM."""
    folder = io.writable_dir(Path(results_root) / dataset.profile.name / "baselines")
    config = configuration(dataset)
    stored = folder / "metrics.json"
    if not force and is_cached(stored, config):
        return summary(results_root, dataset.profile.name)
    selections, frames = [], []
    for obfuscation, entry in OBFUSCATIONS.items():
        for method in entry.baselines:
            selection = select_setting(dataset, obfuscation, method)
            setting = selection.loc[selection["chosen"], "setting"].iloc[0]
            selections.append(selection)
            for subset in ("train", "test"):
                restored = restore(dataset, subset, obfuscation, method, setting)
                scores = dataset.score(subset, restored)
                if subset == "test":  # identity by the deep descriptor, as for the runs
                    scores.update(dataset.identity(subset, restored))
                frames.append(pd.DataFrame({
                    "obfuscation": obfuscation, "method": method, "setting": setting,
                    "subset": subset, "lfw_index": dataset.lfw_index[subset], **scores}))
    io.write_csv(folder / "selection.csv", pd.concat(selections, ignore_index=True))
    per_image = pd.concat(frames, ignore_index=True)
    io.write_csv(folder / "per_image.csv", per_image)
    means = per_image.groupby(["obfuscation", "method", "subset"], dropna=False)[
        list(MEASURE_NAMES)].mean()
    io.write_json(stored, {"fingerprint": config, "config_hash": short_hash(config),
                           "means": {"/".join(k): v for k, v in means.to_dict("index").items()},
                           **runtime.provenance()})
    return summary_of(per_image)


def summary(results_root, profile_name: str) -> pd.DataFrame:
    """The stored baselines' summary (see summary_of)."""
    return summary_of(per_image_scores(results_root, profile_name))


def summary_of(per_image: pd.DataFrame) -> pd.DataFrame:
    """One row per (obfuscation, method): its setting and mean train/test PSNR/SSIM."""
    rows = []
    for (obfuscation, method), group in per_image.groupby(["obfuscation", "method"], sort=False):
        row = {"obfuscation": obfuscation, "method": method, "setting": group["setting"].iloc[0]}
        for subset, part in group.groupby("subset"):
            # a measure added since the baselines were scored is missing (NaN), not an error
            row.update({f"{subset}_{m}": part[m].mean() if m in part else np.nan
                        for m in MEASURE_NAMES})
        rows.append(row)
    return pd.DataFrame(rows)


def per_image_scores(results_root, profile_name: str) -> pd.DataFrame:
    """Per-image train and test scores of every baseline (empty if not computed)."""
    path = Path(results_root) / profile_name / "baselines" / "per_image.csv"
    if not path.exists():
        return pd.DataFrame(columns=["obfuscation", "method", "setting", "subset", "lfw_index",
                                     *MEASURE_NAMES])
    return pd.read_csv(path)


def chosen_setting(results_root, profile_name: str, obfuscation: str, method: str):
    """The setting validation chose for a method (as its candidate, with its type), or None when
    the baselines have not been computed."""
    path = Path(results_root) / profile_name / "baselines" / "selection.csv"
    if not path.exists():
        return None
    table = pd.read_csv(path)
    row = table[(table["obfuscation"] == obfuscation) & (table["method"] == method)
                & table["chosen"]]
    candidates = METHODS[method].candidates
    if row.empty or candidates == (None,):
        return None
    return next(c for c in candidates if np.isclose(c, row["setting"].iloc[0]))


def selection_text(selection: pd.DataFrame) -> str:
    """Each searched baseline's chosen setting (on validation faces), and where the choice is
    the edge of its grid, that it is: the method's optimum may lie beyond, so its score is what
    the grid reached, not the method's best."""
    lines = []
    for (obfuscation, method), rows in selection.groupby(["obfuscation", "method"], sort=False):
        grid = METHODS[method].candidates
        if grid == (None,):
            continue
        chosen = rows.loc[rows["chosen"], "setting"].iloc[0]
        label = METHODS[method].label.replace(" (no model)", "")
        text = (f"{label}, {OBFUSCATIONS[obfuscation].label.lower()} faces: {METHODS[method].setting_name} {chosen:g} chosen on "
                f"validation faces (validation PSNR {rows.loc[rows['chosen'], 'val_psnr'].iloc[0]:.2f} dB)")
        if np.isclose(chosen, min(grid)) or np.isclose(chosen, max(grid)):
            text += (f", the {'lowest' if np.isclose(chosen, min(grid)) else 'highest'} setting "
                     f"of its grid ({min(grid):g} to {max(grid):g}): its optimum may lie beyond, "
                     "so its score is what the grid reached, not the method's best")
        lines.append(f"- {text}.")
    return "\n".join(lines)
