"""The prepared-array cache: aligned crops saved once, found again by a key.

A key hashes what the preparation read (file hashes or stamps, size, options)
and :data:`PREP_VERSION`, which is bumped by hand whenever the preparation's
output changes (alignment, registration, what ``meta`` holds, the file
layout).  Editing a comment or refactoring code does not invalidate caches.

Every cache file is written atomically with a sha256 of its arrays, and
checked when read: a damaged file (truncated, bit-flipped, replaced, holding
NaN or values outside [0, 1]) is removed with a warning and prepared again.
"""
import hashlib
import json
import warnings
from pathlib import Path

import numpy as np

from ..store import atomic_write
from ..validation import check_values, remove_stale_temporaries
from .pairs import Pairs

__all__ = ['PREP_VERSION', 'CacheError', 'cache_key', 'content_hash', 'load_npz', 'save_npz', 'cached_arrays',
           'check_pairs_arrays', 'cached_pairs', 'save_pairs']


#: Version of the prepared arrays: bump by hand when what a preparation writes changes.
PREP_VERSION = 5

#: Name of the array that holds :func:`content_hash` of the others in a cache file.
HASH_KEY = "content_sha256"


class CacheError(ValueError):
    """A prepared cache file is damaged or does not hold what it should (it is prepared again)."""


def cache_key(*parts):
    """A short hash of :data:`PREP_VERSION` and ``parts`` (what a preparation depends on).

    >>> cache_key("london", 128) == cache_key("london", 128) != cache_key("london", 64)
    True
    """
    blob = json.dumps([PREP_VERSION, *parts], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def content_hash(arrays):
    """sha256 of named arrays: names, dtypes, shapes and bytes (independent of how a file stores them).

    >>> a = {"x": np.arange(3.0)}
    >>> content_hash(a) == content_hash({"x": np.arange(3.0)}) != content_hash({"x": np.arange(3)})
    True
    """
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(json.dumps([name, a.dtype.str, a.shape]).encode())
        h.update(a.data if a.dtype.kind != "U" else a.tobytes())
    return h.hexdigest()


def save_npz(path, **arrays):
    """Write a prepared cache file atomically, with its :func:`content_hash`; remove the older
    preparations it replaces and temporaries of killed writes."""
    arrays = {k: np.asarray(v) for k, v in arrays.items()}

    def write(tmp):
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays, **{HASH_KEY: np.array(content_hash(arrays))})

    atomic_write(path, write)
    _drop_stale(path)


def load_npz(path):
    """The arrays of a cache file written by :func:`save_npz`, their hash checked.

    Raises ``FileNotFoundError`` when there is no file and :class:`CacheError`
    (a ``ValueError``) naming the file and the problem when it is damaged.
    """
    try:
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as z:  # our handle: closed on any error
            arrays = {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise
    except Exception as e:  # BadZipFile, EOFError, zlib.error, bad CRC, a .npy, object arrays ...
        raise CacheError(f"{path} is not a readable .npz file ({type(e).__name__}: {e})") from None
    stored = arrays.pop(HASH_KEY, None)
    if stored is None or stored.shape != () or stored.dtype.kind != "U":
        raise CacheError(f"{path} has no content hash: it was not written by this version of pixelfes_edu")
    if str(stored) != content_hash(arrays):
        raise CacheError(f"{path}: its arrays do not match the content hash written with them (edited or damaged)")
    return arrays


def cached_arrays(path, check=None):
    """The arrays of cache file ``path``, or None when it must be prepared (again).

    A missing file is None.  A damaged one — unreadable, hash mismatch, or
    refused by ``check(arrays)`` (which raises ``ValueError``) — is removed
    with a warning naming the problem, and is None too.
    """
    try:
        arrays = load_npz(path)
        if check is not None:
            check(arrays)
        return arrays
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as e:
        warnings.warn(f"the prepared cache {path} is damaged and is prepared again: {e}", stacklevel=3)
        try:
            Path(path).unlink()
        except OSError:
            pass
        return None


def check_pairs_arrays(arrays):
    """Refuse cached pair arrays without the schema :func:`save_pairs` writes (``ValueError``)."""
    want = {"inputs", "targets", "ids", "meta"}
    if set(arrays) != want:
        raise CacheError(f"it holds {sorted(arrays)}, not {sorted(want)}")
    X, T, ids, meta = (arrays[k] for k in ("inputs", "targets", "ids", "meta"))
    if X.dtype != np.float64 or T.dtype != np.float64:
        raise CacheError(f"inputs/targets have dtypes {X.dtype}/{T.dtype}, not float64")
    if X.ndim != 4 or X.shape != T.shape or X.shape[1] != X.shape[2] or X.shape[3] != 3 or len(X) == 0:
        raise CacheError(f"inputs/targets have shapes {X.shape}/{T.shape}, not one (N, S, S, 3)")
    if ids.shape != (len(X),) or ids.dtype.kind != "U":
        raise CacheError(f"ids have shape {ids.shape} and dtype {ids.dtype}, not ({len(X)},) text")
    check_values(X, "inputs")  # finite and in [0, 1]
    check_values(T, "targets")
    if meta.shape != () or meta.dtype.kind != "U" or not isinstance(json.loads(str(meta)), dict):
        raise CacheError("meta is not one JSON object")


def cached_pairs(path, expression, source, name):
    """Pairs stored by :func:`save_pairs`, or None if the file is missing or damaged (prepare again)."""
    z = cached_arrays(path, check_pairs_arrays)
    if z is None:
        return None
    return Pairs(z["inputs"], z["targets"], z["ids"], expression, source, name, json.loads(str(z["meta"])))


def save_pairs(path, pairs):
    save_npz(path, inputs=pairs.inputs, targets=pairs.targets, ids=pairs.ids.astype(str),
             meta=np.array(json.dumps(pairs.meta, default=float)))


def _drop_stale(path):
    """Remove older preparations of the same source and size (``<prefix>_<key>.npz``), and
    temporaries left by writes of them that were killed."""
    prefix = path.stem.rsplit("_", 1)[0] + "_"
    for old in path.parent.glob(prefix + "*.npz"):
        if old != path and len(old.stem) == len(path.stem):
            try:
                old.unlink()
            except OSError:
                pass
    remove_stale_temporaries(path.parent, prefix)
