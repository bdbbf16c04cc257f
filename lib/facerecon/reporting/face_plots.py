"""Figures of faces: image grids (originals, obfuscated and reconstructed faces side by side),
the profile's sample faces and one reconstructed photograph. Each returns a matplotlib Figure
in the style of plots.py."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..axes.obfuscation import OBFUSCATIONS
from .plots import FULL_WIDTH_IN


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


def with_inputs(rows: list[list], dataset) -> list[list]:
    """Rows of a reconstruction grid (figures.reconstruction_rows) with every missing original
    and obfuscated face taken from the dataset: they are data, there without any run, so only
    a missing run's reconstructions stay missing."""
    return [[tile if tile is not None else given for tile, given in zip(row, inputs)]
            for row, inputs in zip(rows, input_rows(dataset, len(rows)))]


def input_rows(dataset, n: int) -> list[list]:
    """The first n test faces (those a run's test_samples.png shows) in a reconstruction grid's
    columns (figures.reconstruction_titles): the original, then each obfuscation at the
    profile's strength beside an empty slot (None) for its reconstruction."""
    return [[dataset.images["test"][i], *(tile for name in OBFUSCATIONS
                                          for tile in (dataset.obfuscated("test", name)[i], None))]
            for i in range(n)]


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
