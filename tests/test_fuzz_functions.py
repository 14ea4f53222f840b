"""Fuzz the public functions: input checks, metrics, photo decoding, landmarks, alignment, and the
prepared cache under byte-level damage.  The contract and the profiles are in ``tests/fuzzing.py``."""
import io
import json
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
from fuzzing import assert_finite, damaged, hostile_scalars, images, is_valid_batch, outcome
from hypothesis import event, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from pixelfes_edu import faces, validation
from pixelfes_edu.data import cache
from pixelfes_edu.data.pairs import Pairs
from pixelfes_edu.evaluation import metrics

anything = st.one_of(hostile_scalars, images())


@given(st.data())
def test_input_checks_accept_or_refuse_with_a_message(data):
    check = data.draw(st.sampled_from(["images", "pair", "photo", "points", "positive", "int", "size", "choice"]))
    a = data.draw(anything, label="value")
    if check == "images":
        out = outcome(validation.check_images, a)
        if out is not None:
            assert out.dtype == np.float64 and is_valid_batch(out)
    elif check == "pair":
        out = outcome(validation.check_pair, a, data.draw(anything, label="T"))
        if out is not None:
            assert out[0].shape == out[1].shape
    elif check == "photo":
        out = outcome(validation.check_photo, a)
        if out is not None:
            img, white = out
            assert img.ndim == 3 and img.shape[2] == 3 and white in (1.0, 255.0, 65535.0)
            assert img.min() >= 0 and img.max() <= white
    elif check == "points":
        out = outcome(validation.check_points, a, "eyes", within=data.draw(st.none() | st.just((30, 40))))
        if out is not None:
            assert_finite(out, "points")
    elif check == "positive":
        out = outcome(validation.check_positive, "lam", a)
        if out is not None:
            assert isinstance(out, float) and np.isfinite(out) and out > 0
    elif check in ("int", "size"):
        out = outcome(validation.check_int, "n", a, 1) if check == "int" else outcome(validation.check_size, a)
        if out is not None:
            assert isinstance(out, int) and out >= 1
    else:
        assert outcome(validation.check_choice, "region", a, ("face", "mouth")) in (None, "face", "mouth")


METRICS = {
    "psnr": lambda x, y, t: metrics.psnr(y, t),
    "ssim": lambda x, y, t: metrics.ssim(y, t),
    "sharpness": lambda x, y, t: metrics.sharpness(y, None),
    "sharpness_ratio": lambda x, y, t: metrics.sharpness_ratio(y, t, None),
    "tone_shift": lambda x, y, t: metrics.tone_shift(x, y, None),
    "transfer_ratio": lambda x, y, t: metrics.transfer_ratio(x, y, t),
    "transfer_cosine": lambda x, y, t: metrics.transfer_cosine(x, y, t),
    "apply_intensity": lambda x, y, t: metrics.apply_intensity(x, y, 0.5),
    "normalise_images": lambda x, y, t: metrics.normalise_images(y, "minmax", None)[0],
    "normalise_meanstd": lambda x, y, t: metrics.normalise_images(y, "meanstd", None)[0],
}


#: Exceptions a metric still raises where a ValueError is due.  Remove an entry when it is fixed.
PENDING = {}


@given(st.data())
def test_metrics_are_finite_numbers_or_refusals(data):
    name = data.draw(st.sampled_from(sorted(METRICS)), label="metric")
    valid = data.draw(st.integers(0, 9), label="valid") < 7
    x = data.draw(images(valid=valid), label="x")
    same = st.just(np.shape(x)) if is_valid_batch(x) else st.none()
    y = data.draw(images(shape=data.draw(same), valid=valid), label="y")
    t = data.draw(images(shape=np.shape(x) if is_valid_batch(x) else None, valid=valid), label="t")
    try:
        out = outcome(METRICS[name], x, y, t)
    except PENDING.get(name, ()):
        event("pending")
        return
    if out is None:
        event("refused")
        return
    event("computed")
    out = np.asarray(out)
    if name == "psnr":
        out = np.where(np.isposinf(out), 0.0, out)  # a perfect prediction is +inf dB, as documented
    assert_finite(out, name)


def _png(array, **kw):
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(array).save(buf, **kw)
    return buf.getvalue()


