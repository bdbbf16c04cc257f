"""The obfuscations (axes/obfuscation.py): shape, type and range kept, pixelation in constant
blocks, quality falling as strength grows, one line for an unknown name."""
import numpy as np
import pytest

from facerecon.axes.measures import scores_per_image
from facerecon.axes.obfuscation import gaussian_blur, obfuscate, pixelate

from support import random_faces


@pytest.fixture
def faces():
    return random_faces(4, 48, 40).astype(np.float32) / 255.0


@pytest.mark.parametrize("name,params", [("blur", {"kernel": 7, "sigma": 2.0}),
                                         ("pixelate", {"block": 6})])
def test_obfuscation_keeps_shape_dtype_range(faces, name, params):
    out = obfuscate(faces, name, **params)
    assert out.shape == faces.shape and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert not np.allclose(out, faces)


def test_pixelate_makes_constant_blocks(faces):
    out = pixelate(faces, 8)
    block = out[:, :8, :8]
    np.testing.assert_allclose(block, block[:, :1, :1].repeat(8, 1).repeat(8, 2), atol=1e-6)
    np.testing.assert_allclose(block[:, 0, 0], faces[:, :8, :8].mean(axis=(1, 2)), atol=1e-6)


def test_psnr_falls_as_strength_grows(faces):
    blurred = [scores_per_image(gaussian_blur(faces, 2 * round(3 * s) + 1, s), faces)["psnr"].mean()
               for s in (0.5, 1.0, 2.0, 4.0)]
    pixelated = [scores_per_image(pixelate(faces, b), faces)["psnr"].mean() for b in (2, 4, 8)]
    assert all(a > b for a, b in zip(blurred, blurred[1:]))
    assert all(a > b for a, b in zip(pixelated, pixelated[1:]))


def test_unknown_obfuscation_lists_valid_names(faces):
    with pytest.raises(ValueError, match="valid: blur, pixelate"):
        obfuscate(faces, "mosaic")
