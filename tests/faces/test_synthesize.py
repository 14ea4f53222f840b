"""synthesize: the model's change pasted into the full-resolution photo (pixelfes_edu.faces.synthesize)."""
import numpy as np
import pytest
from scipy import ndimage

import pixelfes_edu as pfe
from pixelfes_edu import faces
from pixelfes_edu.faces.synthesize import face_mask


@pytest.fixture(scope="module")
def model():
    p = pfe.load_pairs("synthetic", n=30, size=32, seed=0)
    return pfe.PixelRidge(lam=0.4).fit(p.inputs, p.targets)


@pytest.fixture(scope="module")
def photo():
    """A 240 x 200 uint8 'photo': a synthetic face at 160 px, in a larger frame, with fine texture."""
    face = pfe.load_pairs("synthetic", n=1, size=160, seed=7).inputs[0]
    img = np.full((240, 200, 3), 0.3)
    img[40:200, 20:180] = face
    rng = np.random.default_rng(0)
    img = np.clip(img + rng.normal(0, 0.04, img.shape), 0, 1)  # texture a resampling would blur
    pts = faces.canonical_points(160)
    eyes = faces.canonical_eyes(160) + [20, 40]
    return (img * 255).round().astype(np.uint8), eyes, pts["mouth"] + [20, 40]


def _mask_on_photo(result, shape, feather=0.25, reach=2.0):
    """The feathered mask at every photo pixel, its support widened by ``reach`` crop pixels (the mask is
    carried into the photo by bilinear interpolation of a grid twice as fine as the crop)."""
    h, w = shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(float)
    q = result.warp.photo_to_crop(np.c_[xx.ravel(), yy.ravel()])
    half_width = 0.94 * 0.32 * result.warp.size  # the face ellipse's half width in crop pixels (geometry.py)
    return face_mask(q[:, 0], q[:, 1], result.warp.size, feather + reach / half_width).reshape(h, w)


def test_outside_the_mask_every_pixel_is_bit_identical(model, photo):
    img, eyes, mouth = photo
    r = faces.synthesize(img, model, eyes=eyes, mouth=mouth, return_crops=True)
    assert r.image.shape == img.shape and r.image.dtype == img.dtype
    m = _mask_on_photo(r, img.shape)
    assert 0.1 < (m > 0).mean() < 0.6
    np.testing.assert_array_equal(r.image[m == 0], img[m == 0])
    assert (r.image[m > 0.99] != img[m > 0.99]).any()  # and inside, the face did change


def test_alpha_scales_the_change_and_zero_returns_the_photo(model, photo):
    img, eyes, mouth = photo
    np.testing.assert_array_equal(faces.synthesize(img, model, alpha=0.0, eyes=eyes, mouth=mouth), img)
    f = img / 255.0
    r = faces.synthesize(f, model, eyes=eyes, mouth=mouth, return_crops=True)
    d1 = r.image - f
    d2 = faces.synthesize(f, model, alpha=0.5, eyes=eyes, mouth=mouth) - f
    keep = (r.image > 0.01) & (r.image < 0.99)  # away from clipping the change is linear in alpha
    np.testing.assert_allclose(d2[keep], 0.5 * d1[keep], atol=1e-9)
    np.testing.assert_allclose(r.at_alpha(0.5), faces.synthesize(f, model, alpha=0.5, eyes=eyes, mouth=mouth))
    with pytest.raises(ValueError, match="alpha"):
        faces.synthesize(img, model, alpha=-1, eyes=eyes)


def test_only_the_change_is_resampled_fine_detail_survives(model, photo):
    """The photo's pixel-level texture is not in (output - photo): that difference is smooth."""
    img, eyes, mouth = photo
    f = img / 255.0
    d = faces.synthesize(f, model, eyes=eyes, mouth=mouth) - f
    fine = f - ndimage.uniform_filter(f, (3, 3, 1))  # the texture
    dfine = d - ndimage.uniform_filter(d, (3, 3, 1))
    assert np.abs(d).max() > 0.05
    assert np.abs(dfine).mean() < 0.1 * np.abs(fine).mean()


