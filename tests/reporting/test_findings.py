"""The findings' rules on constructed evidence: a loss leads only among networks that beat their
obfuscated input, a cell where none does says so with the numbers; a cell is decided once every
study loss has run on every seed and names the runs it waits for before; a pairwise verdict
stands on its own; an effect smaller than its seed range is said to be; MS-SSIM + L1 is set
against L2 apart (reporting/findings.py and the cells it words, reporting/leaders.py)."""
import dataclasses
from types import SimpleNamespace

import pandas as pd

from facerecon.axes.losses import LOSSES
from facerecon.experiment.config import STUDY_LOSSES, load_profile
from facerecon.reporting import findings, leaders
from facerecon.reporting.evidence import Evidence

INPUT = {"psnr": 25.0, "ssim": 0.80, "identity": 0.40}
SEED_OFFSET = 0.01  # seed 1 lies this far above the mean, seed 0 as far below


def paired_rows(networks: dict[str, dict[str, float]], seeds: int, resolved_beyond: float):
    """Each loss against L2 as significance_vs_l2 would give it: the difference of the means,
    an interval ±0.01 around it, resolved where it exceeds `resolved_beyond`."""
    rows = []
    for loss, means in networks.items():
        if loss == "l2" or "l2" not in networks:
            continue
        for name, value in means.items():
            if name not in networks["l2"]:  # a score beside the measures (psnr_inner, e.g.)
                continue
            difference = value - networks["l2"][name]
            verdict = ("one seed" if seeds < 2 else "not resolved"
                       if abs(difference) <= resolved_beyond else
                       "higher" if difference > 0 else "lower")
            rows.append({"architecture": "simple_cnn", "obfuscation": "blur", "loss": loss,
                         "metric": f"test_{name}", "n_seeds": seeds, "difference": difference,
                         "ci_low": difference - 0.01, "ci_high": difference + 0.01,
                         "verdict": verdict, "seed_range": 2 * SEED_OFFSET,
                         "within_seed_range": abs(difference) < 2 * SEED_OFFSET})
    return pd.DataFrame(rows, columns=["architecture", "obfuscation", "loss", "metric",
                                       "n_seeds", "difference", "ci_low", "ci_high", "verdict",
                                       "seed_range", "within_seed_range"])


def evidence_of(networks: dict[str, dict[str, float]], wiener: dict[str, float] | None = None,
                missing: dict[str, int] | None = None, resolved_beyond: float = 0.05):
    """Simple CNN on blurred faces, two seeds per loss; `networks`: loss -> measure -> mean;
    `missing`: loss -> how many of its seeds have not finished (the last ones)."""
    missing = missing or {}
    runs = pd.DataFrame([
        {"architecture": "simple_cnn", "loss": loss, "obfuscation": "blur", "seed": seed,
         "split": "random",
         "status": "missing" if seed >= 2 - missing.get(loss, 0) else "finished",
         **{f"test_{name}": value + (SEED_OFFSET if seed else -SEED_OFFSET)
            for name, value in means.items()}}
        for loss, means in networks.items() for seed in (0, 1)])
    finished = {loss: means for loss, means in networks.items() if missing.get(loss, 0) < 2}
    seeds = 2 - max([missing.get(loss, 0) for loss in finished] or [0])
    methods = {"input": INPUT, **({"wiener": wiener} if wiener else {})}
    baselines = pd.DataFrame([{"obfuscation": "blur", "method": method, "subset": "test",
                               "lfw_index": i, **scores}
                              for method, scores in methods.items() for i in range(3)])
    return Evidence(None, runs, pd.DataFrame(), baselines,
                    paired_rows(finished, seeds, resolved_beyond))


def cell(table, measure):
    return table[(table["architecture"] == "simple_cnn") & (table["obfuscation"] == "blur")
                 & (table["measure"] == measure)].iloc[0]


def networks_with(leader: str, margin: float) -> dict[str, dict[str, float]]:
    """Every loss at 26 dB / 0.85 / 0.30 (all restore), `leader` better by `margin`."""
    networks = {loss: {"psnr": 26.0, "ssim": 0.85, "identity": 0.30} for loss in LOSSES}
    networks[leader] = {"psnr": 26.0 + margin, "ssim": 0.85 + margin / 10,
                        "identity": 0.30 - margin / 10}
    return networks


