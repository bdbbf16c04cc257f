"""The report's front, before its findings: the title and authors as CITATION.cff gives them
(the file the repository is cited by, so the report credits what the citation credits: the
repository's authors, and the study it reproduces), an abstract written from the findings'
numbers, and a methods section written from the profile's settings (params/<profile>.yaml), so
that the smoke, quick and paper reports each describe the runs they hold. Plain text, which
latex.py escapes and places."""
from __future__ import annotations

import pandas as pd
import yaml

from ..axes.architectures import ARCHITECTURES
from ..axes.face_descriptor import SAME_PERSON
from ..axes.losses import LOSSES
from ..axes.measures import MEASURES, shown
from ..axes.metrics import SSIM_BORDER, SSIM_SIGMA, SSIM_WINDOW
from ..axes.obfuscation import OBFUSCATIONS, setting_label
from ..core.io import PROJECT_ROOT
from ..core.stats import CONFIDENCE, MIN_SEEDS
from ..data.baselines import METHODS
from ..data.lfw import LFW_IMAGES
from ..experiment.config import (REFERENCE_ARCHITECTURE, REFERENCE_LOSS, STUDY_ARCHITECTURES,
                                 STUDY_LOSSES, Profile)
from ..experiment.study import finished
from ..recognition.protocol import MIN_GALLERY, RECOGNISERS, TOP_K
from .evidence import VERDICT_RULE, seed_range

CITATION = PROJECT_ROOT / "CITATION.cff"


def citation() -> dict:
    """CITATION.cff: the title, the authors and the references the repository is cited with."""
    return yaml.safe_load(CITATION.read_text())


def person(entry: dict) -> str:
    """'Gary B. Huang', or an entity's name ('The facerecon authors')."""
    return entry.get("name") or " ".join(
        part for part in (entry.get("given-names"), entry.get("family-names")) if part)


