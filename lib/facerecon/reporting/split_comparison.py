"""The identity-disjoint split against the study's random split, on the same test faces: how
much of a network's score came from having seen the test faces' people in training."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..axes.measures import MEASURE_NAMES
from ..core import stats
from ..experiment.study import finished, select
from .evidence import Evidence


def test_faces_of_people_seen_in_training(evidence: Evidence) -> np.ndarray:
    """LFW indices of the test faces whose person has a face in the random split's training set
    (the faces the identity-disjoint split can change most)."""
    path = evidence.results_root / evidence.profile / "split.csv"
    if not path.exists():
        return np.array([], dtype=int)
    split = pd.read_csv(path)
    trained = set(select(split, subset="train")["person"])
    test = select(split, subset="test")
    return test.loc[test["person"].isin(trained), "lfw_index"].to_numpy()


def drop_row(evidence: Evidence, cell: dict, seeds: set, seen: np.ndarray) -> dict:
    """Test PSNR/SSIM of one architecture x loss x obfuscation on each split (same seeds), the
    drop (random minus identity) on all faces and on faces of seen people, and the test."""
    images = select(evidence.images, **cell, seed=seeds)
    row = {**cell, "n_seeds": len(seeds)}
    for metric in MEASURE_NAMES:
        per_split = {split: stats.mean_per_image(select(images, split=split), metric)
                     for split in ("random", "identity")}
        random, other = per_split["random"].align(per_split["identity"], join="inner")
        row[f"random_test_{metric}"], row[f"identity_test_{metric}"] = random.mean(), other.mean()
        row[f"drop_test_{metric}"] = random.mean() - other.mean() if len(random) else np.nan
        in_seen = random.index.isin(seen)
        row[f"drop_seen_people_test_{metric}"] = (random[in_seen] - other[in_seen]).mean() \
            if in_seen.any() else np.nan
        row[f"p_{metric}"] = stats.paired_wilcoxon(random.to_numpy(), other.to_numpy())["p"]
    row["n_test_faces"], row["n_faces_of_seen_people"] = len(random), int(in_seen.sum())
    # How far runs on one split move with the seed: a drop inside it is not the split's.
    same = select(finished(evidence.runs), **cell)
    for metric in MEASURE_NAMES:
        row[f"random_seed_sd_test_{metric}"] = stats.seed_spread(same[f"test_{metric}"])[1]
    return row


def identity_table(evidence: Evidence) -> pd.DataFrame:
    """Random against identity-disjoint split, on the same test faces and seeds: test PSNR/SSIM
    of each and the drop (random minus identity), on all test faces and on the faces of people
    the random split also trains on, with a paired Wilcoxon test on all faces (Holm-corrected
    over the table)."""
    seen = test_faces_of_people_seen_in_training(evidence)
    rows = [drop_row(evidence, dict(zip(("architecture", "loss", "obfuscation"), cell)),
                     set(group["seed"]), seen)
            for cell, group in finished(evidence.runs, "identity").groupby(
                ["architecture", "loss", "obfuscation"], sort=False)]
    columns = ["architecture", "loss", "obfuscation", "n_seeds", "n_test_faces",
               "n_faces_of_seen_people"]
    for metric in MEASURE_NAMES:
        columns += [f"random_test_{metric}", f"identity_test_{metric}", f"drop_test_{metric}",
                    f"drop_seen_people_test_{metric}", f"random_seed_sd_test_{metric}",
                    f"p_{metric}", f"p_holm_{metric}"]
    table = pd.DataFrame(rows, columns=[c for c in columns if not c.startswith("p_holm")])
    adjusted = stats.holm(table[["p_psnr", "p_ssim"]].to_numpy().ravel()).reshape(-1, 2)
    table["p_holm_psnr"], table["p_holm_ssim"] = adjusted[:, 0], adjusted[:, 1]
    return table[columns]
