"""python -m facerecon reconstruct with a smoke-trained model: faces you bring, found by OpenCV's
bundled detector and cropped like LFW, obfuscated as the run was trained, reconstructed and
scored; images without a usable face are skipped with one line each and the rest go on."""
import random
import subprocess
import sys

import cv2
import numpy as np
import pytest

from facerecon.app import cli, reconstruct

from support import TRAINED_RUN, random_faces


@pytest.fixture(scope="module")
def weights(trained_run):
    return trained_run / "smoke" / "weights" / f"{TRAINED_RUN.key}.weights.h5"


@pytest.fixture(scope="module")
def lfw_photos(lfw_home):
    """Random LFW photographs (250x250, as LFW ships them)."""
    paths = sorted((lfw_home / "lfw").glob("*/*.jpg"))
    return random.Random(0).sample(paths, 200)


def read(path):
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


def scikit_learns_face(path):
    return cv2.resize(read(path)[reconstruct.LFW_CROP], (47, 62), interpolation=cv2.INTER_AREA)


def in_a_larger_photo(path, scale: float, top: int, left: int):
    """An LFW photograph rescaled and placed off-centre on a plain background."""
    image = cv2.resize(cv2.imread(str(path)), None, fx=scale, fy=scale,
                       interpolation=cv2.INTER_CUBIC)
    return cv2.copyMakeBorder(image, top, 40, left, 15, cv2.BORDER_CONSTANT, value=(200, 210, 230))


def psnr(a, b):
    return cv2.PSNR(a, b)


@pytest.fixture
def non_faces(tmp_path):
    """Images a careful user tried: none holds a face."""
    folder = tmp_path / "non_faces"
    folder.mkdir()
    cv2.imwrite(str(folder / "solid.png"), np.full((200, 200, 3), 128, np.uint8))
    cv2.imwrite(str(folder / "noise.png"),
                np.random.default_rng(0).integers(0, 256, (300, 300, 3), dtype=np.uint8))
    cv2.imwrite(str(folder / "one_pixel.png"), np.zeros((1, 1, 3), np.uint8))
    (folder / "broken.jpg").write_bytes(b"not a JPEG")
    return folder


def test_the_detector_finds_lfw_faces_where_the_crop_assumes(lfw_photos):
    boxes = []
    for path in lfw_photos:
        try:
            boxes.append(reconstruct.face_box(cv2.imread(str(path)), path))
        except reconstruct.NotAFace:
            continue
    assert len(boxes) >= 0.95 * len(lfw_photos)
    np.testing.assert_allclose(np.median(boxes, axis=0), reconstruct.LFW_BOX, atol=2.0)


def test_a_face_anywhere_in_a_photo_is_cropped_as_scikit_learn_crops_lfw(lfw_photos, tmp_path):
    # the detector's box moves by a pixel or two between photographs: the crop agrees with
    # scikit-learn's to within that, at LFW's size and in a larger photo around it
    agree = []
    for i, path in enumerate(lfw_photos[:20]):
        larger = tmp_path / f"larger_{i}.png"
        cv2.imwrite(str(larger), in_a_larger_photo(path, 1.5 + i % 3, 30 + 7 * i, 60 + 3 * i))
        expected = scikit_learns_face(path)
        agree.append((psnr(reconstruct.face_of(path), expected),
                      psnr(reconstruct.face_of(larger), expected)))
    assert np.median(agree, axis=0).min() > 22, np.median(agree, axis=0)


def test_photos_with_a_face_are_reconstructed_with_scores(weights, lfw_photos, non_faces,
                                                          tmp_path, capsys):
    cv2.imwrite(str(non_faces / "lfw_sized.jpg"), cv2.imread(str(lfw_photos[0])))
    cv2.imwrite(str(non_faces / "portrait.png"), in_a_larger_photo(lfw_photos[1], 2, 80, 40))
    out = tmp_path / "out"
    assert cli.main(["reconstruct", "--model", str(weights), str(non_faces),
                     "--out", str(out)]) == 1  # the non-faces beside them are skipped
    captured = capsys.readouterr()
    printed = [line for line in captured.out.splitlines() if " -> " in line]
    assert len(printed) == 2 and all("reconstructed" in line and "dB" in line for line in printed)
    made_by = f"smoke-16x16__{TRAINED_RUN.key}.png"
    assert sorted(p.name for p in out.glob("*.png")) == [f"lfw_sized__{made_by}",
                                                         f"portrait__{made_by}"]
    assert "2 of 6 image(s) reconstructed, 4 skipped" in captured.out
    assert len(captured.err.strip().splitlines()) == 4


def test_images_without_a_face_are_skipped_one_line_each(weights, non_faces, tmp_path, capsys):
    out = tmp_path / "out"
    assert cli.main(["reconstruct", "--model", str(weights), str(non_faces),
                     str(tmp_path / "missing.jpg"), "--out", str(out)]) == 1
    captured = capsys.readouterr()
    skipped = sorted(captured.err.strip().splitlines())
    assert len(skipped) == 5 and all(line.startswith("skipped: ") for line in skipped)
    for name in ("solid.png", "noise.png", "one_pixel.png"):
        assert any(f"no face found in {non_faces / name}" in line for line in skipped), name
    assert any("broken.jpg: not an image OpenCV can read" in line for line in skipped)
    assert any("missing.jpg: no such image or folder" in line for line in skipped)
    assert "0 of 5 image(s) reconstructed" in captured.out and not list(out.glob("*"))


def test_a_face_too_small_is_named_with_the_size_needed(lfw_photos, tmp_path):
    small = tmp_path / "small.jpg"
    cv2.imwrite(str(small), cv2.resize(cv2.imread(str(lfw_photos[0])), (60, 60)))
    with pytest.raises(reconstruct.NotAFace, match=f"at least {reconstruct.MIN_FACE} px"):
        reconstruct.face_of(small)


