"""Tables, statistics and the reproduction report from a profile with a single finished run,
and the study's conclusions checked on the study's own numbers."""
import numpy as np
import pandas as pd
import pytest

from facerecon.core.io import PROJECT_ROOT
from facerecon.data import baselines
from facerecon.experiment.config import RunConfig, load_profile
from facerecon.reporting import build as report
from facerecon.reporting import conclusions, formatting, reproduction, study_reference
from facerecon.training import train

from support import copy_of, require_tools, synthetic_dataset_of


@pytest.fixture(scope="module")
def single_run_report(trained_run, tmp_path_factory):
    """The report of a profile with a single finished run (simple_cnn, L2, blur, seed 0)."""
    root = tmp_path_factory.mktemp("single")
    results = copy_of(trained_run, root)
    baselines.run_baselines(synthetic_dataset_of(), results)
    built = report.build_report(load_profile("smoke"), results, root / "figures")
    return root, built


def test_one_seed_shows_the_mean_alone_and_missing_runs_as_missing(single_run_report):
    root, built = single_run_report
    table = built["tables"]["loss_l2_blur"]
    ran = table[table["architecture"] == "simple_cnn"].iloc[0]
    assert ran["n_seeds"] == 1 and np.isnan(ran["test_psnr_sd"])
    shown = formatting.formatted(table, "{}").set_index("")
    cell = shown.loc["Simple CNN", "Test PSNR (dB)"]
    assert "±" not in cell and "[" not in cell and shown.loc["Simple CNN", "n"] == "1"
    assert shown.loc["SRResNet", "Test PSNR (dB)"] == "missing"
    assert "[" in shown.loc["Wiener deconvolution (no model)", "Test PSNR (dB)"]
    saved = pd.read_csv(root / "results" / "smoke" / "tables" / "loss_l2_blur.csv")
    assert saved.loc[saved["architecture"] == "srresnet", "test_psnr"].isna().all()
    assert (saved["status"] == "missing").sum() == 3


def test_nothing_to_test_gives_empty_tables_not_errors(single_run_report):
    root, built = single_run_report
    assert built["tables"]["significance_vs_l2"].empty
    assert built["tables"]["identity_disjoint"].empty
    for name in ("significance_vs_l2", "identity_disjoint"):
        assert (root / "results" / "smoke" / "tables" / f"{name}.md").exists()


def test_conclusions_need_every_run_and_say_what_is_missing(single_run_report):
    root, built = single_run_report
    written = pd.read_csv(root / "results" / "smoke" / "reproduction.csv")
    checks = written[written["section"] == "conclusion"]
    assert len(checks) == len(conclusions.CONCLUSIONS)
    assert checks["holds_in_ours"].isna().all()
    assert checks["evidence"].str.contains("missing").all()
    said = reproduction.conclusions_text(built["tables"]["reproduction"])
    assert said.count("in ours it cannot be decided yet (runs are missing)") == len(checks)
    assert "nan" not in said
    numbers = written[written["section"] == "number"]
    ours = numbers[numbers["ours"].notna()]
    assert set(ours["architecture"]) <= {"simple_cnn", "input", "best_reconstruction"}
    np.testing.assert_allclose(ours["difference"], ours["ours"] - ours["study"])


def test_the_study_numbers_give_the_study_conclusions():
    """Worked out by hand from the slides' summary tables."""
    means = study_reference.study_means(study_reference.load_reference())
    assert len(means) == 3 * 5 * 2 + 2
    assert conclusions.ssim_losses_beat_l2(means)[0] is True
    holds, evidence = conclusions.psnr_ssim_best_or_tied(means)
    assert holds is False and "Simple CNN, blurred vs SSIM" in evidence
    assert conclusions.residual_autoencoder_best_blur_ssim(means)[0] is True
    assert conclusions.l1_beats_l2(means)[0] is False  # e.g. Simple CNN, pixelation
    assert means.loc[("srresnet", "psnr_ssim", "blur"), "test_psnr"] == 29.1476


