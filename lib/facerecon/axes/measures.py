"""The measures every table and figure reports: name -> its label, unit and the digits it is
printed with. Importable without Keras (axes/metrics.py computes them with keras.ops). The
registry's order is the order of the tables' columns.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..core.registry import Registry


@dataclass(frozen=True)
class Measure:
    label: str
    unit: str    # '' for a measure without one
    digits: int  # decimals in tables and text

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


def measure_of(column: str) -> Measure:
    """The measure of a column such as 'test_psnr' or 'drop_seen_people_test_ssim'."""
    return MEASURES[column.rsplit("_", 1)[-1]]
