"""Data: verified downloads, caches and one loader for every paired source.

Two directories (both overridable by environment variables):

* :func:`data_dir` — raw files laid out like the manifest paths
  (``london/neutral_front/001_03.jpg`` ...): ``$PIXELFES_EDU_DATA`` or the user
  cache. Only :func:`fetch` ever writes there (and only missing files).
* :func:`cache_dir` — prepared (aligned) arrays and the record of verified
  files: ``$PIXELFES_EDU_CACHE`` or the user cache.

>>> import pixelfes_edu as pfe
>>> p = pfe.load_pairs("auto", size=64)          # doctest: +SKIP
>>> print(p.source)                              # doctest: +SKIP
Face Research Lab London Set (CC BY 4.0)
"""
import hashlib
import inspect
import json
import os
import re
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from importlib import import_module
from pathlib import Path

import numpy as np

from .manifest import load_manifest
from .pairs import Pairs

__all__ = [
    "PREP_VERSION", "PAIRED_SOURCES", "data_dir", "cache_dir", "fetch", "verify",
    "load_pairs", "load_gallery", "read_image", "scan_manual", "normalise_expression",
    "ChecksumError", "CorruptFileError", "DataUnavailableError", "MismatchedPairsError",
]

#: Bump when the preparation in this module changes (invalidates old caches); changes to
#: align.py invalidate them automatically (its source hash is part of every cache key).
PREP_VERSION = 3  # 2: London warped onto its mean landmark shape (warp='shape'); 3: meta lists registration fall-backs
PAIRED_SOURCES = ("london", "synthetic", "kdef", "rafd", "cfee", "bosphorus")


class ChecksumError(ValueError):
    """A data file's sha256 differs from the manifest."""


class CorruptFileError(ValueError):
    """A data file cannot be decoded (truncated or corrupt)."""


class DataUnavailableError(FileNotFoundError):
    """A data file is neither present locally nor downloadable."""


class MismatchedPairsError(ValueError):
    """Some people have only one photo of the pair; ``.ids`` lists them."""

    def __init__(self, message, ids=()):
        super().__init__(message)
        self.ids = list(ids)


# --------------------------------------------------------------------------
# directories
# --------------------------------------------------------------------------


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


def _writable_cache():
    d = cache_dir()
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OSError(f"cannot create the prepared-data cache {d} ({e}); set PIXELFES_EDU_CACHE "
                      "to a writable directory") from None
    return d


# --------------------------------------------------------------------------
# hashing with a (path, size, mtime) record so 300+ files are hashed once
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
    try:
        return json.loads(_record_file().read_text())
    except (OSError, ValueError):
        return {}


def _write_records(records):
    d = _writable_cache()
    tmp = d / f".verified.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(records))
    os.replace(tmp, _record_file())


def _refetch_hint(name, path):
    return f"delete {path} and run `pixelfes-edu fetch {name}` (or pixelfes_edu.fetch({name!r})) to download it again"


def _check_hash(name, path, expected, records):
    """True if ``path`` matches ``expected``; hashes only when size/mtime changed."""
    st = path.stat()
    key, stamp = str(path.resolve()), [st.st_size, st.st_mtime_ns]
    rec = records.get(key)
    if rec and rec[:2] == stamp and rec[2] == expected:
        return False  # known good, records unchanged
    actual = _sha256(path)
    if actual != expected:
        raise ChecksumError(
            f"checksum mismatch for {path}: expected sha256 {expected}, got {actual}. "
            f"The file is corrupt, truncated or a different version: {_refetch_hint(name, path)}."
        )
    records[key] = stamp + [actual]
    return True


def _source(name, kinds=None):
    manifest = load_manifest()
    if name not in manifest:
        raise ValueError(f"unknown data source {name!r}; known: {', '.join(manifest)}")
    src = manifest[name]
    if kinds and src["kind"] not in kinds:
        raise ValueError(f"source {name!r} is of kind {src['kind']!r}, expected {' or '.join(kinds)}")
    return src