def test_a_check_holds_only_when_every_comparison_does():
    assert conclusions.verdict([("a", 2.0, 1.0), ("b", 3.0, 1.0)])[0] is True
    assert conclusions.verdict([("a", 2.0, 1.0), ("b", 1.0, 1.0)])[0] is False
    assert conclusions.verdict([("a", 1.0, 1.0)], strict=False)[0] is True
    holds, evidence = conclusions.verdict([("a", 2.0, 1.0), ("b", np.nan, 1.0)])
    assert holds is None and "missing 1 of 2" in evidence


def test_the_reference_numbers_are_what_the_slides_say(tmp_path, monkeypatch):
    """results/reference/study.csv is the transcription script's output for the study's slides."""
    import importlib.util

    slides = sorted((PROJECT_ROOT.parent / "shared" / "study").glob("*.txt"))
    if not slides:
        pytest.skip("no ../shared/study slides to transcribe (reference-data test)")
    spec = importlib.util.spec_from_file_location(
        "study_reference", PROJECT_ROOT / "scripts" / "study_reference.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    monkeypatch.setattr(script, "ROOT", tmp_path)
    script.main([str(slides[0])])
    fresh = pd.read_csv(tmp_path / "results" / "reference" / "study.csv")
    pd.testing.assert_frame_equal(fresh, study_reference.load_reference())


def unescaped_latex(path) -> list[str]:
    """Characters that LaTeX reads as commands outside a \\label: an unescaped % comments out
    the rest of its line, _ # $ break text mode."""
    import re

    text = re.sub(r"\\label\{[^}]*\}", "", path.read_text())
    text = re.sub(r"\$\\(pm|sigma)\$", "", text)  # the only math the tables write
    return re.findall(r"(?<!\\)[%_#$]", text)


def test_latex_tables_escape_what_latex_needs(single_run_report):
    root, _ = single_run_report
    written = sorted((root / "results" / "smoke" / "tables").glob("*.tex"))
    committed = sorted(PROJECT_ROOT.glob("results/*/tables/*.tex"))
    assert written
    for path in written + committed:
        assert not unescaped_latex(path), path


def test_both_ssim_conventions_stand_beside_the_studys_numbers(single_run_report):
    root, built = single_run_report
    table = built["tables"]["reproduction"]
    numbers = table[table["section"] == "number"]
    ran = numbers[(numbers["architecture"] == "simple_cnn") & (numbers["loss"] == "l2")
                  & (numbers["obfuscation"] == "blur") & (numbers["metric"] == "ssim")]
    assert len(ran) == 2 and ran["ours_ssim_uniform"].notna().all()
    assert (ran["ours_ssim_uniform"] - ran["ours"]).abs().min() > 1e-4
    inputs = numbers[(numbers["architecture"] == "input") & (numbers["metric"] == "ssim")]
    assert inputs["ours_ssim_uniform"].notna().all()
    assert numbers.loc[numbers["metric"] == "psnr", "ours_ssim_uniform"].isna().all()
    report = (root / "results" / "smoke" / "reproduction.md").read_text()
    assert "scikit-image SSIM" in report and "single example faces" in report


def test_every_committed_table_compiles_and_fits_the_page(tmp_path):
    """Every committed .tex table in one document with the report's preamble (a 6.5 in text
    width): pdflatex must compile it with no line wider than the text (an overfull box over
    1 pt), every table in one font size (none scaled to fit)."""
    import re
    import subprocess

    from facerecon.reporting import document

    require_tools("pdflatex")
    tables = sorted(PROJECT_ROOT.glob("results/*/tables/*.tex"))
    assert tables
    body = "\\typeout{TEXTWIDTH \\the\\linewidth}\n" + "\n".join(
        f"\\input{{{path.as_posix()}}}\n\\clearpage" for path in tables)
    (tmp_path / "all_tables.tex").write_text(document.document(body))
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                          "all_tables.tex"], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-2000:]
    # 1-inch margins on letter paper: the 6.5 in (469.755 pt) text width journals give.
    width = float(re.search(r"TEXTWIDTH ([\d.]+)pt", run.stdout).group(1))
    assert abs(width - 6.5 * 72.27) < 0.01, width
    assert "resizebox" not in "".join(p.read_text() for p in tables)  # one font size for all
    overfull = [float(x) for x in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide",
                                             run.stdout)]
    assert not [x for x in overfull if x > 1.0], overfull


