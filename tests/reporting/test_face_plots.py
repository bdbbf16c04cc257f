"""Figures of faces (reporting/face_plots.py): a grid keeps its tiles, titles and page width,
and says where a face is missing; a reconstructed photograph carries its scores."""
import matplotlib.pyplot as plt
import numpy as np

from facerecon.reporting import face_plots
from facerecon.reporting.plots import FULL_WIDTH_IN


def texts(axes) -> list[str]:
    return [t.get_text() for t in axes.texts]


def test_a_grid_titles_its_first_row_and_marks_a_missing_face():
    face = np.full((8, 6, 3), 0.5)
    figure = face_plots.image_grid([[face, None, face], [face, face, face]], ["a", "b", "c"],
                                   row_titles=["first", "second"])
    axes = figure.axes
    assert len(axes) == 6
    assert [ax.get_title() for ax in axes] == ["a", "b", "c", "", "", ""]
    assert [ax.get_ylabel() for ax in axes[::3]] == ["first", "second"]
    assert texts(axes[1]) == ["missing"] and not axes[1].images and axes[0].images
    plt.close(figure)


def test_a_wide_grid_shrinks_to_the_page():
    figure = face_plots.image_grid([[np.zeros((4, 4, 3))] * 12], [str(i) for i in range(12)])
    assert figure.get_size_inches()[0] <= FULL_WIDTH_IN + 1e-9
    plt.close(figure)


def test_a_reconstruction_strip_gives_its_scores_and_leaves_out_an_unknown_original():
    face = np.zeros((8, 6, 3))
    scores = {"obfuscated_psnr": 20.123, "obfuscated_ssim": 0.5, "reconstructed_psnr": 25.0,
              "reconstructed_ssim": 0.75}
    known = face_plots.reconstruction_strip(face, face, face, scores, "Blurred")
    assert [ax.get_title() for ax in known.axes] == [
        "Original", "Blurred\n20.12 dB, SSIM 0.500", "Reconstructed\n25.00 dB, SSIM 0.750"]
    unknown = face_plots.reconstruction_strip(None, face, face, {}, "Blurred")
    assert [ax.get_title() for ax in unknown.axes] == ["Blurred", "Reconstructed"]
    plt.close("all")


def test_a_missing_run_keeps_its_original_and_obfuscated_faces():
    """The original and obfuscated faces are data: only the missing run's reconstructions are
    missing, and a run's own tiles stay as they are."""
    from support import synthetic_dataset_of

    from facerecon.reporting.figures import reconstruction_titles

    dataset = synthetic_dataset_of("smoke")
    run = np.zeros((8, 6, 3))
    rows = [[run, run, run, None, None], [run, run, run, None, None]]  # pixelated: no run
    filled = face_plots.with_inputs(rows, dataset)
    assert all(row[i] is run for row in filled for i in range(3))
    assert np.array_equal(filled[1][3], dataset.obfuscated("test", "pixelate")[1])
    assert [row[4] for row in filled] == [None, None]
    nothing = face_plots.with_inputs([[None] * 5], dataset)[0]  # no run at all
    assert np.array_equal(nothing[0], dataset.images["test"][0])
    assert np.array_equal(nothing[1], dataset.obfuscated("test", "blur")[0])
    figure = face_plots.image_grid(filled, reconstruction_titles())
    missing = [i % 5 for i, ax in enumerate(figure.axes) if texts(ax) == ["missing"]]
    assert missing == [4, 4]
    plt.close(figure)
