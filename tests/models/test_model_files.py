"""Model files: atomic saves, paths, and a load_model that refuses every damaged or crafted file
with one ValueError naming it."""
import os
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

import pixelfes_edu as pfe
from pixelfes_edu.models import FORMAT_VERSION, MODEL_KINDS
from pixelfes_edu.models.base import FILE_LAYOUTS
from pixelfes_edu.validation import ResourceLimitError

ROOT = Path(__file__).resolve().parents[2]


def pairs(n=8, h=6, w=5, c=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, h, w, c))
    return X, np.clip(0.7 * X + 0.2 + 0.05 * rng.standard_normal(X.shape), 0, 1)


MODELS = {
    "PixelRidge": lambda: pfe.PixelRidge(0.3),
    "PixelKernelRidge": lambda: pfe.PixelKernelRidge(0.3, 0.5),
    "PixelKernelRidge-direct": lambda: pfe.PixelKernelRidge(0.3, 0.05, "direct"),
    "MaskedRidge": lambda: pfe.MaskedRidge(0.3, 3),
    "GlobalRidge": lambda: pfe.GlobalRidge(0.3),
}


@pytest.fixture(params=sorted(MODELS))
def saved(request, tmp_path):
    """(model, path of its file, its arrays) for every kind and solver."""
    X, T = pairs()
    model = MODELS[request.param]().fit(X, T)
    path = model.save(tmp_path / "m.npz")
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    return model, path, arrays


# --------------------------------------------------------------------------- saving
def test_save_returns_the_path_it_wrote_and_appends_npz_like_numpy(tmp_path):
    m = pfe.PixelRidge().fit(*pairs())
    got = m.save(tmp_path / "model")
    assert got == str(tmp_path / "model.npz") and Path(got).is_file()
    assert not (tmp_path / "model").exists()
    assert m.save(tmp_path / "m.npz") == str(tmp_path / "m.npz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz", "model.npz"]  # no temporaries


def test_save_refuses_a_folder_and_writes_nothing(tmp_path):
    m = pfe.PixelRidge().fit(*pairs())
    (tmp_path / "models").mkdir()
    with pytest.raises(IsADirectoryError, match="is a folder: give a file name in it"):
        m.save(tmp_path / "models")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["models"]


def test_every_kind_writes_one_of_its_file_layouts(saved):
    model, path, arrays = saved
    layouts = FILE_LAYOUTS[type(model).__name__]
    state = set(arrays) - {"format_version", "kind", "input_shape"} - {f"hyper_{k}" for k in model._hyper}
    assert any(set(layout) == state for layout in layouts)
    assert set(FILE_LAYOUTS) <= set(MODEL_KINDS)


_WRITER = """
import sys, numpy as np, pixelfes_edu as pfe
path, n = sys.argv[1], int(sys.argv[2])
X = np.random.default_rng(n).random((120, 48, 48, 3))
m = pfe.GlobalRidge(lam=0.4).fit(X, X[::-1])
print("fitted", flush=True)
while True:
    m.save(path)
"""


def test_a_process_killed_while_saving_leaves_the_previous_file_loadable(tmp_path):
    """kill -9 at random moments of repeated saves (each ~10 MB): the file on disk is always a whole model."""
    path = tmp_path / "model.npz"
    good = pfe.PixelRidge().fit(*pairs())
    good.save(path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    rng = np.random.default_rng(0)
    for attempt in range(4):
        proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(path), str(attempt)], env=env,
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "fitted"
        time.sleep(rng.uniform(0.05, 0.6))  # somewhere inside a save
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        model = pfe.load_model(path)  # the old model or a new one, never a part
        assert isinstance(model, (pfe.PixelRidge, pfe.GlobalRidge))
    good.save(path)  # the next save also removes the temporaries the killed writers left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]


def test_readers_never_see_a_partial_file_while_it_is_saved_again(tmp_path):
    path = tmp_path / "m.npz"
    X = np.random.default_rng(1).random((40, 32, 32, 3))
    models = [pfe.GlobalRidge(lam).fit(X, X[::-1]) for lam in (0.1, 1.0)]
    models[0].save(path)
    stop, errors, loads = threading.Event(), [], [0]

    def read():
        while not stop.is_set():
            try:
                pfe.load_model(path)
                loads[0] += 1
            except Exception as e:  # noqa: BLE001 - any failure is the bug
                errors.append(repr(e))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i in range(8):
            models[i % 2].save(path)
    finally:
        stop.set()
        reader.join()
    assert errors == [] and loads[0] > 0