def test_identity_is_a_table_column_and_a_paired_test_and_an_old_run_says_retrain(tmp_path):
    """The deep descriptor's identity distance (lower is better) in the tables and against L2;
    a run trained before it was recorded shows 'retrain', not 'missing'."""
    import json

    dataset = synthetic_dataset_of()
    results = tmp_path / "results"
    for loss in ("l2", "ssim"):
        for seed in (0, 1):
            train.train_run(RunConfig("simple_cnn", loss, "blur", seed, "smoke"), dataset,
                            results, verbose=0)
    built = report.build_report(load_profile("smoke"), results, tmp_path / "figures")
    row = built["tables"]["architecture_simple_cnn_blur"].set_index("loss").loc["ssim"]
    assert 0 < row["test_identity"] and row["test_identity_vs_l2"] in (
        "higher", "lower", "not resolved")
    significance = built["tables"]["significance_vs_l2"]
    assert (significance["metric"] == "test_identity").sum() == 1
    assert (tmp_path / "figures" / "smoke" / "identity_vs_psnr.png").exists()
    for seed in (0, 1):  # as runs trained before identity was recorded
        folder = results / "smoke" / "runs" / f"simple_cnn__ssim__blur__seed{seed}"
        per_image = pd.read_csv(folder / "per_image.csv")
        per_image.drop(columns=[c for c in per_image if "identity" in c or "same_person" in c]
                       ).to_csv(folder / "per_image.csv", index=False)
        metrics = json.loads((folder / "metrics.json").read_text())
        (folder / "metrics.json").write_text(json.dumps(
            {k: v for k, v in metrics.items() if "identity" not in k and "same_person" not in k}))
    again = report.build_report(load_profile("smoke"), results, tmp_path / "figures")
    shown = formatting.formatted(again["tables"]["architecture_simple_cnn_blur"], "{}")
    cells = shown.set_index("")["Test ID distance"]
    assert cells["SSIM"] == formatting.RETRAIN
    assert cells["L2"] not in (formatting.RETRAIN, "missing") and cells["L1"] == "missing"
    assert (again["tables"]["significance_vs_l2"]["metric"] == "test_identity").sum() == 0


def test_the_reproduction_report_names_the_convention_nearest_the_studys_numbers():
    table = pd.DataFrame({"section": "number", "metric": ["psnr", "psnr", "ssim", "ssim"],
                          "study": [24.0, 26.0, 0.70, 0.80], "ours": [25.0, 27.0, 0.75, 0.85],
                          "ours_y": [24.2, 26.1, 0.60, 0.70],
                          "ours_ssim_uniform": [np.nan, np.nan, 0.71, 0.81]})
    text = reproduction.convention_fit(table)
    assert "PSNR: RGB 1.00 (n = 2), Y 0.15 (n = 2), nearest in Y" in text
    assert "nearest in RGB, scikit-image SSIM" in text


