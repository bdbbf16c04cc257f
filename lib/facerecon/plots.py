"""Figures of the study. Each function returns a matplotlib Figure; io.save_figure writes it."""
from __future__ import annotations

import sys

import matplotlib
import matplotlib.ticker

if "ipykernel" not in sys.modules:
    matplotlib.use("Agg")  # scripts draw off screen; a notebook keeps its inline backend

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from .obfuscation import OBFUSCATIONS  # noqa: E402

METRIC_NAMES = {"test_psnr": "test PSNR (dB)", "test_ssim": "test SSIM"}


def image_grid(rows: list[list[np.ndarray]], column_titles, row_titles=None, size: float = 1.6):
    """A grid of RGB images in [0, 1] with column (and optional row) titles."""
    n_rows, n_cols = len(rows), len(rows[0])
    figure, axes = plt.subplots(n_rows, n_cols, figsize=(size * n_cols, size * n_rows),
                                squeeze=False)
    for r, row in enumerate(rows):
        for c, image in enumerate(row):
            ax = axes[r, c]
            if image is None:
                ax.text(0.5, 0.5, "missing", ha="center", va="center", transform=ax.transAxes)
            else:
                ax.imshow(np.clip(image, 0, 1), interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(column_titles[c], fontsize=8)
            if c == 0 and row_titles:
                ax.set_ylabel(row_titles[r], fontsize=8)
    figure.tight_layout()
    return figure


def sample_faces(dataset, n: int = 6):
    """Test faces: the original and each obfuscation, as the profile obfuscates them."""
    rows = [[dataset.images["test"][i], *(dataset.obfuscated("test", name)[i]
                                          for name in OBFUSCATIONS)] for i in range(n)]
    return image_grid(rows, ("Original", *(entry.label for entry in OBFUSCATIONS.values())))


def training_curves(histories: pd.DataFrame, hue: str, hue_label: str | None = None,
                    title: str = ""):
    """Loss, PSNR and SSIM per epoch; solid = validation, dashed = training; one colour per
    `hue` value, one line per seed. `histories` has the columns of history.csv, `seed` and
    `hue`."""
    panels = [("loss", "loss (own scale per loss)"), ("psnr", "PSNR (dB)"), ("ssim", "SSIM")]
    figure, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    palette = dict(zip(sorted(histories[hue].unique()), sns.color_palette("tab10")))
    for ax, (metric, label) in zip(axes, panels):
        for (name, seed), group in histories.groupby([hue, "seed"]):
            first = seed == histories.loc[histories[hue] == name, "seed"].min()
            ax.plot(group["epoch"], group[f"val_{metric}"], color=palette[name],
                    label=name if first else None)
            ax.plot(group["epoch"], group[metric], color=palette[name], ls="--", alpha=0.6)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        ax.set_ylabel(label)
        if metric == "loss":
            ax.set_yscale("log")
    axes[-1].legend(fontsize=8, title=f"{hue_label or hue} (solid: val, dashed: train)",
                    title_fontsize=8)
    figure.suptitle(title)
    figure.tight_layout()
    return figure


def metric_heatmaps(runs: pd.DataFrame, row_labels: dict, col_labels: dict):
    """Test PSNR and SSIM for every architecture x loss, one panel per obfuscation and metric;
    runs that did not happen stay blank."""
    obfuscations = sorted(runs["obfuscation"].unique())
    figure, axes = plt.subplots(2, len(obfuscations), figsize=(6.5 * len(obfuscations), 7),
                                squeeze=False)
    for c, obfuscation in enumerate(obfuscations):
        subset = runs[runs["obfuscation"] == obfuscation]
        for r, (metric, fmt) in enumerate([("test_psnr", ".2f"), ("test_ssim", ".3f")]):
            table = subset.pivot_table(index="architecture", columns="loss", values=metric,
                                       aggfunc="mean")
            table = table.reindex(index=[a for a in row_labels if a in table.index],
                                  columns=[l for l in col_labels if l in table.columns])
            table.index = [row_labels[a] for a in table.index]
            table.columns = [col_labels[l] for l in table.columns]
            sns.heatmap(table, annot=True, fmt=fmt, cmap="viridis", ax=axes[r, c],
                        cbar_kws={"label": METRIC_NAMES[metric]})
            axes[r, c].set_title(f"{OBFUSCATIONS[obfuscation].label}: {METRIC_NAMES[metric]}")
            axes[r, c].set_xlabel("loss")
            axes[r, c].set_ylabel("")
    figure.tight_layout()
    return figure


def loss_comparison(rows: pd.DataFrame, loss_order: list[str]):
    """Test PSNR and SSIM per loss (points: mean over seeds, bars: 95% bootstrap interval over
    test images), one colour per architecture, one panel per obfuscation and metric; the
    non-learned baselines as horizontal lines. Missing runs leave gaps."""
    obfuscations = list(dict.fromkeys(rows["obfuscation"]))
    models, lines = rows[rows["kind"] == "model"], rows[rows["kind"] == "baseline"]
    figure, axes = plt.subplots(2, len(obfuscations), figsize=(6.5 * len(obfuscations), 7),
                                squeeze=False)
    architectures = list(dict.fromkeys(models["row"]))
    colours = dict(zip(architectures, sns.color_palette("tab10")))
    offsets = dict(zip(architectures, np.linspace(-0.2, 0.2, len(architectures))))
    for c, obfuscation in enumerate(obfuscations):
        for r, metric in enumerate(("test_psnr", "test_ssim")):
            ax = axes[r, c]
            part = models[models["obfuscation"] == obfuscation]
            for arch, group in part.groupby("row", sort=False):
                x = np.array([loss_order.index(l) for l in group["loss_label"]]) + offsets[arch]
                error = np.abs(group[[f"{metric}_ci_low", f"{metric}_ci_high"]].to_numpy().T
                               - group[metric].to_numpy())
                ax.errorbar(x, group[metric], yerr=error, fmt="o", ms=4, capsize=2,
                            color=colours[arch], label=arch)
            for i, (_, line) in enumerate(lines[lines["obfuscation"] == obfuscation].iterrows()):
                if pd.notna(line[metric]):
                    ax.axhline(line[metric], color="0.4", ls=("--", ":", "-.")[i % 3], lw=1,
                               label=line["row"])
            ax.set_xticks(range(len(loss_order)), loss_order, rotation=20, fontsize=8)
            ax.set_title(f"{OBFUSCATIONS[obfuscation].label}: {METRIC_NAMES[metric]}")
            ax.legend(fontsize=7, loc="best", framealpha=0.8)
    figure.tight_layout()
    return figure


def calibration_distributions(per_image: pd.DataFrame, table: pd.DataFrame):
    """Per-image PSNR and SSIM of our obfuscated faces under every candidate strength (boxes:
    test and training faces), with the study's example faces marked; the used strength is
    starred. Full page width."""
    colours = {"test": "#0072B2", "train": "#E69F00"}  # Okabe-Ito: colour-blind safe
    names = list(dict.fromkeys(table["obfuscation"]))
    figure, axes = plt.subplots(2, len(names), figsize=(7, 4.6), squeeze=False)
    for col, name in enumerate(names):
        rows = table[table["obfuscation"] == name]
        order = list(rows["setting"])
        faces = per_image[per_image["obfuscation"] == name]
        for row, (metric, unit) in enumerate((("psnr", "PSNR (dB)"), ("ssim", "SSIM"))):
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
                          rotation=35, ha="right", fontsize=7)
            ax.set_xlabel("")
            ax.set_ylabel(unit, fontsize=8)
            ax.tick_params(axis="y", labelsize=7)
            if row == 0:
                ax.set_title(OBFUSCATIONS[name].label, fontsize=9)
    handles = [plt.Line2D([], [], color=colours[s], linewidth=6, label=f"our {s} faces")
               for s in ("test", "train")]
    handles += [plt.Line2D([], [], marker="D", color="black", linestyle="",
                           markerfacecolor=colours[s], label=f"the study's {s} example")
                for s in ("test", "train")]
    handles.append(plt.Line2D([], [], linestyle="", label="* the profile's strength"))
    figure.legend(handles=handles, loc="lower center", ncol=5, fontsize=7, frameon=False,
                  handlelength=1.2, columnspacing=1.2)
    figure.tight_layout(rect=(0, 0.05, 1, 1))
    return figure


