"""One set of input checks (pixelfes_edu.validation): what passes, what is refused, and the messages."""
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
    with pytest.raises(V.ResourceLimitError, match="needs about .* GiB, more than the limit") as err:
        V.check_allocation(2000, "x", "use fewer")
    assert isinstance(err.value, ValueError) and isinstance(err.value, MemoryError)
