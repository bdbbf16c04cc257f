"""The figures' style and layout, shared by every figure family (face_plots.py, result_plots.py):
fonts, the page's and one column's widths, panels, the legend below the panels, and saving each
figure at both widths (io.save_figure writes it)."""
from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

import matplotlib
import matplotlib.ticker

SCREEN_DPI = 150  # a notebook's copy of a figure: sharp on a screen, a quarter of the print file


def for_screen() -> None:
    """Figures a notebook shows inline are drawn at SCREEN_DPI: at matplotlib's 100 dpi a
    page-wide figure is 700 px wide and PAPER_FONTS' 7 pt text is 10 px high, too small to read
    on a screen; at 150 dpi it is 1050 px wide with 15 px text."""
    matplotlib.rcParams["figure.dpi"] = SCREEN_DPI


if "ipykernel" not in sys.modules:
    matplotlib.use("Agg")  # scripts draw off screen; a notebook keeps its inline backend
else:
    for_screen()

import matplotlib.pyplot as plt  # noqa: E402

from ..core import io  # noqa: E402
from ..core.io import PRINT_DPI  # noqa: E402

# Every axis entry carries its colour and marker (axes/: Okabe-Ito and Paul Tol's muted, both
# colour-blind safe), the same in every figure that tells them apart.
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


def panels(n_rows: int, n_cols: int, width: float, height: float, **kwargs):
    """A figure of n_rows x n_cols panels, indexed [row, col], `height` inches per panel. At a
    page's full width the grid as it is; narrower (one column) the panels one above the other,
    each column's panels together, so that every panel keeps a readable width. Constrained
    layout keeps legends placed with legend_below outside the panels."""
    stacked = width < FULL_WIDTH_IN and n_cols > 1
    shape = (n_rows * n_cols, 1) if stacked else (n_rows, n_cols)
    figure, axes = plt.subplots(*shape, figsize=(width, height * shape[0]), squeeze=False,
                                layout="constrained", **kwargs)
    return figure, (axes[:, 0].reshape(n_cols, n_rows).T if stacked else axes)


def architecture_and_loss_handles(points) -> list:
    """Legend entries of a scatter coloured by architecture and marked by loss: one per
    architecture and one per loss among the points (their columns), in the registries' order."""
    from ..axes.architectures import ARCHITECTURES
    from ..axes.losses import LOSSES

    edge = {"ls": "", "markeredgecolor": "black", "markeredgewidth": 0.4}
    return ([plt.Line2D([], [], color=ARCHITECTURES[a].colour, marker="o",
                        label=ARCHITECTURES[a].label, **edge)
             for a in ARCHITECTURES if a in set(points["architecture"])]
            + [plt.Line2D([], [], color="0.6", marker=LOSSES[n].marker, label=LOSSES[n].label,
                          **edge)
               for n in LOSSES if n in set(points["loss"])])


def legend_below(figure, handles, width: float, columns: int) -> None:
    """The legend under the panels, never on the data, in as many of `columns` columns as fit
    the figure's width (at one column's width at most two); the figure grows by its height, so
    that the panels keep theirs."""
    renderer = figure.canvas.get_renderer()
    for ncol in range(columns if width >= FULL_WIDTH_IN else min(columns, 2), 0, -1):
        legend = figure.legend(handles=handles, loc="outside lower center", frameon=False,
                               ncol=ncol, handlelength=3)  # a line style's pattern shows
        extent = legend.get_window_extent(renderer)
        if ncol == 1 or extent.width <= figure.bbox.width:
            break
        legend.remove()
    figure.set_size_inches(width, figure.get_size_inches()[1] + extent.height / figure.dpi)


COLUMN_SUFFIX = "_column"  # the one-column copy of a figure: <stem>_column.png/.pdf
COLUMN_MAX_HEIGHT_IN = 4.5  # a one-column figure taller than this is split into parts


def save_in_both_widths(draw, stem, column_parts: dict | None = None) -> list:
    """draw(width) at a page's full width as <stem>.png/.pdf and at one column's width as
    <stem>_column.png/.pdf (io.save_figure); a figure whose panels would stack taller than
    COLUMN_MAX_HEIGHT_IN in one column gives `column_parts` instead (part -> its own draw, see
    by_obfuscation), saved as <stem>_<part>_column. Each figure is closed once written."""
    drawings = [(draw, FULL_WIDTH_IN, "")]
    drawings += ([(part_draw, COLUMN_WIDTH_IN, f"_{part}{COLUMN_SUFFIX}")
                  for part, part_draw in column_parts.items()] if column_parts
                 else [(draw, COLUMN_WIDTH_IN, COLUMN_SUFFIX)])
    if column_parts:  # a copy of the figure in one piece, from before it was split, goes
        for stale in Path(stem).parent.glob(f"{Path(stem).name}{COLUMN_SUFFIX}.*"):
            stale.unlink()
    paths = []
    for drawing, width, suffix in drawings:
        figure = drawing(width)
        paths += io.save_figure(figure, f"{stem}{suffix}")
        plt.close(figure)
    return paths


def by_obfuscation(draw, *frames) -> dict:
    """One drawing per obfuscation in the frames (their `obfuscation` column):
    draw(*each frame's rows of it, width), for save_in_both_widths' column_parts. A row without
    an obfuscation (the original faces) belongs to every part."""
    names = dict.fromkeys(o for frame in frames for o in frame["obfuscation"].dropna())

    def part(frame, name):
        return frame[(frame["obfuscation"] == name) | frame["obfuscation"].isna()]

    return {name: (lambda width, name=name: draw(*(part(f, name) for f in frames), width))
            for name in names}


def is_page_wide(path) -> bool:
    """Whether a figure file is the page-wide copy (not <stem>_column)."""
    return not path.stem.endswith(COLUMN_SUFFIX)


def on_screen(path):
    """A figure's PNG as a notebook shows it, at SCREEN_DPI: the 300 dpi print file would make
    every executed notebook four times heavier for nothing a screen shows."""
    import cv2
    from IPython.display import Image

    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    scale = SCREEN_DPI / PRINT_DPI
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    if is_face_grid(path):  # photographs: JPEG keeps them sharp at a fraction of a PNG
        return Image(data=cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 90])[1]
                     .tobytes(), format="jpeg")
    return Image(data=cv2.imencode(".png", small)[1].tobytes(), format="png")


FACE_GRIDS = ("sample_faces_", "reconstructions_")  # figures of faces, not of numbers


def is_face_grid(path) -> bool:
    return Path(path).stem.startswith(FACE_GRIDS)


def shown_pngs(paths) -> list:
    """The PNGs among figure paths at a page's full width: what a notebook shows."""
    return [p for p in paths if p.suffix == ".png" and is_page_wide(p)]