def verify(name, paths=None):
    """Check present files of download source ``name`` against their sha256.

    Only files whose size or modification time changed since the last check
    are re-hashed (the record lives in :func:`cache_dir`).

    Parameters
    ----------
    name : str
        A ``download`` source of the manifest (``"london"``, ``"canada"`` ...).
    paths : iterable of str, optional
        Manifest-relative paths to check; default all files of the source.

    Returns
    -------
    present, missing : list of Path, list of dict
        Verified local files, and manifest entries not present locally.

    Raises
    ------
    ChecksumError
        Naming the file, the expected and the actual sha256 and how to re-fetch.
    """
    src = _source(name, ("download",))
    wanted = None if paths is None else set(paths)
    root, records, changed = data_dir(), _read_records(), False
    present, missing = [], []
    for entry in src["files"]:
        if wanted is not None and entry["path"] not in wanted:
            continue
        path = root / entry["path"]
        if path.is_file():
            changed |= _check_hash(name, path, entry["sha256"], records)
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


# --------------------------------------------------------------------------
# reading images
# --------------------------------------------------------------------------


def _read_uint8(path, source=None):
    """``(H, W, 3)`` uint8 RGB of an image file, or a CorruptFileError naming it."""
    from PIL import Image

    path = Path(path)
    try:
        with Image.open(path) as im:
            im.load()
            arr = np.asarray(im.convert("RGB"))
    except FileNotFoundError:
        raise
    except Exception as e:  # PIL: OSError (truncated), UnidentifiedImageError, SyntaxError ...
        hint = (_refetch_hint(source, path) if source and _source(source)["kind"] == "download"
                else "replace it with a good copy")
        raise CorruptFileError(f"cannot read image {path}: {e}. The file is truncated or corrupt; "
                               f"{hint}.") from None
    return arr


def read_image(path, source=None):
    """Read an image file as float64 RGB ``(H, W, 3)`` in [0, 1].

    Parameters
    ----------
    path : str or Path
    source : str, optional
        Manifest source the file belongs to (used in the re-fetch hint).

    Raises
    ------
    CorruptFileError
        If the file is truncated or not an image; the message names it and
        says how to re-fetch it.
    """
    return _read_uint8(path, source) / 255.0


# --------------------------------------------------------------------------
# prepared-array cache
# --------------------------------------------------------------------------


def _align_version():
    """Fingerprint of the alignment code: a change to align.py invalidates prepared caches."""
    align = import_module(".align", __package__)
    try:
        return hashlib.sha256(Path(align.__file__).read_bytes()).hexdigest()[:16]
    except (OSError, TypeError):
        return getattr(align, "ALIGN_VERSION", None)


