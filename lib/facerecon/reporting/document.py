"""results/<profile>/report.tex, which opens with a title, an abstract and the methods (front.py),
then the findings, the key figures, the tables in the study's order (the shared legend said
once), the other figures and the face grids last, each part following on the page where the
last ends (a part's figures are placed before the next part begins, and no page is cleared
otherwise); and report.pdf where pdflatex exists. The report's figures are copied into
results/<profile>/figures/, so that the folder compiles on its own. Its tables are latex.py's;
the layout needs flafter and pdflscape, the fonts lmodern (Type 1): all in texlive-latex-base
and -recommended."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pandas as pd

from ..axes.architectures import ARCHITECTURES
from ..axes.losses import LOSSES
from ..axes.measures import TABLE_MEASURES
from ..axes.obfuscation import OBFUSCATIONS
from ..core import io
from . import front
from .latex import text
from .leaders import FIGURE_MEASURE, REGION_FIGURE
from .plots import COLUMN_SUFFIX, is_face_grid, is_page_wide

PREAMBLE = r"""\documentclass[10pt]{article}
\usepackage[T1]{fontenc}
\usepackage[utf8]{inputenc}
\usepackage{lmodern}
\usepackage[margin=1in]{geometry}
\usepackage{booktabs,longtable,graphicx,pdflscape}
\usepackage{flafter} % a float never comes before the text that places it (its part's heading)
% Figures may fill most of a text page, so that they share pages with text and with each other
% instead of each waiting for a float page of its own.
\renewcommand{\topfraction}{0.9}
\renewcommand{\bottomfraction}{0.8}
\renewcommand{\textfraction}{0.07}
\renewcommand{\floatpagefraction}{0.7}
\setcounter{topnumber}{4}
\setcounter{bottomnumber}{2}
\setcounter{totalnumber}{6}
% Before a part: its predecessor's figures still waiting are placed first (a new page only
% then), so that no figure drifts into the next part.
\makeatletter
\newcommand{\floatbarrier}{\par\begingroup\let\@elt\relax
  \edef\@tempa{\@botlist\@deferlist}\ifx\@tempa\@empty\else\clearpage\fi\endgroup}
