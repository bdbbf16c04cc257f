"""Figures of the study. Each function returns a matplotlib Figure; io.save_figure writes it."""
from __future__ import annotations

import sys
from contextlib import contextmanager

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

# One fixed colour and marker per architecture, loss and obfuscation in every figure that
# tells them apart (architectures: Okabe-Ito; losses: Paul Tol's muted; both colour-blind safe).
ARCHITECTURE_COLOURS = {"simple_cnn": "#E69F00", "srresnet": "#0072B2",
                        "residual_autoencoder": "#009E73",
                        "original_residual_autoencoder": "#CC79A7"}
ARCHITECTURE_MARKERS = {"simple_cnn": "o", "srresnet": "s", "residual_autoencoder": "^",
                        "original_residual_autoencoder": "v"}
LOSS_COLOURS = {"l2": "#332288", "l1": "#88CCEE", "psnr": "#117733", "ssim": "#DDCC77",
                "psnr_ssim": "#CC6677", "ms_ssim_l1": "#AA4499"}
LOSS_MARKERS = {"l2": "o", "l1": "s", "psnr": "^", "ssim": "D", "psnr_ssim": "v",
                "ms_ssim_l1": "P"}
OBFUSCATION_COLOURS = {"blur": "#0072B2", "pixelate": "#D55E00"}
PAPER_FONTS = {"font.size": 8, "axes.titlesize": 9, "axes.labelsize": 8, "legend.fontsize": 7,
               "xtick.labelsize": 7, "ytick.labelsize": 7}
FULL_WIDTH_IN = 7.0    # a two-column page's text width
COLUMN_WIDTH_IN = 3.5  # one column


@contextmanager
def paper_fonts():
    """PAPER_FONTS for the figures drawn inside. rc_context would also restore `interactive`,
    which a notebook's inline backend switches on when it draws its first figure, and later
    figures would then not show: it is kept as it is at the end."""
    with plt.rc_context(PAPER_FONTS):
        try:
            yield
        finally:
            interactive = matplotlib.is_interactive()
    matplotlib.interactive(interactive)



def image_grid(rows: list[list[np.ndarray]], column_titles, row_titles=None, size: float = 1.6):
    """A grid of RGB images in [0, 1] with column (and optional row) titles; `size` inches per
    image, less where the columns would be wider than a page (FULL_WIDTH_IN)."""
    n_rows, n_cols = len(rows), len(rows[0])
    size = min(size, FULL_WIDTH_IN / n_cols)
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


def training_curves(histories: pd.DataFrame, hue: str, colours: dict, labels: dict,
                    title: str = ""):
    """Loss, PSNR and SSIM per epoch; solid = validation, dashed = training; one fixed colour
    per `hue` value (`colours`, `labels`: by the values' code names), one line per seed; full
    page width, the legend below. `histories` has the columns of history.csv, `seed` and
    `hue`."""
    panels = [("loss", "loss (own scale per loss)"), ("psnr", "PSNR (dB)"), ("ssim", "SSIM")]
    with paper_fonts():
        figure, axes = plt.subplots(1, 3, figsize=(FULL_WIDTH_IN, 2.4))
        for ax, (metric, label) in zip(axes, panels):
            for (name, seed), group in histories.groupby([hue, "seed"]):
                ax.plot(group["epoch"], group[f"val_{metric}"], color=colours[name], lw=1)
                ax.plot(group["epoch"], group[metric], color=colours[name], ls="--", lw=0.8,
                        alpha=0.7)
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
            ax.set_ylabel(label)
            if metric == "loss":
                ax.set_yscale("log")
        shown = [n for n in colours if n in set(histories[hue])]
        handles = [plt.Line2D([], [], color=colours[n], label=labels[n]) for n in shown]
        handles += [plt.Line2D([], [], color="0.3", label="validation"),
                    plt.Line2D([], [], color="0.3", ls="--", label="training")]
        figure.legend(handles=handles, loc="lower center", ncol=min(len(handles), 8),
                      frameon=False)
        if title:
            figure.suptitle(title)
        figure.tight_layout(rect=(0, 0.1, 1, 1))
    return figure


def metric_heatmaps(runs: pd.DataFrame, row_labels: dict, col_labels: dict):
    """Test PSNR and SSIM for every architecture x loss, one panel per obfuscation and metric;
    runs that did not happen stay blank. Full page width."""
    obfuscations = [o for o in OBFUSCATIONS if (runs["obfuscation"] == o).any()]
    with paper_fonts():
        figure, axes = plt.subplots(2, len(obfuscations),
                                    figsize=(FULL_WIDTH_IN, 4.8), squeeze=False)
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
                            annot_kws={"fontsize": 6}, cbar_kws={"label": METRIC_NAMES[metric]})
                axes[r, c].set_title(f"{OBFUSCATIONS[obfuscation].label}: "
                                     f"{METRIC_NAMES[metric]}")
                axes[r, c].set_xlabel("loss")
                axes[r, c].set_ylabel("")
                axes[r, c].tick_params(axis="x", rotation=30)
        figure.tight_layout()
    return figure


