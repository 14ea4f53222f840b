"""The notebook explorers driven headless: set control values, check pictures and models respond without refits."""
import datetime
import io

import numpy as np
import pytest

from PIL import Image

import pixelfes_edu as pfe
from pixelfes_edu import explore, pictures, plotting


def _decode(png):
    with Image.open(io.BytesIO(png)) as im:
        return np.asarray(im.convert("RGB"))


def _forbid_fit(monkeypatch, *classes):
    def boom(self, *a, **k):
        raise AssertionError(f"{type(self).__name__}.fit called: the slider must not refit from the images")

    for cls in classes:
        monkeypatch.setattr(cls, "fit", boom)


def test_training_explorer_lambda_updates_without_refit(data, monkeypatch):
    train, test = data
    ex = explore.TrainingExplorer(train, test, lam=0.4, n_show=3)
    assert ex.n_fits == 1
    img0, w0 = ex.image.value, ex.model.weight_.copy()
    _forbid_fit(monkeypatch, pfe.PixelRidge)
    ex.lam.value = 50.0
    assert ex.model.lam == pytest.approx(50.0)
    assert ex.image.value != img0
    assert not np.allclose(ex.model.weight_, w0)
    # the updated model equals a fresh fit at the new λ
    monkeypatch.undo()
    fresh = pfe.PixelRidge(lam=50.0).fit(train.inputs, train.targets)
    np.testing.assert_allclose(ex.model.weight_, fresh.weight_, atol=1e-12)
    assert ex.n_fits == 1


def test_training_explorer_alpha_blends(data):
    train, test = data
    ex = explore.TrainingExplorer(train, test, n_show=2)
    ex.alpha.value = 0.0
    x, y, _ = ex.outputs()
    np.testing.assert_allclose(y, x)  # α = 0 is the input
    img0 = ex.image.value
    ex.alpha.value = 2.0
    x, y2, _ = ex.outputs()
    np.testing.assert_allclose(y2, x + 2 * (ex.model.predict(x) - x))
    assert ex.image.value != img0 and ex.n_fits == 1


def test_training_explorer_expression_menu(data):
    train, test = data
    sad = pfe.load_pairs("synthetic", n=24, size=32, seed=1, expression="sad").split(train.ids[:0].tolist() + list(test.ids))
    ex = explore.TrainingExplorer({"happy": train, "sad": sad[0]}, {"happy": test, "sad": sad[1]}, n_show=2)
    assert list(ex.expression.options) == ["happy", "sad"] and ex.n_fits == 1
    img0 = ex.image.value
    ex.expression.value = "sad"
    assert ex.n_fits == 2 and set(ex.models) == {"happy", "sad"} and ex.image.value != img0
    ex.expression.value = "happy"  # cached: no third fit
    assert ex.n_fits == 2
    with pytest.raises(ValueError, match="same expressions"):
        explore.TrainingExplorer({"happy": train}, {"sad": test})


def test_kernel_explorer_sigma_and_lambda(data, monkeypatch):
    train, test = data
    ex = explore.KernelExplorer(train, test, sigma=1.0, lam=0.4, n_show=2, sigma_range=(0.1, 10))
    img0 = ex.image.value
    _forbid_fit(monkeypatch, pfe.PixelRidge, pfe.PixelKernelRidge)
    ex.sigma.value = 0.2
    assert ex.kr.sigma == pytest.approx(0.2) and ex.image.value != img0
    assert ex.busy.value == "" and not ex.sigma.disabled  # busy note cleared, sliders unlocked afterwards
    img1 = ex.image.value
    ex.lam.value = 5.0
    assert ex.kr.lam == pytest.approx(5.0) and ex.rr.lam == pytest.approx(5.0) and ex.image.value != img1
    monkeypatch.undo()
    fresh = pfe.PixelKernelRidge(lam=5.0, sigma=0.2).fit(train.inputs, train.targets)
    np.testing.assert_allclose(ex.kr.predict(test.inputs), fresh.predict(test.inputs), atol=1e-8)


