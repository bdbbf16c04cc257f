"""LaTeX for a paper: every table as booktabs that fits a page (a float scaled down to the text
width where wider, or a longtable across pages when it is long), with readable headers and
escaped text; results/<profile>/report.tex, which inputs every table and includes every figure
with its caption; and report.pdf where pdflatex exists. Tables need booktabs, graphicx and
longtable only (all in texlive-latex-recommended)."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd

from ..axes.architectures import ARCHITECTURES
from ..axes.obfuscation import OBFUSCATIONS
from ..core import io

PREAMBLE = r"""\documentclass[10pt]{article}
\usepackage[T1]{fontenc}
\usepackage[utf8]{inputenc}
\usepackage[margin=0.8in]{geometry}
\usepackage{booktabs,longtable,graphicx}
"""
LONG_ROWS = 30  # a table longer than this breaks across pages
SPECIALS = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
            "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
            "^": r"\textasciicircum{}", "±": r"$\pm$", "−": "--", "–": "--", "σ": r"$\sigma$"}
BOLD_OPEN, BOLD_CLOSE = "\x02", "\x03"  # marks the best cells until they are escaped


def text(value) -> str:
    """A cell or caption with LaTeX's special characters escaped; marked cells in bold."""
    escaped = "".join(SPECIALS.get(char, char) for char in str(value))
    return escaped.replace(BOLD_OPEN, r"\textbf{").replace(BOLD_CLOSE, "}")


def is_number(column: pd.Series) -> bool:
    values = column.dropna().astype(str).str.replace(r"[\s*±\[\],.\-−+e%<]|missing", "",
                                                     regex=True)
    return len(values) > 0 and values.str.fullmatch(r"\d*").all()


def table_tex(frame: pd.DataFrame, caption: str, label: str) -> str:
    """A frame of printed cells as a booktabs table: numbers right-aligned (fixed decimals, so
    decimal points line up), text left; scaled down to the text width where wider; a longtable
    where it has more than LONG_ROWS rows."""
    align = "".join("r" if is_number(frame[c]) else "l" for c in frame.columns)
    header = " & ".join(text(c) for c in frame.columns) + r" \\"
    rows = "\n".join(" & ".join("" if pd.isna(v) else text(v) for v in row) + r" \\"
                     for row in frame.itertuples(index=False))
    caption = rf"\caption{{{text(caption)}}}\label{{tab:{label}}}"
    if len(frame) > LONG_ROWS:
        return (f"{{\\footnotesize\\setlength{{\\tabcolsep}}{{3pt}}"
                f"\\setlength{{\\LTcapwidth}}{{\\linewidth}}\n"
                f"\\begin{{longtable}}{{{align}}}\n{caption}\\\\\n\\toprule\n{header}\n"
                f"\\midrule\n\\endfirsthead\n\\toprule\n{header}\n\\midrule\n\\endhead\n"
                f"\\bottomrule\n\\endlastfoot\n{rows}\n\\end{{longtable}}}}\n")
    # Measured in a box first: scaled to the text width only where wider.
    return (f"\\begin{{table}}[htbp]\n\\centering\\small\n{caption}\n"
            f"\\sbox0{{\\begin{{tabular}}{{{align}}}\n\\toprule\n{header}\n\\midrule\n{rows}\n"
            f"\\bottomrule\n\\end{{tabular}}}}\n"
            f"\\ifdim\\wd0>\\linewidth\\resizebox{{\\linewidth}}{{!}}{{\\usebox0}}"
            f"\\else\\usebox0\\fi\n\\end{{table}}\n")


def document(body: str) -> str:
    return f"{PREAMBLE}\\begin{{document}}\n{body}\n\\end{{document}}\n"


def figure_tex(path: Path, caption: str, folder: Path) -> str:
    """A figure (its PDF, by a path relative to the .tex in `folder`) with its caption."""
    where = Path(os.path.relpath(Path(path).resolve(), Path(folder).resolve())).as_posix()
    return (f"\\begin{{figure}}[htbp]\n\\centering\n"
            f"\\includegraphics[width=\\linewidth,height=0.8\\textheight,keepaspectratio]"
            f"{{{where}}}\n"
            f"\\caption{{{text(caption)}}}\n\\end{{figure}}\n")


def write_report(folder: Path, profile: str, sections: list[tuple[str, list[str]]],
                 figures: list[tuple[Path, str]]) -> Path:
    """results/<profile>/report.tex: each section's tables (\\input from tables/) and every
    figure (PDF) with its caption."""
    body = [f"\\section*{{Results: {text(profile)} profile}}"]
    for title, names in sections:
        body.append(f"\\subsection*{{{text(title)}}}")
        body += [f"\\input{{tables/{name}.tex}}" for name in names]
        body.append("\\clearpage")  # the section's tables before the next heading
    body.append("\\subsection*{Figures}")
    body += [figure_tex(path, caption, folder) for path, caption in figures]
    path = folder / "report.tex"
    io.write_text(path, document("\n".join(body)))
    return path


