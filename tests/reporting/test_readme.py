"""The numbers a reader sees are written from the committed CSVs, never typed: each profile's
results page (results/<profile>/README.md) and its headline in the README equal what readme makes
of results/<profile>/, and update_readme rewrites only the blocks between their markers, only for
the project's own quick and paper results. The README's table of every profile's settings is
written from params/*.yaml, and the README stays a front door (two screens)."""
import dataclasses

import pandas as pd
import pytest

from facerecon.core.io import PROJECT_ROOT
from facerecon.experiment.config import load_profile
from facerecon.reporting import readme

RESULTS = PROJECT_ROOT / "results"


@pytest.mark.parametrize("profile", readme.PROFILES_IN_README)
def test_the_committed_pages_show_the_committed_results(profile):
    redo = f"run ./run_all.sh --profile {profile} --report-only"
    page = RESULTS / profile / readme.RESULTS_PAGE
    assert page.read_text() == readme.results_page(profile, RESULTS), (
        f"results/{profile}/{readme.RESULTS_PAGE} differs from the CSVs beside it: {redo}")
    begin, end = readme.markers(f"headline:{profile}")
    text = readme.README.read_text()
    shown = text[text.index(begin) + len(begin):text.index(end)].strip("\n")
    assert shown == readme.headline(profile, RESULTS), f"README's headline:{profile}: {redo}"
    assert f"(results/{profile}/{readme.RESULTS_PAGE})" in text  # linked


def test_the_headline_answers_first_and_comes_before_the_results():
    """The first screen answers the study's question for both profiles, from the numbers."""
    text = readme.README.read_text()
    for profile in readme.PROFILES_IN_README:
        begin, _ = readme.markers(f"headline:{profile}")
        assert text.index(begin) < text.index("## Two commands") < text.index(
            "## Where the results are")
        answer = (RESULTS / profile / "findings.md").read_text().split("\n")[0]
        assert answer.removeprefix("**Which loss restores faces best?** ") in \
            readme.headline(profile, RESULTS)


def test_the_readme_is_a_front_door():
    """What, the answer, the two commands, where results are, extending and citing, in at most
    150 lines: the details live in docs/ and each profile's results page."""
    text = readme.README.read_text()
    assert len(text.splitlines()) <= 150
    for heading in ("## The answer so far", "## Two commands", "## Where the results are",
                    "## Extending the study", "## License and how to cite"):
        assert heading in text


def test_update_rewrites_only_the_block(tmp_path):
    page = tmp_path / "README.md"
    begin, end = readme.markers("headline:quick")
    page.write_text(f"before\n{begin}\nstale 99.99 dB\n{end}\nafter\n")
    assert readme.update_readme("quick", RESULTS, page)
    text = page.read_text()
    assert text.startswith("before\n") and text.endswith(f"{end}\nafter\n")
    assert "99.99" not in text and "**Quick profile**" in text


def test_the_results_page_holds_the_findings_and_the_table_of_means(tmp_path):
    text = readme.results_page("quick", RESULTS)
    assert text.startswith("# Results of the quick profile")
    assert (RESULTS / "quick" / "findings.md").read_text().strip() in text
    assert "| Simple CNN | L2 |" in text


def block_of(text: str, name: str) -> str:
    begin, end = readme.markers(name)
    return text[text.index(begin) + len(begin):text.index(end)].strip("\n")


def test_the_readme_gives_each_profiles_settings_under_the_data_bullet():
    """The Data bullet's table is every profile's params/*.yaml as they stand, before the other
    bullets; the bullet types no profile's numbers."""
    text = readme.README.read_text()
    assert block_of(text, "profiles") == readme.profiles_table(), (
        "README's profiles table differs from params/*.yaml: run ./run_all.sh --report-only")
    data = text.index("* **Data**")
    assert data < text.index(readme.markers("profiles")[0]) < text.index("* **Obfuscations**")
    bullet = text[data:text.index(readme.markers("profiles")[0])]
    assert "2,000" not in bullet and "112×112" not in bullet