# --------------------------------------------------------------------------- damaged files
def _damaged(path, how, rng):
    data = Path(path).read_bytes()
    if how == "empty":
        return b""
    if how == "truncated":
        return data[: int(rng.integers(1, len(data)))]
    if how == "bit-flipped":
        b = bytearray(data)
        i = int(rng.integers(0, len(b)))
        b[i] ^= 1 << int(rng.integers(0, 8))
        return bytes(b)
    if how == "garbage":
        return rng.bytes(len(data))
    raise AssertionError(how)


@pytest.mark.parametrize("how", ["empty", "truncated", "bit-flipped", "garbage"])
def test_damaged_files_are_one_value_error_naming_the_file(saved, how, tmp_path):
    model, path, _ = saved
    rng = np.random.default_rng(len(how))
    for i in range(8):
        bad = tmp_path / f"bad{i}.npz"
        bad.write_bytes(_damaged(path, how, rng))
        try:
            loaded = pfe.load_model(bad)
        except ValueError as e:
            assert str(bad) in str(e)
            continue
        # a flip that lands in an unused zip field (a timestamp) leaves a correct model
        X = pairs()[0]
        np.testing.assert_allclose(loaded.predict(X), model.predict(X), atol=1e-12)


def test_a_npy_file_and_a_missing_file_are_value_errors(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros(3))
    with pytest.raises(ValueError, match="a single .npy array"):
        pfe.load_model(tmp_path / "a.npy")
    with pytest.raises(ValueError, match="does not exist"):
        pfe.load_model(tmp_path / "missing.npz")
    with pytest.raises(ValueError, match="is a folder"):
        pfe.load_model(tmp_path)


def _crafted(tmp_path, arrays, **changes):
    out = dict(arrays)
    for k, v in changes.items():
        if v is None:
            out.pop(k)
        else:
            out[k] = v
    path = tmp_path / "crafted.npz"
    np.savez(path, **out)
    return path


@pytest.mark.parametrize("change, message", [
    (dict(format_version=np.array("one")), "format_version must be a single number, got 'one'"),
    (dict(format_version=np.array(np.nan)), "format_version must be an integer, got nan"),
    (dict(format_version=np.array(1.5)), "format_version must be an integer, got 1.5"),
    (dict(format_version=np.array([1, 1])), "format_version must be a single number"),
    (dict(format_version=np.array(FORMAT_VERSION + 1)), "format version 2"),
    (dict(format_version=None), "no 'format_version'"),
    (dict(kind=np.array(3)), "kind must be a single text"),
    (dict(kind=np.array("StarGAN")), "unknown kind 'StarGAN'"),
    (dict(input_shape=np.array([6.0, 5.0, 3.0])), "input_shape must be 2 or 3 positive integers"),
    (dict(input_shape=np.array([6, 0, 3])), "input_shape must be 2 or 3 positive integers"),
    (dict(input_shape=np.array([6, 5, 3, 1])), "input_shape must be 2 or 3 positive integers"),
    (dict(input_shape=np.array([7, 5, 3])), "has shape .* but input_shape \\(7, 5, 3\\)"),
    (dict(input_shape=np.array([10**6, 10**6, 3])), "has shape"),
    (dict(hyper_lam=None), "no 'hyper_lam'"),
    (dict(hyper_lam=np.array(-1.0)), "hyper-parameters are invalid: lam must be a finite real number > 0"),
    (dict(hyper_lam=np.array(True)), "hyper-parameters are invalid: lam must be"),
    (dict(hyper_lam=np.array([0.4, 0.4])), "hyper_lam must be a single number"),
])
def test_crafted_metadata_is_refused_with_the_problem(saved, change, message, tmp_path):
    _, _, arrays = saved
    bad = _crafted(tmp_path, arrays, **change)
    with pytest.raises(ValueError, match=message) as err:
        pfe.load_model(bad)
    assert str(bad) in str(err.value)


