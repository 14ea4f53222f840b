"""Runaway work is refused before it starts, with the estimate and the limit in the message;
values that slip past a loose check are refused by name."""
import numpy as np
import pytest

import pixelfes_edu as pfe
from pixelfes_edu.validation import ResourceLimitError


@pytest.mark.parametrize("sigma, nodes", [(1e-9, "4,000,000,011"), (1e-3, "4,012")])
def test_a_tiny_sigma_is_refused_before_its_basis_is_built(sigma, nodes):
    with pytest.raises(ValueError, match=f"sigma must be >= 0.05 .*{nodes} at σ = {sigma:g}"):
        pfe.PixelKernelRidge(sigma=sigma)
    k = pfe.PixelKernelRidge(sigma=1.0).fit(np.zeros((3, 4, 4)), np.zeros((3, 4, 4)))
    with pytest.raises(ValueError, match="sigma must be >= 0.05"):
        k.update(sigma=sigma)
    assert k.sigma == 1.0


def test_a_receptive_field_larger_than_the_images_is_refused():
    X = np.zeros((4, 16, 16))
    with pytest.raises(ValueError, match="field 33 is larger than the images \\(16x16\\): use field <= 16"):
        pfe.MaskedRidge(field=33).fit(X, X)


def test_large_allocations_are_estimated_first(monkeypatch):
    monkeypatch.setenv("PIXELFES_EDU_MAX_BYTES", str(2**20))
    X = np.random.default_rng(0).random((4, 32, 32, 3))
    with pytest.raises(ResourceLimitError, match=r"MaskedRidge\(field=5\) .* needs about \d+.\d MiB, more than the "
                                                 r"limit of 1.0 MiB \(PIXELFES_EDU_MAX_BYTES\)"):
        pfe.MaskedRidge(field=5).fit(X, X)
    with pytest.raises(ResourceLimitError, match=r"Pixel-KR's per-pixel \d+x\d+ systems .* more than the limit"):
        pfe.PixelKernelRidge(sigma=0.05, solver="features").fit(X, X)
    assert issubclass(ResourceLimitError, ValueError) and issubclass(ResourceLimitError, MemoryError)


def test_crop_sizes_are_bounded():
    img = np.full((64, 64, 3), 200, np.uint8)
    with pytest.raises(ValueError, match="size must be an integer between 8 and 4096, got 100000"):
        pfe.align_face(img, eyes=[[20, 30], [44, 30]], size=10**5)


@pytest.mark.parametrize("image", [np.full((64, 64, 3), 200, np.int64), np.ones((64, 64, 3), bool),
                                   -np.ones((64, 64, 3), np.int8)], ids=["int64", "bool", "negative int8"])
def test_photos_of_ambiguous_dtype_are_refused_not_blackened(image):
    with pytest.raises(ValueError, match=f"image has dtype {image.dtype}: pass uint8, uint16 or float"):
        pfe.align_face(image, eyes=[[20, 30], [44, 30]], size=32)


def test_unknown_keywords_are_refused_for_auto_too():
    with pytest.raises(TypeError, match="load_pairs\\(.auto.\\) got unexpected keyword\\(s\\) foo; it accepts size, n, seed, progress, expression, warp, strict, workers, download$"):
        pfe.load_pairs("auto", size=32, n=4, foo=1)


@pytest.mark.parametrize("lam", [1 + 0j, True, np.bool_(True), "0.4"])
def test_lambda_that_is_not_a_real_number_is_refused(lam):
    for cls in (pfe.PixelRidge, pfe.PixelKernelRidge, pfe.MaskedRidge, pfe.GlobalRidge):
        with pytest.raises(ValueError, match="lam must be a finite real number > 0"):
            cls(lam=lam)


def test_ragged_lists_get_a_message_that_says_so():
    with pytest.raises(ValueError, match="X is a ragged list"):
        pfe.PixelRidge().fit([[[0.0, 1.0]], [[0.0]]], [[[0.0, 1.0]], [[0.0]]])


def test_eyes_outside_the_photo_are_refused_not_cropped_to_background():
    img = np.full((64, 64, 3), 200, np.uint8)
    with pytest.raises(ValueError, match=r"eyes \[2000.0, 3000.0\], \[2044.0, 3000.0\] lie outside the 64x64 image"):
        pfe.align_face(img, eyes=[[2000, 3000], [2044, 3000]], size=32)
    with pytest.raises(ValueError, match="mouth .* lie outside"):
        pfe.align_face(img, eyes=[[20, 30], [44, 30]], mouth=[32, 90], size=32)
    assert pfe.align_face(img, eyes=[[20, 30], [44, 30]], mouth=[32, 50], size=32).shape == (32, 32, 3)


def test_apply_intensity_refuses_what_is_not_real_numbers():
    for bad in (1j, "0.5", [[0.0, 1.0], [0.5]]):
        with pytest.raises(ValueError, match="must (hold real numbers|be a numeric array)|ragged"):
            pfe.apply_intensity(np.zeros(2), bad)
