"""The raw-data store: where files live, their sha256 checks, and verified downloads.

Two directories, both overridable by environment variables:

* :func:`data_dir` — raw files laid out like the manifest paths
  (``london/neutral_front/001_03.jpg`` ...): ``$PIXELFES_EDU_DATA`` or the user
  cache. Only :func:`fetch` ever writes there (and only missing files).
* :func:`cache_dir` — prepared (aligned) arrays and the record of verified
  files: ``$PIXELFES_EDU_CACHE`` or the user cache.

Every file the package writes goes through :func:`atomic_write` (from
:mod:`pixelfes_edu.validation`, so that the numpy core saves models with it too).
"""
import hashlib
import json
import os
import warnings
from pathlib import Path

from ..validation import atomic_write
from .manifest import load_manifest

__all__ = ["data_dir", "cache_dir", "writable_cache", "fetch", "verify", "file_stamp", "manifest_source",
           "refetch_hint", "atomic_write", "ChecksumError", "DataUnavailableError"]


class ChecksumError(ValueError):
    """A data file's sha256 differs from the manifest."""


class DataUnavailableError(FileNotFoundError):
    """A data file is neither present locally nor downloadable."""


def _user_cache():
    import pooch

    return Path(pooch.os_cache("pixelfes_edu"))


def data_dir():
    """Raw data directory: ``$PIXELFES_EDU_DATA`` or ``<user cache>/pixelfes_edu/raw``.

    Laid out like the manifest paths, e.g. ``london/smiling_front/001_08.jpg``.
    Point it at an existing read-only copy (as CI does) to avoid downloads.
    """
    env = os.environ.get("PIXELFES_EDU_DATA")
    return Path(env).expanduser() if env else _user_cache() / "raw"


def cache_dir():
    """Writable prepared-array cache: ``$PIXELFES_EDU_CACHE`` or ``<user cache>/pixelfes_edu/prepared``."""
    env = os.environ.get("PIXELFES_EDU_CACHE")
    return Path(env).expanduser() if env else _user_cache() / "prepared"


def writable_cache():
    d = cache_dir()
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OSError(f"cannot create the prepared-data cache {d} ({e}); set PIXELFES_EDU_CACHE "
                      "to a writable directory") from None
    return d


# --------------------------------------------------------------------------
# hashing with a record of each file's stamp so 300+ files are hashed once
# --------------------------------------------------------------------------


def _sha256(path, chunk=1 << 20):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def _record_file():
    return cache_dir() / "verified.json"


def _read_records():
    """``{resolved path: {"stamp": [...], "sha256": hex}}``; a damaged record is ignored (files are re-hashed)."""
    path = _record_file()
    try:
        records = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        records = e
    if not isinstance(records, dict):
        warnings.warn(f"ignoring the damaged record of verified files {path} "
                      f"({records if isinstance(records, Exception) else 'not a JSON object'}); "
                      "files are hashed again and the record is rewritten", stacklevel=3)
        return {}
    return {k: v for k, v in records.items() if isinstance(v, dict) and isinstance(v.get("stamp"), list)
            and isinstance(v.get("sha256"), str)}


def _write_records(records):
    writable_cache()
    atomic_write(_record_file(), lambda tmp: Path(tmp).write_text(json.dumps(records)))


def file_stamp(path):
    """What changes when a file's bytes change: size and mtime, and the inode and its change time,
    which an edit sets even when the size and mtime are put back (``touch -r``, ``os.utime``).

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "a.txt"; _ = p.write_text("x")
    >>> file_stamp(p)[0]
    1
    """
    st = Path(path).stat()
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def refetch_hint(name, path):
    return f"delete {path} and run `pixelfes-edu fetch {name}` (or pixelfes_edu.fetch({name!r})) to download it again"


def _check_hash(name, path, expected, records, rehash=False):
    """True if ``path`` matches ``expected`` and was hashed; hashes only when its stamp changed (or ``rehash``)."""
    key, stamp = str(path.resolve()), file_stamp(path)
    if not rehash and records.get(key) == {"stamp": stamp, "sha256": expected}:
        return False  # known good, records unchanged
    actual = _sha256(path)
    if actual != expected:
        records.pop(key, None)
        raise ChecksumError(
            f"checksum mismatch for {path}: expected sha256 {expected}, got {actual}. "
            f"The file is corrupt, truncated or a different version: {refetch_hint(name, path)}."
        )
    records[key] = {"stamp": stamp, "sha256": actual}
    return True


def manifest_source(name, kinds=None):
    manifest = load_manifest()
    if name not in manifest:
        raise ValueError(f"unknown data source {name!r}; known: {', '.join(manifest)}")
    src = manifest[name]
    if kinds and src["kind"] not in kinds:
        raise ValueError(f"source {name!r} is of kind {src['kind']!r}, expected {' or '.join(kinds)}")
    return src


