"""LaTeX for a paper's tables: every table as a booktabs longtable in one font size, set where
the text places it (a long one breaks across pages), numbers right-aligned, with readable headers
and escaped text, rows with nothing scored named in one line under their table. The report
around them is document.py's. Tables need booktabs and longtable only."""
from __future__ import annotations

import pandas as pd

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
