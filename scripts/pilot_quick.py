"""A pilot for the quick profile, not a test: L2 runs of seed 0 under candidate settings (the
quick profile with some fields replaced), each measured for minutes, epochs, whether it stopped
converged and its test PSNR/SSIM against its obfuscated input. Rows are appended to
docs/quick_pilot.csv (a run already there is not trained again) and shown in docs/methods.md
(its `quick-pilot` block, rewritten from the CSV).

    .venv/bin/python scripts/pilot_quick.py SETTING [SETTING ...] [--arch A,B] [--obfuscation O]
"""
from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import pandas as pd

from facerecon.core import io
from facerecon.data.dataset import load_dataset
from facerecon.experiment.config import RunConfig, load_profile
from facerecon.reporting.readme import with_block
from facerecon.training.train import train_run

OUT = io.PROJECT_ROOT / "docs" / "quick_pilot.csv"
METHODS = io.PROJECT_ROOT / "docs" / "methods.md"
WIDE = {"simple_cnn": {"filters": 32, "middle_layers": 3},
        "srresnet": {"filters": 32, "blocks": 5},
        "residual_autoencoder": {"widths": [16, 32, 64], "blocks": 3},
        "original_residual_autoencoder": {"widths": [16, 32, 64], "blocks": 3}}
# Candidate settings: fields of the quick profile replaced (topologies stay the study's).
SETTINGS = {
    "A": {"n_train": 1000, "n_val": 200, "n_test": 200, "batch_size": 16, "learning_rate": 1e-3,
          "patience": 4, "max_epochs": 40, "architectures": WIDE},
    # A's two networks that did not restore or stopped at once: smaller, steadier steps.
    "B": {"n_train": 1000, "n_val": 200, "n_test": 200, "batch_size": 16, "learning_rate": 5e-4,
          "patience": 6, "max_epochs": 60, "architectures": WIDE},
    # The residual autoencoder halves 32x32 three times, to 4x4: 48x48 keeps more of the face.
    "C": {"height": 48, "width": 48, "n_train": 1000, "n_val": 200, "n_test": 200,
          "batch_size": 16, "learning_rate": 1e-3, "patience": 4, "max_epochs": 40,
          "architectures": WIDE},
}
GAIN_EPOCHS = 5  # a run still gaining more than 0.1 dB of validation PSNR over these is unfinished


def pilot_run(setting: str, arch: str, obfuscation: str) -> dict:
    profile = dataclasses.replace(load_profile("quick"), **SETTINGS[setting])
    dataset = load_dataset(profile)
    with tempfile.TemporaryDirectory() as root:
        started = time.perf_counter()
        result = train_run(RunConfig(arch, "l2", obfuscation, 0, "quick"), dataset, root, verbose=0)
        minutes = (time.perf_counter() - started) / 60
        history = pd.read_csv(Path(root) / "quick" / "runs" / f"{arch}__l2__{obfuscation}__seed0"
                              / "history.csv")
    gain = history["val_psnr"].iloc[-1] - history["val_psnr"].iloc[-1 - GAIN_EPOCHS] \
        if len(history) > GAIN_EPOCHS else float("nan")
    return {"setting": setting, "architecture": arch, "obfuscation": obfuscation,
            "minutes": round(minutes, 1), "epochs_run": result["epochs_run"],
            "best_epoch": result["best_epoch"], "stopped_early": result["stopped_early"],
            f"val_psnr_gain_last_{GAIN_EPOCHS}": round(gain, 2),
            **{k: round(result[k], 4) for k in ("test_psnr", "test_input_psnr", "test_ssim",
                                                "test_input_ssim")},
            "device": result["device"], "code_version": result["code_version"]}


def show(rows: pd.DataFrame) -> None:
    """The pilot's rows as docs/methods.md's `quick-pilot` table, with the settings' fields."""
    def sizes(architectures: dict) -> str:
        return "; ".join(f"{arch} " + ", ".join(f"{key} {value}" for key, value in sized.items())
                         for arch, sized in architectures.items())

    settings = "\n".join(f"- **{name}**: " + ", ".join(
        f"{key} {value}" for key, value in fields.items() if key != "architectures")
        + "; " + sizes(fields["architectures"])
        for name, fields in SETTINGS.items() if name in set(rows["setting"]))
    table = rows.drop(columns=["device", "code_version"]).to_markdown(index=False)
    machine = "; ".join(sorted(set(rows["device"])))
    io.write_text(METHODS, with_block(METHODS.read_text(), "quick-pilot",
                                      f"{settings}\n\n{table}\n\nMeasured on {machine}."))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("settings", nargs="+", choices=list(SETTINGS))
    parser.add_argument("--arch", default="simple_cnn,srresnet,residual_autoencoder")
    parser.add_argument("--obfuscation", default="blur,pixelate")
    args = parser.parse_args()
    done = pd.read_csv(OUT) if OUT.exists() else pd.DataFrame(
        columns=["setting", "architecture", "obfuscation"])
    for setting in args.settings:
        for arch in args.arch.split(","):
            for obfuscation in args.obfuscation.split(","):
                if ((done["setting"] == setting) & (done["architecture"] == arch)
                        & (done["obfuscation"] == obfuscation)).any():
                    continue
                row = pilot_run(setting, arch, obfuscation)
                print(row, flush=True)
                done = pd.concat([done, pd.DataFrame([row])], ignore_index=True)
                io.write_csv(OUT, done)
                show(done)


if __name__ == "__main__":
    main()