def _cache_key(*parts):
    blob = json.dumps([PREP_VERSION, _align_version(), *parts], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def _load_npz(path):
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def _save_npz(path, **arrays):
    """Write a prepared cache file atomically and remove older preparations it replaces."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)
    _drop_stale(path)


def _cached_pairs(path, expression, source, name):
    """Pairs stored by :func:`_save_pairs`, or None if the file is missing or damaged (prepare again)."""
    try:
        z = _load_npz(path)
        meta = json.loads(str(z["meta"]))
        return Pairs(z["inputs"], z["targets"], z["ids"].astype(str), expression, source, name, meta)
    except (OSError, ValueError, KeyError):
        return None


def _save_pairs(path, pairs):
    _save_npz(path, inputs=pairs.inputs, targets=pairs.targets, ids=pairs.ids.astype(str),
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


# --------------------------------------------------------------------------
# pair preparation (parallel)
# --------------------------------------------------------------------------


def _prepare_one(job):
    """Worker: read one pair and align it. ``job`` = (input, target, tem|None, size, source, shape|None).

    Returns ``(input, target, registration_fell_back)``, or the alignment error
    message (e.g. no face detected) as a string; unreadable files raise
    :class:`CorruptFileError`.
    """
    from . import align

    inp, tgt, tem, size, source, shape = job
    neutral, expressive = _read_uint8(inp, source), _read_uint8(tgt, source)
    try:
        landmarks = align.read_tem(tem) if tem else None
        x, y, info = align.align_pair(neutral, expressive, landmarks=landmarks, size=size, shape=shape)
    except (ValueError, RuntimeError) as e:
        return f"{Path(inp).name} / {Path(tgt).name}: {e}"
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64), bool(info.get("reg_reverted"))


def _one_blas_thread():
    """Pool initializer: this worker's BLAS runs on one thread (workers already use every core)."""
    from threadpoolctl import threadpool_limits

    global _BLAS_LIMIT
    _BLAS_LIMIT = threadpool_limits(limits=1, user_api="blas")  # kept alive for the worker's life


def _prepare_all(jobs, workers, progress, desc):
    """Run :func:`_prepare_one` on every job, on ``workers`` processes, with a progress bar.

    Returns ``(inputs, targets, failed, fell_back)``: stacked crops of the
    pairs that aligned, ``{job index: error message}`` for those that did not,
    and the job indices whose registration kept its coarse estimate (a pose
    change between the two shots: aligned, but worth a look).
    """
    from tqdm.auto import tqdm

    workers = max(1, min(int(workers), len(jobs)))
    results = []
    with tqdm(total=len(jobs), desc=desc, unit="pair", disable=not progress) as bar:
        if workers == 1:
            for job in jobs:
                results.append(_prepare_one(job))
                bar.update()
        else:
            # one BLAS thread per worker: with the default (one per core) the workers' BLAS
            # threads busy-wait against each other (seen here: 2 workers 150 s, 1 worker 10 s)
            with ProcessPoolExecutor(max_workers=workers, initializer=_one_blas_thread) as pool:
                for r in pool.map(_prepare_one, jobs, chunksize=2):
                    results.append(r)
                    bar.update()
    failed = {i: r for i, r in enumerate(results) if isinstance(r, str)}
    ok = [r for r in results if not isinstance(r, str)]
    if not ok:
        raise ValueError("no pair could be aligned: " + "; ".join(failed.values()))
    fell_back = [i for i, r in enumerate(results) if not isinstance(r, str) and r[2]]
    return np.stack([r[0] for r in ok]), np.stack([r[1] for r in ok]), failed, fell_back


def _report_failures(name, failed, ids, strict):
    """Alignment failures: raise (strict) or warn; returns the ids that were kept."""
    if failed:
        msg = (f"{name}: {len(failed)} pair(s) could not be aligned: "
               + "; ".join(f"{ids[i]} ({m})" for i, m in sorted(failed.items())))
        if strict:
            raise ValueError(msg + ". Pass strict=False to leave them out, or crop those photos "
                             "so that the face is frontal and clearly visible.")
        warnings.warn(msg + "; left out (strict=False).", stacklevel=3)
    return [x for i, x in enumerate(ids) if i not in failed]


def _alignment_measures(inputs, targets):
    from . import align

    shift = np.asarray(align.residual_shift(inputs, targets), dtype=float)
    return {
        "residual_shift_median_px": float(np.median(shift)),
        "residual_shift_p90_px": float(np.percentile(shift, 90)),
        "mean_face_sharpness_ratio": float(align.mean_face_sharpness_ratio(inputs)),
    }


def _report_mismatch(name, only_input, only_target, strict, input_label, target_label):
    if not (only_input or only_target):
        return
    parts = []
    if only_input:
        parts.append(f"{len(only_input)} with a {input_label} photo but no {target_label} one: "
                     f"{', '.join(only_input)}")
    if only_target:
        parts.append(f"{len(only_target)} with a {target_label} photo but no {input_label} one: "
                     f"{', '.join(only_target)}")
    msg = f"{name}: incomplete pairs, " + "; ".join(parts)
    if strict:
        raise MismatchedPairsError(
            msg + ". Restore the missing files, or pass strict=False to keep only complete pairs.",
            ids=list(only_input) + list(only_target))
    warnings.warn(msg + "; these people are left out (strict=False).", stacklevel=3)


# --------------------------------------------------------------------------
# London
# --------------------------------------------------------------------------


def _template_regex(template):
    a, b = template.split("{id}")
    return re.compile("^" + re.escape(a) + r"(?P<id>.+?)" + re.escape(b) + "$")


def _london_layout():
    """``{id: {"input": rel, "target": rel, "landmarks": rel}}`` from the manifest."""
    src = _source("london")
    tpl = src["pairs"]
    rx = {role: _template_regex(t) for role, t in tpl.items()}
    by_id = {}
    for entry in src["files"]:
        for role, r in rx.items():
            m = r.match(entry["path"])
            if m:
                by_id.setdefault(m["id"], {})[role] = entry["path"]
    return by_id


def _london_present():
    root = data_dir()
    return all((root / e["path"]).is_file() for e in _source("london")["files"])


def _load_london(size=128, strict=True, progress=True, workers=2, download=True, expression="happy",
                 warp="shape"):
    if warp not in ("shape", "affine"):
        raise ValueError(f"warp must be 'shape' (piecewise-affine onto the mean landmark shape, the "
                         f"default) or 'affine' (one affine fit of eyes and mouth), got {warp!r}")
    if normalise_expression(expression) != "happy":
        raise ValueError(f"the London set has neutral and smiling photos only: expression must be "
                         f"'happy', got {expression!r}")
    src = _source("london")
    if download:
        fetch("london", progress=progress)
    present, _missing = verify("london")
    have = {p.relative_to(data_dir()).as_posix() for p in present}
    layout = _london_layout()
    complete, only_input, only_target = [], [], []
    for pid in sorted(layout):
        roles = {r for r, rel in layout[pid].items() if rel in have}
        if {"input", "target", "landmarks"} <= roles:
            complete.append(pid)
        elif "target" in roles:
            only_target.append(pid)
        elif roles:
            only_input.append(pid)
    _report_mismatch("london", only_input, only_target, strict, "neutral (with .tem)", "smiling")
    if not complete:
        raise DataUnavailableError(
            f"no London pairs found in {data_dir()}; run `pixelfes-edu fetch london` or set "
            f"PIXELFES_EDU_DATA to a directory holding london/neutral_front/NNN_03.jpg ...")
    sha = {e["path"]: e["sha256"] for e in src["files"]}
    used = sorted(rel for pid in complete for rel in layout[pid].values())
    key = _cache_key("london", size, warp, [(rel, sha[rel]) for rel in used])
    cached = cache_dir() / f"london_{size}px_{warp}_{key}.npz"
    source = f"{src['title']} ({src['licence']})"
    pairs = _cached_pairs(cached, "happy", source, "london")
    if pairs is not None:
        return pairs
    root = data_dir()
    tems = [str(root / layout[p]["landmarks"]) for p in complete]
    shape = None
    if warp == "shape":  # everybody's landmarks onto the mean shape: features on the same pixels
        from . import align

        shape = align.mean_shape([align.read_tem(t) for t in tems], size)
    jobs = [(str(root / layout[p]["input"]), str(root / layout[p]["target"]), tem, size, "london", shape)
            for p, tem in zip(complete, tems)]
    t0 = time.perf_counter()
    inputs, targets, failed, fell_back = _prepare_all(jobs, workers, progress, f"aligning London pairs ({size}px)")
    fell_back = [complete[i] for i in fell_back]
    complete = _report_failures("london", failed, complete, strict)
    meta = {"citation": src["citation"], "licence": src["licence"], "homepage": src["homepage"],
            "size": size, "prep_version": PREP_VERSION, "warp": warp,
            "registration_fell_back": fell_back,  # pose changed between the shots: kept, worth a look
            **_alignment_measures(inputs, targets),
            "prepare_seconds": round(time.perf_counter() - t0, 2)}
    pairs = Pairs(inputs, targets, np.array(complete), "happy", source, "london", meta)
    try:
        _save_pairs(_writable_cache() / cached.name, pairs)
    except OSError as e:
        warnings.warn(f"could not write the prepared cache {cached} ({e}); the next load "
                      "prepares again", stacklevel=2)
    return pairs


# --------------------------------------------------------------------------
# manual datasets (KDEF, RaFD, CFEE, Bosphorus)
# --------------------------------------------------------------------------

#: Spellings accepted for each normalised expression name.
_EXPRESSION_ALIASES = {
    "neutral": ("neutral", "ne", "n", "calm"),
    "happy": ("happy", "happiness", "ha", "smile", "smiling", "joy"),
    "sad": ("sad", "sadness", "sa"),
    "surprise": ("surprise", "surprised", "su"),
    "angry": ("angry", "anger", "an"),
    "fear": ("fear", "fearful", "afraid", "af", "scared"),
    "disgust": ("disgust", "disgusted", "di"),
    "contempt": ("contempt", "contemptuous"),
}
_ALIAS = {a: k for k, v in _EXPRESSION_ALIASES.items() for a in v}


def normalise_expression(name):
    """Canonical expression name: ``"Surprised"`` -> ``"surprise"``, ``"HA"`` -> ``"happy"``.

    Unknown names (e.g. CFEE compound ones like ``"happily surprised"``) are
    lower-cased with spaces and dashes turned into underscores.

    >>> normalise_expression("Surprised"), normalise_expression("fearful"), normalise_expression("Happily surprised")
    ('surprise', 'fear', 'happily_surprised')
    """
    key = re.sub(r"[\s\-]+", "_", str(name).strip().lower())
    return _ALIAS.get(key, key)


def _frontal(name, fields):
    if name == "kdef":
        return fields["angle"] == "S"
    if name == "rafd":
        return fields["angle"] == "090" and fields["gaze"] == "frontal"
    return True  # CFEE is all frontal; the Bosphorus pattern only admits N and E classes


def _person(name, fields):
    """(pairing group, person id): KDEF pairs within a session, ids are per person."""
    if name == "kdef":
        return (fields["session"], fields["gender"] + fields["person"]), fields["gender"] + fields["person"]
    return fields["person"], fields["person"]


def scan_manual(name, root):
    """Parse a manual dataset folder by its documented file naming.

    Parameters
    ----------
    name : {"kdef", "rafd", "cfee", "bosphorus"}
    root : str or Path
        Folder holding the dataset (searched recursively).

    Returns
    -------
    list of dict
        One per recognised frontal image: ``group`` (pairing key), ``id``
        (person), ``expression`` (normalised), ``path``; sorted by path.

    Raises
    ------
    FileNotFoundError
        If ``root`` is missing or holds no file named by the scheme; the
        message gives the scheme and an example file name.
    """
    src = _source(name, ("manual",))
    naming = src["naming"]
    scheme = (f"{src['title']} files named like {naming['example']!r} ({naming['fields']}); "
              f"obtain the dataset from {src['homepage']} ({src['licence']})")
    root = Path(root).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"{name}: folder {root} does not exist. Expected a folder of {scheme}.")
    rx = re.compile(naming["pattern"])
    codes = src["expressions"]
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        m = rx.match(path.name)
        if not m:
            continue
        fields = m.groupdict()
        if not _frontal(name, fields):
            continue
        code = fields["expression"]
        if code not in codes:
            continue
        group, pid = _person(name, fields)
        found.append({"group": group, "id": pid, "expression": normalise_expression(codes[code]),
                      "path": path})
    if not found:
        raise FileNotFoundError(f"{name}: no recognisable frontal images in {root}. Expected {scheme}.")
    return found