def test_the_findings_open_the_report_and_say_what_cannot_be_decided(single_run_report):
    """With one run of the grid, nothing is decided: the findings say so, with the runs each cell
    waits for, in findings.md, at the top of report.tex and in the build's text."""
    from facerecon.axes.measures import TABLE_MEASURES, better_than
    from facerecon.experiment.config import STUDY_LOSSES

    root, built = single_run_report
    results = root / "results" / "smoke"
    findings = (results / "findings.md").read_text()
    table = pd.read_csv(results / "findings.csv", keep_default_na=False, na_values=[""])
    blur_cnn = table[(table["architecture"] == "simple_cnn") & (table["obfuscation"] == "blur")
                     & (table["measure"] != "identity")]
    runs = pd.read_csv(results / "all_runs.csv")
    grid = runs[(runs["architecture"] == "simple_cnn") & (runs["obfuscation"] == "blur")
                & (runs["split"] == "random") & runs["loss"].isin(STUDY_LOSSES)]
    missing = int((grid["status"] != "finished").sum())
    assert missing > 0
    ran = grid[grid["status"] == "finished"]
    waits = f"open: waits for {missing} runs: "
    for row in blur_cnn.itertuples():  # the one loss that ran leads where it beats its input
        mean = ran[f"test_{row.measure}"].mean()
        if better_than(mean, row.input_mean, TABLE_MEASURES[row.measure]):
            assert row.best_loss == "l2" and row.verdict.startswith(waits)
        else:
            assert pd.isna(row.best_loss) and row.verdict.startswith("no network restores here")
            assert waits in row.verdict
    undecided = "Not answerable yet"
    assert findings.startswith(f"**Which loss restores faces best?** {undecided}")
    assert "1 of " in findings and "runs exist" in findings  # completeness, where it is read
    tex = (results / "report.tex").read_text()
    assert tex.index("Findings") < tex.index("Key figures") if "Key figures" in tex else True
    assert tex.index("\\input{tables/findings.tex}") < tex.index("\\input{tables/loss_")
    assert undecided in built["findings"]["answer"]


def test_an_empty_table_is_one_sentence(single_run_report):
    root, _ = single_run_report
    tables = root / "results" / "smoke" / "tables"
    for name in ("identity_disjoint", "significance_vs_l2", "loss_ms_ssim_l1_blur"):
        tex = (tables / f"{name}.tex").read_text()
        assert "tabular" not in tex and tex.startswith("\\paragraph{"), name


@pytest.fixture(scope="module")
def report_pdf(single_run_report, tmp_path_factory):
    """The single run's results/smoke/ copied on its own and its report.tex compiled there."""
    import shutil

    from facerecon.reporting import document

    require_tools("pdflatex")
    root, _ = single_run_report
    alone = tmp_path_factory.mktemp("alone") / "smoke"
    shutil.copytree(root / "results" / "smoke", alone)
    assert "../" not in (alone / "report.tex").read_text()
    return document.compile_pdf(alone / "report.tex")


def test_the_report_folder_compiles_alone_in_type1_fonts(report_pdf):
    """results/<profile>/ copied on its own compiles (its figures are inside it), and the PDF
    embeds no Type 3 font (lmodern for the text, TrueType in the figures)."""
    import subprocess

    require_tools("pdffonts")
    fonts = subprocess.run(["pdffonts", str(report_pdf)], capture_output=True, text=True).stdout
    assert "Type 1" in fonts and "Type 3" not in fonts, fonts


def test_the_report_opens_with_a_title_an_abstract_and_the_profiles_methods(single_run_report):
    """report.tex begins with the title page (CITATION.cff's title, the authors, the study
    reproduced), then the abstract with the findings' answer and count of runs, then the
    methods in the smoke profile's own settings, then the findings."""
    from facerecon.reporting import front, latex

    root, built = single_run_report
    tex = (root / "results" / "smoke" / "report.tex").read_text()
    body = tex[tex.index("\\begin{document}") + len("\\begin{document}\n"):]
    cited = front.citation()
    assert body.startswith(f"\\title{{{latex.text(cited['title'])}}}\n\\author{{")
    marks = ["\\maketitle", "\\begin{abstract}", "\\end{abstract}", "\\section*{Methods}",
             "\\section*{Findings}"]
    assert [body.index(m) for m in marks] == sorted(body.index(m) for m in marks)
    title_page = body[:body.index("\\maketitle")]
    assert "Andreetta" in title_page and latex.text(cited["authors"][0]["name"]) in title_page
    abstract = body[body.index("\\begin{abstract}"):body.index("\\end{abstract}")]
    pieces = built["findings"]
    assert latex.text(front.headline(pieces["answer"])) in abstract
    assert latex.text(front.counted(pieces["completeness"])) in abstract
    assert "single seed" in abstract or "No configuration has 2 seeds" in abstract
    settings = load_profile("smoke")
    methods = body[body.index("\\section*{Methods}"):body.index("\\section*{Findings}")]
    assert f"{settings.height}×{settings.width} RGB pixels" in methods
    assert f"{settings.n_train:,} to train on and {settings.n_test:,} to test on" in methods