def test_no_loss_leads_where_no_network_beats_its_input():
    below = {loss: {"psnr": 23.0 - i, "ssim": 0.85, "identity": 0.45}
             for i, loss in enumerate(LOSSES)}
    table = leaders.findings_table(evidence_of(below))
    psnr = cell(table, "psnr")
    assert psnr["best_loss"] == "" and psnr["restoring"] == 0
    assert psnr["verdict"] == "no network restores here (L2: 23.00 dB)"
    assert psnr["input_mean"] == 25.0
    identity = cell(table, "identity")  # a distance: lower is better, 0.45 is worse than 0.40
    assert identity["best_loss"] == "" and identity["verdict"].startswith("no network restores")
    ssim = cell(table, "ssim")  # 0.85 beats the input's 0.80: a lead
    assert ssim["best_loss"] in STUDY_LOSSES and ssim["restoring"] == len(STUDY_LOSSES)
    assert abs(ssim["input_mean"] - 0.80) < 1e-12


def test_a_network_that_restores_leads_and_is_set_beside_the_best_baseline():
    networks = {loss: {"psnr": 24.0, "ssim": 0.7, "identity": 0.5} for loss in LOSSES}
    networks["ssim"] = {"psnr": 26.0, "ssim": 0.9, "identity": 0.3}
    table = leaders.findings_table(evidence_of(networks, wiener={"psnr": 30.0, "ssim": 0.85,
                                                                  "identity": 0.35}))
    psnr = cell(table, "psnr")
    assert psnr["best_loss"] == "ssim" and psnr["restoring"] == 1
    assert psnr["best_baseline"] == "wiener" and psnr["best_baseline_mean"] == 30.0
    assert psnr["verdict"] == "resolved on 2 seeds"
    answer = findings.answer_text(table, evidence_of(networks).significance)
    assert "SSIM leads most often: in 3 of the 3 decided cells where a network beats its " \
           "obfuscated input, 3 of them resolved against L2." in answer
    assert "better in 2 of the 3 cells with a lead; in the other cell Wiener deconvolution is " \
           "better" in answer


def test_the_answer_ranks_nothing_where_nothing_restores():
    below = {loss: {"psnr": 20.0, "ssim": 0.5, "identity": 0.9} for loss in LOSSES}
    answer = findings.answer_text(leaders.findings_table(evidence_of(below)), pd.DataFrame(
        columns=["loss"]))
    assert answer.startswith("**Which loss restores faces best?** Not answerable yet: no network "
                             "beats its obfuscated input in 3 of the 18 cells")
    assert "leads" not in answer


def test_the_answer_counts_the_cells_where_nothing_restores():
    mixed = {loss: {"psnr": 20.0, "ssim": 0.9, "identity": 0.9} for loss in LOSSES}
    evidence = evidence_of(mixed)
    answer = findings.answer_text(leaders.findings_table(evidence), evidence.significance)
    assert "leads most often: in 1 of the 1 decided cells where a network beats its obfuscated " \
           "input" in answer
    assert "In 2 no network beats its obfuscated input." in answer
    assert "- Test PSNR: decided in 0 of 6; open: 5 have no runs, 1 have no restoring network." \
        in answer


def test_a_cell_with_a_study_loss_missing_waits_and_names_the_runs():
    evidence = evidence_of(networks_with("psnr_ssim", 1.0), missing={"ssim": 2, "l1": 1})
    table = leaders.findings_table(evidence)
    psnr = cell(table, "psnr")
    assert psnr["verdict"] == "open: waits for 3 runs: L1 ×1; SSIM ×2"
    assert psnr["best_loss"] == "psnr_ssim"  # the best so far, with its difference from L2
    assert psnr["against"] == "psnr_ssim" and abs(psnr["difference"] - 1.0) < 1e-9
    answer = findings.answer_text(table, evidence.significance)
    assert "Not answerable yet: none of the 18 cells" in answer
    assert "(best so far, provisional: PSNR+SSIM 1)" in answer


def test_a_cell_missing_a_seed_of_every_study_loss_says_so_in_one_phrase():
    evidence = evidence_of(networks_with("l1", 1.0), missing=dict.fromkeys(STUDY_LOSSES, 1))
    psnr = cell(leaders.findings_table(evidence), "psnr")
    assert psnr["verdict"] == "open: waits for 5 runs: every study loss ×1"


def test_a_pairwise_verdict_stands_while_its_cell_waits():
    evidence = evidence_of(networks_with("psnr_ssim", 1.0), missing={"ssim": 2})
    answer = findings.answer_text(leaders.findings_table(evidence), evidence.significance)
    # PSNR+SSIM and L2 both ran on both seeds: its three differences are resolved on their own
    assert "Each of the study's losses against L2 on its own: 3 of the 9 differences with both " \
           "runs are resolved (better than L2: PSNR+SSIM 3; worse: none), 0 of them smaller than " \
           "their seed range; 6 not resolved." in answer


