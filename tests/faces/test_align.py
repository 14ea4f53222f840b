"""Alignment: landmark files, transforms, the template, registration, measures (pixelfes_edu.faces)."""
import numpy as np
import pytest
from scipy import ndimage

from pixelfes_edu import faces as A
from pixelfes_edu.faces.geometry import canonical_eyes, canonical_points
from pixelfes_edu.faces.image import luminance
from pixelfes_edu.faces.template import template_in_crop
from pixelfes_edu.faces.transforms import affine_lstsq

# pupils of skimage.data.astronaut(), read off the image by eye (x, y)
ASTRONAUT_EYES = np.array([[204.0, 100.0], [247.0, 102.0]])


def imread(path):
    from skimage.io import imread as _imread

    return _imread(path)


def london(real_data, pid="001"):
    n = imread(real_data / "london" / "neutral_front" / f"{pid}_03.jpg")
    e = imread(real_data / "london" / "smiling_front" / f"{pid}_08.jpg")
    lm = A.read_tem(real_data / "london" / "neutral_front" / f"{pid}_03.tem")
    return n, e, lm


def dots(shape, centres, sigma=3.0):
    """White image with dark Gaussian dots at ``centres`` ([x, y])."""
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]].astype(float)
    img = np.ones(shape)
    for x, y in centres:
        img -= 0.9 * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * sigma**2))
    return np.clip(img, 0, 1)


def dark_centroid(gray, box):
    """Intensity-weighted centroid [x, y] of darkness inside box (r0, r1, c0, c1)."""
    r0, r1, c0, c1 = box
    w = 1.0 - gray[r0:r1, c0:c1]
    w = np.where(w > 0.05 * w.max(), w, 0.0)
    yy, xx = np.mgrid[r0:r1, c0:c1]
    return np.array([(w * xx).sum() / w.sum(), (w * yy).sum() / w.sum()])


# --------------------------------------------------------------------------
# read_tem
# --------------------------------------------------------------------------


def test_read_tem_generated_file_and_text(tmp_path):
    rng = np.random.default_rng(1)
    pts = np.round(rng.uniform(0, 1350, (189, 2)), 1)
    text = "189\n" + "".join(f"{x}\t{y}\n" for x, y in pts) + "44\n0\n2\n0 0\n"
    f = tmp_path / "face.tem"
    f.write_text(text)
    np.testing.assert_array_equal(A.read_tem(f), pts)
    np.testing.assert_array_equal(A.read_tem(str(f)), pts)
    np.testing.assert_array_equal(A.read_tem(text), pts)


def test_read_tem_truncated_and_corrupt_name_the_file(tmp_path):
    f = tmp_path / "broken_03.tem"
    f.write_text("189\n" + "10 20\n" * 50)
    with pytest.raises(ValueError, match="broken_03.tem.*truncated"):
        A.read_tem(f)
    f.write_text("189\n" + "10 abc\n" * 189)
    with pytest.raises(ValueError, match="broken_03.tem.*corrupt"):
        A.read_tem(f)
    f.write_bytes(b"\xff\xd8\xff\xe0 not a tem file")
    with pytest.raises(ValueError, match="broken_03.tem"):
        A.read_tem(f)
    f.write_text("")
    with pytest.raises(ValueError, match="broken_03.tem"):
        A.read_tem(f)
    with pytest.raises(FileNotFoundError, match="missing.tem"):
        A.read_tem(tmp_path / "missing.tem")


# --------------------------------------------------------------------------
# transforms and explicit-eye alignment
# --------------------------------------------------------------------------


def test_similarity_matrix_recovers_a_known_similarity():
    rng = np.random.default_rng(0)
    src = rng.uniform(0, 100, (20, 2))
    th, s, t = 0.3, 1.7, np.array([5.0, -9.0])
    R = s * np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    M = A.similarity_matrix(src, src @ R.T + t)
    np.testing.assert_allclose(M[:2, :2], R, atol=1e-10)
    np.testing.assert_allclose(M[:2, 2], t, atol=1e-8)


