"""Paired-data loaders, manual datasets, the gallery and the prepared cache (no network is used)."""
import hashlib
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pixelfes_edu import data, faces, store
from pixelfes_edu.data import cache, prepare
from pixelfes_edu.store.manifest import load_manifest

pytestmark = pytest.mark.usefixtures("no_network")

FOX = "gallery/animals/fox-715588_640.jpg"


def _fake_align_pair(neutral, expressive, landmarks=None, eyes=None, size=128, target_shape=None):
    """Stand-in aligner: resize both photos (keeps each file's colour, so pairing is checkable)."""
    from skimage.transform import resize

    def crop(img):
        return resize(np.asarray(img, float) / 255.0, (size, size, 3), order=1, anti_aliasing=False)

    return crop(neutral), crop(expressive), {"fake": True}


@pytest.fixture
def fake_aligner(monkeypatch):
    monkeypatch.setattr(prepare, "align_pair", _fake_align_pair)
    monkeypatch.setattr(prepare, "residual_shift", lambda x, y: np.zeros(len(x)))
    monkeypatch.setattr(prepare, "mean_face_sharpness_ratio", lambda x: 1.0)


def _colour(name):
    """A distinct, JPEG-stable grey level per file name."""
    return int(hashlib.sha256(name.encode()).hexdigest()[:2], 16) // 2 + 40


def _write(path, size=(48, 40)):
    path.parent.mkdir(parents=True, exist_ok=True)
    v = _colour(path.name)
    img = Image.fromarray(np.full((size[0], size[1], 3), v, np.uint8))
    img.save(path, format="PNG" if path.suffix.lower() == ".png" else "JPEG", quality=95)


def _level(img):
    return round(float(np.mean(img)) * 255)


TREES = {
    "kdef": (["AF01/AF01NES.JPG", "AF01/AF01SUS.JPG", "AF01/AF01HAS.JPG", "AF01/AF01SUHL.JPG",
              "AM02/AM02NES.JPG", "AM02/AM02SUS.JPG", "BF01/BF01NES.JPG", "BF01/BF01SUS.JPG",
              "readme.txt"],
             "surprise", [("F01", "AF01/AF01NES.JPG", "AF01/AF01SUS.JPG"),
                          ("F01", "BF01/BF01NES.JPG", "BF01/BF01SUS.JPG"),
                          ("M02", "AM02/AM02NES.JPG", "AM02/AM02SUS.JPG")]),
    "rafd": (["Rafd090_01_Caucasian_female_neutral_frontal.jpg",
              "Rafd090_01_Caucasian_female_surprised_frontal.jpg",
              "Rafd045_01_Caucasian_female_surprised_frontal.jpg",
              "Rafd090_01_Caucasian_female_surprised_left.jpg",
              "Rafd090_02_Moroccan_male_neutral_frontal.jpg",
              "Rafd090_02_Moroccan_male_surprised_frontal.jpg",
              "Rafd090_02_Moroccan_male_happy_frontal.jpg"],
             "surprised", [("01", "Rafd090_01_Caucasian_female_neutral_frontal.jpg",
                            "Rafd090_01_Caucasian_female_surprised_frontal.jpg"),
                           ("02", "Rafd090_02_Moroccan_male_neutral_frontal.jpg",
                            "Rafd090_02_Moroccan_male_surprised_frontal.jpg")]),
    "bosphorus": (["bs000/bs000_N_N_0.png", "bs000/bs000_N_N_1.png", "bs000/bs000_E_HAPPY_0.png",
                   "bs000/bs000_YR_R10_0.png", "bs000/bs000_E_HAPPY_0.lm2",
                   "bs001/bs001_N_N_0.png", "bs001/bs001_E_HAPPY_0.png", "bs001/bs001_E_SADNESS_0.png"],
                  "happiness", [("bs000", "bs000/bs000_N_N_0.png", "bs000/bs000_E_HAPPY_0.png"),
                                ("bs001", "bs001/bs001_N_N_0.png", "bs001/bs001_E_HAPPY_0.png")]),
    "cfee": (["CFEE_Database_230/A/Images1/01_001.jpg", "CFEE_Database_230/A/Images1/02_001.jpg",
              "CFEE_Database_230/A/Images1/08_001.jpg", "CFEE_Database_230/B/Images2/01_002.jpg",
              "CFEE_Database_230/B/Images2/02_002.jpg", "CFEE_Database_230/AU_annotation_all_subjects.xls"],
             "Happy", [("001", "CFEE_Database_230/A/Images1/01_001.jpg", "CFEE_Database_230/A/Images1/02_001.jpg"),
                       ("002", "CFEE_Database_230/B/Images2/01_002.jpg", "CFEE_Database_230/B/Images2/02_002.jpg")]),
}


