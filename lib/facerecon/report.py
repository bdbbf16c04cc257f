"""Reads finished runs and baselines and writes the study's tables and figures. Never trains.

Every model row is a mean over seeds with its standard deviation, a 95% bootstrap interval over
test images, and the Holm-corrected Wilcoxon test of its loss against L2; the non-learned
baselines sit under the models. A run that did not happen, failed or was interrupted appears as
missing: an empty cell in CSV (with its status), "missing" in Markdown and LaTeX, a blank in
figures. Never a number.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from . import baselines, io, plots, reproduction, stats
from .config import OBFUSCATIONS, load_profile
from .losses import LOSSES
from .models import ARCHITECTURES, STUDY_ARCHITECTURES
from .train import REFERENCE_ARCHITECTURE, REFERENCE_LOSS, grid, run_dir

METRICS = ("train_psnr", "train_ssim", "test_psnr", "test_ssim")
TEST_METRICS = ("test_psnr", "test_ssim")
METRIC_LABELS = {"train_psnr": "Train PSNR", "train_ssim": "Train SSIM",
                 "test_psnr": "Test PSNR", "test_ssim": "Test SSIM"}
RUN_FIELDS = ("key", "architecture", "loss", "obfuscation", "seed", "split")
ARCH_LABELS = {name: arch.label for name, arch in ARCHITECTURES.items()}
LOSS_LABELS = {name: loss.label for name, loss in LOSSES.items()}


def run_status(folder: Path) -> str:
    if (folder / "metrics.json").exists():
        return "finished"
    if (folder / "failed.json").exists():
        return "failed"
    return "incomplete" if folder.exists() else "missing"


def collect_runs(results_root, profile: str) -> pd.DataFrame:
    """One row per run of the profile's grid (and any other run folder found), with its status
    and, for finished runs, every metric of metrics.json."""
    expected = {run.key: run for run in grid(profile)}
    runs_folder = Path(results_root) / profile / "runs"
    found = sorted(p.name for p in runs_folder.iterdir() if p.is_dir()) if runs_folder.exists() else []
    rows = []
    for key in list(expected) + [k for k in found if k not in expected]:
        folder = run_dir(results_root, profile, key)
        status = run_status(folder)
        if status == "finished":
            metrics = json.loads((folder / "metrics.json").read_text())
            metrics.pop("identity", None)
            packages = metrics.pop("packages", {})
            row = {**metrics, "keras_version": packages.get("keras")}
        elif key in expected:
            row = expected[key].as_dict()
        else:
            row = json.loads((folder / "config.json").read_text())["run"]
        if status == "failed":
            row["reason"] = json.loads((folder / "failed.json").read_text())["reason"]
        rows.append({"key": key, **row, "status": status})
    frame = pd.DataFrame(rows)
    for column in METRICS:
        if column not in frame:
            frame[column] = np.nan
    # Runs stored before the identity-disjoint split existed were on the random split.
    frame["split"] = frame.get("split", pd.Series(index=frame.index, dtype=object)).fillna("random")
    first = ["key", "architecture", "loss", "obfuscation", "seed", "split", "profile", "status",
             *METRICS]
    return frame[first + [c for c in frame.columns if c not in first]]


def finished(runs: pd.DataFrame, split: str | None = "random") -> pd.DataFrame:
    """Finished runs (of one split; None: of both)."""
    done = runs[runs["status"] == "finished"]
    return done if split is None else done[done["split"] == split]


# --- the evidence behind every table: per-image scores, baselines, tests ------------------------

@dataclass
class Evidence:
    """What the tables are computed from: the runs, every finished run's per-image test scores,
    the baselines' per-image scores and the paired tests against L2."""

    profile: str
    results_root: Path
    runs: pd.DataFrame
    images: pd.DataFrame
    baselines: pd.DataFrame
    significance: pd.DataFrame


def per_image_test_scores(runs: pd.DataFrame, results_root) -> pd.DataFrame:
    """Per-image test PSNR/SSIM of every finished run, with the run's fields."""
    frames = []
    for _, run in finished(runs, split=None).iterrows():
        frame = pd.read_csv(run_dir(results_root, run["profile"], run["key"]) / "per_image.csv")
        frame = frame[frame["subset"] == "test"][["lfw_index", "psnr", "ssim"]]
        frames.append(frame.assign(**{c: run[c] for c in RUN_FIELDS}))
    columns = [*RUN_FIELDS, "lfw_index", "psnr", "ssim"]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


