"""LaTeX for a paper: every table as a booktabs longtable in one font size, set where the text
places it (a long one breaks across pages), numbers right-aligned, with readable headers and
escaped text, rows with nothing scored named in one line under their table;
results/<profile>/report.tex, which opens with a title, an abstract and the methods (front.py),
then the findings, the key figures, the tables in the study's order (the shared legend said
once), the other figures and the face grids last, each part following on the page where the
last ends (a part's figures are placed before the next part begins, and no page is cleared
otherwise); and report.pdf where pdflatex exists. The report's figures are copied into
results/<profile>/figures/, so that the folder compiles on its own. Tables need booktabs,
graphicx and longtable only, the layout flafter, the fonts lmodern (Type 1): all in
texlive-latex-base and -recommended."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd

from ..axes.architectures import ARCHITECTURES
from ..axes.losses import LOSSES
from ..axes.obfuscation import OBFUSCATIONS
from ..core import io

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
LONG_LINES = 30  # a table of more lines than this breaks across pages; a shorter one moves whole
TABLE_SIZE = r"\footnotesize\setlength{\tabcolsep}{3pt}"  # every table's font size and spacing
SPECIALS = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
            "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
            "^": r"\textasciicircum{}", "±": r"$\pm$", "−": "--", "–": "--", "σ": r"$\sigma$",
            "†": r"\textsuperscript{\dag}"}
BOLD_OPEN, BOLD_CLOSE = "\x02", "\x03"  # marks the best cells until they are escaped
# A cell on two lines (a mean and its interval below it), until it is escaped.
STACK_OPEN, STACK_BREAK, STACK_CLOSE = "\x05", "\x04", "\x06"
MARKS = {BOLD_OPEN: r"\textbf{", BOLD_CLOSE: "}", STACK_OPEN: r"\begin{tabular}[t]{@{}r@{}}",
         STACK_BREAK: r"\\{}", STACK_CLOSE: r"\end{tabular}"}


def text(value) -> str:
    """A cell or caption with LaTeX's special characters escaped; marked cells in bold or on
    two lines."""
    return "".join(MARKS.get(char, SPECIALS.get(char, char)) for char in str(value))


def stacked(cell) -> str:
    """'mean ± sd [low, high]' on two lines, the interval under the mean (bold kept around
    both): a table of intervals then fits a page's width."""
    cell = str(cell)
    if " [" not in cell:
        return cell
    bold = cell.startswith(BOLD_OPEN)
    inner = cell.strip(BOLD_OPEN + BOLD_CLOSE)
    marks = inner[len(inner.rstrip("*†")):]  # the marks go beside the mean
    inner = inner[:len(inner) - len(marks)].replace(" [", marks + STACK_BREAK + "[", 1)
    inner = STACK_OPEN + inner + STACK_CLOSE
    return BOLD_OPEN + inner + BOLD_CLOSE if bold else inner


# A configuration with nothing scored: it needs a retrain, or is not trained (formatting's
# RETRAIN and NOT_TRAINED; formatting imports this module).
UNSCORED = ("retrain", "not trained")
NOT_A_NUMBER = ("missing", *UNSCORED, "—", "")  # cells a numeric column may hold


def is_number(column: pd.Series) -> bool:
    """Whether a column of printed cells holds numbers (marks, intervals and the words for a
    missing value aside); a column of such words alone too (a number column with nothing in it
    yet)."""
    values = column.dropna().astype(str).str.replace(f"[{''.join(MARKS)}]", " ", regex=True).str.strip()
    given = len(values) > 0
    values = values[~values.isin(NOT_A_NUMBER)].str.replace(r"[\s*†±\[\],.\-−+e%<()n=]", "",
                                                           regex=True)
    return given and values.str.fullmatch(r"\d*").all()


HEADER_CHARS = 12  # a header wraps onto lines of about this many characters
CELL_CHARS = 22    # a longer text cell breaks at its ', ' or ' (' nearest the middle
WRAP_CHARS = 32    # a cell over two such lines (a sentence, e.g. a verdict) wraps on several


def wrapped(value: str, width: int) -> list[str]:
    """Words onto lines of at most `width` characters (a longer word keeps its line)."""
    lines: list[str] = []
    for word in value.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def broken(value: str) -> list[str]:
    """A long text cell on two lines, at the ', ' or ' (' nearest its middle (else a space);
    a sentence longer than two lines of WRAP_CHARS on lines of at most WRAP_CHARS."""
    if len(value) <= CELL_CHARS:
        return [value]
    if len(value) > 2 * WRAP_CHARS:
        return wrapped(value, WRAP_CHARS)
    cuts = ([i for i in range(len(value)) if value.startswith((", ", " ("), i)]
            or [i for i, char in enumerate(value) if char == " "])
    if not cuts:
        return [value]
    cut = min(cuts, key=lambda i: abs(i - len(value) / 2))
    first = value[:cut + 1] if value[cut] == "," else value[:cut]
    return [first, value[cut + 1:].lstrip()]