@pytest.mark.parametrize("size", [64, 128])
def test_align_face_explicit_eyes_land_on_canonical_eyes(size):
    # a rotated, off-centre "face" of two dark dots in a 300 x 400 photo
    eyes = np.array([[150.0, 140.0], [236.0, 171.0]])
    img = dots((300, 400), eyes, sigma=4.0)
    face = A.align_face(img, eyes=eyes[::-1], size=size)  # order does not matter
    assert face.shape == (size, size, 3) and face.dtype == np.float64
    gray = face[..., 0]
    for got_eye, want in zip(eyes, canonical_eyes(size)):
        r = int(0.06 * size)
        box = (int(want[1]) - r, int(want[1]) + r + 1, int(want[0]) - r, int(want[0]) + r + 1)
        assert np.hypot(*(dark_centroid(gray, box) - want)) < 0.5


def test_align_face_with_mouth_places_three_points():
    pts = np.array([[150.0, 140.0], [236.0, 150.0], [200.0, 260.0]])
    img = dots((320, 400), pts, sigma=4.0)
    size = 128
    face = A.align_face(img, eyes=pts[:2], mouth=pts[2], size=size)[..., 0]
    want = np.vstack([canonical_eyes(size), canonical_points(size)["mouth"]])
    for w in want:
        box = (int(w[1]) - 7, int(w[1]) + 8, int(w[0]) - 7, int(w[0]) + 8)
        assert np.hypot(*(dark_centroid(face, box) - w)) < 0.5


def test_grayscale_and_rgba_inputs_give_rgb():
    rng = np.random.default_rng(3)
    rgb = (ndimage.gaussian_filter(rng.random((200, 240, 3)), (3, 3, 0)) * 255).astype(np.uint8)
    eyes = [[90, 100], [150, 104]]
    gray = rgb[..., 0]
    out = A.align_face(gray, eyes=eyes, size=48)
    assert out.shape == (48, 48, 3)
    np.testing.assert_array_equal(out[..., 0], out[..., 2])
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 7, np.uint8)])
    np.testing.assert_array_equal(A.align_face(rgba, eyes=eyes, size=48),
                                  A.align_face(rgb, eyes=eyes, size=48))
    as_float = A.align_face(rgb / 255.0, eyes=eyes, size=48)
    np.testing.assert_allclose(as_float, A.align_face(rgb, eyes=eyes, size=48), atol=1e-12)


def test_bad_inputs_raise_clear_errors():
    img = np.zeros((100, 100, 3))
    with pytest.raises(ValueError, match="Divide by 255"):
        A.align_face(img + 2.0, eyes=[[30, 40], [70, 40]])
    with pytest.raises(ValueError, match=r"\(2, 2\)"):
        A.align_face(img, eyes=[30, 40, 70, 40])
    with pytest.raises(ValueError, match="apart"):
        A.align_face(img, eyes=[[30, 40], [30, 40]])
    with pytest.raises(ValueError, match="align_face"):
        A.align_with_landmarks(img, np.zeros((12, 2)))
    with pytest.raises(ValueError, match="size"):
        A.align_face(img, eyes=[[30, 40], [70, 40]], size=3)


# --------------------------------------------------------------------------
# detection
# --------------------------------------------------------------------------


def test_detection_on_astronaut_finds_the_eyes():
    from skimage.data import astronaut

    img = astronaut()
    eyes = A.detect_eyes(img)
    iod = np.hypot(*(ASTRONAUT_EYES[1] - ASTRONAUT_EYES[0]))
    assert np.all(np.hypot(*(eyes - ASTRONAUT_EYES).T) < 0.15 * iod)
    # the detected crop matches the crop from hand-placed eyes to ~1 px
    auto = A.align_face(img)
    ref = A.align_face(img, eyes=ASTRONAUT_EYES)
    assert auto.shape == (128, 128, 3)
    assert A.residual_shift(auto[None], ref[None], region="eyes")[0] < 2.0
    # a face at canonical geometry has its dark pupils where the mask says eyes are
    gray = luminance(auto)
    for want in canonical_eyes(128):
        x, y = np.round(want).astype(int)
        assert gray[y - 3 : y + 4, x - 3 : x + 4].min() < np.median(gray)