def _tree(root, files):
    for rel in files:
        p = root / rel
        if p.suffix.lower() in (".jpg", ".png"):
            _write(p)
        else:
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text("not an image")
    return root


@pytest.mark.parametrize("name", sorted(TREES))
def test_manual_loader_pairs_neutral_with_expression(name, tmp_path, fake_aligner):
    files, expression, expected = TREES[name]
    root = _tree(tmp_path / name.upper(), files)
    p = data.load_pairs(name, root=root, expression=expression, size=16, workers=1, progress=False)
    assert p.name == name and p.expression == data.normalise_expression(expression)
    assert p.inputs.shape == (len(expected), 16, 16, 3) and p.inputs.dtype == np.float64
    got = sorted(zip(p.ids, [_level(x) for x in p.inputs], [_level(y) for y in p.targets]))
    want = sorted((i, _colour(Path(a).name), _colour(Path(b).name)) for i, a, b in expected)
    assert [g[0] for g in got] == [w[0] for w in want]
    assert np.allclose([g[1:] for g in got], [w[1:] for w in want], atol=2)
    assert load_manifest()[name]["homepage"] in p.source


def test_manual_scan_keeps_only_frontal(tmp_path):
    root = _tree(tmp_path / "K", TREES["kdef"][0])
    names = sorted(r["path"].name for r in data.scan_manual("kdef", root))
    assert "AF01SUHL.JPG" not in names and "AF01HAS.JPG" in names and len(names) == 7


def test_manual_missing_root_names_scheme(tmp_path):
    for name, example in [("kdef", "AF01HAS.JPG"), ("rafd", "Rafd090_01_Caucasian_female_happy_frontal.jpg"),
                          ("bosphorus", "bs000_E_HAPPY_0.png"), ("cfee", "02_001.jpg")]:
        with pytest.raises(FileNotFoundError) as err:
            data.load_pairs(name, root=tmp_path / "nowhere", expression="happy")
        assert example in str(err.value) and "does not exist" in str(err.value)


def test_manual_unrecognisable_folder_names_scheme(tmp_path):
    _tree(tmp_path, ["IMG_0001.jpg", "notes.txt"])
    with pytest.raises(FileNotFoundError) as err:
        data.load_pairs("kdef", root=tmp_path, expression="happy")
    assert "AF01HAS.JPG" in str(err.value) and "no recognisable" in str(err.value)


def test_manual_needs_root_and_known_expression(tmp_path, fake_aligner):
    with pytest.raises(ValueError, match="root="):
        data.load_pairs("rafd")
    root = _tree(tmp_path, TREES["rafd"][0])
    with pytest.raises(ValueError, match="available expressions: happy, surprise"):
        data.load_pairs("rafd", root=root, expression="disgust")


def test_manual_mismatched_pairs_raise_or_warn(tmp_path, fake_aligner):
    files = TREES["kdef"][0] + ["AM03/AM03NES.JPG", "BM04/BM04SUS.JPG"]
    root = _tree(tmp_path, files)
    with pytest.raises(data.MismatchedPairsError) as err:
        data.load_pairs("kdef", root=root, expression="surprise", size=8, workers=1, progress=False)
    assert "A/M03" in str(err.value) and "B/M04" in str(err.value) and "strict=False" in str(err.value)
    assert set(err.value.ids) == {"A/M03", "B/M04"}
    with pytest.warns(UserWarning, match="A/M03"):
        p = data.load_pairs("kdef", root=root, expression="surprise", size=8, workers=1,
                          progress=False, strict=False)
    assert len(p) == 3


def test_manual_corrupt_image_is_named(tmp_path, fake_aligner):
    root = _tree(tmp_path, TREES["cfee"][0])
    bad = root / "CFEE_Database_230/B/Images2/02_002.jpg"
    bad.write_bytes(bad.read_bytes()[:40])
    with pytest.raises(faces.CorruptFileError, match="02_002.jpg"):
        data.load_pairs("cfee", root=root, expression="happy", size=8, workers=1, progress=False)


def test_normalise_expression():
    assert [data.normalise_expression(e) for e in ("HAPPINESS", "Surprised", "afraid", "Anger", "sadness")] == \
        ["happy", "surprise", "fear", "angry", "sad"]


def _london_rels(ids):
    return [f"london/neutral_front/{i}_03.jpg" for i in ids] + \
           [f"london/neutral_front/{i}_03.tem" for i in ids] + \
           [f"london/smiling_front/{i}_08.jpg" for i in ids]


