"""What the property-based fuzz suite (``tests/test_fuzz_*.py``) shares: profiles, strategies and the contract.

The contract, for any input: a correct result, or a ``ValueError``/``OSError``
(subclasses included) whose message is not empty.  Never another exception
type, never NaN or inf out of finite input, never a changed file on failure.

Profiles (``HYPOTHESIS_PROFILE``):

* ``ci`` (default): a few dozen derandomised examples per test, the same every
  run, so CI is reproducible and the whole suite adds well under a minute;
* ``long``: 2000 random examples per test, for a hunt before a release
  (``HYPOTHESIS_PROFILE=long python -m pytest tests/test_fuzz_*.py``, ~1 h);
* ``dev``: 200 random examples per test.

``python -m pytest tests/test_fuzz_*.py --hypothesis-show-statistics`` prints
how many cases each test generated.
"""
import os

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

_COMMON = dict(deadline=None, database=None, print_blob=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
settings.register_profile("ci", max_examples=30, derandomize=True, **_COMMON)
settings.register_profile("dev", max_examples=200, **_COMMON)
settings.register_profile("long", max_examples=2000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ACCEPTED = (ValueError, OSError)


def outcome(f, *args, **kwargs):
    """``f(*args, **kwargs)``, or None when it refused with an accepted error that has a message."""
    try:
        return f(*args, **kwargs)
    except ACCEPTED as e:
        assert str(e).strip(), f"{type(e).__name__} without a message"
        return None


def assert_finite(a, what):
    a = np.asarray(a)
    assert a.dtype.kind in "biuf", f"{what} has dtype {a.dtype}"
    assert np.isfinite(a).all(), f"{what} is not finite out of finite input"


# --------------------------------------------------------------------------- values
#: Anything a user might pass where a number is expected.
hostile_scalars = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=1e-12, max_value=1e12),
    st.integers(min_value=-10**20, max_value=10**20),
    st.booleans(),
    st.complex_numbers(max_magnitude=1e3),
    st.text(max_size=4),
    st.none(),
    st.just([0.4]),
    st.builds(np.float32, st.floats(width=32, allow_nan=True)),
)

#: λ values that are valid: positive reals over a teaching range and well beyond it.
good_lams = st.floats(min_value=1e-6, max_value=1e6)

DTYPES = (np.float64, np.float32, np.float16, np.uint8, np.uint16, np.int8, np.int64, np.bool_, np.complex128)


@st.composite
def images(draw, n=None, shape=None, valid=None):
    """A batch ``(N, H, W[, C])`` of float images in [0, 1] (``valid``), or anything array-like."""
    valid = draw(st.booleans()) if valid is None else valid
    if valid:
        if shape is None:
            shape = (draw(st.integers(1, 7)) if n is None else n, draw(st.integers(1, 9)), draw(st.integers(1, 9)))
            shape += draw(st.sampled_from([(), (1,), (3,)]))
        elements = st.floats(0, 1, width=64)
        return draw(hnp.arrays(np.float64, shape, elements=elements | st.sampled_from([0.0, 1.0, 0.5])))
    kind = draw(st.sampled_from(["array", "list", "scalar", "ragged", "empty"]))
    if kind == "scalar":
        return draw(hostile_scalars)
    if kind == "ragged":
        return [[[0.0, 1.0]], [[0.5]]]
    if kind == "empty":
        return np.zeros(draw(hnp.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=3)))
    dtype = draw(st.sampled_from(DTYPES))
    shp = shape if shape is not None and draw(st.booleans()) else draw(
        hnp.array_shapes(min_dims=0, max_dims=5, min_side=1, max_side=6))
    a = draw(hnp.arrays(dtype, shp))
    return a.tolist() if kind == "list" else a


def is_valid_batch(X, tol=0.05):
    try:
        X = np.asarray(X)
    except ValueError:  # ragged
        return False
    return (X.dtype.kind == "f" and X.ndim in (3, 4) and X.size > 0 and np.isfinite(X).all()
            and X.min() >= -tol and X.max() <= 1 + tol)


# --------------------------------------------------------------------------- bytes
@st.composite
def damaged(draw, data):
    """``data`` with random byte-level damage: truncation, flipped bits, overwritten or inserted runs."""
    how = draw(st.sampled_from(["truncate", "flip", "overwrite", "insert", "zero-run", "empty", "append"]))
    b = bytearray(data)
    if how == "empty":
        return b""
    if how == "truncate":
        return bytes(b[: draw(st.integers(0, len(b) - 1))])
    if how == "append":
        return bytes(b) + draw(st.binary(min_size=1, max_size=64))
    at = draw(st.integers(0, len(b) - 1))
    if how == "flip":
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(0, len(b) - 1))
            b[i] ^= 1 << draw(st.integers(0, 7))
        return bytes(b)
    run = draw(st.binary(min_size=1, max_size=32))
    if how == "insert":
        return bytes(b[:at]) + run + bytes(b[at:])
    if how == "zero-run":
        run = bytes(len(run))
    b[at:at + len(run)] = run
    return bytes(b)