def _load_manual(name, root=None, expression="happy", size=128, strict=True, progress=True, workers=2):
    if root is None:
        src = _source(name)
        raise ValueError(f"{name} is a manual dataset: pass root='/path/to/{name.upper()}' (obtain it "
                         f"from {src['homepage']}; files are named like {src['naming']['example']!r})")
    src = _source(name, ("manual",))
    want = normalise_expression(expression)
    records = scan_manual(name, root)
    available = sorted({r["expression"] for r in records} - {"neutral"})
    if want == "neutral" or want not in available:
        raise ValueError(f"{name}: no frontal {want!r} images in {root}; available expressions: "
                         f"{', '.join(available) or 'none'} (paired with neutral)")
    neutral, expressive = {}, {}
    for r in records:  # sorted by path: the first sample of each person wins
        if r["expression"] == "neutral":
            neutral.setdefault(r["group"], r)
        elif r["expression"] == want:
            expressive.setdefault(r["group"], r)
    groups = sorted(set(neutral) | set(expressive), key=str)
    label = lambda g: "/".join(g) if isinstance(g, tuple) else str(g)  # noqa: E731
    only_in = [label(g) for g in groups if g not in expressive]
    only_out = [label(g) for g in groups if g not in neutral]
    _report_mismatch(name, only_in, only_out, strict, "neutral", want)
    complete = [g for g in groups if g in neutral and g in expressive]
    paths = [(neutral[g]["path"], expressive[g]["path"]) for g in complete]
    stamps = [(str(p), p.stat().st_size, p.stat().st_mtime_ns) for pair in paths for p in pair]
    key = _cache_key(name, want, size, stamps)
    cached = cache_dir() / f"{name}_{want}_{size}px_{key}.npz"
    source = f"{src['title']} (your own copy; terms: {src['homepage']})"
    pairs = _cached_pairs(cached, want, source, name)
    if pairs is not None:
        return pairs
    jobs = [(str(a), str(b), None, size, name, None) for a, b in paths]
    inputs, targets, failed, fell_back = _prepare_all(jobs, workers, progress, f"aligning {name} pairs ({size}px)")
    fell_back = [complete[i] for i in fell_back]
    complete = _report_failures(name, failed, complete, strict)
    meta = {"citation": src["citation"], "licence": src["licence"], "homepage": src["homepage"],
            "root": str(root), "size": size, "prep_version": PREP_VERSION,
            "registration_fell_back": [neutral[g]["id"] for g in fell_back]}
    if len(inputs) >= 2:
        meta.update(_alignment_measures(inputs, targets))
    ids = np.array([neutral[g]["id"] for g in complete])
    pairs = Pairs(inputs, targets, ids, want, source, name, meta)
    try:
        _save_pairs(_writable_cache() / cached.name, pairs)
    except OSError:
        pass
    return pairs


