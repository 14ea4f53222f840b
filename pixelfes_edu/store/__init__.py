"""Where data lives: the manifest of every source, verified downloads, caches, atomic writes.

The lowest layer above the numpy core: it knows files and hashes, not faces.
"""
from .files import (ChecksumError, DataUnavailableError, atomic_write, cache_dir, data_dir, fetch, file_stamp,
                    manifest_source, refetch_hint, verify, writable_cache)
from .manifest import ManifestError, load_manifest

__all__ = ["data_dir", "cache_dir", "writable_cache", "fetch", "verify", "manifest_source", "refetch_hint",
           "atomic_write", "file_stamp", "load_manifest", "ChecksumError", "DataUnavailableError", "ManifestError"]