def test_london_mismatched_pairs_listed(copy_real, data_root, fake_aligner):
    copy_real(_london_rels(["001", "002", "003"]))
    (data_root / "london/smiling_front/002_08.jpg").unlink()
    with pytest.raises(data.MismatchedPairsError) as err:
        data.load_pairs("london", size=16, download=False, workers=1, progress=False)
    assert "002" in str(err.value) and err.value.ids == ["002"]
    with pytest.warns(UserWarning, match="002"):
        p = data.load_pairs("london", size=16, download=False, workers=1, progress=False, strict=False)
    assert p.ids.tolist() == ["001", "003"]


def test_london_offline_and_incomplete_is_unavailable(copy_real, data_root, fake_aligner):
    copy_real(_london_rels(["001"]))
    with pytest.raises(store.DataUnavailableError, match="PIXELFES_EDU_DATA"):
        data.load_pairs("london", size=16, workers=1, progress=False)


def test_auto_falls_back_to_synthetic_without_london(data_root):
    p = data.load_pairs("auto", size=32, n=6, seed=0)
    assert p.name == "synthetic" and p.source == "synthetic faces (generated, seed=0)"
    assert p.inputs.shape == (6, 32, 32, 3)


def test_unknown_source_and_arguments():
    with pytest.raises(ValueError, match="name must be one of 'auto', 'london'"):
        data.load_pairs("mnist")
    with pytest.raises(TypeError, match="root"):
        data.load_pairs("synthetic", root="/tmp")


@pytest.fixture(scope="session")
def london(real_data):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no incomplete pairs in the real set
        return data.load_pairs("london", size=128, progress=False)


def test_london_shape_range_ids(london):
    assert len(london) == 102 and london.inputs.shape == (102, 128, 128, 3)
    assert london.inputs.dtype == np.float64 and london.targets.shape == london.inputs.shape
    for x in (london.inputs, london.targets):
        assert np.isfinite(x).all() and x.min() >= 0 and x.max() <= 1
    assert list(london.ids) == sorted(london.ids) and all(len(i) == 3 and i.isdigit() for i in london.ids)
    assert len(set(london.ids)) == 102
    assert london.expression == "happy" and london.source == "Face Research Lab London Set (CC BY 4.0)"
    # the two photos of a pair differ (a smile), but not by much (same person, same place)
    d = np.abs(london.inputs - london.targets).mean(axis=(1, 2, 3))
    assert (d > 0.003).all() and (d < 0.2).all()


def test_london_alignment_measures(london):
    m = london.meta
    assert m["residual_shift_median_px"] <= 0.5
    assert m["residual_shift_p90_px"] <= 1.5
    assert m["mean_face_sharpness_ratio"] >= 0.12
    # pairs whose registration fell back to its coarse estimate are reported (kept), by id
    assert isinstance(m["registration_fell_back"], list) and len(m["registration_fell_back"]) <= 5
    assert set(m["registration_fell_back"]) <= set(london.ids)


def _whole_crop_sharpness_ratio(images):
    """The mean-face sharpness ratio over the whole crop (no face mask), on grey images."""
    from skimage.filters import laplace

    grey = images.mean(-1)
    return laplace(grey.mean(0)).var() / np.mean([laplace(g).var() for g in grey])


def test_london_shape_warp_beats_affine_and_keeps_faces_sharp(london):
    """Warping onto the mean landmark shape puts features on the same pixels without blurring faces."""
    from pixelfes_edu.evaluation.metrics import sharpness

    affine = data.load_pairs("london", size=128, progress=False, warp="affine")
    assert london.meta["warp"] == "shape" and affine.meta["warp"] == "affine"
    shape_ratio, affine_ratio = _whole_crop_sharpness_ratio(london.inputs), _whole_crop_sharpness_ratio(affine.inputs)
    assert shape_ratio >= 0.12 and shape_ratio > 1.5 * affine_ratio
    assert london.meta["mean_face_sharpness_ratio"] > affine.meta["mean_face_sharpness_ratio"]
    # one interpolation from the photo: individual faces are as sharp as with the affine crop
    assert np.mean(sharpness(london.inputs)) > 0.9 * np.mean(sharpness(affine.inputs))
    with pytest.raises(ValueError, match="warp must be 'shape'"):
        data.load_pairs("london", warp="dense")


def test_london_measures_recomputed_match_meta(london):
    s = faces.residual_shift(london.inputs, london.targets)
    assert np.isclose(np.median(s), london.meta["residual_shift_median_px"])
    assert np.isclose(faces.mean_face_sharpness_ratio(london.inputs), london.meta["mean_face_sharpness_ratio"])