# --------------------------------------------------------------------------
# synthetic and the public loader
# --------------------------------------------------------------------------


def _load_synthetic(size=128, n=400, expression="happy", seed=0):
    from .synthetic import synthetic_pairs

    return synthetic_pairs(n=n, expression=normalise_expression(expression), seed=seed, size=size)


_LOADERS = {"london": _load_london, "synthetic": _load_synthetic}


def _accepts(func, kw):
    params = inspect.signature(func).parameters
    return {k: v for k, v in kw.items() if k in params}


def load_pairs(name="auto", size=128, **kw):
    """Aligned (neutral, expressive) face pairs from one source, as :class:`~pixelfes_edu.pairs.Pairs`.

    Parameters
    ----------
    name : str
        ``"london"`` (102 neutral/smiling pairs, CC BY 4.0; downloaded and
        verified on first use, then prepared once and cached),
        ``"synthetic"`` (generated, offline), ``"kdef"``, ``"rafd"``,
        ``"cfee"``, ``"bosphorus"`` (your own copy: pass ``root=``), or
        ``"auto"``: London when its raw files are present locally (never
        downloads), else synthetic. ``Pairs.source`` says which.
    size : int
        Side of the square aligned crops.
    **kw
        London: ``strict=True`` (raise on incomplete pairs; False warns and
        keeps complete ones), ``progress=True``, ``workers=2``,
        ``download=True``, ``warp="shape"`` (every face warped piecewise-affinely
        onto the mean landmark shape, so eyes, nose, mouth and jaw share pixels;
        ``"affine"``: one affine fit of eyes and mouth per face). Synthetic: ``n=400``, ``expression="happy"``,
        ``seed=0``. Manual: ``root`` (required), ``expression="happy"``,
        ``strict``, ``progress``, ``workers``.

    Returns
    -------
    Pairs
        ``inputs``/``targets`` float64 ``(N, size, size, 3)`` in [0, 1];
        London's ``meta`` holds the alignment measures
        (``residual_shift_median_px``, ``residual_shift_p90_px``,
        ``mean_face_sharpness_ratio``).

    Examples
    --------
    >>> p = load_pairs("synthetic", n=8, size=32, seed=0, expression="surprised")
    >>> p.inputs.shape, p.expression, p.source
    ((8, 32, 32, 3), 'surprise', 'synthetic faces (generated, seed=0)')
    """
    if name == "auto":
        name = "london" if _london_present() else "synthetic"
        return load_pairs(name, size=size, **_accepts(_LOADERS[name], kw))
    if name in _LOADERS:
        loader = _LOADERS[name]
        unknown = set(kw) - set(inspect.signature(loader).parameters)
        if unknown:
            raise TypeError(f"load_pairs({name!r}) got unexpected arguments {sorted(unknown)}")
        return loader(size=size, **kw)
    if name in ("kdef", "rafd", "cfee", "bosphorus"):
        return _load_manual(name, size=size, **kw)
    raise ValueError(f"unknown paired source {name!r}; use one of auto, {', '.join(PAIRED_SOURCES)}")


