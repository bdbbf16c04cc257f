"""Figures of results: training curves, the architecture x loss heat maps, the loss comparison
with the baselines, the calibration's distributions, the strength sweep and where PSNR is
gained, inside the SSIM window's centres or in its border (identity against PSNR:
identity_plots.py). Each returns a matplotlib Figure in the style of plots.py (a width: the
page's or one column's)."""
from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd
import seaborn as sns

from ..axes.architectures import ARCHITECTURES
from ..axes.losses import LOSSES
from ..axes.measures import MEASURES, measure_of
from ..axes.metrics import SSIM_BORDER
from ..axes.obfuscation import OBFUSCATIONS
from .plots import (FULL_WIDTH_IN, architecture_and_loss_handles, legend_below, panels,
                    paper_fonts)


def training_curves(histories: pd.DataFrame, hue: str, registry, title: str = "",
                    width: float = FULL_WIDTH_IN):
    """Loss, PSNR and SSIM per epoch; solid = validation, dashed = training; one fixed colour
    per `hue` value (its entry's in `registry`, the axis that `hue` names), one line per seed;
    the legend below. `histories` has the columns of history.csv, `seed` and `hue`."""
    metrics = [("loss", "loss (own scale)"), *((n, m.heading) for n, m in MEASURES.items())]
    with paper_fonts():
        figure, axes = panels(1, 3, width, 2.0 if width >= FULL_WIDTH_IN else 1.1)
        for ax, (metric, label) in zip(axes.flat, metrics):
            for (name, seed), group in histories.groupby([hue, "seed"]):
                ax.plot(group["epoch"], group[f"val_{metric}"], color=registry[name].colour, lw=1)
                ax.plot(group["epoch"], group[metric], color=registry[name].colour, ls="--", lw=0.8,
                        alpha=0.7)
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
            ax.set_ylabel(label)
            if metric == "loss":
                ax.set_yscale("log")
        shown = [n for n in registry if n in set(histories[hue])]
        handles = [plt.Line2D([], [], color=registry[n].colour, label=registry[n].label)
                   for n in shown]
        # Line styles in light grey: no colour that an entry of the axes has.
        handles += [plt.Line2D([], [], color="0.65", label="validation"),
                    plt.Line2D([], [], color="0.65", ls="--", label="training")]
        legend_below(figure, handles, width, min(len(handles), 8))
        if title:
            figure.suptitle(title)
    return figure


def untied_digits(values, digits: int) -> int:
    """The fewest decimals, from the measure's own up to two more, at which values that differ
    still print differently (rounding must not invent ties)."""
    values = pd.Series(values).dropna().unique()
    for more in range(3):
        if len({round(v, digits + more) for v in values}) == len(values):
            return digits + more
    return digits + 2


def metric_heatmaps(runs: pd.DataFrame, width: float = FULL_WIDTH_IN):
    """Test PSNR and SSIM for every architecture x loss, one panel per obfuscation and metric;
    each cell carries its number, with the decimals that keep distinct means distinct (so no
    colour bar); a loss or run that did not happen is a blank cell, every architecture a row
    and every loss a column."""
    obfuscations = [o for o in OBFUSCATIONS if (runs["obfuscation"] == o).any()]
    narrow = width < FULL_WIDTH_IN
    with paper_fonts():
        figure, axes = panels(2, len(obfuscations), width, 1.9 if narrow else 2.2)
        for c, obfuscation in enumerate(obfuscations):
            subset = runs[runs["obfuscation"] == obfuscation]
            for r, metric in enumerate(("test_psnr", "test_ssim")):
                ax = axes[r, c]
                table = subset.pivot_table(index="architecture", columns="loss", values=metric,
                                           aggfunc="mean")
                table = table.reindex(index=list(ARCHITECTURES), columns=list(LOSSES))
                digits = untied_digits(table.to_numpy().ravel(), measure_of(metric).digits)
                table.index = [ARCHITECTURES[a].label for a in table.index]
                table.columns = [LOSSES[l].label for l in table.columns]
                sns.heatmap(table, annot=True, fmt=f".{digits}f", cmap="viridis", ax=ax,
                            cbar=False, annot_kws={"fontsize": 5.5})
                ax.set_title(f"{OBFUSCATIONS[obfuscation].label}: test {measure_of(metric).heading}")
                ax.set_xlabel("")
                ax.set_ylabel("")
                ax.tick_params(axis="x", rotation=30)
                ax.tick_params(axis="y", rotation=0)  # names read across, never overlapping
                if c > 0 and not narrow:  # the same architectures as the panel on the left
                    ax.set_yticklabels([])
    return figure


# Line styles of the non-learned baselines, in the order they first appear: as many as the
# baselines of every obfuscation together (data/baselines.py METHODS), each told from the
# others at a legend handle's length (dash-dot and dash-dot-dot were not).
BASELINE_STYLES = ("-", "--", ":", "-.")


