"""Recognition's sentences (reporting/recognition_text.py), from tables made up for the
purpose: each claim is about one recogniser and true of its own numbers, and a sentence about
reconstructions appears only where a reconstruction was scored, with its counts."""
import pandas as pd

from facerecon.reporting import recognition_report, recognition_text

# Ten people, one probe and one gallery image each: chance is 10%.
PROTOCOL = pd.DataFrame({"role": ["probe"] * 10 + ["gallery"] * 10,
                         "lfw_index": range(20), "person": [f"p{i % 10}" for i in range(20)]})


def strength(label, top1, low, alike, alike_low):
    """A privacy table's row of dlib's: top-1 (and the lower end of its interval) by the
    recogniser of originals and by the one trained alike."""
    return {"recogniser": "dlib", "obfuscation": "pixelate", "strength": label,
            "profile_strength": False, "top1": top1, "top1_ci_low": low,
            "trained_on_obfuscated_top1": alike, "trained_on_obfuscated_top1_ci_low": alike_low}


def test_each_recogniser_counts_its_own_strengths_above_chance():
    """The recogniser of originals names block 16 for 0%: it must not be said to keep every
    strength identifiable because the recogniser trained alike does."""
    strengths = pd.DataFrame([strength("block 8", 0.60, 0.45, 0.80, 0.70),
                              strength("block 12", 0.20, 0.12, 0.50, 0.40),
                              strength("block 16", 0.00, 0.00, 0.30, 0.20)])
    text = recognition_text.privacy_text(strengths, PROTOCOL, "dlib")
    assert "chance 10%" in text
    assert "every" not in text
    assert ("for 60% (block 8) down to 0% (block 16) by a recogniser of original faces, above "
            "chance at 2 of 3 strengths (block 8; block 12)") in text
    assert ("for 80% (block 8) down to 30% (block 16) by one trained on pixelated faces, above "
            "chance at 3 of 3 strengths.") in text


def test_no_strength_above_chance_is_said_as_none_of_them():
    hidden = pd.DataFrame([strength("block 8", 0.08, 0.00, 0.09, 0.02),
                           strength("block 16", 0.00, 0.00, 0.05, 0.00)])
    text = recognition_text.privacy_text(hidden, PROTOCOL, "dlib")
    assert text.count("above chance at 0 of 2 strengths") == 2


def test_a_recogniser_that_scored_no_strength_is_not_described():
    strengths = pd.DataFrame([strength("block 8", 0.60, 0.45, None, None)])
    text = recognition_text.privacy_text(strengths, PROTOCOL, "dlib")
    assert "by a recogniser of original faces, above chance at 1 of 1 strength." in text
    assert "trained on pixelated" not in text


def condition(name, top1, **fields):
    """A recognition table's row (pixelated faces unless it is the originals)."""
    return {"recogniser": "dlib", "condition": name, "label": name, "strength": "block 16",
            "obfuscation": None if name == "original" else "pixelate", "n_seeds": 1,
            "top1": top1, "top1_ci_low": top1 and top1 - 0.1, "top1_ci_high": top1 and top1 + 0.1,
            "top5": top1 and min(1.0, top1 + 0.2), "status": "finished", **fields}


def run(label, top1, status="finished"):
    return condition("run", top1, label=label, architecture="srresnet", loss="l2",
                     split="random", status=status, n_seeds=1 if top1 else 0,
                     top1_vs_obfuscated="one seed" if top1 else None,
                     top1_vs_trained_on_obfuscated="one seed" if top1 else None)


REFERENCES = [condition("original", 0.9), condition("obfuscated", 0.2),
              condition("trained_on_obfuscated", 0.5)]


def text_of(rows) -> str:
    table = pd.DataFrame(rows).reindex(columns=recognition_report.TABLE_COLUMNS)
    strengths = pd.DataFrame([strength("block 16", 0.2, 0.1, 0.5, 0.4)])
    return recognition_text.recogniser_text("dlib", table, strengths, PROTOCOL)


def test_no_sentence_about_reconstructions_where_none_was_scored():
    text = text_of(REFERENCES + [run("SRResNet, L2", None, status="retrain"),
                                 run("SRResNet, L1", None, status="missing")])
    assert "reconstruction" not in text.lower()
    assert "1 trained network configuration cannot be scored here" in text
    assert "1 network configuration of the grid is not trained yet" in text


def test_reconstructions_are_counted_against_the_obfuscated_faces_and_the_trained_recogniser():
    text = text_of(REFERENCES + [run("SRResNet, L2", 0.6), run("SRResNet, L1", 0.1),
                                 run("SRResNet, SSIM", 0.5)])
    assert "The best reconstruction (SRResNet, L2, random split, 1 seed)" in text
    assert ("more often than the obfuscated faces (20%) for 2 of the 3 scored network "
            "configurations and less often for 1 (point estimates; paired verdicts: 3 on one "
            "seed)") in text
    assert ("more often than the obfuscated faces by a recogniser trained on them (50%) for 1, "
            "less often for 1 and as often for 1") in text
