"""Where the study's example faces fall in our faces' distribution, for every candidate strength.

The study's input quality (its "Limitations" slide: 24.96 dB / 0.68 for a blurred test face,
23.52 / 0.65 for a training face, ...) is one example face per row, not a set mean. So a strength
is judged by placement: for each candidate, the per-image PSNR/SSIM of our obfuscated test and
training faces, and the percentile at which each of the study's examples falls among them (its
test example among our test faces, its training example among our training faces). The candidate
that puts all four numbers nearest the middle (the smallest largest distance from the 50th
percentile) is the one the rule recommends; the profile says which one is used (`chosen`).

    results/<profile>/obfuscation_quality.csv           one row per candidate
    results/<profile>/obfuscation_quality_per_image.csv every face under every candidate
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..axes.measures import MEASURE_NAMES, scores_per_image
from ..axes.obfuscation import OBFUSCATIONS, obfuscate, setting_label, setting_names
from ..experiment.config import Profile

# The subsets the study reported examples of (its test and training means), where ours place them.
PLACED_SUBSETS = ("test", "train")
N_SPLITS = 2000  # random splits of our faces, for how far apart two set means can fall
NEAR_DB = 0.25   # faces this close to an example's PSNR stand beside it for its SSIM


def study_examples(reference: pd.DataFrame) -> pd.DataFrame:
    """The study's obfuscated example faces (obfuscation, subset, metric, value)."""
    rows = reference[reference["source"].str.startswith("Limitations slide")
                     & (reference["architecture"] == "input")]
    return rows[["obfuscation", "subset", "metric", "value"]].reset_index(drop=True)


def per_image_quality(images: dict[str, np.ndarray], profile: Profile) -> pd.DataFrame:
    """PSNR/SSIM of every face of each subset under every candidate strength."""
    frames = []
    for name in OBFUSCATIONS:
        for settings in profile.obfuscations[name]["candidates"]:
            for subset in PLACED_SUBSETS:
                scores = scores_per_image(obfuscate(images[subset], name, **settings),
                                          images[subset])
                frames.append(pd.DataFrame({
                    "obfuscation": name, "setting": setting_label(name, settings),
                    **{k: settings.get(k) for k in setting_names()}, "subset": subset,
                    "face": np.arange(len(images[subset])), **scores}))
    return pd.concat(frames, ignore_index=True)


def percentile(values, value: float) -> float:
    """The percentage of values below `value` (ties count half)."""
    return float(stats.percentileofscore(np.asarray(values), value, kind="mean"))


def calibration_table(per_image: pd.DataFrame, examples: pd.DataFrame,
                      profile: Profile) -> pd.DataFrame:
    """One row per candidate: mean test and training quality, the percentile of each of the
    study's examples, the largest distance from the middle, whether the rule picks it
    (`nearest_middle`) and whether the profile uses it (`chosen`)."""
    rows = []
    for (name, setting), faces in per_image.groupby(["obfuscation", "setting"], sort=False):
        row = {"profile": profile.name, "obfuscation": name,
               **faces.iloc[0][setting_names()].to_dict(), "setting": setting}
        for subset in PLACED_SUBSETS:
            mine = faces[faces["subset"] == subset]
            row[f"{subset}_images"] = len(mine)
            for metric in MEASURE_NAMES:
                row[f"{subset}_{metric}_mean"] = float(mine[metric].mean())
                example = examples[(examples["obfuscation"] == name) & (examples["subset"] == subset)
                                   & (examples["metric"] == metric)]["value"]
                row[f"study_{subset}_{metric}"] = float(example.iloc[0]) if len(example) else np.nan
                row[f"study_{subset}_{metric}_percentile"] = (
                    percentile(mine[metric], example.iloc[0]) if len(example) else np.nan)
        placed = [row[f"study_{s}_{m}_percentile"] for s in PLACED_SUBSETS for m in MEASURE_NAMES]
        row["distance_from_middle"] = float(np.nanmax(np.abs(np.array(placed) - 50)))
        settings = {k: row[k] for k in profile.obfuscation_settings(name)}
        row["chosen"] = settings == profile.obfuscation_settings(name)
        rows.append(row)
    table = pd.DataFrame(rows)
    nearest = table.groupby("obfuscation")["distance_from_middle"].transform("min")
    table.insert(len(table.columns) - 1, "nearest_middle", table["distance_from_middle"] == nearest)
    return table


def split_gap_spread(per_image: pd.DataFrame, obfuscation: str, setting: str, metric: str,
                     n_splits: int = N_SPLITS, seed: int = 0) -> dict:
    """How far apart a test-set mean and a training-set mean fall by chance: our faces pooled and
    split at random (our test and training sizes) n_splits times. Also one face's spread."""
    faces = per_image[(per_image["obfuscation"] == obfuscation) & (per_image["setting"] == setting)]
    n_test = int((faces["subset"] == "test").sum())
    values = faces[metric].to_numpy()
    rng = np.random.default_rng(seed)
    gaps = []
    for _ in range(n_splits):
        order = rng.permutation(len(values))
        gaps.append(values[order[:n_test]].mean() - values[order[n_test:]].mean())
    gaps = np.abs(gaps)
    return {"gap_sd": float(np.std(gaps, ddof=1) if len(gaps) > 1 else np.nan),
            "gap_rms": float(np.sqrt(np.mean(gaps**2))), "gap_max": float(gaps.max()),
            "per_image_sd": float(values.std(ddof=1)), "n_splits": n_splits}