def test_every_learned_array_is_required_with_its_shape_and_finite_values(saved, tmp_path):
    model, _, arrays = saved
    meta = {"format_version", "kind", "input_shape"} | {f"hyper_{k}" for k in model._hyper}
    for key in sorted(set(arrays) - meta):
        a = arrays[key]
        with pytest.raises(ValueError, match=f"holds {', '.join(sorted(set(arrays) - meta - {key}))}"):
            pfe.load_model(_crafted(tmp_path, arrays, **{key: None}))
        with pytest.raises(ValueError, match=f"{key} has shape"):
            pfe.load_model(_crafted(tmp_path, arrays, **{key: np.zeros(a.shape + (1,))}))
        if a.ndim:
            with pytest.raises(ValueError, match=f"{key} has shape"):
                pfe.load_model(_crafted(tmp_path, arrays, **{key: a[..., :1]}))
        for bad in (np.nan, np.inf):
            b = a.astype(float).copy()
            b.flat[b.size // 2] = bad
            with pytest.raises(ValueError, match=f"{key} contains NaN or inf|{key} contains NaN"):
                pfe.load_model(_crafted(tmp_path, arrays, **{key: b}))
        with pytest.raises(ValueError, match=f"{key} must be a real number array"):
            pfe.load_model(_crafted(tmp_path, arrays, **{key: a.astype(complex)}))
    with pytest.raises(ValueError, match="holds"):
        pfe.load_model(_crafted(tmp_path, arrays, extra=np.zeros(3)))


def test_hyper_parameters_must_agree_with_the_arrays(tmp_path):
    X, T = pairs()
    path = pfe.MaskedRidge(field=3).fit(X, T).save(tmp_path / "mr.npz")
    arrays = dict(np.load(path))
    with pytest.raises(ValueError, match=r"gram has shape \(6, 5, 3, 10, 10\), but .* need \(6, 5, 3, 26, 26\)"):
        pfe.load_model(_crafted(tmp_path, arrays, hyper_field=np.array(5)))
    path = pfe.PixelKernelRidge(sigma=1.0, solver="features").fit(X, T).save(tmp_path / "kr.npz")
    arrays = dict(np.load(path))
    with pytest.raises(ValueError, match="do not make a working PixelKernelRidge"):  # σ=0.1 has another rank
        pfe.load_model(_crafted(tmp_path, arrays, hyper_sigma=np.array(0.1)))
    with pytest.raises(ValueError, match=r"X has values in \[.*\], outside \[0, 1\]"):
        pfe.load_model(_crafted(tmp_path, arrays, X=arrays["X"] * 255))


def test_a_file_declaring_huge_arrays_is_refused_before_reading_them(tmp_path, monkeypatch):
    """A few hundred bytes that claim 8 TB: refused from the .npy header, nothing allocated."""
    X, T = pairs()
    path = pfe.PixelRidge().fit(X, T).save(tmp_path / "m.npz")
    arrays = dict(np.load(path))
    bomb = tmp_path / "bomb.npz"
    np.savez(bomb, **arrays)
    header = np.lib.format.header_data_from_array_1_0(np.zeros(1))
    header["shape"] = (10**12,)
    with zipfile.ZipFile(bomb, "a") as z, z.open("weight2.npy", "w") as f:
        np.lib.format.write_array_header_1_0(f, header)
    with pytest.raises(ResourceLimitError, match="needs about 7450.6 GiB") as err:
        pfe.load_model(bomb)
    assert str(bomb) in str(err.value) and isinstance(err.value, ValueError)


def test_pickled_arrays_are_never_loaded(tmp_path):
    X, T = pairs()
    arrays = dict(np.load(pfe.PixelRidge().fit(X, T).save(tmp_path / "m.npz")))
    arrays["weight"] = np.array([{"a": 1}], dtype=object)
    path = tmp_path / "pickle.npz"
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="is damaged.*pickle") as err:
        pfe.load_model(path)
    assert str(path) in str(err.value)


# --------------------------------------------------------------------------- update
def test_a_failed_update_leaves_the_model_exactly_as_it_was(tmp_path):
    X, T = pairs()
    k = pfe.PixelKernelRidge(lam=0.4, sigma=1.0).fit(X, T)
    before, expected = dict(k.__dict__), k.predict(X)
    with pytest.raises(ValueError, match="lam must be"):
        k.update(sigma=2.0, lam=-1)
    with pytest.raises(ValueError, match=r"update\(sigma=1e\+300\) failed .*the model is unchanged"):
        k.update(sigma=1e300)
    assert k.__dict__.keys() == before.keys() and all(k.__dict__[n] is before[n] for n in before)
    assert k.sigma == 1.0 and np.array_equal(k.predict(X), expected)
    np.testing.assert_array_equal(pfe.load_model(k.save(tmp_path / "k")).predict(X), expected)