def significance_vs_l2(images: pd.DataFrame) -> pd.DataFrame:
    """Per architecture and obfuscation, each loss against L2 on per-image test PSNR and SSIM
    (each image's mean over seeds; random split): Wilcoxon signed-rank, Holm-corrected across
    every comparison of the table."""
    images = images[images["split"] == "random"]
    rows = []
    for (arch, obfuscation), group in images.groupby(["architecture", "obfuscation"], sort=False):
        reference = group[group["loss"] == REFERENCE_LOSS]
        if reference.empty:
            continue
        for loss in [name for name in LOSSES if name != REFERENCE_LOSS]:
            other = group[group["loss"] == loss]
            if other.empty:
                continue
            for metric in ("psnr", "ssim"):
                a, b = (stats.mean_per_image(f, metric) for f in (other, reference))
                a, b = a.align(b, join="inner")
                rows.append({"architecture": arch, "obfuscation": obfuscation, "loss": loss,
                             "metric": f"test_{metric}", "against": REFERENCE_LOSS,
                             **stats.paired_wilcoxon(a.to_numpy(), b.to_numpy())})
    table = pd.DataFrame(rows, columns=["architecture", "obfuscation", "loss", "metric",
                                        "against", "n_pairs", "mean_difference",
                                        "median_difference", "statistic", "p"])
    table["p_holm"] = stats.holm(table["p"].to_numpy())
    table["significant"] = table["p_holm"] < stats.ALPHA
    return table


def gather_evidence(results_root, profile: str) -> Evidence:
    runs = collect_runs(results_root, profile)
    images = per_image_test_scores(runs, results_root)
    return Evidence(profile, Path(results_root), runs, images,
                    baselines.per_image_scores(results_root, profile), significance_vs_l2(images))


# --- table rows --------------------------------------------------------------------------------

def summary_row(label: str, runs: pd.DataFrame, images: pd.DataFrame) -> dict:
    """Mean, sd and count over seeds of every metric, and the bootstrap interval over test
    images (each image's mean over seeds) of the test metrics; missing if no run finished."""
    row = {"row": label, "kind": "model"}
    for m in METRICS:
        row[m], row[f"{m}_sd"], _ = stats.seed_spread(runs[m])
    row["n_seeds"] = len(runs)
    for m in TEST_METRICS:
        per_image = stats.mean_per_image(images, m.split("_")[1]) if len(images) else []
        row[f"{m}_ci_low"], row[f"{m}_ci_high"] = stats.bootstrap_ci(per_image)
    row["status"] = "finished" if len(runs) else "missing"
    return row


def model_row(evidence: Evidence, label: str, arch: str, loss: str, obfuscation: str,
              split: str = "random") -> dict:
    runs = finished(evidence.runs, split)
    runs = runs[(runs["architecture"] == arch) & (runs["loss"] == loss)
                & (runs["obfuscation"] == obfuscation)]
    images = evidence.images
    images = images[(images["architecture"] == arch) & (images["loss"] == loss)
                    & (images["obfuscation"] == obfuscation) & (images["split"] == split)]
    row = {**summary_row(label, runs, images), "architecture": arch, "loss": loss}
    tests = evidence.significance
    for m in TEST_METRICS:
        match = tests[(tests["architecture"] == arch) & (tests["loss"] == loss)
                      & (tests["obfuscation"] == obfuscation) & (tests["metric"] == m)]
        row[f"{m}_vs_l2_p_holm"] = float(match["p_holm"].iloc[0]) if len(match) else np.nan
    return row


def baseline_rows(evidence: Evidence, obfuscation: str) -> list[dict]:
    """The non-learned baselines of an obfuscation: deterministic, so no seeds; the interval is
    over test images."""
    rows = []
    for method in baselines.METHODS[obfuscation]:
        scores = evidence.baselines[(evidence.baselines["obfuscation"] == obfuscation)
                                    & (evidence.baselines["method"] == method)]
        row = {"row": baselines.LABELS[method], "kind": "baseline", "architecture": method}
        for m in METRICS:
            subset, metric = m.split("_")
            part = scores[scores["subset"] == subset][metric]
            row[m] = float(part.mean()) if len(part) else np.nan
        for m in TEST_METRICS:
            test = scores[scores["subset"] == "test"][m.split("_")[1]]
            row[f"{m}_ci_low"], row[f"{m}_ci_high"] = stats.bootstrap_ci(test)
        row["status"] = "baseline" if len(scores) else "missing"
        rows.append(row)
    return rows