def test_pixel_inspector_follows_pixel_and_hyperparameters(data):
    train, _ = data
    pi = explore.PixelInspector(train, pixel=(10, 12), lam=0.4, sigma=1.0)
    x, t = pi.values()
    np.testing.assert_array_equal(x, train.inputs[:, 10, 12, 0])
    rr = pfe.PixelRidge(lam=0.4).fit(x[:, None, None], t[:, None, None])
    assert pi.rr.weight_.item() == pytest.approx(rr.weight_.item())
    fits, plot0, face0 = pi.n_fits, pi.plot.value, pi.face.value
    pi.lam.value = 10.0
    assert pi.n_fits == fits and pi.plot.value != plot0 and pi.rr.lam == pytest.approx(10.0)
    plot1 = pi.plot.value
    pi.sigma.value = 0.1
    assert pi.kr.sigma == pytest.approx(0.1) and pi.plot.value != plot1 and pi.n_fits == fits
    pi.row.value = 20
    assert pi.face.value != face0 and pi.n_fits == fits + 1
    np.testing.assert_array_equal(pi.values()[0], train.inputs[:, 20, 12, 0])
    assert _decode(pi.face.value)[20 * 2, 12 * 2].tolist() == [255, 255, 0]  # the marked pixel (scale 2)


def _upload(content, name="me.png"):
    return ({"name": name, "type": "image/png", "size": 0, "content": memoryview(content),
             "last_modified": datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)},)


def test_gallery_explorer_models_lambda_alpha_and_upload(data, monkeypatch):
    train, test = data
    models = {"Pixel-RR": pfe.PixelRidge().fit(train.inputs, train.targets),
              "MR": pfe.MaskedRidge(field=3).fit(train.inputs, train.targets)}
    faces = {str(i): test.inputs[k] for k, i in enumerate(test.ids[:2])}
    ex = explore.GalleryExplorer(models, faces, lam=0.4)
    img0 = ex.image.value
    h_all = _decode(img0).shape[0]
    ex.show.value = "MR"
    assert _decode(ex.image.value).shape[0] < h_all  # one model row instead of two
    _forbid_fit(monkeypatch, pfe.PixelRidge, pfe.MaskedRidge)
    img1 = ex.image.value
    ex.lam.value = 20.0
    assert all(m.lam == pytest.approx(20.0) for m in models.values()) and ex.image.value != img1
    img2 = ex.image.value
    ex.alpha.value = 0.0
    assert ex.image.value != img2

    # upload: a PNG of a synthetic face (no detector needed), placed with typed eye and mouth positions
    face = pfe.load_pairs("synthetic", n=1, size=96, seed=3).inputs[0]
    pts = pfe.faces.canonical_points(96)
    ex.alpha.value = 1.0
    w0 = _decode(ex.image.value).shape[1]
    ex.eyes.value = ", ".join(f"{v:.1f}" for v in pfe.faces.canonical_eyes(96).ravel())
    ex.mouth.value = f"{pts['mouth'][0]:.1f}, {pts['mouth'][1]:.1f}"
    ex.upload.value = _upload(pictures.to_png(face))
    assert "upload" in ex.faces and ex.faces["upload"].shape == (32, 32, 3)
    assert _decode(ex.image.value).shape[1] > w0 and "aligned" in ex.status.value
    # the full-resolution result: the photo's own size, changed by the chosen model (MR) inside the face only
    assert ex.result.shape == (96, 96, 3) and ex.result.dtype == np.uint8 and ex.model_label == "MR"
    photo = ex.photo
    assert (ex.result != photo).any() and (ex.result[:4] == photo[:4]).all()
    before_after = _decode(ex.photo_view.value)
    assert before_after.shape[0] == 96 and before_after.shape[1] > 2 * 96  # before | after, unshrunk
    view = ex.photo_view.value
    ex.alpha.value = 0.0  # the intensity slider re-blends the pasted change, no new prediction
    assert (ex.result == photo).all() and ex.photo_view.value != view
    ex.landmarks_on.value = True
    ex.full_res.click()
    assert "data:image/jpeg;base64," in ex.download.value and "96x96" in ex.download.value
    ex.mouth.value = "1, 2, 3"
    assert "2 numbers" in ex.status.value
    ex.mouth.value = ""
    ex.eyes.value = "1, 2, 3"
    assert "4 numbers" in ex.status.value


