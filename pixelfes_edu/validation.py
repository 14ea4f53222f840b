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
:func:`check_lam`          a ridge penalty λ >= :data:`MIN_LAM`
:func:`check_int`          an integer >= a lower bound (n, seed, size, ...)
:func:`check_size`         the side of a square crop
:func:`check_allocation`   a memory estimate, before a large allocation
:func:`check_output_path`  where a file will be written (checked before work)
:func:`atomic_write`       writes it: readers see the old file or the new one
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
#: Smallest ridge penalty λ.  Below it the normal equations of a saturated pixel (every training
#: value 1.0) are singular to rounding: Eq. 6 in closed form loses digits (error 2e-4 at λ = 1e-10,
#: N = 400) and turns NaN below about 1e-15; MR's and Pixel-KR's solvers call it singular.
MIN_LAM = 1e-6


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
        raise ResourceLimitError(f"{what} needs about {_bytes(nbytes)}, more than the limit of {_bytes(limit)} "
                                 "(PIXELFES_EDU_MAX_BYTES)" + (f"; {hint}" if hint else ""))


def _bytes(n):
    """``n`` bytes in GiB, or MiB below 1 GiB."""
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB"


def check_positive(name, value):
    """``value`` as a float if it is a finite real number > 0 (not a bool, not complex)."""
    try:  # a real number that is not a bool, and small enough to be a float
        number = float(value) if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)) else None
    except (OverflowError, ValueError, TypeError):
        number = None
    if number is None or not (np.isfinite(number) and number > 0):
        raise ValueError(f"{name} must be a finite real number > 0, got {value!r}")
    return number


def check_nonnegative(name, value, hint=""):
    """``value`` as a float if it is a finite real number >= 0 (not a bool, not complex).

    >>> check_nonnegative("locality", 10**400)
    Traceback (most recent call last):
    ...
    ValueError: locality must be a finite real number >= 0, got 1000...
    """
    try:  # as check_positive: huge integers and non-numbers are refused, not crashed on
        number = float(value) if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)) else None
    except (OverflowError, ValueError, TypeError):
        number = None
    if number is None or not (np.isfinite(number) and number >= 0):
        raise ValueError(f"{name} must be a finite real number >= 0{f' ({hint})' if hint else ''}, got {value!r}")
    return number


def check_lam(value, name="lam"):
    """A ridge penalty: :func:`check_positive` and at least :data:`MIN_LAM`.

    >>> check_lam(1e-9)
    Traceback (most recent call last):
    ...
    ValueError: lam must be >= 1e-06 (smaller penalties are zero to rounding: the solution is not defined for pixels that never change), got 1e-09
    """
    lam = check_positive(name, value)
    if lam < MIN_LAM:
        raise ValueError(f"{name} must be >= {MIN_LAM:g} (smaller penalties are zero to rounding: the solution is "
                         f"not defined for pixels that never change), got {value!r}")
    return lam


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


def parse_points(text, n, what, example):
    """Typed positions -> ``n`` points ``[[x, y], ...]`` (None for blank text).

    Numbers may be separated by commas, spaces or semicolons; ``what`` and
    ``example`` name them in the error message.

    >>> parse_points("410, 520; 590 515", 2, "eyes", "x_left, y_left, x_right, y_right")
    [[410.0, 520.0], [590.0, 515.0]]
    >>> parse_points("1, 2, 3", 2, "--eyes", "--eyes 410,520,590,515")
    Traceback (most recent call last):
    ...
    ValueError: --eyes takes 4 numbers (x then y, in pixels of the photo), e.g. --eyes 410,520,590,515; got '1, 2, 3'
    """
    text = (text or "").strip()
    if not text:
        return None
    try:
        values = [float(v) for v in text.replace(";", " ").replace(",", " ").split()]
    except ValueError:
        values = []
    if len(values) != 2 * n:
        raise ValueError(f"{what} takes {2 * n} numbers (x then y, in pixels of the photo), e.g. {example}; "
                         f"got {text!r}")
    return [values[i: i + 2] for i in range(0, 2 * n, 2)]


