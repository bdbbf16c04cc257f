"""The losses under comparison: name -> its label, its colour and marker in every figure, and
the name of its function in loss_functions.py (keras.ops). Importable without Keras. The
registry's order is the study's, with L2 (every other loss's reference) first.

A new loss is its function (loss_functions.py), its entry here and its test.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..core.registry import Registry


@dataclass(frozen=True)
class Loss:
    label: str
    colour: str  # Paul Tol's muted, colour-blind safe
    marker: str
    function: str  # the function of loss_functions.py: (reconstruction, target) -> scalar


LOSSES = Registry("loss", {
    "l2": Loss("L2", "#332288", "o", "l2"),
    "l1": Loss("L1", "#88CCEE", "s", "l1"),
    "psnr": Loss("PSNR", "#882255", "^", "psnr_loss"),
    "ssim": Loss("SSIM", "#44AA99", "D", "ssim_loss"),
    "psnr_ssim": Loss("PSNR+SSIM", "#CC6677", "v", "psnr_ssim_loss"),
    "ms_ssim_l1": Loss("MS-SSIM+L1", "#AA4499", "P", "ms_ssim_l1_loss"),
})
# The names, as a live view: an entry added to the registry (a test's) is a name everywhere.
LOSS_NAMES = LOSSES.keys()