def compile_pdf(tex: Path) -> Path | None:
    """pdflatex, twice (longtables settle their widths), in the file's folder; None where there
    is no pdflatex. A failure raises with the log's first error."""
    engine = shutil.which("pdflatex")
    if engine is None:
        return None
    for _ in range(2):
        done = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", tex.name],
                              cwd=tex.parent, capture_output=True, text=True)
        if done.returncode:
            error = next((line for line in done.stdout.splitlines() if line.startswith("!")),
                         done.stdout[-300:])
            raise io.OutputError(f"pdflatex could not compile {tex}: {error}")
    for suffix in (".aux", ".log", ".out"):
        tex.with_suffix(suffix).unlink(missing_ok=True)
    return tex.with_suffix(".pdf")


def figure_caption(stem: str) -> str:
    """What a figure of figures/<profile>/ shows, from its file name (either width)."""
    from .plots import COLUMN_SUFFIX

    stem = stem.removesuffix(COLUMN_SUFFIX)

    def named(rest: str) -> str:
        arch, _, obfuscation = rest.rpartition("_")
        return f"{ARCHITECTURES[arch].label}, {OBFUSCATIONS[obfuscation].label.lower()} faces"

    fixed = {
        "sample_faces_original_blurred_pixelated": "Test faces: original, blurred, pixelated.",
        "obfuscation_calibration": "Per-face PSNR and SSIM of our obfuscated faces for every "
        "candidate strength, with the study's example faces marked.",
        "test_psnr_ssim_architectures_x_losses": "Test PSNR and SSIM of every architecture "
        "under every loss (means over seeds).",
        "test_psnr_ssim_losses_with_baselines": "Test PSNR and SSIM per loss (mean over seeds, "
        "95% bootstrap interval over test faces), the non-learned baselines as lines.",
        "strength_sweep": "Test PSNR and SSIM of one network trained at every candidate "
        "strength, beside the obfuscated input and the study's number for that network.",
        "recognition_vs_psnr": "Top-1 face recognition against test PSNR, one point per run; "
        "lines: original faces, obfuscated faces, a recogniser trained on obfuscated faces, "
        "chance.",
        "recognition_vs_psnr_dlib": "Top-1 face recognition by dlib's deep descriptor against "
        "test PSNR, one point per run; lines as for eigenfaces.",
        "identity_vs_psnr": "Identity distance of the test faces to their originals (dlib's "
        "descriptor; under the dashed line dlib calls them the same person) against test PSNR, "
        "one point per run; crosses: non-learned baselines.",
    }
    if stem in fixed:
        return fixed[stem]
    if stem.startswith("training_curves_"):
        return f"Training curves per loss: {named(stem[len('training_curves_'):])}."
    if stem.startswith("reconstructions_") and stem.endswith("_best_loss"):
        arch = stem[len("reconstructions_"):-len("_best_loss")]
        return (f"Test faces reconstructed by the {ARCHITECTURES[arch].label} under its best "
                "loss: original, obfuscated, reconstructed.")
    return stem.replace("_", " ")


TABLE_SECTIONS = [("Each loss: the architectures and baselines", "loss_"),
                  ("Each architecture: the losses side by side", "architecture_"),
                  ("Obfuscated input against the best reconstruction", "input_vs_reconstruction"),
                  ("Each loss against L2", "significance_vs_l2"),
                  ("Identity-disjoint split", "identity_disjoint"),
                  ("Face recognition", "recognition"),
                  ("The strength sweep", "strength_sweep")]


def write_and_compile(results: Path, figures: Path, profile: str) -> Path:
    """report.tex from every table in results/tables and every figure PDF in `figures`, and
    report.pdf beside it where pdflatex exists (the path of what was written last)."""
    names = sorted(p.stem for p in (results / "tables").glob("*.tex"))
    sections = [(title, [n for n in names if n.startswith(prefix)])
                for title, prefix in TABLE_SECTIONS]
    from .plots import is_page_wide

    pictures = [(p, figure_caption(p.stem)) for p in sorted(figures.glob("*.pdf"))
                if is_page_wide(p)]
    tex = write_report(results, profile, [s for s in sections if s[1]], pictures)
    try:
        return compile_pdf(tex) or tex
    except io.OutputError as error:  # the tables and figures stand; the PDF is a convenience
        print(f"report.pdf not built: {error}")
        return tex
