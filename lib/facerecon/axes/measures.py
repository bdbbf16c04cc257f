"""The measures the tables and figures report: name -> its label, unit, the digits it is printed
with and whether higher is better. Importable without Keras (axes/metrics.py computes PSNR and
SSIM with keras.ops, axes/identity.py the identity distance). MEASURES (PSNR, SSIM) are in every
table and figure, also per epoch; TABLE_MEASURES adds the identity distance of the test faces to
the tables and the paired tests against L2. A registry's order is the tables' column order.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..core.registry import Registry


@dataclass(frozen=True)
class Measure:
    label: str
    unit: str    # '' for a measure without one
    digits: int  # decimals in tables and text
    higher_is_better: bool = True

    @property
    def heading(self) -> str:
        """'PSNR (dB)', 'SSIM': the measure as a column or axis names it."""
        return f"{self.label} ({self.unit})" if self.unit else self.label


MEASURES = Registry("measure", {
    "psnr": Measure("PSNR", "dB", 2),
    "ssim": Measure("SSIM", "", 4),
})
# The names, as a live view: an entry added to the registry (a test's) is a name everywhere.
MEASURE_NAMES = MEASURES.keys()
# The deep descriptor's distance to the original face (0: the same face; < 0.6: dlib's "same
# person"), measured on the test faces only.
TABLE_MEASURES = Registry("measure", {
    **MEASURES, "identity": Measure("ID distance", "", 3, higher_is_better=False)})


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
