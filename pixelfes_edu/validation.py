"""One set of input checks for every public entry point.

Images, batches, photos, points, sizes and hyper-parameters are checked here,
with one set of rules and messages that say what to do.  Imports numpy only,
so the numpy core (:mod:`pixelfes_edu.models`) can use it.

=========================  ==================================================
function                   accepts
=========================  ==================================================
:func:`check_images`       a float batch ``(N, H, W)`` / ``(N, H, W, C)``
:func:`check_pair`         two such batches that pair up image by image
:func:`check_photo`        one photo of any usual dtype, returned as RGB
:func:`check_points`       ``(K, 2)`` pixel positions ``[x, y]``
:func:`check_positive`     a finite real number > 0 (λ, σ, ...)
:func:`check_int`          an integer >= a lower bound (n, seed, size, ...)
:func:`check_size`         the side of a square crop
:func:`check_allocation`   a memory estimate, before a large allocation
=========================  ==================================================

>>> check_positive("lam", 0.4)
0.4
>>> check_positive("lam", True)
Traceback (most recent call last):
...
ValueError: lam must be a finite real number > 0, got True
"""
import numbers
import os

import numpy as np

#: How far outside [0, 1] images may stray (interpolation overshoot) before they are refused.
RANGE_TOLERANCE = 0.05
#: Largest side of a square crop (a 4096 x 4096 x 3 float64 crop is 400 MB).
MAX_SIZE = 4096


class ResourceLimitError(ValueError, MemoryError):
    """Work refused before it starts because it would need more memory than the limit."""


def max_bytes():
    """Largest single allocation the package attempts: ``$PIXELFES_EDU_MAX_BYTES`` or 4 GiB."""
    return int(float(os.environ.get("PIXELFES_EDU_MAX_BYTES", 4 * 2**30)))


def check_allocation(nbytes, what, hint=""):
    """Refuse, before allocating, work that would need more than :func:`max_bytes`.

    >>> check_allocation(10 * 2**40, "a test array", "use fewer pixels")
    Traceback (most recent call last):
    ...
    pixelfes_edu.validation.ResourceLimitError: a test array needs about 10240.0 GiB, more than the limit of 4.0 GiB (PIXELFES_EDU_MAX_BYTES); use fewer pixels
    """
    limit = max_bytes()
    if nbytes > limit:
        raise ResourceLimitError(f"{what} needs about {nbytes / 2**30:.1f} GiB, more than the limit of "
                          f"{limit / 2**30:.1f} GiB (PIXELFES_EDU_MAX_BYTES)" + (f"; {hint}" if hint else ""))


def check_positive(name, value):
    """``value`` as a float if it is a finite real number > 0 (not a bool, not complex)."""
    ok = (isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
          and np.isfinite(value) and value > 0)
    if not ok:
        raise ValueError(f"{name} must be a finite real number > 0, got {value!r}")
    return float(value)


def check_int(name, value, low=0, high=None):
    """``value`` as an int if it is an integer (not a bool) in ``[low, high]``.

    >>> check_int("n", 3, 1)
    3
    """
    ok = isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))
    if not ok or value < low or (high is not None and value > high):
        bound = f">= {low}" if high is None else f"between {low} and {high}"
        raise ValueError(f"{name} must be an integer {bound}, got {value!r}")
    return int(value)


def check_size(size):
    """The side of a square crop: an integer in [8, :data:`MAX_SIZE`]."""
    return check_int("size", size, 8, MAX_SIZE)


def check_values(X, name="X", in_range=True):
    """Refuse NaN/inf and (``in_range``) values outside [0, 1] by more than :data:`RANGE_TOLERANCE`."""
    lo, hi = X.min(), X.max()  # NaN and inf propagate into min/max: one pass checks all three
    if not (np.isfinite(lo) and np.isfinite(hi)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(X))[0])
        raise ValueError(f"{name} contains NaN or inf (first at index {bad}); clean or drop those images")
    if in_range and (lo < -RANGE_TOLERANCE or hi > 1 + RANGE_TOLERANCE):
        raise ValueError(
            f"{name} has values in [{lo:.3g}, {hi:.3g}], outside [0, 1]: "
            f"scale images to [0, 1] first (8-bit: divide by 255); tolerance is ±{RANGE_TOLERANCE}"
        )
    return X


