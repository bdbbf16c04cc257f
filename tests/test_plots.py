"""Figures for a paper: every plot is drawn at a page's full width and at one column's width, and
stays within it, legend included; its panels keep their height whatever the legend needs."""
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from facerecon.core import io
from facerecon.reporting import plots, result_plots


def many_handles(n=12):
    return [plt.Line2D([], [], color="black", label=f"a rather long legend entry number {i}")
            for i in range(n)]


@pytest.mark.parametrize("width", [plots.FULL_WIDTH_IN, plots.COLUMN_WIDTH_IN])
def test_a_legend_below_fits_the_width_and_grows_the_figure(width, tmp_path):
    figure, axes = plots.panels(2, 2, width, 1.5)
    for ax in axes.flat:
        ax.plot(np.arange(5), np.arange(5))
    stacked = 4 if width < plots.FULL_WIDTH_IN else 2  # one column: the panels one above the other
    assert axes.shape == (2, 2) and figure.get_size_inches()[1] == pytest.approx(1.5 * stacked)
    plots.legend_below(figure, many_handles(), width, 4)
    assert figure.get_size_inches()[1] > 1.5 * stacked  # room for the legend, below the panels
    path = io.save_figure(figure, tmp_path / "figure")[0]
    import cv2

    assert cv2.imread(str(path)).shape[1] / 150 <= width + 0.01
    plt.close(figure)


def test_every_figure_is_saved_at_both_widths(tmp_path):
    drawn = []

    def draw(width):
        drawn.append(width)
        figure, axes = plots.panels(1, 2, width, 1.5)
        return figure

    paths = plots.save_in_both_widths(draw, tmp_path / "curves")
    assert drawn == [plots.FULL_WIDTH_IN, plots.COLUMN_WIDTH_IN]
    assert sorted(p.name for p in paths) == ["curves.pdf", "curves.png", "curves_column.pdf",
                                             "curves_column.png"]
    assert plots.shown_pngs(paths) == [tmp_path / "curves.png"]


def test_the_strength_sweep_names_missing_strengths_on_its_axis():
    table = pd.DataFrame({
        "obfuscation": "pixelate", "setting": ["block 3", "block 4", "block 5"],
        "profile_strength": [False, True, False], "architecture": "residual_autoencoder",
        "input_test_psnr": [22.0, 20.0, 19.0], "input_test_ssim": [0.6, 0.5, 0.4],
        "test_psnr": [24.0, 23.0, np.nan], "test_ssim": [0.7, 0.65, np.nan],
        "status": ["finished", "finished", "missing"], "study_test_psnr": 24.4,
        "study_test_ssim": 0.75})
    figure = result_plots.strength_sweep(table, "Residual Autoencoder under L2",
                                         plots.COLUMN_WIDTH_IN)
    labels = [t.get_text() for t in figure.axes[0].get_xticklabels()]
    assert labels == ["block 3", "block 4 *", "block 5 (missing)"]
    plt.close(figure)