def loss_comparison(rows: pd.DataFrame, losses: list[str], width: float = FULL_WIDTH_IN):
    """Test PSNR and SSIM per loss (points: mean over seeds, bars: 95% bootstrap interval over
    test images), one fixed colour and marker per architecture, one panel per obfuscation and
    metric; the non-learned baselines as grey lines, one line style per baseline in every panel.
    Missing runs leave gaps. The legend below names each architecture and baseline once."""
    obfuscations = list(dict.fromkeys(rows["obfuscation"]))
    models, lines = rows[rows["kind"] == "model"], rows[rows["kind"] == "baseline"]
    architectures = list(dict.fromkeys(models["architecture"]))
    offsets = dict(zip(architectures, np.linspace(-0.2, 0.2, len(architectures))))
    methods = dict(zip(lines["architecture"], lines["row"]))  # a baseline's method -> its label
    styles = dict(zip(methods, BASELINE_STYLES))
    with paper_fonts():
        figure, axes = panels(2, len(obfuscations), width, 2.0 if width >= FULL_WIDTH_IN else 1.8)
        for c, obfuscation in enumerate(obfuscations):
            for r, metric in enumerate(("test_psnr", "test_ssim")):
                ax = axes[r, c]
                part = models[models["obfuscation"] == obfuscation]
                for arch, group in part.groupby("architecture", sort=False):
                    x = np.array([losses.index(l) for l in group["loss"]]) + offsets[arch]
                    error = np.abs(group[[f"{metric}_ci_low", f"{metric}_ci_high"]].to_numpy().T
                                   - group[metric].to_numpy())
                    ax.errorbar(x, group[metric], yerr=error, fmt=ARCHITECTURES[arch].marker,
                                ms=3.5, capsize=1.5, lw=0.8, color=ARCHITECTURES[arch].colour)
                for _, line in lines[lines["obfuscation"] == obfuscation].iterrows():
                    if pd.notna(line[metric]):
                        ax.axhline(line[metric], color="0.45", ls=styles[line["architecture"]],
                                   lw=0.8)
                ax.set_xticks(range(len(losses)), [LOSSES[l].label for l in losses],
                              rotation=25)
                ax.margins(y=0.12)  # no point or baseline line on the frame
                ax.set_xlim(-0.5, len(losses) - 0.5)  # every loss a slot, trained or not
                ax.set_title(f"{OBFUSCATIONS[obfuscation].label}: test {measure_of(metric).heading}")
        handles = [plt.Line2D([], [], color=ARCHITECTURES[a].colour, ls="",
                              marker=ARCHITECTURES[a].marker, label=ARCHITECTURES[a].label)
                   for a in architectures]
        handles += [plt.Line2D([], [], color="0.45", ls=styles[method], label=label)
                    for method, label in methods.items()]
        legend_below(figure, handles, width, 3)
    return figure


def calibration_distributions(per_image: pd.DataFrame, table: pd.DataFrame,
                              width: float = FULL_WIDTH_IN):
    """Per-image PSNR and SSIM of our obfuscated faces under every candidate strength (boxes:
    test and training faces), with the study's example faces marked; the used strength is
    starred."""
    colours = {"test": "0.35", "train": "0.8"}  # greys: colour is for architectures and losses
    names = list(dict.fromkeys(table["obfuscation"]))
    with paper_fonts():
        figure, axes = panels(2, len(names), width, 2.1 if width >= FULL_WIDTH_IN else 1.7)
        for col, name in enumerate(names):
            rows = table[table["obfuscation"] == name]
            order = list(rows["setting"])
            faces = per_image[per_image["obfuscation"] == name]
            for row, (metric, unit) in enumerate((n, m.heading) for n, m in MEASURES.items()):
                ax = axes[row, col]
                sns.boxplot(data=faces, x="setting", y=metric, hue="subset", order=order,
                            hue_order=["test", "train"], palette=colours, fliersize=1,
                            linewidth=0.6, width=0.7, ax=ax, legend=False)
                for i, (_, candidate) in enumerate(rows.iterrows()):
                    for subset, offset in (("test", -0.175), ("train", 0.175)):
                        ax.plot(i + offset, candidate[f"study_{subset}_{metric}"], marker="D",
                                markersize=4, color="black", markerfacecolor=colours[subset],
                                zorder=5)
                ax.set_xticks(range(len(order)),
                              [f"{s} *" if c else s for s, c in zip(order, rows["chosen"])],
                              rotation=35, ha="right")
                ax.set_xlabel("")
                ax.set_ylabel(unit)
                if row == 0:
                    ax.set_title(OBFUSCATIONS[name].label)
        handles = [plt.Line2D([], [], color=colours[s], linewidth=6, label=f"our {s} faces")
                   for s in ("test", "train")]
        handles += [plt.Line2D([], [], marker="D", color="black", linestyle="",
                               markerfacecolor=colours[s], label=f"the study's {s} example")
                    for s in ("test", "train")]
        handles.append(plt.Line2D([], [], linestyle="", label="* the profile's strength"))
        legend_below(figure, handles, width, 5)
    return figure