def test_a_lead_smaller_than_its_seed_range_is_said_to_be():
    evidence = evidence_of(networks_with("l1", 0.015), resolved_beyond=0.001)
    psnr = cell(leaders.findings_table(evidence), "psnr")
    assert psnr["best_loss"] == "l1"
    assert psnr["verdict"] == "resolved on 2 seeds; within seed range"
    assert "smaller than their seed range" in findings.answer_text(
        leaders.findings_table(evidence), evidence.significance)


def test_where_l2_leads_every_other_study_loss_must_be_worse_and_the_runner_up_is_shown():
    networks = networks_with("l2", 1.0)
    networks["l1"] = {"psnr": 26.5, "ssim": 0.855, "identity": 0.295}
    psnr = cell(leaders.findings_table(evidence_of(networks)), "psnr")
    assert psnr["best_loss"] == "l2" and psnr["against"] == "l1"
    assert abs(psnr["difference"] + 0.5) < 1e-9
    assert psnr["verdict"] == "resolved on 2 seeds"
    close = cell(leaders.findings_table(evidence_of(networks, resolved_beyond=0.6)), "psnr")
    assert close["verdict"] == "not resolved on 2 seeds"


def test_ms_ssim_l1_is_compared_with_l2_apart_and_never_leads_the_study_losses():
    evidence = evidence_of(networks_with("ms_ssim_l1", 1.0))
    table = leaders.findings_table(evidence)
    psnr = cell(table, "psnr")
    assert psnr["best_loss"] in STUDY_LOSSES and psnr["best_loss"] != "ms_ssim_l1"
    assert psnr["ms_ssim_l1_verdict"] == "higher" and psnr["ms_ssim_l1_difference"] == 1.0
    shown = leaders.printed(table)
    assert shown.loc[table.index[table["measure"] == "psnr"][0], "MS-SSIM+L1 − L2"] == \
        "+1.00 [0.99, 1.01] dB: higher"
    assert "- MS-SSIM+L1 (beyond the study's five), against L2 in the 18 cells: better in 3, " \
           "worse in 0; 15 not run." in findings.answer_text(table, evidence.significance)


def test_a_tables_cell_marks_a_resolved_difference_and_one_within_its_seed_range():
    from facerecon.reporting import formatting, latex

    row = {"kind": "model", "n_seeds": 2, "test_psnr": 29.2, "test_psnr_sd": 0.69,
           "test_psnr_ci_low": 29.06, "test_psnr_ci_high": 29.35, "test_psnr_vs_l2": "higher"}
    assert formatting.metric_cell(row, "test_psnr") == "29.20 ± 0.69 [29.06, 29.35]*"
    within = formatting.metric_cell({**row, "test_psnr_vs_l2_within_seed_range": True},
                                    "test_psnr")
    assert within == "29.20 ± 0.69 [29.06, 29.35]*†"
    assert latex.text(latex.stacked(within)).startswith(
        r"\begin{tabular}[t]{@{}r@{}}29.20 $\pm$ 0.69*\textsuperscript{\dag}\\{}[29.06")


def test_every_configuration_below_its_input_is_named_with_both_numbers():
    networks = networks_with("l1", 1.0)
    networks["ssim"] = {"psnr": 24.0, "ssim": 0.95, "identity": 0.2}  # gives up PSNR for SSIM
    said = findings.below_input_text(evidence_of(networks))
    assert said == ("- Configurations that do not beat their obfuscated input (mean over seeds) "
                    "— test PSNR, 1 of 6: Simple CNN SSIM blurred (24.00 dB against 25.00 dB); "
                    "test SSIM, none of 6; test ID distance, none of 6.")


def test_below_its_input_on_psnr_a_network_shows_where_inside_and_in_the_ssim_border():
    networks = networks_with("l1", 1.0)
    regions = {"psnr_inner": 26.0, "input_psnr_inner": 25.5, "psnr_border": 22.0,
               "input_psnr_border": 24.0}
    networks["ssim"] = {"psnr": 24.0, "ssim": 0.95, "identity": 0.2, **regions}
    networks["psnr_ssim"] = {"psnr": 24.5, "ssim": 0.95, "identity": 0.2,
                             **regions, "psnr_inner": 25.0}  # below inside too
    evidence = dataclasses.replace(evidence_of(networks),
                                   store=SimpleNamespace(profile=load_profile("quick")))
    said = findings.below_input_text(evidence)
    assert ("Simple CNN SSIM blurred (24.00 dB against 25.00 dB; inside the SSIM window's centres "
            "26.00 dB against 25.50 dB, in the 5-pixel border 22.00 dB against 24.00 dB)") in said
    assert said.endswith(
        " Of the 2 below their input on test PSNR with these scores, 2 fall below it in the "
        "5-pixel border on every seed (53% of the pixels at 32×32, which SSIM and every loss "
        "built on it weigh less, its outermost pixels barely at all); inside the SSIM window's "
        "centres 1 beat it on the mean over seeds, 1 on every seed."), said
    # Runs without the scores (trained before them, not rescored) are named as before.
    assert "inside" not in findings.below_input_text(evidence_of(
        {**networks, "ssim": {"psnr": 24.0, "ssim": 0.95, "identity": 0.2},
         "psnr_ssim": networks["l2"]}))


