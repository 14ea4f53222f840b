"""Face landmarks (pixelfes_edu.faces.landmarks): BlazeFace decoding, the detector on real faces, the fallback."""
import sys
import warnings

import numpy as np
import pytest
from PIL import Image

from pixelfes_edu import faces
from pixelfes_edu.faces import landmarks as L


# --------------------------------------------------------------------------
# BlazeFace post-processing (no model needed)
# --------------------------------------------------------------------------


def test_anchor_grids_match_the_model_outputs():
    short, full = L.ssd_anchors("short"), L.ssd_anchors("full")
    assert short.shape == (896, 2) and full.shape == (2304, 2)
    # stride 8: 16x16 cells, 2 anchors each, row-major; then stride 16: 8x8 cells, 6 anchors each
    np.testing.assert_array_equal(short[:2], [[4, 4], [4, 4]])
    np.testing.assert_array_equal(short[2 * 16], [4, 12])
    np.testing.assert_array_equal(short[512:518], np.tile([8, 8], (6, 1)))
    np.testing.assert_array_equal(short[-1], [120, 120])
    np.testing.assert_array_equal(full[[0, 1, 48, -1]], [[2, 2], [6, 2], [2, 6], [190, 190]])
    assert (short >= 0).all() and (short <= 128).all() and (full <= 192).all()