def test_already_obfuscated_faces_are_taken_whole_and_have_no_scores(weights, tmp_path, capsys):
    portrait = tmp_path / "portrait.png"
    cv2.imwrite(str(portrait), cv2.resize(random_faces(1, 250, 250, seed=3)[0], (120, 180)))
    out = tmp_path / "out"
    assert cli.main(["reconstruct", "--model", str(weights), str(portrait), "--obfuscated",
                     "--out", str(out)]) == 0
    assert "dB" not in capsys.readouterr().out
    assert (out / f"portrait__smoke-16x16__{TRAINED_RUN.key}.png").exists()
    assert reconstruct.face_of(portrait, obfuscated=True).shape == (62, 47, 3)


def test_an_obfuscated_image_must_be_a_face_sized_picture(tmp_path):
    flat = tmp_path / "flat.png"
    cv2.imwrite(str(flat), np.full((120, 100, 3), 90, np.uint8))
    with pytest.raises(reconstruct.NotAFace, match="a single colour"):
        reconstruct.face_of(flat, obfuscated=True)
    tiny = tmp_path / "tiny.png"
    cv2.imwrite(str(tiny), random_faces(1, 30, 20)[0])
    with pytest.raises(reconstruct.NotAFace, match="smaller than a 47x62 face"):
        reconstruct.face_of(tiny, obfuscated=True)


@pytest.mark.parametrize("model, message", [
    ("model.h5", "not a run's weights file"),
    ("weights/x.weights.h5", "expected <architecture>"),
    ("results/smoke/weights/srresnet__l2__blur__seed0.weights.h5", "no such weights"),
    ("elsewhere/srresnet__l2__blur__seed0.weights.h5", "its profile is neither in its name"),
])
def test_a_bad_model_is_one_line(non_faces, tmp_path, capsys, model, message):
    assert cli.main(["reconstruct", "--model", str(tmp_path / model), str(non_faces),
                     "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err.strip()
    assert message in error and len(error.splitlines()) == 1


def copied_weights(weights, folder, key: str, size: int | None = None):
    """The trained run's weights under another run's name (cut to `size` bytes)."""
    target = folder / "results" / "smoke" / "weights" / f"{key}.weights.h5"
    target.parent.mkdir(parents=True)
    data = weights.read_bytes()
    target.write_bytes(data if size is None else data[:size])
    return target


@pytest.mark.parametrize("key, size, reason", [
    (TRAINED_RUN.key, 4096, "Simple CNN at the smoke profile's sizes"),           # truncated
    ("srresnet__l2__blur__seed0", None, "SRResNet at the smoke profile's sizes"),  # another's
])
def test_weights_reconstruct_cannot_use_are_one_line(weights, non_faces, lfw_photos, tmp_path,
                                                    capsys, key, size, reason):
    given = copied_weights(weights, tmp_path, key, size)
    status = cli.main(["reconstruct", "--model", str(given), str(lfw_photos[0]),
                       "--out", str(tmp_path / "out")])
    error = capsys.readouterr().err.strip()
    assert status == 2 and len(error.splitlines()) == 1, error[-500:]
    assert error.startswith(f"error: {given}: not the weights of a") and reason in error


def test_an_out_folder_that_is_a_file_says_so_and_names_out(weights, lfw_photos, tmp_path,
                                                            capsys):
    out = tmp_path / "out.png"
    out.write_bytes(b"a picture")
    assert cli.main(["reconstruct", "--model", str(weights), str(lfw_photos[0]),
                     "--out", str(out)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {out} is a file, not a folder; choose another folder for the reconstructions "
        f"(--out)")


def test_images_sharing_a_name_are_each_written_under_a_name_of_their_own(weights, lfw_photos,
                                                                        tmp_path, capsys):
    """a/face.jpg, b/face.jpg and b/face.png: three reconstructions, none overwriting another."""
    for name, photo in (("a/face.jpg", 0), ("b/face.jpg", 1), ("b/face.png", 2)):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        cv2.imwrite(str(tmp_path / name), cv2.imread(str(lfw_photos[photo])))
    out = tmp_path / "out"
    assert cli.main(["reconstruct", "--model", str(weights), str(tmp_path / "a"),
                     str(tmp_path / "b"), str(tmp_path / "a" / "face.jpg"), "--out", str(out)]) == 0
    made_by = f"smoke-16x16__{TRAINED_RUN.key}.png"
    assert sorted(p.name for p in out.glob("*.png")) == [
        f"a_face_jpg__{made_by}", f"b_face_jpg__{made_by}", f"b_face_png__{made_by}"]
    assert "3 of 3 image(s) reconstructed" in capsys.readouterr().out


LARGE_PHOTO = """
import resource, sys
from facerecon.app import reconstruct
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
face = reconstruct.face_of(reconstruct.Path(sys.argv[1]))
print(face.shape, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


def test_a_large_photo_is_cropped_within_the_memory_of_the_photo_itself(lfw_photos, tmp_path):
    """An 8000x8000 photograph (192 MB decoded) peaked at 4.6 GB: the detector now searches a
    smaller copy and only the crop is padded. Measured in a process of its own, above what its
    imports take."""
    large = tmp_path / "large.jpg"
    cv2.imwrite(str(large), cv2.resize(cv2.imread(str(lfw_photos[0])), (8000, 8000),
                                       interpolation=cv2.INTER_CUBIC))
    done = subprocess.run([sys.executable, "-c", LARGE_PHOTO, str(large)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    shape, added_mib = done.stdout.rsplit(" ", 1)
    assert shape == "(62, 47, 3)" and int(added_mib) < 512, done.stdout
