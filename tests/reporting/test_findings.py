"""The findings' rules on constructed evidence: a loss leads only among networks that beat their
obfuscated input, a cell where none does says so with the numbers, the answer counts such
cells, and the quick and paper profiles' loss-versus-L2 differences are set side by side."""
from types import SimpleNamespace

import pandas as pd

from facerecon.axes.losses import LOSSES
from facerecon.reporting import findings
from facerecon.reporting.evidence import Evidence

INPUT = {"psnr": 25.0, "ssim": 0.80, "identity": 0.40}


def evidence_of(networks: dict[str, dict[str, float]], wiener: dict[str, float] | None = None):
    """Simple CNN on blurred faces, two seeds per loss; `networks`: loss -> measure -> mean."""
    runs = pd.DataFrame([
        {"architecture": "simple_cnn", "loss": loss, "obfuscation": "blur", "seed": seed,
         "split": "random", "status": "finished",
         **{f"test_{name}": value + (0.01 if seed else -0.01) for name, value in means.items()}}
        for loss, means in networks.items() for seed in (0, 1)])
    methods = {"input": INPUT, **({"wiener": wiener} if wiener else {})}
    baselines = pd.DataFrame([{"obfuscation": "blur", "method": method, "subset": "test",
                               "lfw_index": i, **scores}
                              for method, scores in methods.items() for i in range(3)])
    significance = pd.DataFrame(columns=["architecture", "obfuscation", "loss", "metric",
                                         "n_seeds", "verdict"])
    return Evidence(None, runs, pd.DataFrame(), baselines, significance)


def cell(table, measure):
    return table[(table["architecture"] == "simple_cnn") & (table["obfuscation"] == "blur")
                 & (table["measure"] == measure)].iloc[0]


def test_no_loss_leads_where_no_network_beats_its_input():
    below = {loss: {"psnr": 23.0 - i, "ssim": 0.85, "identity": 0.45}
             for i, loss in enumerate(LOSSES)}
    table = findings.findings_table(evidence_of(below))
    psnr = cell(table, "psnr")
    assert psnr["best_loss"] == "" and psnr["restoring"] == 0
    assert psnr["verdict"] == "no network restores here (L2: 23.00 dB)"
    assert psnr["input_mean"] == 25.0
    identity = cell(table, "identity")  # a distance: lower is better, 0.45 is worse than 0.40
    assert identity["best_loss"] == "" and identity["verdict"].startswith("no network restores")
    ssim = cell(table, "ssim")  # 0.85 beats the input's 0.80: a lead
    assert ssim["best_loss"] in LOSSES and ssim["restoring"] == len(LOSSES)
    assert abs(ssim["input_mean"] - 0.80) < 1e-12


def test_a_network_that_restores_leads_and_is_set_beside_the_best_baseline():
    networks = {loss: {"psnr": 24.0, "ssim": 0.7, "identity": 0.5} for loss in LOSSES}
    networks["ssim"] = {"psnr": 26.0, "ssim": 0.9, "identity": 0.3}
    table = findings.findings_table(evidence_of(networks, wiener={"psnr": 30.0, "ssim": 0.85,
                                                                  "identity": 0.35}))
    psnr = cell(table, "psnr")
    assert psnr["best_loss"] == "ssim" and psnr["restoring"] == 1
    assert psnr["best_baseline"] == "wiener" and psnr["best_baseline_mean"] == 30.0
    answer = findings.answer_text(table)
    assert "SSIM leads most often: in 3 of the 18 cells" in answer
    assert "better in 2 of the 3 cells with a lead; in the others Wiener deconvolution is " \
           "better" in answer


def test_the_answer_ranks_nothing_where_nothing_restores():
    below = {loss: {"psnr": 20.0, "ssim": 0.5, "identity": 0.9} for loss in LOSSES}
    answer = findings.answer_text(findings.findings_table(evidence_of(below)))
    assert answer.startswith("**Which loss restores faces best?** Not answerable yet: no network "
                             "beats its obfuscated input in 3 of the 18 cells")
    assert "leads" not in answer


def test_the_answer_counts_the_cells_where_nothing_restores():
    mixed = {loss: {"psnr": 20.0, "ssim": 0.9, "identity": 0.9} for loss in LOSSES}
    answer = findings.answer_text(findings.findings_table(evidence_of(mixed)))
    assert "leads most often: in 1 of the 1 cells where a network beats its obfuscated input" \
        in answer
    assert "In 2 of the 18 cells (obfuscation × architecture × test measure) no network beats " \
           "its obfuscated input." in answer
    assert "Test PSNR: no lead yet; open: 5 cannot be decided, 1 no network restores here." \
        in answer


def test_the_profiles_differences_are_compared_by_sign(tmp_path):
    key = {"architecture": "simple_cnn", "obfuscation": "blur", "metric": "test_psnr"}
    quick = pd.DataFrame([{**key, "loss": "l1", "difference": 0.5, "verdict": "higher"},
                          {**key, "loss": "ssim", "difference": -0.2, "verdict": "one seed"},
                          {**key, "loss": "psnr", "difference": 0.1, "verdict": "higher"}])
    paper = pd.DataFrame([{**key, "loss": "l1", "difference": 0.9, "verdict": "higher"},
                          {**key, "loss": "ssim", "difference": 0.3, "verdict": "not resolved"},
                          {**key, "loss": "psnr", "difference": -0.4, "verdict": "lower"},
                          {**key, "loss": "psnr_ssim", "difference": 0.4, "verdict": "higher"}])
    (tmp_path / "paper" / "tables").mkdir(parents=True)
    paper.to_csv(tmp_path / "paper" / "tables" / "significance_vs_l2.csv", index=False)
    said = findings.direction_agreement(quick, "quick", tmp_path)
    assert said.startswith("**Does the quick profile point the way the paper profile does?** "
                           "Of the 3 loss-versus-L2 differences both profiles have")
    assert "1 (33%) have the same sign; of the 2 resolved in both, 1 agree." in said
    assert findings.direction_agreement(quick, "smoke", tmp_path) == ""


def test_runs_cut_off_by_the_epoch_cap_while_still_gaining_are_named():
    histories = {"early": [20.0, 21.0, 20.5], "plateau": [20.0] + [22.0] * 6,
                 "gaining": [20.0 + 0.1 * i for i in range(8)]}
    runs = pd.DataFrame([{"key": key, "status": "finished", "split": "random",
                          "stopped_early": key == "early"} for key in histories]
                        + [{"key": "missing", "status": "missing", "split": "random"}])
    store = SimpleNamespace(history=lambda key: pd.DataFrame({"val_psnr": histories[key]}))
    said = findings.convergence_text(Evidence(store, runs, None, None, None))
    assert said == ("Of the 3 finished runs, 1 stopped early and 2 ran to the epoch cap, 1 of "
                    "them still gaining more than 0.1 dB of validation PSNR over their last 5 "
                    "epochs (not converged: gaining).")
    assert findings.convergence_text(Evidence(store, runs.iloc[3:], None, None, None)) == ""