def reconstruction_strip(original, obfuscated, reconstructed, scores: dict, label: str):
    """One face: original (when known), obfuscated and reconstructed, with PSNR and SSIM against
    the original in the titles."""
    def scored(name, kind):
        if f"{kind}_psnr" not in scores:
            return name
        return f"{name}\n{scores[f'{kind}_psnr']:.2f} dB, SSIM {scores[f'{kind}_ssim']:.3f}"

    row = ([original] if original is not None else []) + [obfuscated, reconstructed]
    titles = (["Original"] if original is not None else []) + [
        scored(label, "obfuscated"), scored("Reconstructed", "reconstructed")]
    return image_grid([row], titles, size=2.0)


# One colour (Okabe-Ito, colour-blind safe) per architecture and one marker per loss, in every
# figure that tells them apart.
ARCHITECTURE_COLOURS = {"simple_cnn": "#E69F00", "srresnet": "#0072B2",
                        "residual_autoencoder": "#009E73",
                        "original_residual_autoencoder": "#CC79A7"}
LOSS_MARKERS = {"l2": "o", "l1": "s", "psnr": "^", "ssim": "D", "psnr_ssim": "v",
                "ms_ssim_l1": "P"}
PAPER_FONTS = {"font.size": 8, "axes.titlesize": 9, "axes.labelsize": 8, "legend.fontsize": 7,
               "xtick.labelsize": 7, "ytick.labelsize": 7}