def lines_tex(lines: list[str], align: str, anchor: str = "t") -> str:
    """Lines of one cell, escaped; several as a nested tabular aligned as the column."""
    if len(lines) == 1:
        return text(lines[0])
    return (f"\\begin{{tabular}}[{anchor}]{{@{{}}{align}@{{}}}}"
            + r"\\{}".join(text(line) for line in lines) + r"\end{tabular}")


def cell_lines(value, align: str) -> int:
    """How many lines a cell takes: two for a mean over its interval or a broken text cell."""
    if pd.isna(value):
        return 1
    value = str(value)
    if STACK_BREAK in value:
        return 2
    return len(broken(value)) if align == "l" and not any(m in value for m in MARKS) else 1


def table_lines(frame: pd.DataFrame, align: str) -> int:
    """The lines of a table's body: each row as tall as its tallest cell."""
    return sum(max((cell_lines(v, a) for v, a in zip(row, align)), default=1)
               for row in frame.itertuples(index=False))


def cell_tex(value, align: str) -> str:
    if pd.isna(value):
        return ""
    value = str(value)
    if align == "l" and not any(mark in value for mark in MARKS):
        return lines_tex(broken(value), "l")
    return text(value)


def number_cells(frame: pd.DataFrame, align: str) -> pd.DataFrame:
    """The cells of the number columns as stripped text ('' for none)."""
    return frame.loc[:, [a == "r" for a in align]].map(
        lambda v: "" if pd.isna(v) else str(v).strip())


def unscored(frame: pd.DataFrame, align: str) -> pd.Series:
    """The rows with nothing scored: every number cell an unscored word, empty or a zero count
    (no seed scored), one at least a word. A table names them in one line instead of a row of
    repeated words each."""
    cells = number_cells(frame, align)
    words = cells.isin(UNSCORED)
    return words.any(axis=1) & (words | cells.isin(["", "0"])).all(axis=1)


def unscored_note(frame: pd.DataFrame, align: str) -> str:
    """'Without a score (retrain): Simple CNN, L1, Blurred; ...', one paragraph per word, each
    row named by its text cells."""
    names = frame.loc[:, [a == "l" for a in align]].apply(
        lambda row: ", ".join(str(v) for v in row if not pd.isna(v) and str(v).strip()), axis=1)
    word = number_cells(frame, align).apply(
        lambda row: next(v for v in row if v in UNSCORED), axis=1)
    return "\\par\\noindent ".join(
        f"Without a score ({text(w)}): {text('; '.join(names[word == w]))}."
        for w in dict.fromkeys(word))


def table_tex(frame: pd.DataFrame, caption: str, label: str, rule_before: int | None = None,
              landscape: bool = False) -> str:
    """A frame of printed cells as a booktabs table in the one size of every table
    (TABLE_SIZE): numbers right-aligned (fixed decimals, so decimal points line up), text left;
    rows with nothing scored (`unscored`) named in one line under it; a rule before row
    `rule_before` (the baselines under the networks). Every table is a longtable, set where
    the text places it (a float would drift past the longtables beside it, or leave its page
    empty): one of more than LONG_LINES lines breaks across pages, a shorter one never does
    (its rows end in \\\\*). Every table fits a 6.5 in text width (tests/test_report.py
    compiles them all so), or, `landscape`, a page turned (one too wide for any narrower
    layout, such as the findings)."""
    align = "".join("r" if is_number(frame[c]) else "l" for c in frame.columns)
    empty = unscored(frame, align)
    note = unscored_note(frame[empty], align) if empty.any() else ""
    rule = None if rule_before is None else int((~empty.iloc[:rule_before]).sum())
    frame = frame[~empty]
    if frame.empty:
        return f"\\paragraph{{{text(caption)}.}} {note}\n"
    end = r" \\" if table_lines(frame, align) > LONG_LINES else r" \\*"
    header = " & ".join(lines_tex(wrapped(str(c), HEADER_CHARS), a, "b")
                        for c, a in zip(frame.columns, align)) + r" \\"
    rows = "\n".join(("\\midrule\n" if i == rule else "")
                     + " & ".join(cell_tex(v, a) for v, a in zip(row, align)) + end
                     for i, row in enumerate(frame.itertuples(index=False)))
    caption = rf"\caption{{{text(caption)}}}\label{{tab:{label}}}"
    table = (f"{{{TABLE_SIZE}\\setlength{{\\LTcapwidth}}{{\\linewidth}}\n"
             f"\\begin{{longtable}}{{{align}}}\n{caption}\\\\*\n\\toprule\n{header}\n"
             f"\\midrule\n\\endfirsthead\n\\toprule\n{header}\n\\midrule\n\\endhead\n"
             f"\\bottomrule\n\\endlastfoot\n{rows}\n\\end{{longtable}}"
             + (f"\n\\nopagebreak\\noindent {note}\\par" if note else "") + "}\n")
    return f"\\begin{{landscape}}\n{table}\\end{{landscape}}\n" if landscape else table


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


