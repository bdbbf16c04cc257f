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

    assert cv2.imread(str(path)).shape[1] / io.PRINT_DPI <= width + 0.01
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


def test_a_tall_figure_is_split_into_one_column_figure_per_obfuscation(tmp_path):
    """A four-panel figure would stack to 8 in in one column: it is saved as one column-wide
    figure per obfuscation instead, each at most COLUMN_MAX_HEIGHT_IN tall, and the page-wide
    copy keeps every panel."""
    import cv2

    runs = pd.DataFrame([{"architecture": a, "loss": loss, "obfuscation": o,
                          "test_psnr": 20 + i, "test_ssim": 0.5 + i / 100}
                         for i, (a, loss, o) in enumerate(
                             (a, loss, o) for a in ("simple_cnn", "srresnet")
                             for loss in ("l2", "ssim") for o in ("blur", "pixelate"))])
    paths = plots.save_in_both_widths(
        lambda width: result_plots.metric_heatmaps(runs, width), tmp_path / "heat",
        plots.by_obfuscation(result_plots.metric_heatmaps, runs))
    assert sorted(p.name for p in paths if p.suffix == ".png") == [
        "heat.png", "heat_blur_column.png", "heat_pixelate_column.png"]
    for path in paths:
        if path.suffix == ".png" and not plots.is_page_wide(path):
            height, width = cv2.imread(str(path)).shape[:2]
            assert width / io.PRINT_DPI <= plots.COLUMN_WIDTH_IN + 0.01
            assert height / io.PRINT_DPI <= plots.COLUMN_MAX_HEIGHT_IN, path.name


def test_heat_map_digits_never_invent_ties():
    assert result_plots.untied_digits([0.9312, 0.9318, 0.85], 2) == 3
    assert result_plots.untied_digits([20.41, 20.37], 1) == 2
    assert result_plots.untied_digits([20.4, 21.0], 2) == 2


def test_figure_pdfs_embed_no_type3_fonts(tmp_path):
    """Venues refuse Type 3 fonts: every PDF figure embeds TrueType (pdf.fonttype 42)."""
    figure, axes = plots.panels(1, 1, plots.COLUMN_WIDTH_IN, 1.5)
    axes[0, 0].set_title("PSNR (dB) − σ")
    pdf = [p for p in io.save_figure(figure, tmp_path / "fonts") if p.suffix == ".pdf"][0]
    plt.close(figure)
    data = pdf.read_bytes()
    assert b"/Subtype /Type3" not in data and b"/FontFile2" in data


def test_every_committed_column_figure_fits_a_column():
    """The committed figures themselves: one column wide, at most COLUMN_MAX_HEIGHT_IN tall."""
    import cv2

    columns = sorted(io.PROJECT_ROOT.glob(f"figures/*/*{plots.COLUMN_SUFFIX}.png"))
    assert columns
    for path in columns:
        height, width = (n / io.PRINT_DPI for n in cv2.imread(str(path)).shape[:2])
        assert width <= plots.COLUMN_WIDTH_IN + 0.01, (path.name, width)
        assert height <= plots.COLUMN_MAX_HEIGHT_IN, (path.name, height)


def test_the_loss_comparison_names_each_baseline_once_with_one_style_everywhere():
    """Both obfuscations have the obfuscated input as a baseline: one legend entry, the same
    line in both panels; and a style never stands for two baselines (Wiener in one panel,
    bicubic in the other)."""
    models = [{"kind": "model", "architecture": "srresnet", "loss": "l2", "obfuscation": o,
               **{f"test_{m}{end}": v for m, v in (("psnr", 25.0), ("ssim", 0.8))
                  for end in ("", "_ci_low", "_ci_high")}} for o in ("blur", "pixelate")]
    baselines = [{"kind": "baseline", "architecture": method, "row": label, "obfuscation": o,
                  "test_psnr": psnr, "test_ssim": psnr / 30}
                 for o, method, label, psnr in (
                     ("blur", "input", "Obfuscated input (no model)", 20.0),
                     ("blur", "wiener", "Wiener deconvolution (no model)", 21.0),
                     ("pixelate", "input", "Obfuscated input (no model)", 19.0),
                     ("pixelate", "bicubic", "Bicubic of block means (no model)", 21.0))]
    figure = result_plots.loss_comparison(pd.DataFrame(models + baselines), ["l2", "l1"])
    labels = [t.get_text() for t in figure.legends[0].get_texts()]
    assert len(labels) == len(set(labels))
    assert labels[1:] == ["Obfuscated input (no model)", "Wiener deconvolution (no model)",
                          "Bicubic of block means (no model)"]

    def style(ax, value):
        return next(str(line.get_linestyle()) for line in ax.lines
                    if line.get_ydata()[0] == value)

    blur, pixelate = figure.axes[0], figure.axes[1]  # the PSNR panels
    assert style(blur, 20.0) == style(pixelate, 19.0)  # the input, alike
    assert style(blur, 21.0) != style(pixelate, 21.0)  # Wiener and bicubic, told apart
    plt.close(figure)


def test_a_notebook_shows_a_page_wide_figure_wide_enough_to_read(tmp_path):
    """matplotlib's 100 dpi showed a page-wide figure 700 px wide, its 7 pt text 10 px high; a
    kernel draws at SCREEN_DPI."""
    import base64
    import io as bytes_io

    import nbformat
    import papermill
    from PIL import Image

    source = tmp_path / "figure.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "from facerecon.reporting import plots\n"
        "figure, axes = plots.panels(1, 3, plots.FULL_WIDTH_IN, 2.0)")]), source)
    executed = papermill.execute_notebook(str(source), str(tmp_path / "out.ipynb"),
                                          kernel_name="python3", progress_bar=False)
    png = next(output["data"]["image/png"] for output in executed["cells"][0]["outputs"]
               if "image/png" in output.get("data", {}))
    width = Image.open(bytes_io.BytesIO(base64.b64decode(png))).width
    assert width >= 0.9 * plots.FULL_WIDTH_IN * plots.SCREEN_DPI, width
