"""The study's reported numbers: data in results/reference/study.csv, transcribed from its slides
by scripts/study_reference.py, each with the slide it comes from; its summary tables' test means
in the layout of ours (conclusions.our_means), and how precisely it printed them."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..core.io import PROJECT_ROOT
from ..experiment.study import select

REFERENCE = PROJECT_ROOT / "results" / "reference" / "study.csv"
COMPARED_SOURCE = "Results Comparison table"  # the study's summary tables
INPUT_SOURCE = "Limitations slide"
ARCH, LOSS, OBF = "architecture", "loss", "obfuscation"
DIGITS = {"test_psnr": 2, "test_ssim": 4}  # the study's printed precision (ties below it)
STUDY_MEASURES = ("psnr", "ssim")  # what the study reports (our measures: axes/measures.py)


def load_reference(path: Path = REFERENCE) -> pd.DataFrame:
    return pd.read_csv(path)


def study_means(reference: pd.DataFrame) -> pd.DataFrame:
    """The study's test PSNR/SSIM per (architecture, loss, obfuscation), from its summary
    tables, in the layout of our_means."""
    table = select(reference[reference["source"].str.startswith(COMPARED_SOURCE)], subset="test")
    wide = table.pivot_table(index=[ARCH, LOSS, OBF], columns="metric", values="value")
    return wide.rename(columns={"psnr": "test_psnr", "ssim": "test_ssim"})
