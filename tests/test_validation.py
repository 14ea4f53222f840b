"""One set of input checks (pixelfes_edu.validation): what passes, what is refused, and the messages."""
import os
import subprocess
import sys

import numpy as np
import pytest

from pixelfes_edu import validation as V


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), True, np.bool_(True), 1 + 0j, "0.4", None])
def test_check_positive_refuses_what_is_not_a_positive_real(bad):
    with pytest.raises(ValueError, match="must be a finite real number > 0"):
        V.check_positive("lam", bad)


def test_check_positive_accepts_numpy_and_python_reals():
    assert V.check_positive("lam", np.float32(0.5)) == 0.5 and V.check_positive("lam", 3) == 3.0


@pytest.mark.parametrize("bad", [1.0, True, -1, "3"])
def test_check_int(bad):
    with pytest.raises(ValueError, match="n must be an integer >= 0"):
        V.check_int("n", bad)
    assert V.check_int("n", np.int64(4)) == 4


def test_check_images_dtype_shape_values():
    assert V.check_images(np.zeros((1, 2, 2), np.float32)).dtype == np.float64
    with pytest.raises(ValueError, match="divide by 255"):
        V.check_images(np.zeros((1, 2, 2), np.uint8))
    with pytest.raises(ValueError, match="add a batch axis"):
        V.check_images(np.zeros((4, 4)))
    with pytest.raises(ValueError, match=r"NaN or inf \(first at index \(0, 1, 0\)\)"):
        x = np.zeros((1, 2, 2))
        x[0, 1, 0] = np.nan
        V.check_images(x)
    with pytest.raises(ValueError, match="outside \\[0, 1\\]"):
        V.check_images(np.full((1, 2, 2), 1.2))
    assert V.check_images(np.full((1, 2, 2), 1.2), in_range=False).max() == 1.2
    with pytest.raises(ValueError, match="ragged"):
        V.check_images([[[0.0, 1.0]], [[0.0]]])
    with pytest.raises(ValueError, match="empty"):
        V.check_images(np.zeros((0, 2, 2)))


def test_check_pair_names_the_mismatch():
    with pytest.raises(ValueError, match="X has 2 images but T has 3"):
        V.check_pair(np.zeros((2, 4, 4)), np.zeros((3, 4, 4)))
    with pytest.raises(ValueError, match="differ in size or channels"):
        V.check_pair(np.zeros((2, 4, 4)), np.zeros((2, 4, 4, 3)))


def test_check_photo_dtypes():
    img, white = V.check_photo(np.zeros((9, 9, 4), np.uint8))
    assert img.shape == (9, 9, 3) and white == 255.0
    assert V.check_photo(np.zeros((9, 9), np.uint16))[1] == 65535.0
    assert V.check_photo(np.zeros((9, 9, 3)))[1] == 1.0
    for bad in (np.zeros((9, 9), np.int64), np.zeros((9, 9), bool), -np.ones((9, 9), np.int8)):
        with pytest.raises(ValueError, match="pass uint8, uint16 or float"):
            V.check_photo(bad)
    with pytest.raises(ValueError, match="Divide by 255"):
        V.check_photo(np.full((9, 9), 200.0))
    with pytest.raises(ValueError, match="too small"):
        V.check_photo(np.zeros((4, 4)))


def test_check_points_and_size():
    assert V.check_points([[1, 2]], "eyes").shape == (1, 2)
    with pytest.raises(ValueError, match=r"eyes must be a \(2, 2\) array"):
        V.check_points([[1, 2]], "eyes", n=2)
    with pytest.raises(ValueError, match="NaN"):
        V.check_points([[1, np.nan]], "eyes")
    with pytest.raises(ValueError, match="size must be an integer between 8 and 4096"):
        V.check_size(10**5)


def test_check_allocation_refuses_before_allocating(monkeypatch):
    monkeypatch.setenv("PIXELFES_EDU_MAX_BYTES", "1000")
    V.check_allocation(999, "x")
    with pytest.raises(V.ResourceLimitError, match="needs about 0.0 MiB, more than the limit of 0.0 MiB") as err:
        V.check_allocation(2000, "x", "use fewer")
    assert isinstance(err.value, ValueError) and isinstance(err.value, MemoryError)


def test_check_points_within_an_image():
    assert V.check_points([[0, 0], [640, 480]], "eyes", within=(480, 640)).shape == (2, 2)
    with pytest.raises(ValueError, match=r"eyes \[2000.0, 3000.0\] lie outside the 640x480 image"):
        V.check_points([[20, 30], [2000, 3000]], "eyes", within=(480, 640, 3))
    with pytest.raises(ValueError, match="outside"):
        V.check_points([[-1, 30], [20, 30]], "eyes", within=(480, 640))


# --------------------------------------------------------------------------- files
def test_check_output_path_names_suffix_folder_and_writability(tmp_path, read_only_folder):
    assert V.check_output_path(tmp_path / "m", ".npz") == str(tmp_path / "m.npz")
    assert V.check_output_path(tmp_path / "m.npz", ".npz") == str(tmp_path / "m.npz")
    assert V.check_output_path(tmp_path, default_name="demo.png") == str(tmp_path / "demo.png")
    assert V.check_output_path(tmp_path / "new" / "sub" / "m.npz") == str(tmp_path / "new/sub/m.npz")
    assert list(tmp_path.iterdir()) == []  # the probe file is gone and nothing was created
    with pytest.raises(IsADirectoryError, match="is a folder: give a file name in it"):
        V.check_output_path(tmp_path, ".npz")
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError, match="is a file, not a folder"):
        V.check_output_path(tmp_path / "file" / "m.npz")
    with pytest.raises(OSError, match="is not writable"):
        V.check_output_path(os.path.join(read_only_folder, "m.npz"))
    with pytest.raises(ValueError, match="must be a str or os.PathLike"):
        V.check_output_path(3)


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("old")

    def fail(tmp):
        with open(tmp, "w") as f:
            f.write("half of the new")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        V.atomic_write(path, fail)
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["a.txt"]
    V.atomic_write(path, lambda tmp: open(tmp, "w").write("new"))
    assert path.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["a.txt"]
    assert path.stat().st_mode & 0o777 == 0o666 & ~_umask()  # like open(), not mkstemp's 0600


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_stale_temporaries_of_dead_writers_are_removed_and_live_ones_kept(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    stale = tmp_path / f".a.txt.{dead}.0123abcd.tmp"
    live = tmp_path / f".a.txt.{os.getppid()}.0123abcd.tmp"
    other = tmp_path / ".b.txt.1.0123abcd.tmp"
    for p in (stale, live, other):
        p.write_text("partial")
    V.atomic_write(tmp_path / "a.txt", lambda tmp: open(tmp, "w").write("x"))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["a.txt", live.name, other.name])


def test_check_lam_has_a_floor_where_rounding_would_decide():
    assert V.check_lam(V.MIN_LAM) == V.MIN_LAM and V.check_lam(0.4) == 0.4
    for bad in (1e-9, 1e-300, 0.0, True, 1 + 0j):
        with pytest.raises(ValueError, match="lam must be"):
            V.check_lam(bad)