def test_london_cached_reload_is_identical_and_skips_alignment(london, monkeypatch):
    def boom(*a, **k):
        raise AssertionError("the cached load must not align again")

    monkeypatch.setattr(prepare, "align_pair", boom)
    again = data.load_pairs("london", size=128, progress=False)
    assert np.array_equal(again.inputs, london.inputs) and np.array_equal(again.targets, london.targets)
    assert again.ids.tolist() == london.ids.tolist() and again.meta == london.meta
    assert list(store.cache_dir().glob("london_128px_*.npz"))


def test_auto_prefers_london_when_present(london):
    p = data.load_pairs("auto", size=128)
    assert p.name == "london" and len(p) == 102
    few = data.load_pairs("auto", size=128, n=5, seed=1)  # n people, chosen by seed, in their order
    assert few.name == "london" and len(few) == 5 and set(few.ids) <= set(p.ids)
    assert few.ids.tolist() == sorted(few.ids) and few.ids.tolist() == data.load_pairs("auto", n=5, seed=1).ids.tolist()
    for name in ("london", "synthetic", "auto"):  # every source takes the common keywords
        assert len(data.load_pairs(name, size=32 if name == "synthetic" else 128, n=3, seed=0, progress=False)) == 3


def test_gallery_offline_embedded(data_root):
    g = data.load_gallery(size=64)
    assert sorted(g) == ["astronaut", "chelsea", "grace_hopper"]
    for img in g.values():
        assert img.shape == (64, 64, 3) and img.dtype == np.float64 and 0 <= img.min() <= img.max() <= 1


def test_gallery_online_extras_when_present(copy_real, data_root):
    copy_real([FOX, "gallery/lisa/lisa1.jpg", "gallery/lisa/lisa1.tem",
                                 "gallery/zoom/30cm.jpg", "gallery/zoom/30cm.tem"])
    g = data.load_gallery(size=32)
    assert {"fox", "lisa1", "zoom_30cm", "astronaut"} <= set(g)
    assert all(v.shape == (32, 32, 3) for v in g.values())
    assert set(data.load_gallery(size=32, online=False)) == {"astronaut", "chelsea", "grace_hopper"}


@pytest.fixture
def counting_aligner(monkeypatch, fake_aligner):
    calls = []

    def counted(*a, **k):
        calls.append(1)
        return _fake_align_pair(*a, **k)

    monkeypatch.setattr(prepare, "align_pair", counted)
    return calls


def test_london_cache_reused_then_rebuilt_for_new_prep_version(copy_real, data_root, counting_aligner, monkeypatch):
    copy_real(_london_rels(["004", "005"]))
    kw = dict(size=16, download=False, workers=1, progress=False)
    data.load_pairs("london", **kw)
    assert len(counting_aligner) == 2
    data.load_pairs("london", **kw)
    assert len(counting_aligner) == 2  # cached
    monkeypatch.setattr(cache, "PREP_VERSION", cache.PREP_VERSION + 1)
    data.load_pairs("london", **kw)
    assert len(counting_aligner) == 4  # new preparation
    assert len(list(store.cache_dir().glob("london_16px_*.npz"))) == 1  # the old one is gone


def test_changed_london_file_is_caught_even_with_a_cache(copy_real, data_root, fake_aligner):
    copy_real(_london_rels(["006"]))
    kw = dict(size=16, download=False, workers=1, progress=False)
    data.load_pairs("london", **kw)
    with open(data_root / "london/smiling_front/006_08.jpg", "ab") as f:
        f.write(b"edited")
    with pytest.raises(store.ChecksumError, match="006_08.jpg"):
        data.load_pairs("london", **kw)


def test_manual_cache_rebuilt_when_a_file_changes(tmp_path, counting_aligner):
    root = _tree(tmp_path, TREES["cfee"][0])
    kw = dict(root=root, expression="happy", size=8, workers=1, progress=False)
    first = data.load_pairs("cfee", **kw)
    data.load_pairs("cfee", **kw)
    assert len(counting_aligner) == 2
    Image.fromarray(np.full((48, 40, 3), 7, np.uint8)).save(root / "CFEE_Database_230/B/Images2/02_002.jpg")
    changed = data.load_pairs("cfee", **kw)
    assert len(counting_aligner) == 4
    assert _level(changed.targets[1]) != _level(first.targets[1])


