"""The report's front, written from what it describes: the methods say each profile's own
settings, the abstract its own findings (the answer, the count of runs, how many leads rest on a
single seed and the spread over seeds to read every effect beside), the title page what
CITATION.cff credits; and tables name their rows with nothing scored in one line, a short table
never breaking across pages."""
import pandas as pd
import pytest
import yaml

from facerecon.experiment.config import PROFILE_NAMES, load_profile
from facerecon.reporting import document, formatting, front, latex


@pytest.mark.parametrize("name", PROFILE_NAMES)
def test_the_methods_say_the_profiles_own_settings(name):
    settings = load_profile(name)
    said = dict(front.methods(settings))
    assert f"to {settings.height}×{settings.width} RGB pixels" in said["Data"]
    assert (f"{settings.n_train:,} to train on and {settings.n_test:,} to test on; "
            f"{settings.n_val:,} validation images") in said["Data"]
    blur, pixelate = (settings.obfuscation_settings(o) for o in ("blur", "pixelate"))
    assert f"blurred: k {blur['kernel']}, σ {blur['sigma']:g} (among" in said["Obfuscations"]
    assert f"pixelated: block {pixelate['block']} (among" in said["Obfuscations"]
    cnn, autoencoder = (settings.architectures[a] for a in ("simple_cnn", "residual_autoencoder"))
    assert f"Simple CNN (filters {cnn['filters']}," in said["Networks"]
    assert f"widths {'/'.join(map(str, autoencoder['widths']))}" in said["Networks"]
    assert (f"learning rate {settings.learning_rate:g}, batch {settings.batch_size}, at most "
            f"{settings.max_epochs} epochs") in said["Training"]
    assert f"patience {settings.patience}," in said["Training"]
    assert "at least 2 seeds" in said["Verdicts"]


def findings_of(answer: str, completeness: str, lead_seeds: list[int]) -> dict:
    """write_findings' pieces the abstract reads: leads on these seeds, and one cell without."""
    table = pd.DataFrame({"best_loss": ["ssim"] * len(lead_seeds) + [""],
                          "n_seeds": [*lead_seeds, 0]})
    return {"answer": answer, "completeness": completeness, "table": table}


def runs_of(psnr: dict[tuple[str, str, str], list[float]]) -> pd.DataFrame:
    """Finished runs of the random split, one per seed, with these test PSNRs."""
    return pd.DataFrame([(a, loss, o, seed, "random", "finished", value)
                         for (a, loss, o), values in psnr.items()
                         for seed, value in enumerate(values)],
                        columns=["architecture", "loss", "obfuscation", "seed", "split", "status",
                                 "test_psnr"])


ANSWER = ("**Which loss restores faces best?** Not decided yet. SSIM leads most often.\n\n"
          "- Test PSNR: leads: SSIM 3 of 6.")
COMPLETENESS = ("7 of 12 runs exist, 5 missing: random split 7 of 12 (seeds 0, 1). Of the 7 "
                "finished runs, 7 stopped early.")


def test_the_abstract_is_written_from_the_findings_and_the_spread_over_seeds():
    runs = runs_of({("simple_cnn", "l2", "blur"): [20.0, 21.0],
                    ("srresnet", "l1", "blur"): [22.0, 24.0],
                    ("srresnet", "l2", "blur"): [23.0]})
    abstract = front.abstract_text(load_profile("paper"),
                                   findings_of(ANSWER, COMPLETENESS, [1, 2, 1]), runs)
    assert "112×112 pixels" in abstract and "blurred (k 13, σ 7)" in abstract
    assert "Not decided yet. SSIM leads most often." in abstract
    assert "**" not in abstract and "Test PSNR: leads" not in abstract
    assert "7 of 12 runs exist, 5 missing." in abstract and "random split" not in abstract
    assert "2 of the 3 leads rest on a single seed." in abstract
    assert "fewer than 2 seeds" in abstract
    # seed ranges, as the findings set beside each effect: 1 and 2 dB; none with a single seed
    assert ("the seed range of test PSNR (the largest minus the smallest of a configuration's "
            "per-seed means) is 1.50 dB at the median of the 2 configurations with 2 or more "
            "seeds (at most 2.00 dB)") in abstract


def test_with_one_seed_everywhere_the_abstract_says_the_spread_is_unknown():
    runs = runs_of({("simple_cnn", "l2", "blur"): [20.0], ("srresnet", "l2", "blur"): [23.0]})
    abstract = front.abstract_text(load_profile("quick"),
                                   findings_of(ANSWER, COMPLETENESS, [1]), runs)
    assert "32×32 pixels" in abstract and "1 of the 1 leads rest on a single seed." in abstract
    assert "No configuration has 2 seeds yet, so the seed-to-seed spread" in abstract
    assert " dB" not in abstract