def check_images(X, name="X", ndim=(3, 4), values=True, in_range=True):
    """Validate a batch of float images and return it as float64.

    Refuses integer arrays (8-bit images must be scaled to [0, 1] first),
    wrong dimensions, empty batches and, unless ``values=False`` (for callers
    that check chunk by chunk with :func:`check_values`), NaN/inf and (with
    ``in_range``) values outside [0, 1] by more than :data:`RANGE_TOLERANCE`.

    >>> check_images(np.zeros((2, 4, 4))).dtype
    dtype('float64')
    >>> check_images(np.full((2, 4, 4), 255.0))
    Traceback (most recent call last):
    ...
    ValueError: X has values in [255, 255], outside [0, 1]: ...
    >>> check_images(np.zeros((4, 4)))
    Traceback (most recent call last):
    ...
    ValueError: X must have 3 or 4 dimensions ((N, H, W) or (N, H, W, C)), got shape (4, 4) (one image? add a batch axis: img[None])
    """
    X = _numeric_array(X, name)
    if X.dtype.kind != "f":
        hint = " (8-bit images: use skimage.util.img_as_float or divide by 255)" if X.dtype.kind in "ui" else ""
        raise ValueError(f"{name} must be a float array in [0, 1], got dtype {X.dtype}{hint}")
    if X.ndim not in ndim:
        hint = " (one image? add a batch axis: img[None])" if X.ndim == min(ndim) - 1 else ""
        raise ValueError(
            f"{name} must have {' or '.join(map(str, ndim))} dimensions "
            f"((N, H, W) or (N, H, W, C)), got shape {X.shape}{hint}"
        )
    if X.size == 0:
        raise ValueError(f"{name} is empty (shape {X.shape})")
    X = X.astype(np.float64, copy=False)
    return check_values(X, name, in_range) if values else X


def check_pair(X, T, values=True, names=("X", "T")):
    """Two batches of :func:`check_images` whose image ``i`` pair up: same count, same image shape."""
    X, T = check_images(X, names[0], values=values), check_images(T, names[1], values=values)
    if len(X) != len(T):
        raise ValueError(f"{names[0]} has {len(X)} images but {names[1]} has {len(T)}: "
                         f"input i must pair with target i")
    if X.shape != T.shape:
        raise ValueError(f"{names[0]} images {X.shape[1:]} and {names[1]} images {T.shape[1:]} differ "
                         "in size or channels")
    return X, T


def check_same_shape(named, in_range=False):
    """Batches ``{name: array}`` of :func:`check_images` that all have one shape; returns them in order."""
    arrays = [check_images(a, n, in_range=in_range) for n, a in named.items()]
    if len({a.shape for a in arrays}) != 1:
        raise ValueError("images must all have the same shape, got "
                         + ", ".join(f"{n} {a.shape}" for n, a in zip(named, arrays)))
    return arrays


def check_photo(image, name="image"):
    """One photo as ``(H, W, 3)`` plus its white value (what 1.0 is in its dtype).

    Grayscale ``(H, W)`` / ``(H, W, 1)`` are repeated to three channels, RGBA
    drops its alpha channel.  uint8 and uint16 keep their dtype (converted to
    float only after cropping, which is cheaper); float must lie in [0, 1].
    Signed integers and bools are refused: their white is ambiguous.

    >>> img, white = check_photo(np.zeros((10, 12), np.uint16))
    >>> img.shape, white
    ((10, 12, 3), 65535.0)
    """
    img = _numeric_array(image, name)
    if img.ndim == 2:
        img = img[:, :, None]
    if img.ndim != 3 or img.shape[2] not in (1, 3, 4):
        raise ValueError(f"{name} must be a (H, W) grayscale, (H, W, 3) RGB or (H, W, 4) RGBA array; "
                         f"got shape {np.shape(image)}.")
    if img.shape[0] < 8 or img.shape[1] < 8:
        raise ValueError(f"{name} is too small to hold a face: shape {img.shape[:2]}.")
    if img.shape[2] == 1:
        img = np.broadcast_to(img, img.shape[:2] + (3,))
    elif img.shape[2] == 4:
        img = img[:, :, :3]
    if img.dtype in (np.uint8, np.uint16):
        return img, float(np.iinfo(img.dtype).max)
    if img.dtype.kind == "f":
        check_values(img, name, in_range=False)
        if img.max() > 1.0 + 1e-6 or img.min() < -1e-6:
            raise ValueError(f"float {name} must be in [0, 1]; got range [{img.min():.3g}, {img.max():.3g}]. "
                             "Divide by 255 if it holds 8-bit values.")
        return img, 1.0
    raise ValueError(f"{name} has dtype {img.dtype}: pass uint8, uint16 or float in [0, 1] "
                     "(e.g. skimage.util.img_as_ubyte or img_as_float)")


def check_points(points, name, n=None):
    """``(K, 2)`` finite float array of ``[x, y]`` pixel positions (``K == n`` if given).

    >>> check_points([[1, 2], [3, 4]], "eyes", n=2).dtype
    dtype('float64')
    """
    try:
        pts = np.asarray(points, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers [[x, y], ...] in pixels; got {points!r}") from None
    if pts.ndim != 2 or pts.shape[1] != 2 or (n is not None and pts.shape[0] != n):
        want = f"({n}, 2)" if n is not None else "(K, 2)"
        raise ValueError(f"{name} must be a {want} array of [x, y] pixel positions; got shape {pts.shape}.")
    if not np.all(np.isfinite(pts)):
        raise ValueError(f"{name} contains NaN or inf values.")
    return pts


def check_choice(name, value, choices):
    """``value`` if it is one of ``choices``, else a ValueError listing them."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value


def _numeric_array(a, name):
    """``np.asarray(a)`` with ragged lists and non-numeric data turned into a clear ValueError."""
    try:
        arr = np.asarray(a)
    except ValueError:
        raise ValueError(f"{name} is a ragged list (its rows differ in length): pass a rectangular "
                         "array") from None
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    return arr