def test_decode_boxes_is_the_anchor_offset_per_row():
    rng = np.random.default_rng(0)
    anchors = rng.uniform(0, 128, (5, 2))
    raw = rng.normal(0, 10, (5, 16))
    boxes, kps = L.decode_boxes(raw, anchors)
    for i in range(5):  # one row at a time, by the definition
        cx, cy = anchors[i] + raw[i, :2]
        w, h = raw[i, 2:4]
        np.testing.assert_allclose(boxes[i], [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
        np.testing.assert_allclose(kps[i], raw[i, 4:].reshape(6, 2) + anchors[i])


def _brute_nms(boxes, kps, scores, thr):
    def iou(a, b):
        iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
        ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
        inter = iw * ih
        return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)

    left = sorted(range(len(scores)), key=lambda i: -scores[i])
    out = []
    while left:
        top = left[0]
        group = [i for i in left if i == top or iou(boxes[top], boxes[i]) > thr]
        w = np.array([scores[i] for i in group])
        out.append((sum(wi * boxes[i] for wi, i in zip(w, group)) / w.sum(),
                    sum(wi * kps[i] for wi, i in zip(w, group)) / w.sum(), scores[top]))
        left = [i for i in left if i not in group]
    return out


def test_weighted_nms_equals_a_brute_force_loop():
    rng = np.random.default_rng(1)
    centres = np.repeat(rng.uniform(20, 100, (4, 2)), 6, axis=0) + rng.normal(0, 3, (24, 2))
    sizes = rng.uniform(15, 30, (24, 1))
    boxes = np.c_[centres - sizes / 2, centres + sizes / 2]
    kps, scores = rng.normal(50, 20, (24, 6, 2)), rng.uniform(0.5, 1, 24)
    b, k, s = L.weighted_nms(boxes, kps, scores, iou=0.3)
    ref = _brute_nms(boxes, kps, scores, 0.3)
    assert len(b) == len(ref) and 1 < len(b) < 24
    for i, (rb, rk, rs) in enumerate(ref):
        np.testing.assert_allclose(b[i], rb)
        np.testing.assert_allclose(k[i], rk)
        assert s[i] == rs
    assert (np.diff(s) <= 0).all()


# --------------------------------------------------------------------------
# the detector on real faces (mirror + ai-edge-litert)
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def detector(real_data):
    pytest.importorskip("ai_edge_litert")
    if not (real_data / "models" / "mediapipe").is_dir():
        pytest.skip("the landmark models are not in the real-data mirror")
    return L.LandmarkDetector(real_data / "models" / "mediapipe")


def _truth(path):
    pts = faces.read_tem(path)
    eyes = pts[[0, 1]]
    return eyes[np.argsort(eyes[:, 0])], pts[87:109].mean(0)


FACES = ["london/neutral_front/001_03", "london/neutral_front/064_03", "london/neutral_front/120_03",
         "gallery/canada/008f", "gallery/canada/098m", "gallery/canada/152m"]


@pytest.mark.parametrize("stem", FACES)
def test_pupils_and_mouth_on_faces_with_ground_truth(detector, real_data, stem):
    """Tolerances from benchmarks/landmarks.py (142 faces: worse eye max 0.03 IOD, mouth p90 <= 0.05)."""
    img = faces.read_photo(real_data / f"{stem}.jpg")
    eyes, mouth = _truth(real_data / f"{stem}.tem")
    iod = np.hypot(*(eyes[1] - eyes[0]))
    for scale in (1.0, 200 / img.shape[1]):  # the photo, and a 200 px wide copy
        im = img if scale == 1 else np.asarray(Image.fromarray(img).resize(
            (200, round(img.shape[0] * scale)), Image.LANCZOS))
        lm = detector(im)
        e, m = (eyes + 0.5) * scale - 0.5, (mouth + 0.5) * scale - 0.5
        assert np.hypot(*(lm.eyes - e).T).max() < 0.05 * iod * scale
        assert np.hypot(*(lm.mouth - m)) < 0.08 * iod * scale
        assert lm.points.shape == (468, 2) and lm.n_faces == 1 and lm.method == "mesh"
        x0, y0, x1, y1 = lm.box
        assert x0 < e[:, 0].min() and e[:, 0].max() < x1 and y0 < e[:, 1].min() and m[1] < y1


def test_rotated_and_mirrored_faces(detector, real_data):
    """The rotated crops follow the face: a face turned 30 degrees in the image plane, and its mirror image."""
    img = faces.read_photo(real_data / "london/neutral_front/001_03.jpg")
    eyes, _ = _truth(real_data / "london/neutral_front/001_03.tem")
    iod = np.hypot(*(eyes[1] - eyes[0]))
    rot = np.asarray(Image.fromarray(img).rotate(30, resample=Image.BILINEAR, center=(675, 675)))
    t = np.radians(30)  # PIL rotates counter-clockwise on screen: x' = c + R(-t) (x - c) with y down
    R = np.array([[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]])
    want = (eyes + 0.5 - 675) @ R.T + 675 - 0.5
    want = want[np.argsort(want[:, 0])]
    assert np.hypot(*(detector(rot).eyes - want).T).max() < 0.05 * iod
    flipped = img[:, ::-1]
    want = np.c_[img.shape[1] - 1 - eyes[:, 0], eyes[:, 1]][::-1]
    assert np.hypot(*(detector(flipped).eyes - want).T).max() < 0.05 * iod


def test_several_faces_the_largest_and_a_warning(detector, real_data):
    big = faces.read_photo(real_data / "london/neutral_front/001_03.jpg")[200:1200, 175:1175]
    small = np.asarray(Image.fromarray(faces.read_photo(real_data / "gallery/canada/098m.jpg")).resize((450, 600)))
    canvas = np.full((1000, 1500, 3), 128, np.uint8)
    canvas[:, :1000] = big
    canvas[200:800, 1025:1475] = small
    with pytest.warns(UserWarning, match="2 faces found; using the largest"):
        lm = detector(canvas)
    assert lm.n_faces == 2 and lm.eyes[:, 0].max() < 1000


def test_blank_noise_and_animals_raise_face_not_found(detector, real_data):
    from skimage.data import chelsea

    rng = np.random.default_rng(0)
    for img in (np.full((300, 300, 3), 0.5), rng.random((300, 400, 3)), chelsea(),
                faces.read_photo(real_data / "gallery/animals/fox-715588_640.jpg")):
        with pytest.raises(faces.FaceNotFoundError) as err:
            detector(img)
        assert isinstance(err.value, ValueError) and "eyes=" in str(err.value) and "mouth=" in str(err.value)


def test_dtypes_and_channels_give_the_same_landmarks(detector, real_data):
    img = faces.read_photo(real_data / "gallery/canada/008f.jpg")[::4, ::4]
    ref = detector(img).eyes
    for other in (img.astype(np.uint16) * 257, img / 255.0, np.dstack([img, np.full(img.shape[:2], 255, np.uint8)])):
        np.testing.assert_allclose(detector(other).eyes, ref, atol=0.05)


@pytest.mark.slow
def test_mean_mesh_matches_the_london_faces(detector, real_data):
    """The shipped london_mean_mesh.txt is build_mean_mesh of the 102 London faces (rebuilt here)."""
    tems = sorted((real_data / "london" / "neutral_front").glob("*.tem"))
    meshes = [detector(faces.read_photo(t.with_suffix(".jpg"))).points for t in tems]
    rebuilt = L.build_mean_mesh(meshes, [faces.read_tem(t) for t in tems])
    assert len(tems) == 102
    np.testing.assert_allclose(L.mean_mesh(1), rebuilt, atol=2e-5)  # 5 decimals in the file


def test_detect_landmarks_reads_the_verified_models(real_data):
    pytest.importorskip("ai_edge_litert")
    from skimage.data import astronaut

    lm = faces.detect_landmarks(astronaut())
    # the pupils read off the image by eye (tests/faces/test_align.py): within 3 px
    assert np.hypot(*(lm.eyes - [[204.0, 100.0], [247.0, 102.0]]).T).max() < 3
    assert lm.method == "mesh" and 215 < lm.mouth[0] < 232 and 135 < lm.mouth[1] < 155


# --------------------------------------------------------------------------
# without the runtime or the models: the LBP fallback
# --------------------------------------------------------------------------


@pytest.fixture
def no_runtime(monkeypatch):
    """Simulate a platform without ai-edge-litert: importing it fails, and no detector is cached."""
    monkeypatch.setitem(sys.modules, "ai_edge_litert", None)
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)
    L._detector.cache_clear()
    yield
    L._detector.cache_clear()