PHOTOS = {
    "png8": _png(np.random.default_rng(0).integers(0, 256, (12, 10, 3), dtype=np.uint8), format="PNG"),
    "png16": _png(np.random.default_rng(1).integers(0, 65536, (12, 10), dtype=np.uint16), format="PNG"),
    "jpeg": _png(np.random.default_rng(2).integers(0, 256, (16, 16, 3), dtype=np.uint8), format="JPEG"),
    "gif": _png(np.random.default_rng(3).integers(0, 256, (9, 9), dtype=np.uint8), format="GIF"),
}


@given(st.data())
def test_photo_decoding_of_damaged_bytes(data):
    good = PHOTOS[data.draw(st.sampled_from(sorted(PHOTOS)), label="format")]
    bad = data.draw(damaged(good) | st.binary(max_size=64), label="bytes")
    try:
        img = faces.read_photo(bad, name="upload.png")
    except faces.CorruptFileError as e:
        assert "upload.png" in str(e)
        event("refused")
        return
    event("decoded")
    assert img.ndim == 3 and img.shape[2] == 3 and img.dtype in (np.uint8, np.uint16)


@given(st.data())
def test_landmark_files_of_any_text(data):
    text = data.draw(st.one_of(st.text(max_size=60), st.lists(st.floats(allow_nan=True, allow_infinity=True),
                                                             max_size=9).map(lambda v: f"{len(v) // 2}\n" + "\n".join(
                                                                 f"{a} {b}" for a, b in zip(v[::2], v[1::2])))))
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "x.tem"
        path.write_text(text + "\n")
        pts = outcome(faces.read_tem, path)
    if pts is not None:
        assert pts.ndim == 2 and pts.shape[1] == 2
        assert_finite(pts, "landmarks")


@given(st.data())
def test_align_face_with_any_photo_and_eyes(data):
    valid = data.draw(st.integers(0, 9), label="valid") < 7
    h, w = data.draw(st.integers(8 if valid else 1, 40), label="h"), data.draw(st.integers(8 if valid else 1, 40))
    photos = [hnp.arrays(np.uint8, (h, w, 3)), hnp.arrays(np.uint16, (h, w)),
              hnp.arrays(np.float64, (h, w, 3), elements=st.floats(0, 1))]
    photo = data.draw(st.one_of(*photos) if valid else st.one_of(*photos, images(valid=False)), label="photo")
    inside = st.tuples(st.floats(0, w), st.floats(0, h), st.floats(0, w), st.floats(0, h)).map(
        lambda v: [[v[0], v[1]], [v[2], v[3]]])
    hostile = st.one_of(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=4,
                                 max_size=4).map(lambda v: [v[:2], v[2:]]), hostile_scalars)
    eyes = data.draw(inside if valid else st.one_of(inside, hostile), label="eyes")
    size = data.draw(st.integers(8, 24) if valid else st.one_of(st.integers(8, 24), hostile_scalars), label="size")
    out = outcome(faces.align_face, photo, eyes=eyes, size=size)
    if out is None:
        event("refused")
        return
    event("aligned")
    assert out.shape == (size, size, 3) and out.dtype == np.float64
    assert_finite(out, "aligned face")
    assert out.min() >= 0 and out.max() <= 1


def _pairs_file(folder):
    rng = np.random.default_rng(0)
    p = Pairs(rng.random((3, 4, 4, 3)), rng.random((3, 4, 4, 3)), np.array(["001", "002", "003"]), "happy",
              "test", "london", {"size": 4})
    path = Path(folder) / "london_4px_shape_0123456789abcdef0123.npz"
    cache.save_pairs(path, p)
    return path, p


@given(st.data())
def test_a_damaged_cache_is_read_correctly_or_dropped_with_a_warning(data):
    with tempfile.TemporaryDirectory() as d:
        path, good = _pairs_file(d)
        path.write_bytes(data.draw(damaged(path.read_bytes()), label="damage"))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            got = cache.cached_pairs(path, "happy", "test", "london")
        caught = [w for w in caught if not issubclass(w.category, ResourceWarning)]  # numpy's, on bad zips
        if got is None:
            event("dropped")
            assert len(caught) == 1 and "is damaged and is prepared again" in str(caught[0].message), caught
            assert os.listdir(d) == []  # removed, to be prepared again
        else:
            event("intact")
            np.testing.assert_array_equal(got.inputs, good.inputs)
            np.testing.assert_array_equal(got.targets, good.targets)
            assert got.ids.tolist() == good.ids.tolist() and got.meta == json.loads(json.dumps(good.meta))