def test_shapes_dtypes_and_channels(model, photo):
    img, eyes, mouth = photo
    kw = dict(eyes=eyes, mouth=mouth)
    for x in (img.astype(np.uint16) * 257, img / 255.0, img[..., 0], img[..., :1]):
        out = faces.synthesize(x, model, **kw)
        assert out.shape == x.shape and out.dtype == x.dtype and (out != x).any()
    rgba = np.dstack([img, np.arange(img.shape[0] * img.shape[1], dtype=np.uint8).reshape(img.shape[:2])])
    out = faces.synthesize(rgba, model, **kw)
    np.testing.assert_array_equal(out[..., 3], rgba[..., 3])  # alpha untouched
    np.testing.assert_array_equal(out[..., :3], faces.synthesize(img, model, **kw))
    grey = pfe.PixelRidge().fit(*(a.mean(-1) for a in (pfe.load_pairs("synthetic", n=20, size=32).inputs,
                                                         pfe.load_pairs("synthetic", n=20, size=32).targets)))
    f = img / 255.0
    out = faces.synthesize(f, grey, **kw)  # a model of grey crops changes the three channels alike
    d = out - f
    changed = (d != 0).any(-1) & ((out > 0) & (out < 1)).all(-1)  # (where nothing was clipped)
    assert changed.mean() > 0.1 and np.abs(d[changed] - d[changed].mean(1, keepdims=True)).max() < 1e-12


def test_no_edge_streaks_from_outside_the_photo(model, photo):
    """A photo cut through the face: crop pixels from outside the photo carry no change."""
    img, eyes, mouth = photo
    cut = img[:170]  # chin and mouth region partly outside
    r = faces.synthesize(cut, model, eyes=eyes, mouth=mouth, return_crops=True)
    size = r.warp.size
    yy, xx = np.mgrid[0:size, 0:size].astype(float)
    src = r.warp.crop_to_photo(np.c_[xx.ravel(), yy.ravel()]).reshape(size, size, 2)
    outside = src[..., 1] > cut.shape[0] - 0.5
    assert outside.any() and (r.aligned[outside] > 0).any()  # the crop repeats the edge there ...
    assert (r.change[outside] == 0).all() and (r.mask[outside] == 0).all()  # ... but changes nothing
    assert r.image.shape == cut.shape


def test_detected_face_full_resolution(real_data, model):
    pytest.importorskip("ai_edge_litert")
    img = faces.read_photo(real_data / "gallery/canada/008f.jpg")
    r = faces.synthesize(img, model, return_crops=True)
    assert r.image.shape == img.shape and r.warp.method == "mesh + shape warp"
    m = _mask_on_photo(r, img.shape)
    np.testing.assert_array_equal(r.image[m == 0], img[m == 0])
    changed = (r.image != img).any(-1)
    ys, xs = np.nonzero(changed)
    lm = r.warp.landmarks
    assert ys.min() < lm.eyes[:, 1].min() < lm.mouth[1] < ys.max()  # the change covers eyes to mouth
    assert r.aligned.shape == (32, 32, 3) and r.prediction.shape == (32, 32, 3)


def test_face_warp_round_trip_and_canonical_eyes(real_data):
    pytest.importorskip("ai_edge_litert")
    from skimage.data import astronaut

    img = astronaut()
    lm = faces.detect_landmarks(img)
    for warp in ("affine", "shape"):
        fw = faces.face_warp(landmarks=lm, size=128, warp=warp)
        e = fw.photo_to_crop(lm.eyes)
        tol = 1e-9 if warp == "affine" else 1.5  # the shape warp moves the mesh, the pupils follow within a pixel
        assert np.abs(e - faces.canonical_eyes(128)).max() < tol
        pts = lm.points[::7]
        back = fw.crop_to_photo(fw.photo_to_crop(pts))
        assert np.hypot(*(back - pts).T).max() < 0.6 / fw.matrix[0, 0] + 1e-9  # within ~half a crop pixel
    assert faces.align_face(img, size=64, landmarks=lm).shape == (64, 64, 3)
    with pytest.raises(ValueError, match="not both"):
        faces.face_warp(img, eyes=lm.eyes, landmarks=lm)


def test_eyes_outside_the_photo_are_refused_not_ignored(model, photo):
    img, eyes, mouth = photo
    with pytest.raises(ValueError, match="outside"):
        faces.synthesize(img, model, eyes=eyes + [0, 1000], mouth=mouth)
    with pytest.raises(ValueError, match="outside"):
        faces.synthesize(img, model, eyes=eyes, mouth=mouth + [500, 0])
