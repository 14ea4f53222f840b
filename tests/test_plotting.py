"""Figures and fast image grids (pixelfes_edu.plotting): shapes, labels, clipping, errors."""
import numpy as np
import pytest

import pixelfes_edu as pfe
from pixelfes_edu import pictures, plotting


def test_to_png_round_trips_and_scales():
    import io

    from PIL import Image

    img = np.zeros((4, 5, 3))
    img[1, 2] = 1.5  # out of range: clipped for display
    with Image.open(io.BytesIO(pictures.to_png(img, scale=3))) as im:
        a = np.asarray(im)
    assert a.shape == (12, 15, 3) and a[3:6, 6:9].min() == 255 and a[0, 0].max() == 0


def test_montage_rows_titles_and_blank_cells():
    X = np.random.default_rng(0).random((3, 8, 8, 3))
    fig = plotting.montage([X, X[:2]], row_titles=["a", "b"], col_titles=["p", "q", "r"])
    axes = fig.axes
    assert len(axes) == 6 and axes[0].get_ylabel() == "a" and axes[2].get_title() == "r"
    assert not axes[5].axison  # the missing cell of row b
    with pytest.raises(ValueError, match="row_titles has 1 entries for 2 rows"):
        plotting.montage([X, X], row_titles=["a"])


def test_grid_image_is_fast_uint8_and_checks_sizes():
    g = pictures.grid_image([np.zeros((2, 8, 8)), np.ones((2, 8, 8, 3))], row_labels=["x", "y"], scale=2)
    assert g.dtype == np.uint8 and g.shape[2] == 3 and g.shape[0] >= 2 * 16
    with pytest.raises(ValueError, match="expected"):
        pictures.grid_image([np.zeros((1, 8, 8)), np.zeros((1, 6, 6))])


def test_weight_bias_maps_centre_the_colours_on_the_identity():
    X = np.random.default_rng(0).random((20, 8, 8, 3))
    m = pfe.PixelRidge(lam=0.4).fit(X, np.clip(0.5 * X + 0.2, 0, 1))
    w, b, dw, db = plotting.weight_bias_arrays(m)
    assert w.shape == b.shape == (8, 8) and dw == pytest.approx(np.abs(w - 1).max()) and db > 0
    fig = plotting.weight_bias_maps(m)
    assert len(fig.axes) == 4  # two maps, two colour bars


def test_heldout_and_validation_figures():
    pairs = pfe.load_pairs("synthetic", n=12, size=32, seed=0)
    res = pfe.evaluate({"RR": pfe.PixelRidge(0.4)}, pairs, folds=3, progress=False)
    fig = plotting.heldout_figure(res, n=4)
    assert len(fig.axes) == 4 * 4  # input, target, RR, mean target x 4 people
    with pytest.raises(ValueError, match="no held-out predictions kept"):
        plotting.heldout_figure(res, names=["MR"])
    from pixelfes_edu.evaluation import validation_curves

    vc = validation_curves(pairs, sigmas=[0.5, 3.0], kr_lams=[0.4], max_pixels=200)
    assert len(plotting.validation_figure(vc).axes) == 2