def test_fallback_without_the_runtime_warns_once_in_one_line(no_runtime):
    from skimage.data import astronaut

    with pytest.warns(UserWarning) as record:
        lm = faces.detect_landmarks(astronaut())
    msg = str(record[0].message)
    assert "\n" not in msg and "LBP" in msg and "ai-edge-litert" in msg and "eyes=" in msg and len(msg) < 300
    assert lm.method == "lbp" and lm.mouth is None and lm.points is None
    assert np.hypot(*(lm.eyes - [[204.0, 100.0], [247.0, 102.0]]).T).max() < 12
    with pytest.raises(L.LandmarkModelUnavailable, match="ai-edge-litert"):
        faces.detect_landmarks(astronaut(), fallback=False)
    # align_face still works, with the eyes only (a similarity: no mesh, no shape warp)
    with pytest.warns(UserWarning, match="LBP"):
        fw = faces.face_warp(astronaut(), size=64)
    assert fw.field is None and fw.method == "lbp eyes"
    with pytest.raises(ValueError, match="warp='shape' needs the face mesh"), pytest.warns(UserWarning):
        faces.face_warp(astronaut(), size=64, warp="shape")


def test_fallback_when_the_models_cannot_be_fetched(data_root, no_network):
    pytest.importorskip("ai_edge_litert")
    from skimage.data import astronaut

    L._detector.cache_clear()
    with pytest.raises(L.LandmarkModelUnavailable, match="fetch models"):
        L.landmark_model_dir(download=False)
    with pytest.warns(UserWarning, match="face mesh unavailable.*could not be fetched"):
        lm = faces.detect_landmarks(astronaut())
    assert lm.method == "lbp" and no_network  # a download was tried, and failed offline
    with pytest.raises(faces.FaceNotFoundError):  # a blank image: the fallback finds no face either
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            faces.detect_landmarks(np.full((200, 200, 3), 0.5))