def comparison_table(rows: list[dict], evidence: Evidence, obfuscation: str) -> pd.DataFrame:
    """Model rows, then the obfuscation's baselines; best values marked."""
    return mark_best(pd.DataFrame(rows + baseline_rows(evidence, obfuscation)))


def mark_best(table: pd.DataFrame) -> pd.DataFrame:
    """Adds best_in: the metric columns in which a row is best (ties included)."""
    best = {m: table[m].max() for m in METRICS}
    table["best_in"] = [";".join(m for m in METRICS if pd.notna(row[m]) and row[m] == best[m])
                        for _, row in table.iterrows()]
    return table


def loss_table(evidence: Evidence, loss: str, obfuscation: str) -> pd.DataFrame:
    """The study's comparison table: rows = architectures (+ the original residual autoencoder
    under L2) and the baselines; columns = train/test PSNR/SSIM."""
    archs = list(STUDY_ARCHITECTURES) + ([REFERENCE_ARCHITECTURE] if loss == REFERENCE_LOSS else [])
    rows = [model_row(evidence, ARCH_LABELS[a], a, loss, obfuscation) for a in archs]
    return comparison_table(rows, evidence, obfuscation)


def architecture_table(evidence: Evidence, arch: str, obfuscation: str) -> pd.DataFrame:
    """Rows = losses, for one architecture and obfuscation, with the baselines."""
    losses = [REFERENCE_LOSS] if arch == REFERENCE_ARCHITECTURE else list(LOSSES)
    rows = [model_row(evidence, LOSS_LABELS[loss], arch, loss, obfuscation) for loss in losses]
    return comparison_table(rows, evidence, obfuscation)


def best_run(evidence: Evidence, obfuscation: str) -> tuple[str, str] | None:
    """The (architecture, loss) with the highest test SSIM (mean over seeds)."""
    done = finished(evidence.runs)
    done = done[done["obfuscation"] == obfuscation]
    if done.empty:
        return None
    means = done.groupby(["architecture", "loss"])["test_ssim"].mean()
    return means.idxmax()


def input_vs_reconstruction_table(evidence: Evidence) -> pd.DataFrame:
    """As in the study: the obfuscated input and the best reconstruction (highest test SSIM),
    each against the original, on train and test."""
    rows = []
    for obfuscation in OBFUSCATIONS:
        row = next(r for r in baseline_rows(evidence, obfuscation) if r["architecture"] == "input")
        rows.append({**row, "row": f"{obfuscation}: obfuscated input"})
        best = best_run(evidence, obfuscation)
        if best is None:
            rows.append({"row": f"{obfuscation}: best reconstruction (missing)", "kind": "model",
                         **{m: np.nan for m in METRICS}, "n_seeds": 0, "status": "missing"})
        else:
            arch, loss = best
            rows.append(model_row(evidence, f"{obfuscation}: best reconstruction "
                                  f"({ARCH_LABELS[arch]}, {LOSS_LABELS[loss]})", arch, loss,
                                  obfuscation))
    return pd.DataFrame(rows)