FULL_WIDTH_IN = 7.0


def recognition_vs_psnr(points: pd.DataFrame, table: pd.DataFrame, chance: float):
    """Top-1 recognition accuracy against test PSNR, one point per run (colour: architecture,
    marker: loss), one panel per obfuscation; the baselines as grey crosses; horizontal lines for
    the original faces, the obfuscated faces, the recogniser trained on obfuscated faces and
    chance. Sized for a page's full width."""
    from .losses import LOSSES
    from .models import ARCHITECTURES

    obfuscations = [o for o in OBFUSCATIONS if (table["obfuscation"] == o).any()]
    lines = {"original": ("Original faces", "-"), "obfuscated": ("Obfuscated faces", "--"),
             "trained_on_obfuscated": ("Obfuscated, recogniser trained on obfuscated", "-.")}
    with plt.rc_context(PAPER_FONTS):
        figure, axes = plt.subplots(1, len(obfuscations), figsize=(FULL_WIDTH_IN, 2.8),
                                    squeeze=False, sharey=True)
        for ax, obfuscation in zip(axes[0], obfuscations):
            for _, run in points[points["obfuscation"] == obfuscation].iterrows():
                ax.scatter(run["test_psnr"], 100 * run["top1"], s=18, linewidths=0.4,
                           color=ARCHITECTURE_COLOURS.get(run["architecture"], "0.3"),
                           marker=LOSS_MARKERS.get(run["loss"], "o"), edgecolors="black")
            part = table[(table["obfuscation"] == obfuscation) | (table["condition"] == "original")]
            for condition, (label, style) in lines.items():
                rows = part[part["condition"] == condition]
                if len(rows):
                    ax.axhline(100 * rows["top1"].iloc[0], color="0.25", ls=style, lw=0.9)
            ax.axhline(100 * chance, color="0.5", ls=":", lw=0.9)
            for _, row in part[part["condition"] == "baseline"].iterrows():
                ax.scatter(row["test_psnr"], 100 * row["top1"], marker="x", color="0.4", s=22)
            ax.set_title(OBFUSCATIONS[obfuscation].label)
            ax.set_xlabel("test PSNR (dB)")
        axes[0, 0].set_ylabel("top-1 recognition (%)")
        handles = [plt.Line2D([], [], color="0.25", ls=style, label=label)
                   for label, style in lines.values()]
        handles.append(plt.Line2D([], [], color="0.5", ls=":", label="Chance"))
        handles.append(plt.Line2D([], [], color="0.4", marker="x", ls="", label="Non-learned baseline"))
        handles += [plt.Line2D([], [], color=ARCHITECTURE_COLOURS[a], marker="o", ls="",
                               markeredgecolor="black", markeredgewidth=0.4,
                               label=ARCHITECTURES[a].label)
                    for a in dict.fromkeys(points["architecture"]) if a in ARCHITECTURE_COLOURS]
        handles += [plt.Line2D([], [], color="0.6", marker=LOSS_MARKERS[l], ls="",
                               markeredgecolor="black", markeredgewidth=0.4,
                               label=LOSSES[l].label)
                    for l in dict.fromkeys(points["loss"]) if l in LOSS_MARKERS]
        figure.legend(handles=handles, loc="lower center", ncol=4, frameon=False,
                      bbox_to_anchor=(0.5, 0.0))
        figure.tight_layout(rect=(0, 0.02 + 0.055 * -(-len(handles) // 4), 1, 1))
    return figure