def test_no_face_error_says_how_to_pass_eyes():
    flat = np.full((240, 320, 3), 0.6)
    with pytest.raises(ValueError, match=r"eyes=\[\[x_left, y_left\], \[x_right, y_right\]\]"):
        A.align_face(flat)


# --------------------------------------------------------------------------
# measures
# --------------------------------------------------------------------------


def test_residual_shift_measures_a_known_subpixel_shift():
    from skimage.data import camera

    base = camera()[80:208, 190:318] / 255.0
    shifts = np.array([[0.0, 0.0], [0.3, -0.4], [1.2, 0.5]])
    moved = np.stack([ndimage.shift(base, s, order=3, mode="nearest") for s in shifts])
    got = A.residual_shift(np.stack([base] * 3), moved)
    np.testing.assert_allclose(got, np.hypot(*shifts.T), atol=0.15)
    with pytest.raises(ValueError, match="region"):
        A.residual_shift(moved, moved, region="nose")


def test_sharpness_ratio_drops_when_faces_are_misaligned():
    from skimage.data import camera

    base = camera()[80:208, 190:318] / 255.0
    same = np.stack([base] * 4)
    moved = np.stack([ndimage.shift(base, (3 * k, -2 * k), mode="nearest") for k in range(4)])
    assert A.mean_face_sharpness_ratio(same) == pytest.approx(1.0)
    assert A.mean_face_sharpness_ratio(moved) < 0.5


# --------------------------------------------------------------------------
# real London faces
# --------------------------------------------------------------------------


def test_registration_recovers_a_known_shift_and_scale_on_a_real_photo(real_data):
    from skimage.transform import SimilarityTransform, warp

    neutral, _, lm = london(real_data, "002")
    c = np.array([675.0, 675.0])
    # expressive = neutral moved by (+14, -9) px, scaled 1.04, rotated 1 degree
    K = SimilarityTransform(scale=1.04, rotation=np.radians(1.0))
    K = SimilarityTransform(translation=-c) + K + SimilarityTransform(translation=c + [14, -9])
    moved = warp(neutral, K.inverse, order=3, mode="edge")  # moved(K p) = neutral(p)
    x, y, info = A.align_pair(neutral, moved, landmarks=lm)
    M, C = info["matrix"], info["registration"]
    # a perfect registration satisfies C @ M @ K == M: check on face points, in crop px
    pts = np.c_[lm, np.ones(len(lm))].T
    err = np.hypot(*((C @ M @ K.params - M) @ pts)[:2])
    assert np.median(err) < 0.1 and err.max() < 0.3
    assert A.residual_shift(x[None], y[None], region="head")[0] < 0.2


def test_align_pair_on_london_lands_targets_on_inputs(real_data):
    shifts = []
    for pid in ("001", "002", "003"):
        n, e, lm = london(real_data, pid)
        x, y, info = A.align_pair(n, e, landmarks=lm, size=128)
        assert x.shape == y.shape == (128, 128, 3)
        assert 0.0 <= x.min() and x.max() <= 1.0 and 0.0 <= y.min() and y.max() <= 1.0
        assert info["method"] == "landmarks"
        unregistered = A.warp_to_crop(e, info["matrix"], 128)
        before = A.residual_shift(x[None], unregistered[None], region="eyes")[0]
        after = A.residual_shift(x[None], y[None], region="eyes")[0]
        assert after < 0.6 and after < before
        shifts.append(A.residual_shift(x[None], y[None])[0])
    # over the whole upper face, brows and hair may move with the expression
    assert np.median(shifts) < 0.5