def identity_table(evidence: Evidence) -> pd.DataFrame:
    """Random against identity-disjoint split, on the same test faces and seeds: test PSNR/SSIM
    of each and the drop (random minus identity), on all test faces and on the faces of people
    the random split also trains on, with a paired Wilcoxon test on all faces."""
    identity = finished(evidence.runs, "identity")
    seen = test_faces_of_people_seen_in_training(evidence)
    random_runs = finished(evidence.runs)
    rows = []
    for (arch, loss, obfuscation), group in identity.groupby(
            ["architecture", "loss", "obfuscation"], sort=False):
        seeds = set(group["seed"])
        images = evidence.images[(evidence.images["architecture"] == arch)
                                 & (evidence.images["loss"] == loss)
                                 & (evidence.images["obfuscation"] == obfuscation)
                                 & evidence.images["seed"].isin(seeds)]
        row = {"architecture": arch, "loss": loss, "obfuscation": obfuscation,
               "n_seeds": len(seeds)}
        for metric in ("psnr", "ssim"):
            per_split = {split: stats.mean_per_image(images[images["split"] == split], metric)
                         for split in ("random", "identity")}
            random, other = per_split["random"].align(per_split["identity"], join="inner")
            row[f"random_test_{metric}"], row[f"identity_test_{metric}"] = random.mean(), other.mean()
            row[f"drop_test_{metric}"] = random.mean() - other.mean() if len(random) else np.nan
            in_seen = random.index.isin(seen)
            row[f"drop_seen_people_test_{metric}"] = (random[in_seen] - other[in_seen]).mean() \
                if in_seen.any() else np.nan
            row[f"p_{metric}"] = stats.paired_wilcoxon(random.to_numpy(), other.to_numpy())["p"]
        row["n_test_faces"], row["n_faces_of_seen_people"] = len(random), int(in_seen.sum())
        # How far runs on one split move with the seed: a drop inside it is not the split's.
        same = random_runs[(random_runs["architecture"] == arch) & (random_runs["loss"] == loss)
                           & (random_runs["obfuscation"] == obfuscation)]
        for metric in ("psnr", "ssim"):
            row[f"random_seed_sd_test_{metric}"] = stats.seed_spread(same[f"test_{metric}"])[1]
        rows.append(row)
    columns = ["architecture", "loss", "obfuscation", "n_seeds", "n_test_faces",
               "n_faces_of_seen_people"]
    for metric in ("psnr", "ssim"):
        columns += [f"random_test_{metric}", f"identity_test_{metric}", f"drop_test_{metric}",
                    f"drop_seen_people_test_{metric}", f"random_seed_sd_test_{metric}",
                    f"p_{metric}", f"p_holm_{metric}"]
    table = pd.DataFrame(rows, columns=[c for c in columns if not c.startswith("p_holm")])
    adjusted = stats.holm(table[["p_psnr", "p_ssim"]].to_numpy().ravel()).reshape(-1, 2)
    table["p_holm_psnr"], table["p_holm_ssim"] = adjusted[:, 0], adjusted[:, 1]
    return table[columns]


def test_faces_of_people_seen_in_training(evidence: Evidence) -> np.ndarray:
    """LFW indices of the test faces whose person has a face in the random split's training set
    (the faces the identity-disjoint split can change most)."""
    path = evidence.results_root / evidence.profile / "split.csv"
    if not path.exists():
        return np.array([], dtype=int)
    split = pd.read_csv(path)
    trained = set(split.loc[split["subset"] == "train", "person"])
    test = split[split["subset"] == "test"]
    return test.loc[test["person"].isin(trained), "lfw_index"].to_numpy()


# --- writing tables ----------------------------------------------------------------------------

def metric_cell(row, m: str) -> str:
    """'mean ± sd [CI]' for several seeds, the mean alone for one seed (the table's n column
    says n = 1: an interval over images would hide the seed-to-seed spread it cannot see),
    'mean [CI]' for a deterministic baseline; a star marks a significant difference from L2."""
    if pd.isna(row[m]):
        return "missing"
    digits = 2 if "psnr" in m else 4
    text = f"{row[m]:.{digits}f}"
    several = row.get("kind") == "model" and row.get("n_seeds", 0) >= 2
    if several:
        text += f" ± {row[f'{m}_sd']:.{digits}f}"
    if m in TEST_METRICS and (several or row.get("kind") == "baseline"):
        text += f" [{row[f'{m}_ci_low']:.{digits}f}, {row[f'{m}_ci_high']:.{digits}f}]"
    if row.get(f"{m}_vs_l2_p_holm", 1.0) < stats.ALPHA:
        text += "*"
    return text


def formatted(table: pd.DataFrame, bold: str) -> pd.DataFrame:
    """Metric cells as text (see metric_cell), 'missing' for no value, the best mean wrapped in
    `bold` (a format string), and the number of seeds."""
    shown = table[["row"]].copy()
    for m in METRICS:
        shown[METRIC_LABELS[m]] = [
            bold.format(metric_cell(row, m)) if m in str(row.get("best_in", "")).split(";")
            else metric_cell(row, m) for _, row in table.iterrows()]
    shown["n"] = ["" if row.get("kind") != "model"
                  else str(int(row["n_seeds"]) if pd.notna(row.get("n_seeds")) else 0)
                  for _, row in table.iterrows()]
    return shown.rename(columns={"row": ""})


LEGEND = ("Mean ± standard deviation over seeds (n: seeds) and, for test metrics, a 95% "
          "bootstrap interval over test images; n = 1 shows the mean alone. * : differs from L2 "
          "(Wilcoxon signed-rank on per-image scores, Holm-corrected, p < 0.05; images are the "
          "sample, so read it beside the spread over seeds). Bold: best mean.")


