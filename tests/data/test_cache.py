"""The prepared cache heals itself: damaged or foreign files are removed with a warning and
prepared again, and no temporary file is left behind (no network is used)."""
import os
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest

from pixelfes_edu import data, store
from pixelfes_edu.data import cache, prepare

pytestmark = pytest.mark.usefixtures("no_network")

LONDON = ["london/neutral_front/004_03.jpg", "london/neutral_front/004_03.tem", "london/smiling_front/004_08.jpg"]


def _resize_pair(neutral, expressive, landmarks=None, eyes=None, size=128, target_shape=None):
    from skimage.transform import resize

    crop = lambda img: resize(np.asarray(img, float) / 255.0, (size, size, 3), order=0, anti_aliasing=False)  # noqa: E731
    return crop(neutral), crop(expressive), {}


@pytest.fixture
def aligned(monkeypatch):
    """Stand-in aligner that counts its calls (the cache logic does not depend on how faces are aligned)."""
    calls = []

    def align(*a, **k):
        calls.append(1)
        return _resize_pair(*a, **k)

    monkeypatch.setattr(prepare, "align_pair", align)
    monkeypatch.setattr(prepare, "residual_shift", lambda x, y: np.zeros(len(x)))
    monkeypatch.setattr(prepare, "mean_face_sharpness_ratio", lambda x: 1.0)
    return calls


KW = dict(size=16, download=False, workers=1, progress=False)


def _cache_file():
    (path,) = store.cache_dir().glob("london_16px_*.npz")
    return path


