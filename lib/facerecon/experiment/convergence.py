"""How a finished run ended: stopped early, or at the epoch cap, where a run whose validation
PSNR was still rising by more than GAIN_DB over its last GAIN_EPOCHS epochs had not converged
(the rule of #38's quick profile, which its findings and the published models state)."""
from __future__ import annotations

import pandas as pd

GAIN_EPOCHS, GAIN_DB = 5, 0.1


def last_gain(history: pd.DataFrame) -> float:
    """How much a run's validation PSNR rose over its last GAIN_EPOCHS (NaN: fewer epochs)."""
    psnr = history["val_psnr"].to_numpy()
    return float(psnr[-1] - psnr[-1 - GAIN_EPOCHS]) if len(psnr) > GAIN_EPOCHS else float("nan")


def still_gaining(history: pd.DataFrame) -> bool:
    """Whether a run's validation PSNR rose by more than GAIN_DB over its last GAIN_EPOCHS."""
    return last_gain(history) > GAIN_DB


def ending(history: pd.DataFrame, stopped_early: bool) -> str:
    """'stopped early', 'epoch cap, converged' or 'epoch cap, still gaining 0.56 dB over its
    last 5 epochs' (not converged)."""
    if stopped_early:
        return "stopped early"
    if still_gaining(history):
        return (f"epoch cap, still gaining {last_gain(history):.2f} dB over its last "
                f"{GAIN_EPOCHS} epochs (not converged)")
    return "epoch cap, converged"
