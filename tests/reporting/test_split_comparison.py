"""The identity-disjoint split beside the random one (reporting/split_comparison.py): which test
faces belong to people the random split trains on."""
from types import SimpleNamespace

import pandas as pd

from facerecon.reporting import split_comparison


def test_the_faces_of_people_seen_in_training_are_the_test_faces_whose_person_trained(tmp_path):
    (tmp_path / "smoke").mkdir()
    pd.DataFrame({"subset": ["train", "train", "test", "test", "test", "val"],
                  "person": ["ann", "bob", "ann", "cid", "bob", "cid"],
                  "lfw_index": [1, 2, 3, 4, 5, 6]}).to_csv(tmp_path / "smoke" / "split.csv",
                                                        index=False)
    evidence = SimpleNamespace(results_root=tmp_path, profile="smoke")
    assert split_comparison.test_faces_of_people_seen_in_training(evidence).tolist() == [3, 5]


def test_without_a_split_no_face_is_seen(tmp_path):
    evidence = SimpleNamespace(results_root=tmp_path, profile="smoke")
    assert split_comparison.test_faces_of_people_seen_in_training(evidence).size == 0
