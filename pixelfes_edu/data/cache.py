"""The prepared-array cache: aligned crops saved once, found again by a key.

A key hashes what the preparation read (file hashes or stamps, size, options)
and :data:`PREP_VERSION`, which is bumped by hand whenever the preparation's
output changes (alignment, registration, what ``meta`` holds).  Editing a
comment or refactoring code does not invalidate caches.
"""
import hashlib
import json

import numpy as np

from ..store import atomic_write
from .pairs import Pairs

__all__ = ['PREP_VERSION', 'cache_key', 'load_npz', 'save_npz', 'cached_pairs', 'save_pairs']


#: Version of the prepared arrays: bump by hand when what a preparation writes changes.
PREP_VERSION = 4


def cache_key(*parts):
    """A short hash of :data:`PREP_VERSION` and ``parts`` (what a preparation depends on).

    >>> cache_key("london", 128) == cache_key("london", 128) != cache_key("london", 64)
    True
    """
    blob = json.dumps([PREP_VERSION, *parts], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def load_npz(path):
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def save_npz(path, **arrays):
    """Write a prepared cache file atomically and remove older preparations it replaces."""

    def write(tmp):
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)

    atomic_write(path, write)
    _drop_stale(path)


def cached_pairs(path, expression, source, name):
    """Pairs stored by :func:`save_pairs`, or None if the file is missing or damaged (prepare again)."""
    try:
        z = load_npz(path)
        meta = json.loads(str(z["meta"]))
        return Pairs(z["inputs"], z["targets"], z["ids"].astype(str), expression, source, name, meta)
    except (OSError, ValueError, KeyError):
        return None


def save_pairs(path, pairs):
    save_npz(path, inputs=pairs.inputs, targets=pairs.targets, ids=pairs.ids.astype(str),
              meta=np.array(json.dumps(pairs.meta, default=float)))


def _drop_stale(path):
    """Remove older preparations of the same source and size (``<prefix>_<key>.npz``)."""
    prefix = path.stem.rsplit("_", 1)[0] + "_"
    for old in path.parent.glob(prefix + "*.npz"):
        if old != path and len(old.stem) == len(path.stem):
            try:
                old.unlink()
            except OSError:
                pass
