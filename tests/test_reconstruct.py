"""python -m facerecon reconstruct with a smoke-trained model: faces you bring, cropped and
resized as the pipeline does, obfuscated as the run was trained, reconstructed and scored."""
import cv2
import numpy as np
import pytest

from facerecon.app import cli, reconstruct
from facerecon.experiment.config import RunConfig
from facerecon.training import train

from conftest import random_faces, synthetic_dataset_of


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    root = tmp_path_factory.mktemp("reconstruct")
    run = RunConfig("simple_cnn", "l2", "pixelate", 0, "smoke")
    train.train_run(run, synthetic_dataset_of(), root / "results", verbose=0)
    return root / "results" / "smoke" / "weights" / f"{run.key}.weights.h5"


@pytest.fixture
def photos(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    faces = random_faces(2, 250, 250, seed=3)
    cv2.imwrite(str(folder / "lfw_sized.jpg"), faces[0])
    cv2.imwrite(str(folder / "portrait.png"), cv2.resize(faces[1], (120, 180)))
    (folder / "notes.txt").write_text("not an image")
    return folder


def test_faces_are_cropped_like_lfw_and_reconstructed_with_scores(weights, photos, tmp_path,
                                                                  capsys):
    out = tmp_path / "out"
    assert cli.main(["reconstruct", "--model", str(weights), str(photos), "--out", str(out)]) == 0
    # one line per face (a note on the scaling may come first, where no prepared cache is here)
    printed = [line for line in capsys.readouterr().out.splitlines() if " -> " in line]
    assert len(printed) == 2 and all("reconstructed" in line and "dB" in line for line in printed)
    assert sorted(p.name for p in out.glob("*.png")) == ["lfw_sized_reconstructed.png",
                                                         "portrait_reconstructed.png"]
    assert reconstruct.face_of(photos / "portrait.png").shape == (62, 47, 3)


def test_an_lfw_sized_photo_gets_scikit_learns_crop(photos):
    face = reconstruct.face_of(photos / "lfw_sized.jpg")
    photo = cv2.cvtColor(cv2.imread(str(photos / "lfw_sized.jpg")), cv2.COLOR_BGR2RGB)
    expected = cv2.resize(photo[reconstruct.LFW_CROP], (47, 62), interpolation=cv2.INTER_AREA)
    np.testing.assert_array_equal(face, expected)


def test_already_obfuscated_faces_have_no_scores(weights, photos, tmp_path, capsys):
    out = tmp_path / "out"
    assert cli.main(["reconstruct", "--model", str(weights), str(photos / "portrait.png"),
                     "--obfuscated", "--out", str(out)]) == 0
    assert "dB" not in capsys.readouterr().out and (out / "portrait_reconstructed.png").exists()


@pytest.mark.parametrize("model, image, message", [
    ("model.h5", "photos", "not a run's weights file"),
    ("weights/x.weights.h5", "photos", "expected <architecture>"),
    ("results/smoke/weights/srresnet__l2__blur__seed0.weights.h5", "photos", "no such weights"),
    (None, "missing.jpg", "no such image or folder"),
    (None, "photos/notes.txt", "not an image OpenCV can read"),
])
def test_bad_input_is_one_line(weights, photos, tmp_path, capsys, model, image, message):
    model = str(weights) if model is None else str(tmp_path / model)
    assert cli.main(["reconstruct", "--model", model, str(photos.parent / image),
                     "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err.strip()
    assert message in error and len(error.splitlines()) == 1