% A part's heading starts a new page where less than #1 is left (needspace.sty's way): it never
% stands at a page's foot with its content overleaf.
\newcommand{\needspace}[1]{\par\begingroup\setlength{\dimen@}{#1}%
  \vskip\z@\@plus\dimen@\penalty-100\vskip\z@\@plus-\dimen@
  \vskip\dimen@\penalty9999\vskip-\dimen@\vskip\z@skip\endgroup}
\makeatother
"""


def document(body: str) -> str:
    return f"{PREAMBLE}\\begin{{document}}\n{body}\n\\end{{document}}\n"


def figure_tex(name: str, caption: str) -> str:
    """A figure (figures/<name>, beside report.tex) with its caption."""
    return (f"\\begin{{figure}}[htbp]\n\\centering\n"
            f"\\includegraphics[width=\\linewidth,height=0.8\\textheight,keepaspectratio]"
            f"{{figures/{name}}}\n"
            f"\\caption{{{text(caption)}}}\n\\end{{figure}}\n")


def markdown_tex(markdown: str) -> str:
    """The findings' Markdown in LaTeX: **bold**, bullet lists, paragraphs and \\input lines
    (all it uses)."""
    out, listed = [], False
    for line in markdown.splitlines():
        bullet = line.startswith("- ")
        if bullet != listed:
            out.append("\\begin{itemize}" if bullet else "\\end{itemize}")
            listed = bullet
        if line.startswith("\\input{"):  # LaTeX already (a table's input)
            out.append(line)
            continue
        body = text(line[2:] if bullet else line)
        body = re.sub(r"\*\*(.+?)\*\*", r"\\textbf{\1}", body)
        out.append(f"\\item {body}" if bullet else body)
    return "\n".join(out + (["\\end{itemize}"] if listed else []))


def front_tex(profile, findings: dict, runs: pd.DataFrame) -> str:
    """The title (with the authors and the study reproduced), the abstract and the methods, from
    CITATION.cff, the findings' pieces and the profile's settings (front.py)."""
    heading = front.title_block(profile)
    before, study, after = heading["credit"]
    credit = f"{text(before)}\\emph{{{text(study)}}}{text(after)}"
    paragraphs = [f"\\paragraph{{{text(name)}.}} {text(said)}"
                  for name, said in front.methods(profile)]
    return "\n".join([
        f"\\title{{{text(heading['title'])}}}",
        f"\\author{{{text(heading['authors'])}\\\\[2pt]{{\\small {credit}}}}}",
        f"\\date{{\\small {text(heading['profile'])}}}", "\\maketitle",
        "\\begin{abstract}", text(front.abstract_text(profile, findings, runs)),
        "\\end{abstract}", "\\section*{Methods}", *paragraphs])


PART_SPACE = 0.3  # of the text height: a part starts on a new page where less than this is left


# A part that opens with a figure needs room for it below its heading, else the heading is left
# alone at the foot of a page and its figure floats to the next.
FIGURE_PART_SPACE = 0.6


def write_report(folder: Path, front: str, findings: str, parts: list[tuple[str, list[str]]]
                 ) -> Path:
    """results/<profile>/report.tex: the front (LaTeX), the findings (Markdown), then each part:
    a heading and its lines (table inputs, figures, text). A part follows on the page where the
    last ends, unless less than PART_SPACE (FIGURE_PART_SPACE for a part that opens with a
    figure) is left there or figures of the last part still wait
    (\\floatbarrier): no part's figure drifts into the next, and no page is left near empty
    before a short part."""
    body = [front, "\\section*{Findings}", markdown_tex(findings)]
    for title, lines in parts:
        room = FIGURE_PART_SPACE if lines and lines[0].startswith("\\begin{figure}") \
            else PART_SPACE
        body += ["\\floatbarrier", f"\\needspace{{{room}\\textheight}}",
                 f"\\section*{{{text(title)}}}", *lines]
    path = folder / "report.tex"
    io.write_text(path, document("\n".join(body)))
    return path


def compile_pdf(tex: Path) -> Path | None:
    """pdflatex, twice (longtables settle their widths), reading from the file's folder and
    writing into a folder of its own beside it, whose PDF then replaces the previous one: a
    failure (a full disk, a LaTeX error) leaves the previous PDF and nothing else, and raises
    with the log's first error. None where there is no pdflatex."""
    engine = shutil.which("pdflatex")
    if engine is None:
        return None
    try:
        build = Path(tempfile.mkdtemp(prefix=".pdflatex-", dir=tex.parent))
    except OSError as error:
        raise io.output_error(tex.parent, error) from None
    try:
        for _ in range(2):
            done = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error",
                                   f"-output-directory={build.name}", tex.name],
                                  cwd=tex.parent, capture_output=True, text=True)
            if done.returncode:
                error = next((line for line in done.stdout.splitlines()
                              if line.startswith("!")), done.stdout[-300:])
                raise io.OutputError(f"pdflatex could not compile {tex}: {error}")
        os.replace(build / tex.with_suffix(".pdf").name, tex.with_suffix(".pdf"))
    finally:
        shutil.rmtree(build, ignore_errors=True)
    return tex.with_suffix(".pdf")


def figure_caption(stem: str) -> str:
    """What a figure of figures/<profile>/ shows, from its file name (either width)."""
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
        "recognition_vs_psnr": "Top-1 face recognition (eigenfaces + SVM) against test PSNR, "
        "one point per scored configuration (mean over its scored seeds, 95% interval) at the "
        "grid's mean test PSNR; lines: original faces, obfuscated faces, a recogniser trained "
        "on obfuscated faces, chance where it falls inside the axis.",
        "recognition_vs_psnr_dlib": "Top-1 face recognition by dlib's deep descriptor against "
        "test PSNR, one point per scored configuration; lines as for eigenfaces.",
        "identity_vs_psnr": "Identity distance of the test faces to their originals (dlib's "
        "descriptor; under the dashed line dlib calls them the same person) against test PSNR, "
        "one point per run that recorded it; crosses: non-learned baselines.",
        REGION_FIGURE: "Where test PSNR is gained over the obfuscated input: in the border no "
        "SSIM window centres on against inside the window's centres, one point per "
        "configuration (mean over seeds); under the dotted diagonal a network gains less in the "
        "border than inside. Each panel has its own scale.",
    }
    if stem in fixed:
        return fixed[stem]
    if stem.startswith("training_curves_"):
        return f"Training curves per loss: {named(stem[len('training_curves_'):])}."
    if stem.startswith("reconstructions_") and stem.endswith("_best_loss"):
        arch = stem[len("reconstructions_"):-len("_best_loss")]
        return (f"Test faces reconstructed by the {ARCHITECTURES[arch].label} under its best "
                f"loss per obfuscation by mean test {TABLE_MEASURES[FIGURE_MEASURE].label} over "
                "seeds (the findings' pick), shown from its lowest seed: original, obfuscated, "
                "reconstructed.")
    return stem.replace("_", " ")


