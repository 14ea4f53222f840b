"""Explorers do only the work a control needs: what did not change is reused, and the pictures stay right."""
import numpy as np
import pytest

pytest.importorskip("ipywidgets")

import pixelfes_edu as pfe  # noqa: E402
from pixelfes_edu import explore  # noqa: E402


def test_pixel_inspector_redraw_depends_only_on_the_controls(data):
    train, _ = data
    pi = explore.PixelInspector(train, pixel=(10, 12), lam=0.4, sigma=1.0)
    plot0 = pi.plot.value
    pi.row.value = 20
    pi.lam.value = 3.0
    pi.sigma.value = 0.3
    assert pi.plot.value != plot0
    pi.row.value, pi.lam.value, pi.sigma.value = 10, 0.4, 1.0
    assert pi.plot.value == plot0  # the picture updated in place is the one a fresh figure gets


def test_training_explorer_alpha_does_not_predict_again(data, monkeypatch):
    train, test = data
    ex = explore.TrainingExplorer(train, test, n_show=2)
    img0, text0 = ex.image.value, ex.metrics.value

    def boom(self, X):
        raise AssertionError("α re-blends the stored predictions")

    monkeypatch.setattr(pfe.PixelRidge, "predict", boom)
    ex.alpha.value = 1.5
    assert ex.image.value != img0 and ex.metrics.value != text0
    monkeypatch.undo()
    x, y, _ = ex.outputs()
    np.testing.assert_allclose(y, x + 1.5 * (ex.model.predict(x) - x))


def test_receptive_field_lambda_resolves_the_shown_model_and_the_others_when_shown(data):
    train, test = data
    ex = explore.ReceptiveFieldExplorer(train, test, fields=(1, 3), field=3, n_show=2)
    ex.field.value = 1
    ex.field.value = 3
    fits = ex.n_fits
    ex.lam.value = 7.0
    assert ex.models[3].lam == pytest.approx(7.0) and ex.models[1].lam == pytest.approx(0.4)
    ex.field.value = 1
    assert ex.models[1].lam == pytest.approx(7.0) and ex.n_fits == fits
    fresh = pfe.MaskedRidge(lam=7.0, field=1).fit(train.inputs, train.targets)
    np.testing.assert_allclose(ex.models[1].predict(test.inputs), fresh.predict(test.inputs), atol=1e-10)


def test_kernel_explorer_busy_note_for_sigma_and_for_slow_lambda_only(data, monkeypatch):
    train, test = data
    ex = explore.KernelExplorer(train, test, sigma=1.0, n_show=1)
    seen = []
    original = pfe.PixelKernelRidge.update

    def spy(self, *a, **k):
        seen.append((ex.busy.value, ex.sigma.disabled))
        return original(self, *a, **k)

    monkeypatch.setattr(pfe.PixelKernelRidge, "update", spy)
    ex.last_ms["lam"] = 1.0
    ex.lam.value = 2.0  # the last λ move was quick: no note
    ex.sigma.value = 2.0  # σ rebuilds: note, and the slider waits
    ex.last_ms["lam"] = 1e3 * (explore.kernel.BUSY_SECONDS + 1)
    ex.lam.value = 3.0  # the last λ move was slow: note
    assert [bool(note) for note, _ in seen] == [False, True, True] and ex.busy.value == ""
    assert "computing" in seen[1][0] and seen[1][1] is True and not ex.sigma.disabled