def _rewrite(path, **changes):
    """Replace the cache file by a *valid* npz with some arrays changed (hash recomputed or not)."""
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    arrays.update(changes)
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def _truncate(path):
    data_ = path.read_bytes()
    path.write_bytes(data_[: len(data_) // 2])


def _flip(path):
    b = bytearray(path.read_bytes())
    b[len(b) // 2] ^= 0x10
    path.write_bytes(bytes(b))


DAMAGE = {
    "truncated": _truncate,
    "bit-flipped": _flip,
    "empty": lambda p: p.write_bytes(b""),
    "not a zip": lambda p: p.write_bytes(b"PK\x03\x04 hello"),
    "NaN inputs": lambda p: _rewrite(p, inputs=np.full((1, 16, 16, 3), np.nan)),
    "x255 inputs": lambda p: _rewrite(p, inputs=np.load(p)["inputs"] * 255),
    "NaN inputs, hash recomputed": lambda p: cache.save_npz(p, **{**_arrays(p), "inputs": np.full((1, 16, 16, 3), np.nan)}),
    "x255, hash recomputed": lambda p: cache.save_npz(p, **{**_arrays(p), "targets": _arrays(p)["targets"] * 255}),
    "no hash": lambda p: _drop_key(p, "content_sha256"),
    "no ids": lambda p: cache.save_npz(p, **{k: v for k, v in _arrays(p).items() if k != "ids"}),
    "int8 inputs": lambda p: cache.save_npz(p, **{**_arrays(p), "inputs": _arrays(p)["inputs"].astype(np.int8)}),
    "meta a list": lambda p: cache.save_npz(p, **{**_arrays(p), "meta": np.array("[1, 2]")}),
}


def _arrays(path):
    return cache.load_npz(path)


def _drop_key(path, key):
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files if k != key}
    with open(path, "wb") as f:
        np.savez(f, **arrays)


@pytest.mark.parametrize("how", sorted(DAMAGE))
def test_a_damaged_prepared_cache_is_prepared_again_with_a_warning(how, copy_real, data_root, aligned):
    copy_real(LONDON)
    first = data.load_pairs("london", **KW)
    path = _cache_file()
    DAMAGE[how](path)
    with pytest.warns(UserWarning, match=f"prepared cache {path} is damaged and is prepared again"):
        again = data.load_pairs("london", **KW)
    assert len(aligned) == 2  # prepared a second time
    np.testing.assert_array_equal(again.inputs, first.inputs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(data.load_pairs("london", **KW).targets, first.targets)  # healed
    assert len(aligned) == 2
    assert sorted(p.name for p in store.cache_dir().iterdir()) == sorted([path.name, "verified.json"])


def test_load_npz_names_the_problem(tmp_path):
    path = tmp_path / "c.npz"
    cache.save_npz(path, a=np.arange(4.0), b=np.array("text"))
    assert set(cache.load_npz(path)) == {"a", "b"}
    _rewrite(path, a=np.arange(4.0) + 1)
    with pytest.raises(cache.CacheError, match="do not match the content hash"):
        cache.load_npz(path)
    path.write_bytes(b"")
    with pytest.raises(cache.CacheError, match="not a readable .npz file"):
        cache.load_npz(path)
    with pytest.raises(FileNotFoundError):
        cache.load_npz(tmp_path / "missing.npz")


_KILLED_WRITER = """
import sys, numpy as np
from pathlib import Path
from pixelfes_edu.data import cache
x = np.random.default_rng(0).random((40, 64, 64, 3))
print("start", flush=True)
while True:
    cache.save_npz(Path(sys.argv[1]), inputs=x)
"""


def test_no_temporary_file_survives_a_killed_cache_write(tmp_path):
    path = tmp_path / "london_16px_shape_0123456789abcdef0123.npz"
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(path)], env=env, stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "start"
    for _ in range(500):  # until the writer is inside a write: its temporary exists
        if any(p.suffix == ".tmp" for p in tmp_path.iterdir()):
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    assert any(p.suffix == ".tmp" for p in tmp_path.iterdir())  # what the killed write left
    newer = tmp_path / "london_16px_shape_fedcba9876543210fedc.npz"  # the next preparation, another key
    cache.save_npz(newer, inputs=np.zeros((1, 2, 2, 3)))
    assert [p.name for p in tmp_path.iterdir()] == [newer.name]


def test_an_in_place_edit_that_keeps_size_and_mtime_is_caught_before_preparing(copy_real, data_root, aligned):
    """A .tem edited in place, size and mtime put back: the next preparation must not use it."""
    copy_real(LONDON)
    data.load_pairs("london", **KW)
    tem = data_root / LONDON[1]
    st = os.stat(tem)
    text = tem.read_bytes()
    i = text.index(b"\n", len(text) // 2) + 1
    edited = text[:i] + (b"9" if text[i:i + 1] != b"9" else b"8") + text[i + 1:]
    assert len(edited) == len(text)
    for p in store.cache_dir().glob("london_*.npz"):
        p.unlink()  # the preparation will run again (e.g. after a new PREP_VERSION)
    tem.write_bytes(edited)
    os.utime(tem, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert os.stat(tem).st_size == st.st_size and os.stat(tem).st_mtime_ns == st.st_mtime_ns
    with pytest.raises(store.ChecksumError, match="004_03.tem"):
        data.load_pairs("london", **KW)
    assert list(store.cache_dir().glob("london_*.npz")) == []  # nothing prepared from the edited file


def test_a_rebuilt_cache_hashes_its_files_even_where_stamps_miss_edits(copy_real, data_root, aligned, monkeypatch):
    """Filesystems whose stamps do not see an in-place edit (no ctime): the rebuild re-hashes."""
    from pixelfes_edu.store import files

    monkeypatch.setattr(files, "file_stamp", lambda p: [os.stat(p).st_size, os.stat(p).st_mtime_ns])
    copy_real(LONDON)
    data.load_pairs("london", **KW)
    tem = data_root / LONDON[1]
    st, text = os.stat(tem), tem.read_bytes()
    tem.write_bytes(text[:-3] + (b"0" if text[-3:-2] != b"0" else b"1") + text[-2:])
    os.utime(tem, ns=(st.st_atime_ns, st.st_mtime_ns))
    data.load_pairs("london", **KW)  # the cache is still good: the edit does not matter yet
    for p in store.cache_dir().glob("london_*.npz"):
        p.unlink()
    with pytest.raises(store.ChecksumError, match="004_03.tem"):
        data.load_pairs("london", **KW)


def test_a_damaged_gallery_cache_is_prepared_again_with_a_warning(copy_real, data_root, monkeypatch):
    from skimage.transform import resize

    from pixelfes_edu.data import gallery

    calls = []

    def stand_in(image, pts, size=128):
        calls.append(1)
        return resize(np.asarray(image, float) / 255, (size, size, 3), order=0, anti_aliasing=False)

    monkeypatch.setattr(gallery, "align_with_landmarks", stand_in)
    copy_real(["gallery/zoom/45cm.jpg", "gallery/zoom/45cm.tem"])
    first = data.load_gallery(size=16)
    (path,) = store.cache_dir().glob("gallery_16px_*.npz")
    cache.save_npz(path, zoom_45cm=np.full((16, 16, 3), 255.0))  # a valid file with a hash, but x255
    with pytest.warns(UserWarning, match="is damaged and is prepared again: zoom_45cm has values"):
        again = data.load_gallery(size=16)
    assert len(calls) == 2
    np.testing.assert_array_equal(again["zoom_45cm"], first["zoom_45cm"])


def test_a_manual_photo_edited_in_place_is_prepared_again(tmp_path, aligned):
    from PIL import Image

    def png(level):
        buf = __import__("io").BytesIO()
        Image.fromarray(np.full((48, 40, 3), level, np.uint8)).save(buf, format="PNG")
        return buf.getvalue()

    root = tmp_path / "CFEE_Database_230"
    files = {"A/Images1/01_001.jpg": 90, "A/Images1/02_001.jpg": 120}
    for rel, level in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(png(level))
    kw = dict(root=tmp_path, expression="happy", size=8, workers=1, progress=False)
    assert round(data.load_pairs("cfee", **kw).targets.mean() * 255) == 120
    target = root / "A/Images1/02_001.jpg"
    st, edited = os.stat(target), png(121)
    assert len(edited) == st.st_size
    target.write_bytes(edited)
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert round(data.load_pairs("cfee", **kw).targets.mean() * 255) == 121
    assert len(aligned) == 2