def verify(name, paths=None, rehash=False):
    """Check present files of download source ``name`` against their sha256.

    Only files whose size, modification time, inode or inode change time
    changed since the last check are re-hashed (the record lives in
    :func:`cache_dir`); ``rehash=True`` hashes every file again (loaders do
    so before they prepare and cache new arrays from the files).

    Parameters
    ----------
    name : str
        A ``download`` source of the manifest (``"london"``, ``"canada"`` ...).
    paths : iterable of str, optional
        Manifest-relative paths to check; default all files of the source.
    rehash : bool
        Hash every file, whatever the record says.

    Returns
    -------
    present, missing : list of Path, list of dict
        Verified local files, and manifest entries not present locally.

    Raises
    ------
    ChecksumError
        Naming the file, the expected and the actual sha256 and how to re-fetch.
    """
    src = manifest_source(name, ("download",))
    wanted = None if paths is None else set(paths)
    root, records, changed = data_dir(), _read_records(), False
    present, missing = [], []
    for entry in src["files"]:
        if wanted is not None and entry["path"] not in wanted:
            continue
        path = root / entry["path"]
        if path.is_file():
            changed |= _check_hash(name, path, entry["sha256"], records, rehash)
            present.append(path)
        else:
            missing.append(entry)
    if changed:
        try:
            _write_records(records)
        except OSError:
            pass  # a read-only cache only costs re-hashing next time
    return present, missing


# --------------------------------------------------------------------------
# downloads (pooch)
# --------------------------------------------------------------------------


def _download(name, entry, progress):
    import pooch

    dest = data_dir() / entry["path"]
    try:
        got = pooch.retrieve(entry["url"], known_hash=f"sha256:{entry['sha256']}",
                             fname=dest.name, path=str(dest.parent), progressbar=progress)
    except ValueError as e:  # pooch: downloaded bytes do not match the hash
        raise ChecksumError(f"downloaded {entry['url']} but its sha256 is not the manifest's "
                            f"{entry['sha256']} ({e}); try again later with "
                            f"`pixelfes-edu fetch {name}`") from None
    except Exception as e:  # no network, HTTP error, read-only directory ...
        raise DataUnavailableError(
            f"{entry['path']} of {name!r} is not in {data_dir()} and could not be downloaded "
            f"from {entry['url']} ({type(e).__name__}: {e}). Connect to the internet and run "
            f"`pixelfes-edu fetch {name}`, or set PIXELFES_EDU_DATA to a directory that already "
            f"holds the files laid out like the manifest (e.g. {entry['path']})."
        ) from None
    return Path(got)


def fetch(name="all", progress=True):
    """Make the raw files of a download source (or ``"all"``) present and verified.

    Files already in :func:`data_dir` with the right sha256 are used as they
    are; missing ones are downloaded with pooch (hash-checked) into it.

    Parameters
    ----------
    name : str
        ``"all"`` or a ``download`` source: ``london``, ``canada``, ``lisa``,
        ``zoom``, ``fox``.
    progress : bool
        Show progress bars.

    Returns
    -------
    list of Path
        Every file of the source(s), verified.

    Raises
    ------
    ChecksumError
        A present file differs from the manifest (message says how to re-fetch).
    DataUnavailableError
        A missing file cannot be downloaded (offline): names ``PIXELFES_EDU_DATA``
        and the URL.
    """
    manifest = load_manifest()
    downloads = [k for k, v in manifest.items() if v["kind"] == "download"]
    if name == "all":
        names = downloads
    elif name in downloads:
        names = [name]
    elif name in manifest:
        src = manifest[name]
        how = {"manual": f"obtain it yourself from {src['homepage']} ({src['licence']}) and pass "
                         f"root=... to load_pairs({name!r}, ...)",
               "embedded": f"it ships inside {src.get('package', 'an installed package')}",
               "generated": "it is generated on the fly"}[src["kind"]]
        raise ValueError(f"{name!r} is not downloadable: {how}. Fetchable: {', '.join(downloads)}")
    else:
        raise ValueError(f"unknown data source {name!r}; fetchable: all, {', '.join(downloads)}")
    out = []
    for n in names:
        present, missing = verify(n)
        out += present
        bar = None
        if missing and progress and len(missing) > 1:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(missing), desc=f"downloading {n}", unit="file")
        for entry in missing:
            out.append(_download(n, entry, progress and bar is None))
            if bar is not None:
                bar.update()
        if bar is not None:
            bar.close()
        if missing:
            verify(n)  # record the new files
    return out
