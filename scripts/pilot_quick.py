"""A pilot for the quick profile, not a test: runs of seed 0 (L2 unless --loss says otherwise)
under candidate settings (the quick profile with some fields replaced), each measured for
minutes, epochs, whether it stopped converged and its test PSNR/SSIM against its obfuscated
input. Rows are appended to docs/quick_pilot.csv (a run already there is not trained again)
and shown in docs/methods.md (its `quick-pilot` block, rewritten from the CSV). The setting
`quick` is params/quick.yaml as it stands: its rows are read from the profile's own finished
runs of seed 0 (results/quick/), which the grid trains (`python -m facerecon schedule --profile quick --seed 0`).

    .venv/bin/python scripts/pilot_quick.py SETTING [SETTING ...] [--arch A,B] [--obfuscation O]
        [--loss L,M]
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
from facerecon.experiment.runs import RunStore
from facerecon.experiment.convergence import GAIN_EPOCHS, last_gain
from facerecon.reporting.readme import with_block
from facerecon.training.train import train_run

OUT = io.PROJECT_ROOT / "docs" / "quick_pilot.csv"
METHODS = io.PROJECT_ROOT / "docs" / "methods.md"
WIDE = {"simple_cnn": {"filters": 32, "middle_layers": 3},
        "srresnet": {"filters": 32, "blocks": 5},
        "residual_autoencoder": {"widths": [16, 32, 64], "blocks": 3},
        "original_residual_autoencoder": {"widths": [16, 32, 64], "blocks": 3}}
STUDY_AUTOENCODER = {"widths": [64, 128, 256], "blocks": 3}
# A's widths squeeze the residual autoencoder's 4x4x64 bottleneck below its 32x32x3 input; the
# study's widths (4x4x256) keep the study's ratio of bottleneck to input (4:3).
STUDY_WIDE = {**WIDE, "residual_autoencoder": STUDY_AUTOENCODER,
              "original_residual_autoencoder": STUDY_AUTOENCODER}
# The strengths quick used before the pilot, and those the calibration rule recommends at 32x32.
MATCHED_PSNR = {"blur": {"kernel": 5, "sigma": 1.0, "candidates": []},
                "pixelate": {"block": 4, "candidates": []}}
CALIBRATED = {"blur": {"kernel": 5, "sigma": 1.5, "candidates": []},
              "pixelate": {"block": 6, "candidates": []}}


def setting(architectures=WIDE, obfuscations=MATCHED_PSNR, **fields) -> dict:
    """A candidate: 1,000 training, 200 validation and 200 test faces, batch 16, Adam 1e-3,
    unless `fields` say otherwise."""
    return {"n_train": 1000, "n_val": 200, "n_test": 200, "batch_size": 16,
            "learning_rate": 1e-3, **fields, "obfuscations": obfuscations,
            "architectures": architectures}


# Candidate settings: fields of the quick profile replaced (topologies stay the study's).
SETTINGS = {
    "A": setting(patience=4, max_epochs=40),
    # A's two networks that did not restore or stopped at once: smaller, steadier steps.
    "B": setting(learning_rate=5e-4, patience=6, max_epochs=60),
    # The residual autoencoder halves 32x32 three times, to 4x4: 48x48 keeps more of the face.
    "C": setting(height=48, width=48, patience=4, max_epochs=40),
    "D": setting(STUDY_WIDE, patience=4, max_epochs=40),
    # D at 48x48 (a 6x6 bottleneck), at the blur that matches the study's test PSNR there,
    # trained 30 epochs whatever its validation does: does the autoencoder learn faster?
    "E": setting(STUDY_WIDE, {"blur": {"kernel": 7, "sigma": 1.5, "candidates": []},
                              "pixelate": {"block": 6, "candidates": []}},
                 height=48, width=48, patience=30, max_epochs=30),
    # D with the strengths the calibration rule recommends at 32x32 (as the paper profile
    # uses its rule's choice), and a patience that outlasts the autoencoder's noisy validation.
    "F": setting(STUDY_WIDE, CALIBRATED, patience=6, max_epochs=60),
    # F with a patience of 8 and a cap of 80 epochs (the autoencoder's validation swings).
    "G": setting(STUDY_WIDE, CALIBRATED, patience=8, max_epochs=80),
    # The profile chosen (quick) with smaller steps: does the residual autoencoder under the
    # SSIM-family losses, whose validation peaks within a few epochs on pixelated faces, stop
    # later and above its input's PSNR?
    "H": {"learning_rate": 3e-4},
}


def pilot_run(setting: str, arch: str, obfuscation: str, loss: str) -> dict:
    profile = dataclasses.replace(load_profile("quick"), **SETTINGS[setting])
    dataset = load_dataset(profile)
    with tempfile.TemporaryDirectory() as root:
        started = time.perf_counter()
        config = RunConfig(arch, loss, obfuscation, 0, "quick")
        result = train_run(config, dataset, root, verbose=0)
        minutes = (time.perf_counter() - started) / 60
        history = pd.read_csv(Path(root) / "quick" / "runs" / config.key / "history.csv")
    return row(setting, arch, obfuscation, loss, minutes, result, history)


def profile_run(arch: str, obfuscation: str, loss: str) -> dict | None:
    """The quick profile's own finished run of seed 0, as a pilot row (None: not finished)."""
    store = RunStore(io.PROJECT_ROOT / "results", load_profile("quick"))
    key = RunConfig(arch, loss, obfuscation, 0, "quick").key
    if store.status(key) != "finished":
        return None
    result = store.metrics(key)
    return row("quick", arch, obfuscation, loss, result["wall_seconds"] / 60, result,
               store.history(key))