def loss_comparison(rows: pd.DataFrame, losses: list[str]):
    """Test PSNR and SSIM per loss (points: mean over seeds, bars: 95% bootstrap interval over
    test images), one fixed colour and marker per architecture, one panel per obfuscation and
    metric; the non-learned baselines as grey lines. Missing runs leave gaps. Full page width,
    the legend below."""
    from .losses import LOSSES
    from .models import ARCHITECTURES

    obfuscations = list(dict.fromkeys(rows["obfuscation"]))
    models, lines = rows[rows["kind"] == "model"], rows[rows["kind"] == "baseline"]
    architectures = list(dict.fromkeys(models["architecture"]))
    offsets = dict(zip(architectures, np.linspace(-0.2, 0.2, len(architectures))))
    styles = ("--", ":", "-.")
    with paper_fonts():
        figure, axes = plt.subplots(2, len(obfuscations), figsize=(FULL_WIDTH_IN, 4.6),
                                    squeeze=False)
        for c, obfuscation in enumerate(obfuscations):
            for r, metric in enumerate(("test_psnr", "test_ssim")):
                ax = axes[r, c]
                part = models[models["obfuscation"] == obfuscation]
                for arch, group in part.groupby("architecture", sort=False):
                    x = np.array([losses.index(l) for l in group["loss"]]) + offsets[arch]
                    error = np.abs(group[[f"{metric}_ci_low", f"{metric}_ci_high"]].to_numpy().T
                                   - group[metric].to_numpy())
                    ax.errorbar(x, group[metric], yerr=error, fmt=ARCHITECTURE_MARKERS[arch],
                                ms=3.5, capsize=1.5, lw=0.8, color=ARCHITECTURE_COLOURS[arch])
                baselines = lines[lines["obfuscation"] == obfuscation]
                for i, (_, line) in enumerate(baselines.iterrows()):
                    if pd.notna(line[metric]):
                        ax.axhline(line[metric], color="0.45", ls=styles[i % 3], lw=0.8)
                ax.set_xticks(range(len(losses)), [LOSSES[l].label for l in losses],
                              rotation=25)
                ax.set_title(f"{OBFUSCATIONS[obfuscation].label}: {METRIC_NAMES[metric]}")
        handles = [plt.Line2D([], [], color=ARCHITECTURE_COLOURS[a], ls="",
                              marker=ARCHITECTURE_MARKERS[a], label=ARCHITECTURES[a].label)
                   for a in architectures]
        for o in obfuscations:
            handles += [plt.Line2D([], [], color="0.45", ls=styles[i % 3],
                                   label=f"{row['row']}" + (f" ({OBFUSCATIONS[o].label.lower()})"
                                                           if row["architecture"] == "input"
                                                           else ""))
                        for i, (_, row) in enumerate(lines[lines["obfuscation"] == o].iterrows())]
        figure.legend(handles=handles, loc="lower center", ncol=3, frameon=False)
        figure.tight_layout(rect=(0, 0.03 + 0.035 * -(-len(handles) // 3), 1, 1))
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


def strength_sweep(table: pd.DataFrame, network: str):
    """Test PSNR and SSIM of the sweep's network (named `network`) at every candidate strength
    (its architecture's colour and
    marker) and of the obfuscated input (grey), the study's number for the network as a dotted
    line; a strength not trained yet is labelled '(missing)'. Full page width."""
    arch = table["architecture"].iloc[0]
    names = list(dict.fromkeys(table["obfuscation"]))
    figure, axes = plt.subplots(2, len(names), figsize=(FULL_WIDTH_IN, 4.2), squeeze=False)
    for col, name in enumerate(names):
        rows = table[table["obfuscation"] == name].reset_index(drop=True)
        x = np.arange(len(rows))
        for row, (metric, unit) in enumerate((("psnr", "PSNR (dB)"), ("ssim", "SSIM"))):
            ax = axes[row, col]
            ax.plot(x, rows[f"input_test_{metric}"], color="0.55", marker="o", markersize=3,
                    linestyle="--", linewidth=1)
            ax.plot(x, rows[f"test_{metric}"], color=ARCHITECTURE_COLOURS[arch],
                    marker=ARCHITECTURE_MARKERS[arch], markersize=4, linewidth=1.2)
            study = rows[f"study_test_{metric}"].iloc[0]
            if pd.notna(study):
                ax.axhline(study, color="black", linestyle=":", linewidth=1)
            ax.set_xticks(x, [f"{s}{' *' if own else ''}{'' if done == 'finished' else ' (missing)'}"
                              for s, own, done in zip(rows["setting"], rows["profile_strength"],
                                                      rows["status"])],
                          rotation=35, ha="right", fontsize=7)
            ax.set_ylabel(unit, fontsize=8)
            ax.tick_params(axis="y", labelsize=7)
            if row == 0:
                ax.set_title(f"{OBFUSCATIONS[name].label} faces", fontsize=9)
    handles = [plt.Line2D([], [], color=ARCHITECTURE_COLOURS[arch],
                          marker=ARCHITECTURE_MARKERS[arch],
                          label=f"{network} (mean over seeds)"),
               plt.Line2D([], [], color="0.55", marker="o", linestyle="--",
                          label="obfuscated input"),
               plt.Line2D([], [], color="black", linestyle=":",
                          label="the study's number for the network"),
               plt.Line2D([], [], linestyle="", label="* the profile's strength")]
    figure.legend(handles=handles, loc="lower center", ncol=4, fontsize=7, frameon=False,
                  handlelength=1.8, columnspacing=1.2)
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
    with paper_fonts():
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