def networks_with_regions() -> dict[str, dict[str, float]]:
    """networks_with('l1', 1.0), L2 gaining 0.5 dB inside the SSIM window's centres and in its
    border alike, SSIM 0.5 dB inside and 2 dB less than its input in the border."""
    networks = networks_with("l1", 1.0)
    networks["l2"].update(psnr_inner=26.0, input_psnr_inner=25.5, psnr_border=24.5,
                          input_psnr_border=24.0)
    networks["ssim"].update(psnr_inner=26.0, input_psnr_inner=25.5, psnr_border=22.0,
                            input_psnr_border=24.0)
    return networks


def test_where_psnr_is_gained_is_counted_apart_for_the_losses_built_on_ssims_window():
    evidence = dataclasses.replace(evidence_of(networks_with_regions()),
                                   store=SimpleNamespace(profile=load_profile("quick")))
    assert findings.border_text(evidence) == (
        "- Where test PSNR is gained over the input (mean over seeds; figure "
        "test_psnr_inner_vs_border): in the 5-pixel border, which no SSIM window centres on "
        "(53% of the pixels at 32×32), configurations fall below their input under the losses "
        "built on SSIM's window (SSIM) in 1 of 1; under the others (L2) in 0 of 1. The border "
        "gains less than the inside in 1 of 1 and 0 of 1 of them (median 2.50 and 0.00 dB more "
        "inside).")
    assert findings.border_text(evidence_of(networks_with("l1", 1.0))) == ""  # not recorded


def test_the_headline_counts_the_leaders_resolved_leads_apart_from_all_and_names_a_tie():
    def table(leads: list[tuple[str, str]]) -> pd.DataFrame:
        return pd.DataFrame({"best_loss": [loss for loss, _ in leads],
                             "verdict": [verdict for _, verdict in leads]})

    one = findings.headline_text(table([("ssim", "resolved on 2 seeds"),
                                        ("ssim", "not resolved on 2 seeds"),
                                        ("l1", "resolved on 2 seeds")]))
    assert one.startswith("SSIM leads most often: in 2 of the 3 decided cells where a network "
                          "beats its obfuscated input, 1 of them resolved against L2; of all 3 "
                          "leads, 2 are resolved against L2.")
    tie = findings.headline_text(table([("ssim", "resolved on 2 seeds"),
                                        ("l1", "not resolved on 2 seeds")]))
    assert tie.startswith("SSIM and L1 lead most often: in 1 each of the 2 decided cells")
    assert "1 of these resolved against L2." in tie and "of all" not in tie


def test_the_findings_difference_is_marked_resolved_and_within_its_seed_range_in_an_open_cell():
    """The paired verdict of the difference shown stands while its cell waits: '*' where it is
    resolved against L2, '*†' where it is also smaller than its seed range."""
    def difference(margin: float) -> str:
        evidence = evidence_of(networks_with("psnr_ssim", margin), missing={"ssim": 2},
                               resolved_beyond=0.001)
        table = leaders.findings_table(evidence)
        assert cell(table, "psnr")["verdict"].startswith("open: waits for 2 runs")
        return leaders.printed(table).loc[table.index[table["measure"] == "psnr"][0],
                                          "Difference from L2 [95% interval]"]

    assert difference(1.0) == "PSNR+SSIM − L2: +1.00 [0.99, 1.01] dB*"
    assert difference(0.015) == "PSNR+SSIM − L2: +0.02 [0.01, 0.03] dB*†"
    unresolved = evidence_of(networks_with("psnr_ssim", 1.0), resolved_beyond=5.0)
    table = leaders.findings_table(unresolved)
    assert leaders.printed(table).loc[table.index[table["measure"] == "psnr"][0],
                                      "Difference from L2 [95% interval]"].endswith("dB")
