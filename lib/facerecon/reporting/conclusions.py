"""The study's conclusions as checks computed from a table of test means (one per
architecture, loss and obfuscation: the study's, study_reference.study_means, or ours,
our_means): whether each holds, on the study's numbers and on ours, with the evidence; a
conclusion whose cells are not all there is neither true nor false, it says what is missing.
Beside each, whether the paired tests against L2 resolve the losses it names."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..axes.architectures import ARCHITECTURES
from ..axes.losses import LOSSES
from ..axes.obfuscation import OBFUSCATIONS
from ..experiment.config import OBFUSCATION_NAMES, STUDY_ARCHITECTURES, STUDY_LOSSES
from ..experiment.study import finished, select
from .study_reference import ARCH, COMPARED_SOURCE, DIGITS, LOSS, OBF, study_means


def our_means(runs: pd.DataFrame) -> pd.DataFrame:
    """Our test PSNR/SSIM per (architecture, loss, obfuscation): means over the finished seeds
    of the random split."""
    return finished(runs).groupby([ARCH, LOSS, OBF])[["test_psnr", "test_ssim"]].mean()


def value(means: pd.DataFrame, arch, loss, obfuscation, metric) -> float:
    key = (arch, loss, obfuscation)
    return float(means.loc[key, metric]) if key in means.index else np.nan


def verdict(comparisons: list[tuple[str, float, float]], strict: bool = True) -> tuple:
    """comparisons: (what, left, right) meaning 'left beats right'. Holds if every comparison
    does; unknown (None) if a value is missing."""
    missing = [what for what, a, b in comparisons if np.isnan(a) or np.isnan(b)]
    wins = [what for what, a, b in comparisons if a > b or (not strict and a >= b)]
    shown = len(comparisons) - len(missing)
    evidence = f"{len(wins)} of {shown} comparisons hold"
    failed = [what for what, a, b in comparisons if what not in missing and what not in wins]
    if failed:
        evidence += f"; fails: {', '.join(failed[:6])}{' ...' if len(failed) > 6 else ''}"
    if missing:
        return None, f"{evidence}; missing {len(missing)} of {len(comparisons)}"
    return len(wins) == len(comparisons), evidence


def named(*names: str) -> str:
    """'Simple CNN, blurred, SSIM': codes of the axes (and 'test_psnr') as a reader reads them."""
    def one(name):
        for registry in (ARCHITECTURES, LOSSES):
            if name in registry:
                return registry[name].label
        if name in OBFUSCATIONS:
            return OBFUSCATIONS[name].label.lower()
        return name.replace("test_", "test ").replace("psnr", "PSNR").replace("ssim", "SSIM")

    return ", ".join(one(name) for name in names)


def ssim_losses_beat_l2(means):
    return verdict([(named(a, o, loss), value(means, a, loss, o, "test_ssim"),
                     value(means, a, "l2", o, "test_ssim"))
                    for a in STUDY_ARCHITECTURES for o in OBFUSCATION_NAMES
                    for loss in ("ssim", "psnr_ssim")])


def psnr_ssim_best_or_tied(means):
    """Tied: equal at the study's printed precision (4 decimals of SSIM)."""
    comparisons = []
    for a in STUDY_ARCHITECTURES:
        for o in OBFUSCATION_NAMES:
            ours = round(value(means, a, "psnr_ssim", o, "test_ssim"), DIGITS["test_ssim"])
            for loss in STUDY_LOSSES:
                if loss != "psnr_ssim":
                    other = round(value(means, a, loss, o, "test_ssim"), DIGITS["test_ssim"])
                    comparisons.append((f"{named(a, o)} vs {named(loss)}", ours, other))
    return verdict(comparisons, strict=False)


def residual_autoencoder_best_blur_ssim(means):
    return verdict([(f"{named(loss)} vs {named(a)}", value(means, "residual_autoencoder", loss, "blur", "test_ssim"),
                     value(means, a, loss, "blur", "test_ssim"))
                    for loss in STUDY_LOSSES for a in STUDY_ARCHITECTURES
                    if a != "residual_autoencoder"])


def blur_beats_pixelation(means):
    return verdict([(f"{named(a, loss)} {named(m)}", value(means, a, loss, "blur", m),
                     value(means, a, loss, "pixelate", m))
                    for a in STUDY_ARCHITECTURES for loss in STUDY_LOSSES
                    for m in ("test_psnr", "test_ssim")])


def l1_beats_l2(means):
    return verdict([(f"{named(a, o)} {named(m)}", value(means, a, "l1", o, m), value(means, a, "l2", o, m))
                    for a in STUDY_ARCHITECTURES for o in OBFUSCATION_NAMES
                    for m in ("test_psnr", "test_ssim")])


CONCLUSIONS = {
    "SSIM-based losses (SSIM, PSNR+SSIM) beat L2 on test SSIM, every architecture and "
    "obfuscation": ssim_losses_beat_l2,
    "The PSNR+SSIM loss has the best test SSIM or ties it (4 decimals), every architecture "
    "and obfuscation": psnr_ssim_best_or_tied,
    "The residual autoencoder has the best test SSIM on blur, under every loss":
        residual_autoencoder_best_blur_ssim,
    "Blurred faces are reconstructed better than pixelated ones (test PSNR and SSIM), every "
    "architecture and loss": blur_beats_pixelation,
    "L1 beats L2 (test PSNR and SSIM), every architecture and obfuscation": l1_beats_l2,
}


def significance_note(significance: pd.DataFrame, losses, metric: str = "test_ssim") -> str:
    """How many of our loss-vs-L2 differences behind a conclusion are resolved over seeds and
    images, and which way; then what the per-image test of the trained networks says."""
    rows = select(significance, **{LOSS: list(losses), "metric": metric,
                                   ARCH: list(STUDY_ARCHITECTURES)})
    if rows.empty:
        return ""
    verdicts = rows["verdict"].value_counts()
    seeds = "-".join(str(n) for n in sorted({int(rows["n_seeds"].min()),
                                             int(rows["n_seeds"].max())}))
    up = int((rows["networks_differ"] & (rows["difference"] > 0)).sum())
    down = int((rows["networks_differ"] & (rows["difference"] < 0)).sum())
    return (f"; loss minus L2 ({named(metric)}, bootstrap over {seeds} seed(s) and test images): "
            f"{verdicts.get('higher', 0)} resolved higher, {verdicts.get('lower', 0)} resolved "
            f"lower, {verdicts.get('not resolved', 0)} not resolved, "
            f"{verdicts.get('one seed', 0)} on one seed (training noise unseen) of {len(rows)}; "
            f"per-image Wilcoxon of the trained networks (Holm): {up} higher, {down} lower")


def conclusion_rows(runs: pd.DataFrame, significance: pd.DataFrame,
                    reference: pd.DataFrame) -> list[dict]:
    study, ours = study_means(reference), our_means(runs)
    notes = {ssim_losses_beat_l2: ("ssim", "psnr_ssim"), l1_beats_l2: ("l1",)}
    rows = []
    for claim, check in CONCLUSIONS.items():
        in_study, study_evidence = check(study)
        in_ours, our_evidence = check(ours)
        if check in notes:
            our_evidence += significance_note(significance, notes[check])
        rows.append({"section": "conclusion", "item": claim, "holds_in_study": in_study,
                     "holds_in_ours": in_ours,
                     "evidence": f"study: {study_evidence} | ours: {our_evidence}",
                     "source": f"{COMPARED_SOURCE}s (test set)"})
    return rows