def check_points(points, name, n=None, within=None):
    """``(K, 2)`` finite float array of ``[x, y]`` pixel positions (``K == n`` if given).

    ``within=(H, W)`` also refuses points outside an image of that shape.

    >>> check_points([[1, 2], [3, 4]], "eyes", n=2).dtype
    dtype('float64')
    >>> check_points([[10, 20], [900, 21]], "eyes", within=(480, 640))
    Traceback (most recent call last):
    ...
    ValueError: eyes [900.0, 21.0] lie outside the 640x480 image (x in [0, 640], y in [0, 480]): give them in pixels of this image
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
    if within is not None:
        h, w = within[:2]
        out = (pts[:, 0] < 0) | (pts[:, 0] > w) | (pts[:, 1] < 0) | (pts[:, 1] > h)
        if out.any():
            bad = ", ".join(str(p.tolist()) for p in pts[out])
            raise ValueError(f"{name} {bad} lie outside the {w}x{h} image (x in [0, {w}], y in [0, {h}]): "
                             "give them in pixels of this image")
    return pts


def as_float_array(a, name):
    """``a`` as a float64 array of any shape, if it holds real numbers (no text, complex or ragged rows).

    >>> as_float_array([1, 2], "alpha")
    array([1., 2.])
    >>> as_float_array(1j, "alpha")
    Traceback (most recent call last):
    ...
    ValueError: alpha must hold real numbers, got dtype complex128
    """
    arr = _numeric_array(a, name)
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    return arr.astype(np.float64, copy=False)


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
    if arr.dtype.kind not in "biufc":
        raise ValueError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    return arr


# --------------------------------------------------------------------------- files
def check_output_path(path, suffix=None, default_name=None):
    """Where a file will be written, checked before any long work starts.

    ``suffix`` is appended when ``path`` lacks it (as ``numpy.save`` does); an
    existing folder means ``default_name`` inside it (refused when there is
    none).  The folder must be writable: a probe file is created and removed
    there now, so a read-only folder fails in a second, not after the work.

    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> check_output_path(os.path.join(d, "model"), ".npz") == os.path.join(d, "model.npz")
    True
    >>> check_output_path(d, default_name="demo.png") == os.path.join(d, "demo.png")
    True
    >>> check_output_path(d, ".npz")
    Traceback (most recent call last):
    ...
    IsADirectoryError: ... is a folder: give a file name in it, e.g. .../model.npz
    """
    try:
        target = os.path.expanduser(os.fspath(path))
    except TypeError:
        raise ValueError(f"an output path must be a str or os.PathLike, got {path!r}") from None
    if not target:
        raise ValueError("the output path is empty: give a file name")
    if os.path.isdir(target):
        if default_name is None:
            raise IsADirectoryError(f"{target} is a folder: give a file name in it, e.g. "
                                    f"{os.path.join(target, 'model' + (suffix or ''))}")
        target = os.path.join(target, default_name)
    if suffix and not target.endswith(suffix):
        target += suffix
    folder = os.path.dirname(os.path.abspath(target))
    while not os.path.isdir(folder):  # atomic_write creates missing folders: test the first that exists
        if os.path.exists(folder):
            raise NotADirectoryError(f"cannot write {target}: {folder} is a file, not a folder")
        folder = os.path.dirname(folder)
    try:
        os.unlink(_new_temporary(folder, "write-test"))
    except OSError as e:
        raise OSError(e.errno, f"cannot write {target}: the folder {folder} is not writable ({e.strerror}); "
                      "choose another folder") from None
    return target


def atomic_write(path, write):
    """Write a file so that readers see the old file or the new one, never a part.

    ``write(tmp)`` writes the content to ``tmp``, a new file in the same
    folder (missing folders are created); it is flushed to disk and moved over
    ``path`` in one step (``os.replace``).  On any error the temporary file is
    removed and ``path`` is untouched; temporaries left by a writer that was
    killed are removed by the next write of the same file.  Returns ``path``.

    >>> import tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "a.txt")
    >>> def write(tmp):
    ...     with open(tmp, "w") as f:
    ...         f.write("hello")
    >>> with open(atomic_write(p, write)) as f:
    ...     f.read()
    'hello'
    """
    target = os.fspath(path)
    folder, name = os.path.split(os.path.abspath(target))
    os.makedirs(folder, exist_ok=True)
    remove_stale_temporaries(folder, name + ".")
    tmp = _new_temporary(folder, name)
    try:
        write(tmp)
        fd = os.open(tmp, os.O_RDWR)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if hasattr(os, "O_DIRECTORY"):  # POSIX: make the rename itself durable
        try:
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError:
            pass
    return path


def remove_stale_temporaries(folder, prefix=""):
    """Remove ``.<prefix>*.tmp`` files of :func:`atomic_write` whose writer is gone (killed mid-write).

    A temporary is stale when the process that made it no longer runs.  Only
    on POSIX, where that can be asked; elsewhere they are left in place.
    """
    if os.name != "posix":
        return
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for entry in names:
        if not (entry.startswith("." + prefix) and entry.endswith(".tmp")):
            continue
        parts = entry[:-4].rsplit(".", 2)
        if len(parts) != 3 or not parts[1].isdigit():
            continue  # not one of ours
        if _writer_alive(int(parts[1])):
            continue
        try:
            os.unlink(os.path.join(folder, entry))
        except OSError:
            pass


def _writer_alive(pid):
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process
        return True
    return True


def _new_temporary(folder, name):
    """Create an empty ``.<name>.<pid>.<random>.tmp`` in ``folder`` and return its path."""
    while True:
        tmp = os.path.join(folder, f".{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return tmp
        except FileExistsError:
            continue