def listed(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return " and ".join(filter(None, [", ".join(items[:-1]), items[-1]])) if items else ""


def losses_named(names) -> str:
    """'L2, L1 and PSNR': losses by their labels."""
    return listed([LOSSES[name].label for name in names])


def reproduced_study(cited: dict) -> tuple[str, str, str]:
    """The study reproduced (CITATION.cff's first reference) as the title page credits it:
    the words before its title, its title (set in italics), and its institution where the file
    gives one."""
    study = cited["references"][0]
    where = (study.get("institution") or {}).get("name")
    return (f"Reproducing {listed([person(a) for a in study['authors']])}, ", study["title"],
            f" ({where})" if where else "")


def title_block(profile: Profile) -> dict:
    """Title, authors, the study credited and which profile's results these are."""
    cited = citation()
    return {"title": cited["title"], "authors": listed([person(a) for a in cited["authors"]]),
            "credit": reproduced_study(cited),
            "profile": f"Results of the {profile.name} profile (params/{profile.name}.yaml): "
                       f"{profile.description}"}


# --- the abstract, from the findings -----------------------------------------------------------

def headline(answer: str) -> str:
    """The answer's first paragraph without its bold question: 'Not decided yet. ...'."""
    first = answer.split("\n\n", 1)[0]
    return first.split("** ", 1)[-1].replace("**", "").strip()


def counted(completeness: str) -> str:
    """The completeness's count of runs ('46 of 132 runs exist, 86 missing'), its detail left to
    the findings."""
    return completeness.split(": ", 1)[0].split(". ", 1)[0].rstrip(".") + "."


def psnr_seed_ranges(runs: pd.DataFrame) -> pd.Series:
    """The seed range of test PSNR (evidence.seed_range, the spread the findings set beside each
    effect) of every configuration of the random split with at least MIN_SEEDS finished seeds."""
    done = finished(runs, split="random")
    ranges = done.groupby(["architecture", "loss", "obfuscation"]).apply(
        lambda configuration: seed_range(configuration, "test_psnr"), include_groups=False)
    return ranges.dropna()


def seed_caveat(leads: pd.DataFrame, runs: pd.DataFrame) -> str:
    """Why a single seed decides nothing, how many leads rest on one, and the seed-to-seed spread
    every effect is to be read beside."""
    single = int((leads["n_seeds"] < MIN_SEEDS).sum())
    rule = (f"No difference between losses is decided on fewer than {MIN_SEEDS} seeds, since "
            "training noise shows only between trainings")
    said = (f"{single} of the {len(leads)} leads rest on a single seed. {rule}."
            if len(leads) else f"{rule}.")
    ranges, psnr = psnr_seed_ranges(runs), MEASURES["psnr"]
    if ranges.empty:
        return (f"{said} No configuration has {MIN_SEEDS} seeds yet, so the seed-to-seed "
                "spread that every effect must be read beside is not known.")
    return (f"{said} Every effect must be read beside the seed-to-seed spread: the seed range of "
            "test PSNR (the largest minus the smallest of a configuration's per-seed means) is "
            f"{shown(ranges.median(), psnr)} at the median of the {len(ranges)} configurations "
            f"with {MIN_SEEDS} or more seeds (at most {shown(ranges.max(), psnr)}).")


def study_text(profile: Profile) -> str:
    """What the study does, in the profile's settings."""
    obfuscations = " or ".join(
        f"{o.label.lower()} ({setting_label(name, profile.obfuscation_settings(name))})"
        for name, o in OBFUSCATIONS.items())
    return (f"Faces from Labeled Faces in the Wild, {obfuscations}, are reconstructed at "
            f"{profile.height}×{profile.width} pixels by the "
            f"{listed([ARCHITECTURES[a].label for a in STUDY_ARCHITECTURES])}, each trained under "
            f"the study's losses ({losses_named(STUDY_LOSSES)}) and "
            f"{losses_named([loss for loss in LOSSES if loss not in STUDY_LOSSES])}, to ask which "
            "loss restores faces best.")


def abstract_text(profile: Profile, findings: dict, runs: pd.DataFrame) -> str:
    """The study, its answer, how complete the grid is, and the seed caveat: from the findings'
    pieces and the runs, never a number written by hand."""
    table = findings["table"]
    leads = table[table["best_loss"].fillna("") != ""]
    return " ".join([study_text(profile), headline(findings["answer"]),
                     counted(findings["completeness"]), seed_caveat(leads, runs)])


# --- the methods, from the profile -------------------------------------------------------------

def sizes(settings: dict) -> str:
    """'filters 128, middle layers 3', 'widths 64/128/256, blocks 3'."""
    return ", ".join(f"{key.replace('_', ' ')} "
                     + ("/".join(map(str, value)) if isinstance(value, list) else str(value))
                     for key, value in settings.items())


def seeds_text(seeds) -> str:
    """'seed 0', 'seeds 0, 1'."""
    return f"seed{'s' if len(seeds) != 1 else ''} {', '.join(map(str, seeds))}"


def data_text(profile: Profile) -> str:
    identity = (f" An identity-disjoint split trains {losses_named(profile.identity_losses)} "
                f"({seeds_text(profile.identity_seeds)}) on people with no test face, scored on "
                "the same test faces." if profile.identity_losses else "")
    return (f"Labeled Faces in the Wild ({LFW_IMAGES:,} images, as scikit-learn loads them), "
            f"resized with OpenCV ({profile.interpolation} interpolation) to "
            f"{profile.height}×{profile.width} RGB pixels and min-max scaled by the training "
            f"images' range. A permutation seeded {profile.split_seed} draws "
            f"{profile.n_train + profile.n_test:,} images: {profile.n_train:,} to train on "
            f"and {profile.n_test:,} to test on; {profile.n_val:,} validation images, which "
            "early stopping watches, are drawn from outside them, so no test face steers "
            f"training.{identity}")


def obfuscations_text(profile: Profile) -> str:
    def strengths(name: str) -> str:
        every = "; ".join(setting_label(name, c)
                          for c in profile.obfuscations[name]["candidates"])
        return (f"{setting_label(name, profile.obfuscation_settings(name))} (among the "
                f"calibration candidates {every})")

    chosen = "; ".join(f"{o.label.lower()}: {strengths(name)}" for name, o in OBFUSCATIONS.items())
    return (f"Every face is obfuscated at the profile's strength, {chosen}; k is the Gaussian "
            "kernel's side and σ its standard deviation, block the side of the averaged squares, "
            "in pixels. "
            f"The strength sweep trains the {ARCHITECTURES[profile.sweep_architecture].label} "
            f"under {LOSSES[profile.sweep_loss].label} ({seeds_text(profile.sweep_seeds)}) "
            "at each of the other candidates.")


def networks_text(profile: Profile) -> str:
    study = "; ".join(f"{ARCHITECTURES[a].label} ({sizes(profile.architectures[a])})"
                      for a in STUDY_ARCHITECTURES)
    reference = ARCHITECTURES[REFERENCE_ARCHITECTURE]
    low, high = reference.output_range
    return (f"{study}: fully convolutional, so each keeps its input's size. The "
            f"{reference.label} ({sizes(profile.architectures[REFERENCE_ARCHITECTURE])}, "
            f"output in [{low:g}, {high:g}]) is trained under {LOSSES[REFERENCE_LOSS].label} "
            "only, as the study's reference row.")


def losses_text() -> str:
    beyond = [loss for loss in LOSSES if loss not in STUDY_LOSSES]
    return (f"The study's {losses_named(STUDY_LOSSES)}"
            + (f", and beyond it {losses_named(beyond)}" if beyond else "")
            + f"; every loss is compared with {LOSSES[REFERENCE_LOSS].label}.")


def training_text(profile: Profile) -> str:
    return (f"Adam with learning rate {profile.learning_rate:g}, batch {profile.batch_size}, "
            f"at most {profile.max_epochs} epochs; early stopping on the validation loss with "
            f"patience {profile.patience}, the best epoch's weights restored; BatchNorm momentum "
            f"{profile.bn_momentum:g}. Every configuration trains on "
            f"{seeds_text(profile.seeds)}.")


def measures_text() -> str:
    recognisers = listed([r.label for r in RECOGNISERS.values()])
    ranks = " and ".join(f"top-{k}" for k in TOP_K)
    baselines = listed([m.short_label for name, m in METHODS.items() if name != "input"])
    return (f"PSNR and SSIM ({SSIM_WINDOW}×{SSIM_WINDOW} Gaussian window, σ {SSIM_SIGMA:g}) per "
            "test face on the original pixel scale, in RGB and on BT.601 luma; PSNR also "
            f"inside the SSIM window's centres and in the {SSIM_BORDER}-pixel border none "
            "centres on, where a run recorded them; the identity "
            "distance of each test face to its original by dlib's descriptor (under "
            f"{SAME_PERSON:g} dlib calls two faces one person); {ranks} face recognition by "
            f"{recognisers}, on the test faces of people with at least "
            f"{MIN_GALLERY} gallery images outside the study's. A table cell is the mean over "
            f"seeds ± its standard deviation over seeds, with a {CONFIDENCE:.0%} bootstrap "
            "interval over test faces; beside the networks stand the obfuscated input and the "
            f"non-learned baselines: {baselines}.")


def methods(profile: Profile) -> list[tuple[str, str]]:
    """The methods section's paragraphs, each (its name, its text)."""
    return [("Data", data_text(profile)), ("Obfuscations", obfuscations_text(profile)),
            ("Networks", networks_text(profile)), ("Losses", losses_text()),
            ("Training", training_text(profile)), ("Measures", measures_text()),
            ("Verdicts", VERDICT_RULE)]
