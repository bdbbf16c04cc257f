"""The measures a run is scored by: name -> its label, unit, the digits it is printed with,
whether higher is better and its per-image function. A measure is this registry's entry: every
per-image record, every epoch's history, every table and figure and the paired tests against L2
read their measures from here (tests/e2e/test_extension.py adds one). Importable without Keras
(the functions in axes/metrics.py load keras.ops at first use).

MEASURES (PSNR, SSIM) are scored on every subset and every epoch; TEST_ONLY_MEASURES (the
identity distance, by the deep descriptor of axes/face_descriptor.py) on the test faces only;
TABLE_MEASURES reads both, in the tables' column order. CONVENTIONS are scores stored beside them in per_image.csv
for comparison with other papers (never a table's measure).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..core.registry import Joined, Registry
from . import metrics


@dataclass(frozen=True)
class Measure:
    label: str
    unit: str    # '' for a measure without one
    digits: int  # decimals in tables and text
    higher_is_better: bool = True
    # (x, y, data_range) -> one value per image, with keras.ops; None: scored elsewhere
    per_image: Callable | None = None

    @property
    def heading(self) -> str:
        """'PSNR (dB)', 'SSIM': the measure as a column or axis names it."""
        return f"{self.label} ({self.unit})" if self.unit else self.label


MEASURES = Registry("measure", {
    "psnr": Measure("PSNR", "dB", 2, per_image=metrics.psnr_per_image),
    "ssim": Measure("SSIM", "", 4, per_image=metrics.ssim_per_image),
})
# The names, as a live view: an entry added to the registry (a test's) is a name everywhere.
MEASURE_NAMES = MEASURES.keys()
# The deep descriptor's distance to the original face (0: the same face; < 0.6: dlib's "same
# person"), measured on the test faces only.
TEST_ONLY_MEASURES = Registry("measure", {
    "identity": Measure("ID distance", "", 3, higher_is_better=False)})
TABLE_MEASURES = Joined("measure", MEASURES, TEST_ONLY_MEASURES)
# scikit-image's default SSIM window, PSNR and SSIM on BT.601 luma, and PSNR inside and outside
# the SSIM window's centres (axes/metrics.py)
CONVENTIONS = {"ssim_uniform": metrics.ssim_uniform_per_image,
               "psnr_y": metrics.psnr_y_per_image, "ssim_y": metrics.ssim_y_per_image,
               "psnr_inner": metrics.psnr_inner_per_image,
               "psnr_border": metrics.psnr_border_per_image}


def score_names() -> list[str]:
    """The per-image scores a run records: every measure, then the conventions."""
    return [*MEASURES, *CONVENTIONS]


def scores_per_image(x: np.ndarray, y: np.ndarray, data_range: float = 1.0,
                     batch_size: int = 256) -> dict[str, np.ndarray]:
    """Per-image scores (score_names) of x against reference y, as float64 numpy arrays."""
    functions = {**{name: m.per_image for name, m in MEASURES.items()}, **CONVENTIONS}
    ops = metrics.ops
    scores = {name: [] for name in functions}
    for start in range(0, len(x), batch_size):
        xb = ops.convert_to_tensor(np.asarray(x[start:start + batch_size], np.float32))
        yb = ops.convert_to_tensor(np.asarray(y[start:start + batch_size], np.float32))
        for name, function in functions.items():
            scores[name].append(ops.convert_to_numpy(function(xb, yb, data_range)))
    return {name: np.concatenate(parts).astype(np.float64) for name, parts in scores.items()}


def epoch_scores(y, pred) -> list:
    """Per-image values of every measure, for reconstructions in [0, 1] (a training epoch's)."""
    return [m.per_image(y, pred) for m in MEASURES.values()]


def epoch_metrics(output_range=(0.0, 1.0)) -> list:
    """Every measure as a Keras metric (mean over a batch) named by its name, for outputs in
    output_range: history.csv's `psnr`, `val_psnr`, ..."""
    def metric(name, measure):
        def score(y_true, y_pred):
            return metrics.ops.mean(measure.per_image(metrics.to_unit_range(y_true, output_range),
                                                      metrics.to_unit_range(y_pred, output_range)))
        score.__name__ = name
        return score

    return [metric(name, measure) for name, measure in MEASURES.items()]


def run_columns() -> list[str]:
    """A run's means in the tables: every measure on train and test, the test-only ones on test."""
    return [*(f"{subset}_{name}" for subset in ("train", "test") for name in MEASURES),
            *(f"test_{name}" for name in TEST_ONLY_MEASURES)]


def test_columns() -> list[str]:
    """A run's test means (every table measure)."""
    return [f"test_{name}" for name in TABLE_MEASURES]


def measure_of(column: str) -> Measure:
    """The measure of a column such as 'test_psnr' or 'drop_seen_people_test_ssim'."""
    return TABLE_MEASURES[column.rsplit("_", 1)[-1]]


def best_of(values, measure: Measure):
    """The best of some values under a measure (the highest, or the lowest distance)."""
    return values.max() if measure.higher_is_better else values.min()


def better_than(value: float, other: float, measure: Measure) -> bool:
    """Whether `value` is strictly better than `other` under the measure (False where either
    is missing)."""
    return bool(value > other if measure.higher_is_better else value < other)


def shown(value: float, measure: Measure) -> str:
    """'25.01 dB', '0.8012': a value as the measure's tables print it."""
    return f"{value:.{measure.digits}f}" + (f" {measure.unit}" if measure.unit else "")