# --------------------------------------------------------------------------
# gallery
# --------------------------------------------------------------------------


def _embedded_image(src):
    """Load an embedded image from its manifest ``loader`` ("module.func" or "module.func:arg")."""
    target, _, arg = src["loader"].partition(":")
    module, _, func = target.rpartition(".")
    fn = getattr(import_module(module), func)
    if arg:
        obj = fn(arg)
        if hasattr(obj, "read"):
            from PIL import Image

            with obj, Image.open(obj) as im:
                return np.asarray(im.convert("RGB"))
        return _read_uint8(obj)
    return np.asarray(fn())


def _gallery_online(present, size):
    """Align the online extras ``{source: [verified paths]}``: by landmarks, or by manifest eyes."""
    from . import align

    manifest, out = load_manifest(), {}
    for name, paths in present.items():
        src = manifest[name]
        have = {p.as_posix() for p in paths}
        images = [p for p in paths if p.suffix.lower() in (".jpg", ".jpeg", ".png")]
        for path in images:
            key = path.stem if path.stem.startswith(name) else f"{name}_{path.stem}"
            if "eyes" in src:
                key = name if len(images) == 1 else key
                out[key] = align.align_face(_read_uint8(path, name), eyes=src["eyes"], size=size)
            elif path.with_suffix(".tem").as_posix() in have:
                img = _read_uint8(path, name)
                out[key] = align.align_with_landmarks(img, align.read_tem(path.with_suffix(".tem")), size)
    return {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}