def test_gallery_explorer_no_face_offers_a_coordinate_grid(data, monkeypatch):
    """A photo without a face: the message says how to type positions, the preview shows pixel coordinates."""
    train, test = data
    ex = explore.GalleryExplorer({"Pixel-RR": pfe.PixelRidge().fit(train.inputs, train.targets)},
                                 {"a": test.inputs[0]})

    def no_face(image, **kw):
        raise pfe.FaceNotFoundError("No face was found in the image. Pass eyes=[[...]] and mouth=[x, y].")

    monkeypatch.setattr(explore.gallery, "detect_landmarks", no_face)
    blank = np.full((300, 400, 3), 200, np.uint8)
    ex.upload.value = _upload(pictures.to_png(blank))
    assert "No face" in ex.status.value and "eyes" in ex.status.value and ex.result is None
    grid = _decode(ex.photo_view.value)
    assert grid.shape[:2] == (300, 400) and (grid != 200).any()  # the labelled grid lines
    assert "upload" not in ex.faces


def test_gallery_explorer_exif_rotated_upload_comes_out_upright(data, monkeypatch):
    """A phone photo stored sideways with an EXIF orientation tag is decoded, aligned and returned upright."""
    train, test = data
    ex = explore.GalleryExplorer({"Pixel-RR": pfe.PixelRidge().fit(train.inputs, train.targets)},
                                 {"a": test.inputs[0]})
    upright = (pfe.load_pairs("synthetic", n=1, size=96, seed=3).inputs[0][:, 8:88] * 255).astype(np.uint8)
    stored = Image.fromarray(upright).transpose(Image.Transpose.ROTATE_90)  # what the camera wrote: 80 x 96 -> 96 x 80
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 clockwise to display"
    buf = io.BytesIO()
    stored.save(buf, "JPEG", exif=exif, quality=95)
    seen = {}

    def landmarks_of(image, **kw):
        seen["shape"] = image.shape
        eyes = pfe.faces.canonical_eyes(96) - [8, 0]
        return pfe.faces.Landmarks(eyes=eyes, mouth=pfe.faces.canonical_points(96)["mouth"] - [8, 0], method="mesh")

    monkeypatch.setattr(explore.gallery, "detect_landmarks", landmarks_of)
    ex.upload.value = _upload(buf.getvalue(), "phone.jpg")
    assert seen["shape"] == (96, 80, 3) and ex.photo.shape == (96, 80, 3) and ex.result.shape == (96, 80, 3)
    assert np.abs(ex.photo.astype(int) - upright).mean() < 6  # upright, not sideways (JPEG noise only)


def test_receptive_field_r1_is_pixel_rr(data):
    train, test = data
    ex = explore.ReceptiveFieldExplorer(train, test, fields=(1, 3), field=3, n_show=2)
    img3 = ex.image.value
    ex.field.value = 1
    assert ex.n_fits == 2 and ex.image.value != img3
    np.testing.assert_allclose(ex.model(1).predict(test.inputs), ex.rr.predict(test.inputs), atol=1e-10)
    assert ex.max_diff < 1e-10 and f"{ex.max_diff:.2e}" in ex.info.value  # the tiny difference is printed
    ex.field.value = 3
    assert ex.n_fits == 2  # cached