def page_fills(pdf) -> list[float]:
    """How far down each page is set: the share of its text block's height (1 in margins on
    11 in paper) from the first inked row to the last, the page number under the block left
    out. A page of a table's last rows and nothing else measures its rows' height."""
    import subprocess
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["pdftoppm", "-r", "20", "-gray", str(pdf), f"{folder}/page"], check=True)
        fills = []
        for page in sorted(Path(folder).glob("page-*.pgm")):
            _, width, height, _, pixels = page.read_bytes().split(maxsplit=4)
            image = np.frombuffer(pixels[-int(width) * int(height):], np.uint8).reshape(
                int(height), int(width))
            block = image[int(height) // 11:int(height) * 10 // 11]
            inked = np.flatnonzero((block < 200).any(axis=1))
            fills.append((inked[-1] - inked[0] + 1) / len(block) if len(inked) else 0.0)
        return fills


def page_lines(pdf) -> list[list[str]]:
    """Each page's lines of text, stripped, blank ones left out."""
    import subprocess

    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    return [[line.strip() for line in page.splitlines() if line.strip()]
            for page in text.split("\f")[:-1]]


def test_page_fills_measure_how_far_down_a_page_is_set(tmp_path):
    from facerecon.reporting import document

    require_tools("pdflatex", "pdftoppm", "pdftotext")
    body = ("A line at the top.\n\n\\vfill\nA line at the foot.\n\\clearpage\n"
            "A last line alone.\n")
    (tmp_path / "fill.tex").write_text(document.document(body))
    pdf = document.compile_pdf(tmp_path / "fill.tex")
    full, alone = page_fills(pdf)
    assert full > 0.95 and alone < 0.05
    assert page_lines(pdf) == [["A line at the top.", "A line at the foot.", "1"],
                               ["A last line alone.", "2"]]


def test_parts_share_pages_and_no_page_is_under_a_third_full_but_a_parts_last(report_pdf):
    """The parts follow one another on the page: a part opens a new page only where less than
    document.PART_SPACE (FIGURE_PART_SPACE for a part of figures) was left on the one before, or
    that page held the figures of the part
    before (placed before the next part begins); and a page under a third full is a part's
    last, the next page opening with a part's heading."""
    from facerecon.reporting import document

    require_tools("pdftoppm", "pdftotext")
    figure_parts = {"Key figures", "Further figures", "Faces"}
    headings = {"Methods", "Findings", *figure_parts,
                *(title for title, _ in document.TABLE_SECTIONS)}
    fills, pages = page_fills(report_pdf), page_lines(report_pdf)
    assert len(fills) == len(pages) > 1
    part, parts = "", []  # the part each page ends in
    for lines in pages:
        part = next((line for line in reversed(lines) if line in headings), part)
        parts.append(part)
    opened = [page for page in range(1, len(pages)) if pages[page][0] in headings]
    def room(page) -> float:  # what the part opening `page` asks (figures: room for one)
        return document.FIGURE_PART_SPACE if pages[page][0] in figure_parts else document.PART_SPACE

    needless = [(page + 1, round(fills[page - 1], 2)) for page in opened
                if parts[page - 1] not in figure_parts and fills[page - 1] < 0.9 - room(page)]
    assert opened and not needless, needless
    short = [(page + 1, round(fill, 2)) for page, fill in enumerate(fills[:-1])
             if fill < 1 / 3 and pages[page + 1][0] not in headings]
    assert not short, short