def write_table(table: pd.DataFrame, folder: Path, name: str, caption: str,
                legend: str = LEGEND) -> None:
    """CSV (numbers; empty = missing), Markdown and LaTeX (booktabs), best values in bold."""
    io.write_csv(folder / f"{name}.csv", table)
    plain = "kind" not in table  # not a table of model and baseline rows: print it as it is
    bold_md = table if plain else formatted(table, "**{}**")
    bold_tex = table if plain else formatted(table, r"\textbf{{{}}}")
    md = bold_md.to_markdown(index=False, floatfmt=".4g")
    io.write_text(folder / f"{name}.md", f"{caption}\n\n{md}\n\n{legend}\n")
    latex = bold_tex.to_latex(index=False, escape=plain, caption=f"{caption} {legend}",
                              label=f"tab:{name}", float_format="%.4g")
    io.write_text(folder / f"{name}.tex", latex)


def write_tables(evidence: Evidence, results_root) -> dict[str, pd.DataFrame]:
    profile = evidence.profile
    folder = io.writable_dir(Path(results_root) / profile / "tables")
    tables = {}
    for obfuscation in OBFUSCATIONS:
        for loss in LOSSES:
            name = f"loss_{loss}_{obfuscation}"
            tables[name] = loss_table(evidence, loss, obfuscation)
            write_table(tables[name], folder, name,
                        f"{LOSS_LABELS[loss]} loss, {obfuscation} ({profile} profile)")
        for arch in ARCHITECTURES:
            name = f"architecture_{arch}_{obfuscation}"
            tables[name] = architecture_table(evidence, arch, obfuscation)
            write_table(tables[name], folder, name,
                        f"{ARCH_LABELS[arch]}, {obfuscation}: losses compared ({profile} profile)")
    tables["input_vs_reconstruction"] = input_vs_reconstruction_table(evidence)
    write_table(tables["input_vs_reconstruction"], folder, "input_vs_reconstruction",
                f"Obfuscated input and best reconstruction against the original ({profile} profile)")
    tables["significance_vs_l2"] = evidence.significance
    write_table(evidence.significance, folder, "significance_vs_l2",
                f"Each loss against L2, per architecture and obfuscation ({profile} profile)",
                "Wilcoxon signed-rank test on per-image test scores (each image's mean over "
                "seeds); p_holm: Holm-corrected over every row; significant: p_holm < 0.05.")
    tables["identity_disjoint"] = identity_table(evidence)
    write_table(tables["identity_disjoint"], folder, "identity_disjoint",
                f"Random against identity-disjoint split, same test faces ({profile} profile)",
                "drop = random minus identity-disjoint (positive: the random split scores "
                "higher); seen people: test faces whose person the random split trains on; "
                "random_seed_sd: standard deviation over seeds of the random split's runs (a "
                "drop within it is not the split's doing); p: Wilcoxon signed-rank on all test "
                "faces, Holm-corrected over the table (it treats images, not trainings, as the "
                "sample).")
    return tables


# --- figures -----------------------------------------------------------------------------------

def histories(runs: pd.DataFrame, results_root) -> pd.DataFrame:
    frames = []
    for _, run in finished(runs).iterrows():
        history = pd.read_csv(run_dir(results_root, run["profile"], run["key"]) / "history.csv")
        # history.csv's `loss` is the training loss value; the run's loss name is `loss_name`.
        frames.append(history.assign(architecture=run["architecture"], loss_name=run["loss"],
                                     obfuscation=run["obfuscation"], seed=run["seed"]))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def sample_tiles(results_root, profile: str, key: str) -> list[list[np.ndarray]] | None:
    """The rows (original, obfuscated, reconstructed) of a run's test_samples.png, as lists of
    [0, 1] RGB tiles; None if the run has none."""
    path = run_dir(results_root, profile, key) / "test_samples.png"
    if not path.exists():
        return None
    p = load_profile(profile)
    grid_rgb = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB).astype(np.float32) / 255
    n = grid_rgb.shape[1] // p.width
    return [[grid_rgb[r * p.height:(r + 1) * p.height, i * p.width:(i + 1) * p.width]
             for i in range(n)] for r in range(3)]