def row(setting: str, arch: str, obfuscation: str, loss: str, minutes: float, result: dict,
        history: pd.DataFrame) -> dict:
    gain = last_gain(history)
    return {"setting": setting, "architecture": arch, "obfuscation": obfuscation, "loss": loss,
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

    def strengths(obfuscations: dict) -> str:
        return ", ".join(f"{name} " + " ".join(f"{key} {value}" for key, value in section.items()
                                               if key != "candidates")
                         for name, section in obfuscations.items())

    def described(fields: dict) -> str:
        shown = [f"{key} {value}" for key, value in fields.items()
                 if key not in ("architectures", "obfuscations")]
        if "obfuscations" in fields:
            shown.append(strengths(fields["obfuscations"]))
        if "architectures" not in fields:  # a change to the profile chosen
            return "quick with " + ", ".join(shown)
        return ", ".join(shown) + "; " + sizes(fields["architectures"])

    lines = [f"- **{name}**: {described(fields)}" for name, fields in SETTINGS.items()
             if name in set(rows["setting"])]
    if "quick" in set(rows["setting"]):
        quick = load_profile("quick")
        lines.append(f"- **quick**: params/quick.yaml, the profile chosen ({quick.description}; "
                     f"{strengths(quick.obfuscations)}; {sizes(quick.architectures)}); its own "
                     "runs of seed 0")
    table = rows.drop(columns=["device", "code_version"]).to_markdown(index=False)
    machine = "; ".join(sorted(set(rows["device"])))
    io.write_text(METHODS, with_block(METHODS.read_text(), "quick-pilot",
                                      "\n".join(lines) + f"\n\n{table}\n\nMeasured on {machine}."))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("settings", nargs="+", choices=[*SETTINGS, "quick"])
    parser.add_argument("--arch", default="simple_cnn,srresnet,residual_autoencoder")
    parser.add_argument("--obfuscation", default="blur,pixelate")
    parser.add_argument("--loss", default="l2")
    args = parser.parse_args()
    columns = ["setting", "architecture", "obfuscation", "loss"]
    # Rows from before the pilot tried other losses are L2's.
    done = pd.read_csv(OUT) if OUT.exists() else pd.DataFrame(columns=columns)
    if "loss" not in done:
        done["loss"] = "l2"
    done = done[[*columns, *(c for c in done.columns if c not in columns)]]
    runs = [(s, a, o, l) for s in args.settings for a in args.arch.split(",")
            for o in args.obfuscation.split(",") for l in args.loss.split(",")]
    for setting, arch, obfuscation, loss in runs:
        if (done[columns] == [setting, arch, obfuscation, loss]).all(axis=1).any():
            continue
        found = profile_run(arch, obfuscation, loss) if setting == "quick" \
            else pilot_run(setting, arch, obfuscation, loss)
        if found is None:
            print(f"quick: {arch} {obfuscation} {loss} seed 0 has not finished", flush=True)
            continue
        print(found, flush=True)
        done = pd.concat([done, pd.DataFrame([found])], ignore_index=True)
        io.write_csv(OUT, done)
        show(done)


if __name__ == "__main__":
    main()
