"""Figures of identity against fidelity: face recognition's top-1 accuracy and the deep
descriptor's identity distance, each against test PSNR, one point per network configuration
beside the baselines and the obfuscated faces. In the style of plots.py, like result_plots."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..axes.architectures import ARCHITECTURES
from ..axes.face_descriptor import SAME_PERSON
from ..axes.losses import LOSSES
from ..axes.obfuscation import OBFUSCATIONS
from .plots import (FULL_WIDTH_IN, architecture_and_loss_handles, legend_below, panels,
                    paper_fonts)


def recognition_vs_psnr(points: pd.DataFrame, table: pd.DataFrame, chance: float,
                        width: float = FULL_WIDTH_IN):
    """Top-1 recognition accuracy against test PSNR, one point per scored configuration (colour:
    architecture, marker: loss; its mean over the scored seeds with the 95% interval, at the
    grid's mean test PSNR), one panel per obfuscation; the baselines as grey crosses;
    horizontal lines for the original faces, the obfuscated faces and the recogniser trained on
    obfuscated faces. The axis shows the data: chance is drawn only where it falls inside, and
    named in the legend."""
    obfuscations = [o for o in OBFUSCATIONS if (table["obfuscation"] == o).any()]
    lines = {"original": ("Original faces", "-"), "obfuscated": ("Obfuscated faces", "--"),
             "trained_on_obfuscated": ("Obfuscated, recogniser trained on obfuscated", "-.")}

    def with_interval(ax, rows, **style):
        y = 100 * rows["top1"].to_numpy()
        error = np.abs(100 * rows[["top1_ci_low", "top1_ci_high"]].to_numpy().T - y)
        ax.errorbar(rows["test_psnr"], y, yerr=error, ls="", lw=0.6, capsize=1.2, **style)

    with paper_fonts():
        figure, axes = panels(1, len(obfuscations), width, 2.4 if width >= FULL_WIDTH_IN else 1.5,
                              sharey=True)
        for ax, obfuscation in zip(axes.flat, obfuscations):
            for _, run in points[points["obfuscation"] == obfuscation].iterrows():
                with_interval(ax, run.to_frame().T, color=ARCHITECTURES[run["architecture"]].colour,
                              marker=LOSSES[run["loss"]].marker, ms=4, mec="black", mew=0.4)
            part = table[(table["obfuscation"] == obfuscation) | (table["condition"] == "original")]
            for condition, (label, style) in lines.items():
                rows = part[part["condition"] == condition]
                if len(rows):
                    ax.axhline(100 * rows["top1"].iloc[0], color="0.25", ls=style, lw=0.9)
            baselines = part[(part["condition"] == "baseline") & part["top1"].notna()]
            if len(baselines):
                with_interval(ax, baselines, color="0.4", marker="x", ms=4)
            ax.margins(x=0.08, y=0.12)
            ax.set_title(OBFUSCATIONS[obfuscation].label)
            ax.set_xlabel("test PSNR (dB)")
        for ax in axes.flat:
            low, high = ax.get_ylim()
            if low <= 100 * chance <= high:
                ax.axhline(100 * chance, color="0.5", ls=":", lw=0.9)
        for ax in axes[:, 0] if width >= FULL_WIDTH_IN else axes.flat:
            ax.set_ylabel("top-1 recognition (%)")
        handles = [plt.Line2D([], [], color="0.25", ls=style, label=label)
                   for label, style in lines.values()]
        handles.append(plt.Line2D([], [], color="0.5", ls=":",
                                  label=f"Chance ({100 * chance:.0f}%)"))
        handles.append(plt.Line2D([], [], color="0.4", marker="x", ls="", label="Non-learned baseline"))
        handles += [plt.Line2D([], [], color=ARCHITECTURES[a].colour, marker="o", ls="",
                               markeredgecolor="black", markeredgewidth=0.4,
                               label=ARCHITECTURES[a].label)
                    for a in ARCHITECTURES if a in set(points["architecture"])]
        handles += [plt.Line2D([], [], color="0.6", marker=LOSSES[l].marker, ls="",
                               markeredgecolor="black", markeredgewidth=0.4,
                               label=LOSSES[l].label)
                    for l in LOSSES if l in set(points["loss"])]
        legend_below(figure, handles, width, 4)
    return figure


def identity_vs_psnr(runs: pd.DataFrame, baselines: pd.DataFrame, width: float = FULL_WIDTH_IN):
    """Mean test identity distance (dlib descriptor, to the original) against test PSNR, one
    point per run that recorded it (colour: architecture, marker: loss), one panel per
    obfuscation; the baselines as grey crosses; dlib's same-person threshold dashed; a panel
    without runs says that they need a retrain."""
    obfuscations = [o for o in OBFUSCATIONS if (runs["obfuscation"] == o).any()
                    or (baselines["obfuscation"] == o).any()]
    with paper_fonts():
        figure, axes = panels(1, len(obfuscations), width, 2.4 if width >= FULL_WIDTH_IN else 2.0,
                              sharey=True)
        for ax, obfuscation in zip(axes.flat, obfuscations):
            for _, run in runs[runs["obfuscation"] == obfuscation].iterrows():
                ax.scatter(run["test_psnr"], run["test_identity"], s=18, linewidths=0.4,
                           color=ARCHITECTURES[run["architecture"]].colour,
                           marker=LOSSES[run["loss"]].marker, edgecolors="black")
            for _, row in baselines[baselines["obfuscation"] == obfuscation].iterrows():
                ax.scatter(row["test_psnr"], row["test_identity"], marker="x", color="0.4", s=22)
            ax.axhline(SAME_PERSON, color="0.25", ls="--", lw=0.9)
            if not (runs["obfuscation"] == obfuscation).any():
                ax.text(0.5, 0.5, "no network run has recorded it:\nthe runs need a retrain",
                        transform=ax.transAxes, ha="center", va="center", color="0.35",
                        bbox={"facecolor": "white", "edgecolor": "0.7", "linewidth": 0.5})
            ax.set_title(OBFUSCATIONS[obfuscation].label)
            ax.set_xlabel("test PSNR (dB)")
            ax.margins(0.08)
        axes.flat[0].set_ylabel("identity distance to the original")
        handles = [plt.Line2D([], [], color="0.25", ls="--",
                              label=f"dlib's same-person threshold ({SAME_PERSON})"),
                   plt.Line2D([], [], color="0.4", marker="x", ls="", label="Non-learned baseline")]
        legend_below(figure, handles + architecture_and_loss_handles(runs), width, 4)
    return figure