def load_gallery(size=128, online=True):
    """Aligned out-of-dataset faces ``{name: (size, size, 3) float image}``.

    Always: ``astronaut``, ``chelsea`` (a cat) and ``grace_hopper`` (they ship
    with scikit-image / matplotlib; eyes from the manifest). With
    ``online=True`` also the extras whose files are present and verified in
    :func:`data_dir` (``canada_*``, ``lisa*``, ``zoom_*`` via their landmarks,
    ``fox`` via manifest eyes). Never downloads: run ``pixelfes-edu fetch all``.

    Examples
    --------
    >>> g = load_gallery(size=64, online=False)                 # doctest: +SKIP
    >>> sorted(g), g["astronaut"].shape                         # doctest: +SKIP
    (['astronaut', 'chelsea', 'grace_hopper'], (64, 64, 3))
    """
    from . import align

    manifest = load_manifest()
    out = {}
    for name, src in manifest.items():
        if src["kind"] == "embedded":
            out[name] = np.asarray(align.align_face(_embedded_image(src), eyes=src.get("eyes"), size=size),
                                   dtype=np.float64)
    if online:
        present, stamps = {}, []
        for name, src in manifest.items():
            if src["kind"] == "download" and src.get("role") == "gallery":
                paths, _missing = verify(name)  # present files only: never downloads
                if paths:
                    present[name] = paths
                    sha = {e["path"]: e["sha256"] for e in src["files"]}
                    stamps += [sha[p.relative_to(data_dir()).as_posix()] for p in paths]
        if present:
            cached = cache_dir() / f"gallery_{size}px_{_cache_key('gallery', size, sorted(stamps))}.npz"
            try:
                extras = _load_npz(cached)
            except (OSError, ValueError):  # not prepared yet, or damaged: prepare again
                extras = None
            if extras is None:
                extras = _gallery_online(present, size)
                try:
                    _save_npz(_writable_cache() / cached.name, **extras)
                except OSError:
                    pass
            out.update(extras)
    return out