KEY_FIGURES = ("test_psnr_ssim_losses_with_baselines", "test_psnr_ssim_architectures_x_losses",
               REGION_FIGURE, "identity_vs_psnr", "recognition_vs_psnr", "recognition_vs_psnr_dlib",
               "strength_sweep")
TABLE_SECTIONS = [("Each loss: the architectures and baselines", "loss_"),
                  ("Each architecture: the losses side by side", "architecture_"),
                  ("Obfuscated input against the best reconstruction", "input_vs_reconstruction"),
                  ("Each loss against L2", "significance_vs_l2"),
                  ("Identity-disjoint split", "identity_disjoint"),
                  ("Face recognition", "recognition"),
                  ("The strength sweep", "strength_sweep")]


def study_order(name: str) -> tuple:
    """Tables in the study's order: losses L2, L1, PSNR, SSIM, PSNR+SSIM, MS-SSIM+L1; the
    study's architectures, the reference row last; blurred before pixelated."""
    kind, _, rest = name.partition("_")
    axis = {"loss": list(LOSSES), "architecture": list(ARCHITECTURES)}.get(kind)
    head, _, obfuscation = rest.rpartition("_")
    if axis is None or head not in axis or obfuscation not in OBFUSCATIONS:
        return (0, name)
    return (axis.index(head), list(OBFUSCATIONS).index(obfuscation))


def figure_order(stem: str) -> tuple:
    """The key figures first (KEY_FIGURES' order), the face grids last."""
    if stem in KEY_FIGURES:
        return (0, KEY_FIGURES.index(stem), stem)

    return (2 if is_face_grid(stem) else 1, 0, stem)


def copy_figures(figures: Path, results: Path) -> list[str]:
    """The page-wide figure PDFs copied into results/<profile>/figures/ (the folder's own copy,
    stale ones removed); their file names, in the report's order."""
    target = io.writable_dir(results / "figures")
    pictures = sorted((p for p in figures.glob("*.pdf") if is_page_wide(p)),
                      key=lambda p: figure_order(p.stem))
    for stale in set(target.glob("*.pdf")) - {target / p.name for p in pictures}:
        stale.unlink()
    for path in pictures:
        io.write_bytes(target / path.name, path.read_bytes())
    return [p.name for p in pictures]


def write_report_tex(results: Path, figures: Path, profile, findings: dict, legend: str,
                     runs: pd.DataFrame) -> Path:
    """report.tex from the profile's settings, the findings (write_findings' pieces) and the
    runs, every table in results/tables (the comparison tables' `legend` said once, before
    them) and every figure PDF in `figures`; compile_report makes the PDF, on the console (a
    notebook never shows LaTeX's complaints)."""
    names = [p.stem for p in (results / "tables").glob("*.tex")]
    pictures = copy_figures(figures, results)

    def shown(names_: list[str]) -> list[str]:
        return [figure_tex(n, figure_caption(Path(n).stem)) for n in names_]

    key = [n for n in pictures if Path(n).stem in KEY_FIGURES]
    grids = [n for n in pictures if is_face_grid(n)]
    tables = [(title, [f"\\input{{tables/{n}.tex}}" for n in
                       sorted((n for n in names if n.startswith(prefix)), key=study_order)])
              for title, prefix in TABLE_SECTIONS]
    tables = [(title, lines) for title, lines in tables if lines]
    if tables:
        tables[0] = (tables[0][0], [f"\\paragraph{{Legend of every comparison table.}} "
                                    f"{text(legend)}", *tables[0][1]])
    parts = [("Key figures", shown(key)), *tables,
             ("Further figures", shown([n for n in pictures if n not in key + grids])),
             ("Faces", shown(grids))]
    return write_report(results, front_tex(profile, findings, runs), findings["tex_source"],
                        [p for p in parts if p[1]])


def compile_report(results: Path) -> tuple[str, bool]:
    """report.pdf from results/report.tex where pdflatex exists: one line saying what happened,
    and whether it failed (the previous report.pdf then stands)."""
    tex = results / "report.tex"
    try:
        pdf = compile_pdf(tex)
    except io.OutputError as error:
        return f"report.pdf not built (the previous one stands): {error}", True
    if pdf is None:
        return f"report:  {tex} (no pdflatex here to build the PDF)", False
    return f"report:  {pdf}", False
