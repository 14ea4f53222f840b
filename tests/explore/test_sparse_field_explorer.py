"""SparseFieldExplorer driven headless: sliders choose again from stored sums, never refit; R = 0 is Pixel-RR."""
import numpy as np

import pixelfes_edu as pfe
from pixelfes_edu import explore


def _forbid_fit(monkeypatch):
    def boom(self, *a, **k):
        raise AssertionError(f"{type(self).__name__}.fit called: the slider must not refit from the images")

    monkeypatch.setattr(pfe.SparseFieldRidge, "fit", boom)
    monkeypatch.setattr(pfe.PixelRidge, "fit", boom)


def test_sliders_choose_again_without_refitting(data, monkeypatch):
    train, test = data
    ex = explore.SparseFieldExplorer(train, test, radius=2, smoothness=1.0, n_show=2)
    assert ex.n_fits == 1
    image, field = ex.image.value, ex.field.value
    _forbid_fit(monkeypatch)
    ex.smoothness.value = 0.0
    ex.locality.value = 0.01
    ex.lam.value = 2.0
    ex.radius.value = 1
    assert ex.n_fits == 1 and ex.image.value != image and ex.field.value != field
    monkeypatch.undo()
    fresh = pfe.SparseFieldRidge(lam=2.0, radius=1, locality=0.01, smoothness=0.0).fit(train.inputs, train.targets)
    np.testing.assert_array_equal(ex.model.offset_, fresh.offset_)
    np.testing.assert_allclose(ex.model.predict(test.inputs), fresh.predict(test.inputs), atol=1e-12)
    np.testing.assert_allclose(ex.rr.weight_, pfe.PixelRidge(2.0).fit(train.inputs, train.targets).weight_,
                               atol=1e-12)


def test_radius_zero_is_pixel_ridge_and_alpha_blends(data):
    train, test = data
    ex = explore.SparseFieldExplorer(train, test, radius=2, n_show=2)
    assert ex.moved > 0
    ex.radius.value = 0
    assert ex.max_diff == 0.0 and ex.moved == 0.0 and f"{ex.max_diff:.2e}" in ex.info.value
    ex.radius.value = 2
    ex.alpha.value = 0.0
    x, ys, yr, _ = ex.outputs()
    np.testing.assert_array_equal(ys, x)
    np.testing.assert_array_equal(yr, x)
    assert ex.n_fits == 1
    assert "application/vnd.jupyter.widget-view+json" in ex._repr_mimebundle_()