def strength_sweep(table: pd.DataFrame, network: str, width: float = FULL_WIDTH_IN):
    """Test PSNR and SSIM of the sweep's network (named `network`; its architecture's colour
    and marker) at every candidate strength and of the obfuscated input (grey), the study's
    number for the network as a dotted line; a strength not trained yet is labelled
    '(missing)'."""
    arch = table["architecture"].iloc[0]
    names = list(dict.fromkeys(table["obfuscation"]))
    with paper_fonts():
        figure, axes = panels(2, len(names), width, 2.0 if width >= FULL_WIDTH_IN else 1.6)
        for col, name in enumerate(names):
            rows = table[table["obfuscation"] == name].reset_index(drop=True)
            x = np.arange(len(rows))
            for row, (metric, unit) in enumerate((n, m.heading) for n, m in MEASURES.items()):
                ax = axes[row, col]
                ax.plot(x, rows[f"input_test_{metric}"], color="0.55", marker="o", markersize=3,
                        linestyle="--", linewidth=1)
                ax.plot(x, rows[f"test_{metric}"], color=ARCHITECTURES[arch].colour,
                        marker=ARCHITECTURES[arch].marker, markersize=4, linewidth=1.2)
                study = rows[f"study_test_{metric}"].iloc[0]
                if pd.notna(study):
                    ax.axhline(study, color="black", linestyle=":", linewidth=1)
                ax.margins(x=0.06, y=0.15)  # no point or line on the frame
                ax.set_xticks(x, [f"{r.setting}{' *' if r.profile_strength else ''}"
                                  f"{'' if r.status == 'finished' else ' (missing)'}"
                                  for r in rows.itertuples()], rotation=35, ha="right")
                ax.set_ylabel(unit)
                if row == 0:
                    ax.set_title(f"{OBFUSCATIONS[name].label} faces")
        handles = [plt.Line2D([], [], color=ARCHITECTURES[arch].colour,
                              marker=ARCHITECTURES[arch].marker,
                              label=network),
                   plt.Line2D([], [], color="0.55", marker="o", linestyle="--",
                              label="obfuscated input"),
                   plt.Line2D([], [], color="black", linestyle=":",
                              label="the study's number for the network"),
                   plt.Line2D([], [], linestyle="", label="* the profile's strength")]
        legend_below(figure, handles, width, 4)
    return figure




def psnr_inner_vs_border(gains: pd.DataFrame, width: float = FULL_WIDTH_IN):
    """Each configuration's mean gain in test PSNR over its obfuscated input in the border no
    SSIM window centres on (y) against inside the window's centres (x), one panel per
    obfuscation (colour: architecture, marker: loss; leaders.region_gains). Under the dotted
    diagonal a network gains less in the border than inside; the dashed lines are the input."""
    obfuscations = [o for o in OBFUSCATIONS if (gains["obfuscation"] == o).any()]
    with paper_fonts():
        figure, axes = panels(1, len(obfuscations), width, 2.6 if width >= FULL_WIDTH_IN else 2.2)
        for ax, obfuscation in zip(axes.flat, obfuscations):
            part = gains[gains["obfuscation"] == obfuscation]
            for _, row in part.iterrows():
                ax.scatter(row["inner"], row["border"], s=30, linewidths=0.4, alpha=0.9,
                           color=ARCHITECTURES[row["architecture"]].colour,
                           marker=LOSSES[row["loss"]].marker, edgecolors="black", zorder=3)
            low = min(0.0, part[["inner", "border"]].min().min())
            high = max(0.0, part[["inner", "border"]].max().max())
            ax.plot([low, high], [low, high], color="0.4", ls=":", lw=0.9)
            ax.axhline(0, color="0.25", ls="--", lw=0.7)
            ax.axvline(0, color="0.25", ls="--", lw=0.7)
            ax.set_title(OBFUSCATIONS[obfuscation].label)
            ax.set_xlabel("gain inside the SSIM window's centres (dB)")
            ax.margins(0.08)
        axes.flat[0].set_ylabel(f"gain in the {SSIM_BORDER}-pixel border (dB)")
        handles = [plt.Line2D([], [], color="0.4", ls=":", label="equal gain"),
                   plt.Line2D([], [], color="0.25", ls="--", label="the obfuscated input")]
        legend_below(figure, handles + architecture_and_loss_handles(gains), width, 4)
    return figure