def examples_not_means(per_image: pd.DataFrame, table: pd.DataFrame,
                       examples: pd.DataFrame) -> pd.DataFrame:
    """For each obfuscation (under the chosen strength) and metric: the study's test-minus-
    training gap, beside the gaps that random splits of our faces give between set means and the
    spread of single faces."""
    rows = []
    for _, chosen in table[table["chosen"]].iterrows():
        for metric in MEASURE_NAMES:
            gap = chosen[f"study_test_{metric}"] - chosen[f"study_train_{metric}"]
            spread = split_gap_spread(per_image, chosen["obfuscation"], chosen["setting"], metric)
            rows.append({"obfuscation": chosen["obfuscation"], "setting": chosen["setting"],
                         "metric": metric, "study_test_minus_train": gap, **spread,
                         "gap_in_split_rms": abs(gap) / spread["gap_rms"],
                         "gap_in_per_image_sd": abs(gap) / spread["per_image_sd"]})
    return pd.DataFrame(rows)


# A metric convention: the PSNR and SSIM columns of per-image scores it reads (axes/metrics.py).
CONVENTIONS = {
    "rgb_gaussian": ("psnr", "ssim"),        # ours: RGB, 11x11 Gaussian window
    "rgb_uniform": ("psnr", "ssim_uniform"),  # scikit-image's default SSIM
    "y_gaussian": ("psnr_y", "ssim_y"),      # BT.601 luma, as restoration papers report
}
CONVENTION_LABELS = {"rgb_gaussian": "RGB with our Gaussian 11×11 SSIM",
                     "rgb_uniform": "RGB with scikit-image's default SSIM (7×7 uniform)",
                     "y_gaussian": "BT.601 luma (Y) with the Gaussian SSIM"}


def ssim_conventions(per_image: pd.DataFrame, examples: pd.DataFrame,
                     near_db: float = NEAR_DB) -> pd.DataFrame:
    """Which convention the study's examples fit: for each convention, among our faces (every
    candidate strength of the obfuscation, the example's subset) whose PSNR in that convention
    lies within near_db of the example's, the median SSIM in it beside the example's SSIM."""
    rows = []
    for (name, subset), group in examples.groupby(["obfuscation", "subset"], sort=False):
        value = group.set_index("metric")["value"]
        faces = per_image[(per_image["obfuscation"] == name) & (per_image["subset"] == subset)]
        row = {"obfuscation": name, "subset": subset, "study_psnr": value["psnr"],
               "study_ssim": value["ssim"]}
        for convention, (psnr, ssim) in CONVENTIONS.items():
            near = faces[(faces[psnr] - value["psnr"]).abs() <= near_db]
            row[f"{convention}_faces_near"] = len(near)
            row[f"{convention}_median_ssim"] = float(near[ssim].median()) if len(near) else np.nan
            row[f"{convention}_minus_study"] = row[f"{convention}_median_ssim"] - value["ssim"]
        rows.append(row)
    return pd.DataFrame(rows)


def conventions_text(conventions: pd.DataFrame) -> str:
    """One sentence: how far each convention's median SSIM lies from the study's, and which
    places the study's example faces best."""
    gaps = {c: conventions[f"{c}_minus_study"].abs() for c in CONVENTIONS
            if f"{c}_minus_study" in conventions and conventions[f"{c}_minus_study"].notna().any()}
    if not gaps:
        return ""
    parts = [f"{gap.min():.3f}–{gap.max():.3f} under {CONVENTION_LABELS[c]}"
             for c, gap in gaps.items()]
    best = min(gaps, key=lambda c: gaps[c].median())
    listing = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
    return (f"* Which convention: among our faces within {NEAR_DB} dB of each of the study's "
            f"example PSNRs (in each convention's PSNR), the median SSIM lies from the study's "
            f"SSIM by {listing}; {CONVENTION_LABELS[best]} places "
            f"its example faces best (smallest median gap; each example in "
            f"`obfuscation_ssim_conventions.csv`).")


def calibration_text(table: pd.DataFrame, evidence: pd.DataFrame,
                     conventions: pd.DataFrame) -> str:
    """What the calibration shows, in sentences built from the numbers (Markdown)."""
    lines = []
    for name, rows in table.groupby("obfuscation", sort=False):
        chosen, best = rows[rows["chosen"]].iloc[0], rows[rows["nearest_middle"]].iloc[0]
        placed = ", ".join(f"{s} {m.upper()} {chosen[f'study_{s}_{m}_percentile']:.0f}"
                           for s in PLACED_SUBSETS for m in MEASURE_NAMES)
        text = (f"* **{OBFUSCATIONS[name].label}**, {chosen['setting']} (used): the study's "
                f"example faces sit at percentiles {placed} of our faces (largest distance from "
                f"the middle {chosen['distance_from_middle']:.0f}).")
        if best["setting"] == chosen["setting"]:
            text += " No other candidate puts them nearer the middle."
        else:
            text += (f" The rule would pick {best['setting']} (distance "
                     f"{best['distance_from_middle']:.0f}); changing the profile's strength "
                     f"retrains every run of this obfuscation.")
        lines.append(text)
    for _, row in evidence[evidence["metric"] == "psnr"].iterrows():
        lines.append(
            f"* {OBFUSCATIONS[row['obfuscation']].label}: the study's test example is "
            f"{row['study_test_minus_train']:+.2f} dB from its training example. Between the "
            f"means of {row['n_splits']:,} random splits of our faces the gap is "
            f"{row['gap_rms']:.2f} dB (root mean square; at most {row['gap_max']:.2f}), so as "
            f"means the study's gap would be {row['gap_in_split_rms']:.0f} times that, while "
            f"single faces spread by {row['per_image_sd']:.2f} dB (one standard deviation), so "
            f"that two faces differ this much routinely: the study's numbers are single faces.")
    return "\n".join(lines + [conventions_text(conventions)]).strip()