def test_explorers_display_as_widgets(data):
    train, test = data
    ex = explore.TrainingExplorer(train, test, n_show=1)
    bundle = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_parse_eyes_and_pairs_like():
    assert explore.parse_eyes("") is None
    assert explore.parse_eyes("1 2; 3 4") == [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(ValueError, match="4 numbers"):
        explore.parse_eyes("1, 2")
    p = explore.pairs_like(np.zeros((2, 4, 4)), np.ones((2, 4, 4)))
    assert len(p) == 2 and p.ids.tolist() == ["0", "1"]


def test_grid_image_layout_and_labels():
    a = np.zeros((2, 8, 8))
    b = np.ones((3, 8, 8, 3))
    g = pictures.grid_image([a, b], row_labels=["zeros", "ones"], col_labels=list("pqr"), scale=2, gap=3)
    assert g.dtype == np.uint8 and g.ndim == 3
    # the last cell of the first row is blank (white); the first image of the second row is white too,
    # but the first image of the first row is black
    assert (g == 0).any() and (g == 255).any()
    with pytest.raises(ValueError, match="expected"):
        pictures.grid_image([np.zeros((1, 8, 8)), np.zeros((1, 9, 9))])
    with pytest.raises(ValueError, match="at least one"):
        plotting.montage([[]])


# --------------------------------------------------------------------------- plotting used by the notebooks
def test_montage_titles_and_blank_cells():
    X = np.random.default_rng(0).random((3, 8, 8, 3))
    fig = plotting.montage([X, X[:2]], row_titles=["a", "b"], col_titles=["p", "q", "r"])
    axes = np.array(fig.axes).reshape(2, 3)
    assert [ax.get_title() for ax in axes[0]] == ["p", "q", "r"]
    assert axes[1, 0].get_ylabel() == "b" and not axes[1, 2].axison  # the missing cell is blank
    with pytest.raises(ValueError, match="row_titles"):
        plotting.montage([X], row_titles=["a", "b"])


def test_weight_bias_maps_show_the_model():
    X = np.random.default_rng(0).random((20, 8, 8))
    m = pfe.PixelRidge(lam=0.4).fit(X, np.clip(0.5 * X + 0.2, 0, 1))
    fig = plotting.weight_bias_maps(m)
    shown = fig.axes[0].images[0].get_array()
    np.testing.assert_allclose(shown, m.weight_)
    np.testing.assert_allclose(fig.axes[1].images[0].get_array(), m.bias_)


def test_pixel_fit_draws_points_and_curves():
    x = np.linspace(0, 1, 15)
    fig = plotting.pixel_fit(x, 1 - x, {"line": lambda g: 1 - g, "curve": lambda g: g ** 2}, pixel=(3, 4, 0), lam=0.4)
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.collections[0].get_offsets(), np.column_stack([x, 1 - x]))
    assert len(ax.lines) == 3 and "3, 4, 0" in ax.get_title() and "λ=0.4" in ax.get_title()


def test_sigma_sweep_orders_columns():
    X = np.random.default_rng(0).random((2, 8, 8))
    fig = plotting.sigma_sweep(X, {3.0: X, 0.1: X}, targets=X, reference=X)
    titles = [ax.get_title() for ax in fig.axes[:5]]
    assert titles == ["input", "σ = 0.1", "σ = 3", "Pixel-RR", "target"]


def test_to_png_roundtrip():
    img = np.random.default_rng(0).random((5, 7, 3))
    back = _decode(pictures.to_png(img, scale=2))
    assert back.shape == (10, 14, 3)
    np.testing.assert_array_equal(back[::2, ::2], pictures.to_uint8(img))


@pytest.mark.parametrize("side", [96, 640, 3999, 4000, 4032])
def test_coordinate_grid_has_five_to_ten_lines_along_the_longer_side(side):
    photo = np.full((side * 3 // 4, side, 3), 128, np.uint8)
    grid = explore.gallery.coordinate_grid(photo, max_side=400)
    yellow = (grid[..., 0] == 255) & (grid[..., 1] == 255) & (grid[..., 2] == 0)  # the x lines
    columns = np.flatnonzero(yellow.any(axis=0) & (yellow.sum(axis=0) > grid.shape[0] // 2))
    n_lines = 1 + int((np.diff(columns) > 1).sum()) if len(columns) else 0
    assert 4 <= n_lines <= 10, n_lines


def test_previews_of_16_bit_photos_keep_their_tones():
    photo16 = np.full((40, 60, 3), 32768, np.uint16)  # mid grey in 16 bits
    small = explore.gallery.preview(photo16, max_side=30)
    assert small.dtype == np.uint8 and abs(int(small.mean()) - 128) <= 1
    pair = _decode(explore.gallery.before_after(photo16, photo16, 30))  # before | white gap | after
    assert abs(int(pair[:, :15].mean()) - 128) <= 3 and abs(int(pair[:, -15:].mean()) - 128) <= 3
