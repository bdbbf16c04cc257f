"""Non-learned baselines: the PSF, the restorations, the selection on validation, the cache."""
import numpy as np
import pandas as pd

from facerecon.axes.obfuscation import OBFUSCATIONS, gaussian_blur, pixelate
from facerecon.data import baselines

from support import synthetic_dataset_of


def test_the_psf_is_the_kernel_that_obfuscation_blurs_with():
    impulse = np.zeros((1, 21, 21, 3), np.float32)
    impulse[0, 10, 10] = 1.0
    blurred = gaussian_blur(impulse, 7, 1.5)[0, 7:14, 7:14, 0]
    np.testing.assert_allclose(blurred, baselines.gaussian_psf(7, 1.5), atol=1e-6)


def test_deconvolution_undoes_part_of_the_blur(synthetic_dataset):
    faces = synthetic_dataset.images["test"]
    psf = baselines.gaussian_psf(3, 1.0)
    blurred = gaussian_blur(faces, 3, 1.0)
    error = {name: np.mean((images - faces) ** 2) for name, images in {
        "blurred": blurred,
        "wiener": baselines.deconvolve(blurred, psf, "wiener", 1e-3),
        "richardson_lucy": baselines.deconvolve(blurred, psf, "richardson_lucy", 20)}.items()}
    assert error["wiener"] < error["blurred"] and error["richardson_lucy"] < error["blurred"]


def test_bicubic_of_block_means_beats_the_blocks_on_smooth_faces():
    y, x = np.mgrid[0:32, 0:32] / 31.0
    smooth = np.repeat((0.5 + 0.4 * np.sin(3 * x) * np.cos(2 * y))[None, ..., None], 3, axis=-1)
    smooth = smooth.astype(np.float32)
    blocks = pixelate(smooth, 4)
    bicubic = baselines.bicubic_from_block_means(blocks, 4)
    assert bicubic.shape == smooth.shape
    assert np.mean((bicubic - smooth) ** 2) < np.mean((blocks - smooth) ** 2)


def test_baselines_choose_on_validation_record_everything_and_are_cached(tmp_path):
    dataset = synthetic_dataset_of()
    summary = baselines.run_baselines(dataset, tmp_path)
    folder = tmp_path / "smoke" / "baselines"
    selection = pd.read_csv(folder / "selection.csv")
    assert selection.groupby(["obfuscation", "method"])["chosen"].sum().eq(1).all()
    wiener = selection[selection["method"] == "wiener"]
    assert len(wiener) == len(baselines.WIENER_BALANCES)
    assert wiener.loc[wiener["chosen"], "val_psnr"].item() == wiener["val_psnr"].max()
    per_image = pd.read_csv(folder / "per_image.csv")
    assert set(per_image["subset"]) == {"train", "test"}
    assert set(zip(summary["obfuscation"], summary["method"])) == {
        (o, m) for o, entry in OBFUSCATIONS.items() for m in entry.baselines}
    input_row = summary[(summary["obfuscation"] == "blur") & (summary["method"] == "input")]
    psnr = dataset.score("test", dataset.obfuscated("test", "blur"))["psnr"]
    assert input_row["test_psnr"].item() == np.float64(psnr.mean()).item()
    stamp = (folder / "per_image.csv").stat().st_mtime_ns
    baselines.run_baselines(dataset, tmp_path)
    assert (folder / "per_image.csv").stat().st_mtime_ns == stamp


def test_baselines_are_finite_on_constant_faces(tmp_path):
    for value in (0, 255):
        dataset = synthetic_dataset_of(constant_test=value)
        summary = baselines.run_baselines(dataset, tmp_path / str(value))
        assert np.isfinite(summary[["test_psnr", "test_ssim"]].to_numpy()).all(), value