def front_tex(settings, findings: dict, runs: pd.DataFrame) -> str:
    """The title (with the authors and the study reproduced), the abstract and the methods, from
    CITATION.cff, the findings' pieces and the profile's settings (front.py, imported here: it
    loads the data's and the recognisers' settings, which a table alone never needs)."""
    from . import front

    heading = front.title_block(settings)
    before, study, after = heading["credit"]
    credit = f"{text(before)}\\emph{{{text(study)}}}{text(after)}"
    paragraphs = [f"\\paragraph{{{text(name)}.}} {text(said)}"
                  for name, said in front.methods(settings)]
    return "\n".join([
        f"\\title{{{text(heading['title'])}}}",
        f"\\author{{{text(heading['authors'])}\\\\[2pt]{{\\small {credit}}}}}",
        f"\\date{{\\small {text(heading['profile'])}}}", "\\maketitle",
        "\\begin{abstract}", text(front.abstract_text(settings, findings, runs)),
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
        "recognition_vs_psnr": "Top-1 face recognition (eigenfaces + SVM) against test PSNR, "
        "one point per scored configuration (mean over its scored seeds, 95% interval) at the "
        "grid's mean test PSNR; lines: original faces, obfuscated faces, a recogniser trained "
        "on obfuscated faces, chance where it falls inside the axis.",
        "recognition_vs_psnr_dlib": "Top-1 face recognition by dlib's deep descriptor against "
        "test PSNR, one point per scored configuration; lines as for eigenfaces.",
        "identity_vs_psnr": "Identity distance of the test faces to their originals (dlib's "
        "descriptor; under the dashed line dlib calls them the same person) against test PSNR, "
        "one point per run that recorded it; crosses: non-learned baselines.",
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


KEY_FIGURES = ("test_psnr_ssim_losses_with_baselines", "test_psnr_ssim_architectures_x_losses",
               "identity_vs_psnr", "recognition_vs_psnr", "recognition_vs_psnr_dlib",
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
    from .plots import is_face_grid

    return (2 if is_face_grid(stem) else 1, 0, stem)


def copy_figures(figures: Path, results: Path) -> list[str]:
    """The page-wide figure PDFs copied into results/<profile>/figures/ (the folder's own copy,
    stale ones removed); their file names, in the report's order."""
    from .plots import is_page_wide

    target = io.writable_dir(results / "figures")
    pictures = sorted((p for p in figures.glob("*.pdf") if is_page_wide(p)),
                      key=lambda p: figure_order(p.stem))
    for stale in set(target.glob("*.pdf")) - {target / p.name for p in pictures}:
        stale.unlink()
    for path in pictures:
        io.write_bytes(target / path.name, path.read_bytes())
    return [p.name for p in pictures]


def write_report_tex(results: Path, figures: Path, settings, findings: dict, legend: str,
                     runs: pd.DataFrame) -> Path:
    """report.tex from the profile's settings, the findings (write_findings' pieces) and the
    runs, every table in results/tables (the comparison tables' `legend` said once, before
    them) and every figure PDF in `figures`; compile_report makes the PDF, on the console (a
    notebook never shows LaTeX's complaints)."""
    from .plots import is_face_grid

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
    return write_report(results, front_tex(settings, findings, runs), findings["tex_source"],
                        [p for p in parts if p[1]])


def compile_report(results: Path) -> str:
    """report.pdf from results/report.tex where pdflatex exists; one line saying what happened
    (the tables and figures stand without it: the PDF is a convenience)."""
    tex = results / "report.tex"
    try:
        pdf = compile_pdf(tex)
    except io.OutputError as error:
        return f"report.pdf not built: {error}"
    return f"report:  {pdf}" if pdf else f"report:  {tex} (no pdflatex here to build the PDF)"