def test_the_profiles_table_is_each_profiles_own(monkeypatch):
    """Each column is its own profile's faces, resolution, sizes, optimiser and epoch cap."""
    wider = {**load_profile("quick").architectures, "srresnet": {"filters": 48, "blocks": 7}}
    changed = dataclasses.replace(load_profile("quick"), n_train=1234, n_val=56, n_test=78,
                                  height=24, width=40, max_epochs=7, learning_rate=3e-4,
                                  architectures=wider)
    monkeypatch.setattr(readme, "load_profile",
                        lambda name: changed if name == "quick" else load_profile(name))
    lines = readme.profiles_table(("quick", "paper")).splitlines()[2:]
    cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    rows = {row[0]: row[1:] for row in cells}
    paper = load_profile("paper")
    assert rows["Faces: train / validation / test"] == [
        "1,234 / 56 / 78", f"{paper.n_train:,} / {paper.n_val:,} / {paper.n_test:,}"]
    assert rows["Resolution (interpolation)"][0] == "24×40 (cubic)"
    assert rows["SRResNet"][0] == "filters 48, blocks 7"
    assert rows["Residual Autoencoder"][1] == "widths 64/128/256, blocks 3"
    assert rows["Adam learning rate, batch, patience"][0] == f"3e-4, 16, {changed.patience}"
    assert rows["Epoch cap"] == ["7", str(paper.max_epochs)]


def test_update_rewrites_the_profiles_table(tmp_path):
    page = tmp_path / "README.md"
    begin, end = readme.markers("profiles")
    page.write_text(f"{begin}\n| stale | 99 |\n{end}\n")
    assert readme.update_readme("paper", RESULTS, page)
    assert block_of(page.read_text(), "profiles") == readme.profiles_table()


@pytest.mark.parametrize("profile, root", [("smoke", RESULTS), ("quick", "elsewhere")])
def test_smoke_and_foreign_results_leave_the_readme_alone(tmp_path, profile, root):
    page = tmp_path / "README.md"
    begin, end = readme.markers(f"headline:{profile}")
    page.write_text(f"{begin}\nkept\n{end}\n")
    assert not readme.update_readme(profile, tmp_path / root if root == "elsewhere" else root,
                                    page)
    assert "kept" in page.read_text()


def test_a_missing_run_is_a_dash_and_counted():
    runs = pd.DataFrame([
        {"architecture": "simple_cnn", "loss": "l2", "obfuscation": "blur", "seed": 0,
         "split": "random", "status": "finished", "test_psnr": 25.0, "test_ssim": 0.8},
        {"architecture": "simple_cnn", "loss": "l2", "obfuscation": "pixelate", "seed": 0,
         "split": "random", "status": "missing", "test_psnr": None, "test_ssim": None}])
    table = readme.results_table(runs, readme.baseline_means(PROJECT_ROOT / "nowhere"))
    row = next(line for line in table.splitlines() if line.startswith("| Simple CNN | L2 |"))
    assert row == "| Simple CNN | L2 | **25.00** | **0.8000** | — | — | 1 |"
    from facerecon.reporting.completeness import completeness_text

    assert completeness_text(runs).startswith("1 of 2 runs exist, 1 missing")


def test_every_guarantee_names_tests_that_exist():
    """docs/running.md's guarantees cite their tests by name: each name is a test here."""
    import re

    docs = (PROJECT_ROOT / "docs" / "running.md").read_text()
    section = docs[docs.index("## Interruption, bad input"):docs.index("**Which function writes")]
    defined = {name for path in (PROJECT_ROOT / "tests").rglob("test_*.py")
               for name in re.findall(r"^def (test_\w+)", path.read_text(), re.M)}
    cited = set(re.findall(r"`(?:test_\w+\.py::)?(test_\w+)`", section)) | set(
        re.findall(r"::(test_\w+)", section))
    guarantees = section.split("\n* **")[1:]
    assert len(guarantees) >= 10 and all("`test_" in text for text in guarantees)
    assert not cited - defined, sorted(cited - defined)