def reconstruction_rows(results_root, profile: str, arch: str, loss: str, seed: int):
    """Rows Original | Blurred | Reconstructed blurred | Pixelated | Reconstructed pixelated."""
    blur = sample_tiles(results_root, profile, f"{arch}__{loss}__blur__seed{seed}")
    pixel = sample_tiles(results_root, profile, f"{arch}__{loss}__pixelate__seed{seed}")
    n = len((blur or pixel or [[None] * load_profile(profile).n_samples])[0])
    def tile(rows, r, i):
        return None if rows is None else rows[r][i]
    return [[tile(blur, 0, i) if blur else tile(pixel, 0, i), tile(blur, 1, i), tile(blur, 2, i),
             tile(pixel, 1, i), tile(pixel, 2, i)] for i in range(n)]


def best_loss(runs: pd.DataFrame, arch: str) -> str | None:
    """The loss with the highest test SSIM for an architecture, averaged over obfuscations."""
    done = finished(runs)
    done = done[done["architecture"] == arch]
    return None if done.empty else done.groupby("loss")["test_ssim"].mean().idxmax()


def loss_comparison_rows(evidence: Evidence) -> pd.DataFrame:
    """Every study architecture x loss x obfuscation (test means and intervals) and every
    baseline, for the loss comparison figure."""
    rows = [{**model_row(evidence, ARCH_LABELS[a], a, loss, o), "obfuscation": o,
             "loss_label": LOSS_LABELS[loss]}
            for o in OBFUSCATIONS for a in STUDY_ARCHITECTURES for loss in LOSSES]
    rows += [{**row, "obfuscation": o} for o in OBFUSCATIONS for row in baseline_rows(evidence, o)]
    return pd.DataFrame(rows)


def write_figures(evidence: Evidence, figures_root) -> list[Path]:
    runs, profile, results_root = evidence.runs, evidence.profile, evidence.results_root
    folder = io.writable_dir(Path(figures_root) / profile)
    paths = []
    curves = histories(runs, results_root)
    for arch in ARCHITECTURES:
        for obfuscation in OBFUSCATIONS:
            if curves.empty:
                continue
            part = curves[(curves["architecture"] == arch) & (curves["obfuscation"] == obfuscation)]
            if part.empty:
                continue
            figure = plots.training_curves(part.assign(loss_name=part["loss_name"].map(LOSS_LABELS)),
                                           hue="loss_name", hue_label="loss",
                                           title=f"{ARCH_LABELS[arch]}, {obfuscation}")
            paths += io.save_figure(figure, folder / f"training_curves_{arch}_{obfuscation}")
            plots.plt.close(figure)
    for arch in STUDY_ARCHITECTURES:
        loss = best_loss(runs, arch)
        if loss is None:
            continue
        seed = int(finished(runs)["seed"].min())
        figure = plots.image_grid(reconstruction_rows(results_root, profile, arch, loss, seed),
                                  plots.COLUMN_TITLES)
        figure.suptitle(f"{ARCH_LABELS[arch]}, trained with its best loss ({LOSS_LABELS[loss]})",
                        y=1.02, fontsize=9)
        paths += io.save_figure(figure, folder / f"reconstructions_{arch}_best_loss")
        plots.plt.close(figure)
    if not finished(runs).empty:
        figure = plots.metric_heatmaps(finished(runs), ARCH_LABELS, LOSS_LABELS)
        paths += io.save_figure(figure, folder / "test_psnr_ssim_architectures_x_losses")
        plots.plt.close(figure)
        figure = plots.loss_comparison(loss_comparison_rows(evidence), list(LOSS_LABELS.values()))
        paths += io.save_figure(figure, folder / "test_psnr_ssim_losses_with_baselines")
        plots.plt.close(figure)
    return paths


def build_report(profile: str, results_root, figures_root) -> dict:
    """all_runs.csv, every table, every figure and the reproduction report of a profile, from
    its results only."""
    evidence = gather_evidence(results_root, profile)
    io.write_csv(Path(results_root) / profile / "all_runs.csv", evidence.runs)
    tables = write_tables(evidence, results_root)
    figures = write_figures(evidence, figures_root)
    best = {o: best_run(evidence, o) for o in OBFUSCATIONS}
    tables["reproduction"] = reproduction.reproduction_table(
        evidence.runs, evidence.baselines, evidence.significance, best, profile)
    reproduction.write_reproduction(tables["reproduction"], results_root, profile)
    return {"evidence": evidence, "runs": evidence.runs, "tables": tables, "figures": figures}