def test_gallery_logic_with_stand_in_aligners(copy_real, data_root, monkeypatch):
    """Which images are aligned how (eyes from the manifest / landmarks), independent of the aligners."""
    from skimage.transform import resize

    from pixelfes_edu.data import gallery

    seen = {}

    def face(image, eyes=None, size=128):
        seen[np.asarray(image).shape] = eyes
        return resize(np.asarray(image, float) / 255, (size, size, 3))

    def landmarks(image, pts, size=128):
        seen[np.asarray(image).shape] = len(pts)
        return resize(np.asarray(image, float) / 255, (size, size, 3))

    monkeypatch.setattr(gallery, "align_face", face)
    monkeypatch.setattr(gallery, "align_with_landmarks", landmarks)
    copy_real([FOX, "gallery/canada/003f.jpg", "gallery/canada/003f.tem",
                                 "gallery/zoom/45cm.jpg", "gallery/zoom/45cm.tem",
                                 "gallery/lisa/lisa2.jpg"])  # lisa2 without its .tem: left out
    g = data.load_gallery(size=16)
    assert sorted(g) == ["astronaut", "canada_003f", "chelsea", "fox", "grace_hopper", "zoom_45cm"]
    m = load_manifest()
    assert seen[(429, 640, 3)] == m["fox"]["eyes"]
    assert seen[(512, 512, 3)] == m["astronaut"]["eyes"]
    assert seen[(1800, 1350, 3)] == 189 and seen[(1536, 1152, 3)] == 83
    assert all(v.shape == (16, 16, 3) and v.dtype == np.float64 for v in g.values())
    # cached: a second call aligns nothing online again, and a broken extra is caught
    seen.clear()
    assert sorted(data.load_gallery(size=16)) == sorted(g) and (1800, 1350, 3) not in seen
    with open(data_root / FOX, "ab") as f:
        f.write(b"x")
    with pytest.raises(store.ChecksumError, match="fox"):
        data.load_gallery(size=16)


def test_alignment_failures_are_reported_not_dropped(tmp_path, monkeypatch, fake_aligner):
    def picky(neutral, expressive, landmarks=None, eyes=None, size=128, target_shape=None):
        if _level(neutral / 255.0) == _colour("Rafd090_02_Moroccan_male_neutral_frontal.jpg"):
            raise ValueError("no face found")
        return _fake_align_pair(neutral, expressive, size=size)

    monkeypatch.setattr(prepare, "align_pair", picky)
    root = _tree(tmp_path, TREES["rafd"][0])
    kw = dict(root=root, expression="surprise", size=8, workers=1, progress=False)
    with pytest.raises(ValueError, match="Rafd090_02_Moroccan_male_neutral_frontal.jpg.*no face found"):
        data.load_pairs("rafd", **kw)
    with pytest.warns(UserWarning, match="no face found"):
        p = data.load_pairs("rafd", strict=False, **kw)
    assert p.ids.tolist() == ["01"]


def test_manual_loader_end_to_end_with_face_detection(real_data, tmp_path):
    """Real photos under KDEF names, aligned by detection (no landmarks, no eyes)."""
    root = tmp_path / "KDEF"
    for kdef, pid in (("AF01", "001"), ("AM02", "004")):
        (root / kdef).mkdir(parents=True)
        shutil.copyfile(real_data / f"london/neutral_front/{pid}_03.jpg", root / kdef / f"{kdef}NES.JPG")
        shutil.copyfile(real_data / f"london/smiling_front/{pid}_08.jpg", root / kdef / f"{kdef}HAS.JPG")
    p = data.load_pairs("kdef", root=root, expression="happy", size=64, progress=False)
    assert p.ids.tolist() == ["F01", "M02"] and p.inputs.shape == (2, 64, 64, 3)
    assert 0 <= p.inputs.min() and p.inputs.max() <= 1
    # each crop is a centred face: the (skin-toned) centre is darker than the pale studio background
    centre = p.inputs[:, 24:40, 24:40].mean(axis=(1, 2, 3))
    corners = p.inputs[:, :6, :6].mean(axis=(1, 2, 3))
    assert (centre < corners).all()
    assert p.meta["residual_shift_median_px"] < 3


def test_cache_key_is_the_preparation_version_and_inputs_only():
    """Editing code (a comment, a refactor) must not invalidate caches: only PREP_VERSION and the inputs count."""
    import json

    parts = ("london", 128, "shape", [["london/x.jpg", "ab" * 32]])
    blob = json.dumps([cache.PREP_VERSION, *parts], sort_keys=True, default=str)
    assert cache.cache_key(*parts) == hashlib.sha256(blob.encode()).hexdigest()[:20]
    assert cache.cache_key(*parts) != cache.cache_key("london", 64, "shape", parts[3])
