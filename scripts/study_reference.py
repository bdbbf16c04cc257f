"""Transcribes the study's reported numbers from its slides (../shared/study/*.txt) into
results/reference/study.csv: one row per number, with the slide section it comes from.

    .venv/bin/python scripts/study_reference.py [path/to/slides.txt]

Three sources in the slides: the per-architecture slides ("Train Set: 26.5861 / 0.7900"), the
"Results Comparison" tables (which add the original residual autoencoder under L2), and the
input-vs-reconstruction table of the "Limitations" slide. Where the first two disagree, both
rows are kept (the comparison tables are what the reproduction report compares against).
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
ARCHITECTURES = {"Simple CNN": "simple_cnn", "SRResNet": "srresnet",
                 "Residual Autoencoder": "residual_autoencoder",
                 "Original Residual Autoencoder": "original_residual_autoencoder"}
SLIDE_LOSSES = {"L2 Loss": "l2", "L1 Loss": "l1", "PSNR Loss": "psnr", "SSIM Loss": "ssim",
                "PSNR + SSIM Loss": "psnr_ssim"}
TABLE_LOSSES = {"L2 Loss": "l2", "L1 Loss": "l1", "PSNR": "psnr", "SSIM": "ssim",
                "PSNR+SSIM": "psnr_ssim"}
NUMBER = r"(\d+(?:\.\d+)?)"


def number_rows(source, arch, loss, obfuscation, subset, psnr, ssim):
    return [{"source": source, "architecture": arch, "loss": loss, "obfuscation": obfuscation,
             "subset": subset, "metric": metric, "value": float(value)}
            for metric, value in (("psnr", psnr), ("ssim", ssim))]


def per_architecture_slides(text: str) -> list[dict]:
    rows, arch, loss, obfuscation = [], None, None, None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("# Results Comparison"):
            break
        if line.startswith("# ") and line[2:] in ARCHITECTURES:
            arch = ARCHITECTURES[line[2:]]
        elif line.startswith("# ") and line[2:] in SLIDE_LOSSES:
            loss = SLIDE_LOSSES[line[2:]]
        elif line.startswith(("Blurred Image Reconstruction", "Pixelated Image Reconstruction")):
            obfuscation = "blur" if line.startswith("Blurred") else "pixelate"
        elif (match := re.match(rf"(Train|Test) Set: {NUMBER} / {NUMBER}", line)) and arch:
            subset = match.group(1).lower()
            rows += number_rows(f"{slide_title(arch)} slides, {loss}", arch, loss, obfuscation,
                                subset, match.group(2), match.group(3))
    return rows


def slide_title(arch: str) -> str:
    return {v: k for k, v in ARCHITECTURES.items()}[arch]


def comparison_tables(text: str) -> list[dict]:
    rows, loss, obfuscation = [], None, None
    section = text[text.index("# Results Comparison"):text.index("# Conclusion")]
    for line in section.splitlines():
        cells = [re.sub(r"</?b>", "", c).strip() for c in line.split("\t")]
        if len(cells) >= 2 and cells[1] == "Blurred Images" and cells[0] in TABLE_LOSSES:
            loss, obfuscation = TABLE_LOSSES[cells[0]], "blur"
        elif cells[0] == "Pixelated images":
            obfuscation = "pixelate"
        elif cells[0] in ARCHITECTURES and len(cells) == 5:
            arch = ARCHITECTURES[cells[0]]
            source = f"Results Comparison table, {loss} loss"
            rows += number_rows(source, arch, loss, obfuscation, "train", cells[1], cells[2])
            rows += number_rows(source, arch, loss, obfuscation, "test", cells[3], cells[4])
    return rows


def input_and_best_table(text: str) -> list[dict]:
    """Limitations slide: Blurred | Reconstructed blurred | Pixelated | Reconstructed pixelated,
    PSNR/SSIM on the training and the test set (the reconstructing network is not named)."""
    rows, subset = [], None
    columns = [("input", "blur"), ("best_reconstruction", "blur"), ("input", "pixelate"),
               ("best_reconstruction", "pixelate")]
    for line in text.splitlines():
        if line.strip() in ("Training set", "Test set"):
            subset = "train" if line.strip() == "Training set" else "test"
        elif line.strip().startswith("PSNR/SSIM") and subset:
            pairs = re.findall(rf"{NUMBER}/{NUMBER}", line)
            for (arch, obfuscation), (psnr, ssim) in zip(columns, pairs):
                rows += number_rows("Limitations slide, input vs reconstruction table", arch,
                                    None, obfuscation, subset, psnr, ssim)
    return rows


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    path = Path(argv[0]) if argv else next((ROOT.parent / "shared" / "study").glob("*.txt"))
    text = path.read_text()
    frame = pd.DataFrame(per_architecture_slides(text) + comparison_tables(text)
                         + input_and_best_table(text))
    out = ROOT / "results" / "reference" / "study.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out, index=False)
    print(f"{len(frame)} numbers from {path.name} -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