def test_landmark_alignment_puts_eyes_and_mouth_on_the_template(real_data):
    size = 128
    tpl = template_in_crop(size)
    for pid in ("004", "005"):
        _, _, lm = london(real_data, pid)
        M = A.landmark_matrix(lm, size)
        got = lm[A.TEMPLATE_INDEX] @ M[:2, :2].T + M[:2, 2]
        rms = np.sqrt(np.mean(np.sum((got - tpl) ** 2, axis=1)))
        assert rms < 2.0  # crop pixels
        # the pupils of a template-aligned face are near the canonical eyes
        assert np.all(np.hypot(*(got[:2] - canonical_eyes(size)).T) < 3.0)


def test_template_matches_the_london_landmarks(real_data):
    files = sorted((real_data / "london" / "neutral_front").glob("*.tem"))
    L = np.stack([A.read_tem(f) for f in files])[:, A.TEMPLATE_INDEX]
    T = A.TEMPLATE
    for _ in range(3):  # generalised Procrustes with affine fits, pupils normalised
        X = np.stack([p @ M[:2, :2].T + M[:2, 2] for p, M in
                      ((p, affine_lstsq(p, T)) for p in L)])
        T = X.mean(0)
        N = A.similarity_matrix(T[:2], [[0, 0], [1, 0]])
        T = T @ N[:2, :2].T + N[:2, 2]
    assert np.abs(T - A.TEMPLATE).max() < 5e-3


@pytest.mark.parametrize("name", ["lisa/lisa1", "zoom/30cm", "canada/003f"])
def test_gallery_templates_put_dark_pupils_on_the_canonical_eyes(real_data, name):
    img = imread(real_data / "gallery" / f"{name}.jpg")
    lm = A.read_tem(real_data / "gallery" / f"{name}.tem")
    assert lm.shape[0] in A.TEM_PUPILS
    face = A.align_with_landmarks(img, lm, size=128)
    gray = luminance(face)
    for want in canonical_eyes(128):
        x, y = np.round(want).astype(int)
        # the pupil is among the darkest pixels of its neighbourhood
        patch = gray[y - 2 : y + 3, x - 2 : x + 3]
        around = gray[y - 12 : y + 13, x - 12 : x + 13]
        assert patch.min() <= np.percentile(around, 10)


def test_align_pair_other_sizes_and_eyes_only(real_data):
    n, e, lm = london(real_data, "002")
    x, y, info = A.align_pair(n, e, eyes=lm[:2], size=64)
    assert x.shape == y.shape == (64, 64, 3) and info["method"] == "eyes"
    assert A.residual_shift(x[None], y[None], region="eyes")[0] < 0.5
    # eyes-only alignment puts the given pupils exactly on the canonical eyes
    p = np.c_[lm[:2], np.ones(2)] @ info["matrix"].T
    np.testing.assert_allclose(p[:, :2], canonical_eyes(64), atol=1e-9)


def test_shape_field_is_identity_for_the_same_shape_and_moves_landmarks_onto_the_shape():
    rng = np.random.default_rng(0)
    shape = rng.choice(np.arange(20, 45), (12, 2)).astype(float)  # integer vertices = pixel centres
    shape = np.unique(shape, axis=0)
    f = A.shape_field(shape, shape, size=64)
    yy, xx = np.mgrid[0:64, 0:64]
    assert np.allclose(f[..., 0], xx) and np.allclose(f[..., 1], yy)
    moved = shape + rng.normal(0, 1.5, shape.shape)
    f = A.shape_field(moved, shape, size=64)
    sx, sy = shape.astype(int).T
    # the output pixel at a shape vertex samples exactly the moved landmark
    np.testing.assert_allclose(f[sy, sx], moved, atol=1e-9)