def test_the_title_page_credits_what_citation_cff_credits(tmp_path, monkeypatch):
    assert "Andreetta" in "".join(front.title_block(load_profile("smoke"))["credit"])
    cited = {"title": "Faces & losses", "authors": [{"name": "The X authors"}],
             "references": [{"title": "A study", "institution": {"name": "Somewhere"},
                             "authors": [{"given-names": "Ada", "family-names": "Lovelace"},
                                         {"family-names": "Babbage"}]}]}
    path = tmp_path / "CITATION.cff"
    path.write_text(yaml.safe_dump(cited))
    monkeypatch.setattr(front, "CITATION", path)
    block = front.title_block(load_profile("smoke"))
    assert (block["title"], block["authors"]) == ("Faces & losses", "The X authors")
    assert block["credit"] == ("Reproducing Ada Lovelace and Babbage, ", "A study",
                               " (Somewhere)")
    assert block["profile"].startswith("Results of the smoke profile (params/smoke.yaml)")
    assert r"\title{Faces \& losses}" in document.front_tex(
        load_profile("smoke"), findings_of(ANSWER, COMPLETENESS, [1]), runs_of({}))


def test_rows_with_nothing_scored_are_named_in_one_line_under_their_table():
    assert latex.UNSCORED == (formatting.RETRAIN, formatting.NOT_TRAINED)
    frame = pd.DataFrame({
        "Faces": ["Original faces", "Simple CNN, L2", "SRResNet, SSIM", "SRResNet, L1",
                  "SRResNet, L2"],
        "Obfuscation": ["none", "Blurred", "Blurred", "Pixelated", "Pixelated"],
        "Seeds scored": [1, 1, 0, 0, 1],
        "Top-1 (%)": ["51", "47", "retrain", "not trained", "40"],
        "ID distance": ["", "retrain", "retrain", "not trained", "0.41"],
        "vs obf.": ["", "one seed", "", "", "one seed"]})
    tex = latex.table_tex(frame, "Recognition", "recognition", rule_before=1)
    rows = tex[tex.index("\\endlastfoot"):tex.index("\\end{longtable}")]
    assert "\\midrule\nSimple CNN, L2 & Blurred" in rows  # a scored cell keeps its row
    assert "SRResNet, SSIM" not in rows and "SRResNet, L1" not in rows
    assert "SRResNet, L2" in rows
    note = tex[tex.index("\\end{longtable}"):]
    assert "Without a score (retrain): SRResNet, SSIM, Blurred." in note
    assert "Without a score (not trained): SRResNet, L1, Pixelated." in note
    nothing = latex.table_tex(frame.iloc[2:4], "Recognition", "recognition")
    assert nothing.startswith("\\paragraph{Recognition.} Without a score (retrain)")
    assert "longtable" not in nothing


def test_a_short_table_never_breaks_across_pages_and_a_long_one_does():
    def rows_of(tex: str) -> list[str]:
        body = tex[tex.index("\\endlastfoot\n"):tex.index("\\end{longtable}")]
        return body.strip().splitlines()[1:]

    short = pd.DataFrame({"Loss": ["L2"] * latex.LONG_LINES, "PSNR": ["25.00"] * latex.LONG_LINES})
    assert all(row.endswith(r"\\*") for row in rows_of(latex.table_tex(short, "Short", "s")))
    interval = latex.stacked("25.00 ± 0.10 [24.90, 25.10]")  # a mean over its interval: 2 lines
    tall = pd.DataFrame({"Loss": ["L2"] * (latex.LONG_LINES // 2 + 1),
                         "PSNR": [interval] * (latex.LONG_LINES // 2 + 1)})
    assert not any(row.endswith(r"\\*") for row in rows_of(latex.table_tex(tall, "Tall", "t")))


def test_a_part_that_opens_with_a_figure_asks_room_for_it_below_its_heading(tmp_path):
    figure = document.figure_tex("a.pdf", "A figure")
    tex = document.write_report(tmp_path, "", "", [("Figures", [figure]),
                                                 ("Tables", ["\\input{tables/t.tex}"])]).read_text()
    assert f"\\needspace{{{document.FIGURE_PART_SPACE}\\textheight}}\n\\section*{{Figures}}" in tex
    assert f"\\needspace{{{document.PART_SPACE}\\textheight}}\n\\section*{{Tables}}" in tex
