"""The Voilà app's controller, driven headless: a face, the models and their controls, the photo changed."""
import numpy as np
import pytest

import pixelfes_edu as pfe
from pixelfes_edu import explore, faces


@pytest.fixture(scope="module")
def models():
    p = pfe.load_pairs("synthetic", n=16, size=32, seed=2)
    return {"Pixel-RR": pfe.PixelRidge(0.4).fit(p.inputs, p.targets),
            "Pixel-KR": pfe.PixelKernelRidge(0.4, 1.0).fit(p.inputs, p.targets)}


@pytest.fixture
def app(models, monkeypatch):
    """Two photos; the detector finds no face in either (no network), so the typed eyes place them."""
    def no_face(photo, *a, **k):
        raise faces.FaceNotFoundError("no face here")

    monkeypatch.setattr(explore.app, "detect_landmarks", no_face)
    rng = np.random.default_rng(0)
    photos = {"a": (rng.random((90, 80, 3)) * 255).astype(np.uint8),
              "b": (rng.random((60, 70, 3)) * 255).astype(np.uint8)}
    eyes = {"a": [[28.0, 40.0], [52.0, 40.0]], "b": [[25.0, 25.0], [45.0, 26.0]]}
    return explore.SmileApp(models, photos, eyes=eyes, first="a", source="synthetic")


def test_the_photo_is_changed_at_its_own_size_and_alpha_only_reblends(app, monkeypatch):
    assert app.image.shape == (90, 80, 3) and app.image.dtype == np.uint8
    assert app.sigma.disabled and "Pixel-RR, λ = 0.4, α = 1.00" in app.status.value
    before = app.result.value
    monkeypatch.setattr(explore.app, "synthesize", lambda *a, **k: pytest.fail("α must not re-synthesize"))
    app.alpha.value = 0.0
    np.testing.assert_array_equal(app.image, app.photos["a"])  # α = 0 is the photo itself
    assert app.result.value != before


def test_picking_a_face_a_model_sigma_and_lambda(app, models):
    app.face.value = "b"
    assert app.image.shape == (60, 70, 3)
    app.model.value = "Pixel-KR"
    assert not app.sigma.disabled
    app.sigma.value = 3.0
    assert models["Pixel-KR"].sigma == pytest.approx(3.0) and "σ = 3" in app.status.value
    app.lam.value = 10.0
    assert models["Pixel-KR"].lam == pytest.approx(10.0)
    expected = faces.synthesize(app.photos["b"], models["Pixel-KR"], alpha=1.0, eyes=app.eyes["b"])
    np.testing.assert_array_equal(app.image, expected)


def test_a_photo_without_a_face_or_eyes_is_explained(app):
    app.show(np.zeros((40, 40, 3), np.uint8), "your photo")
    assert "No face found" in app.status.value and app.image.shape == (90, 80, 3)  # the last face stays
