"""Load and validate ``data_manifest.yaml``: every data source the package knows.

The manifest is plain YAML with one entry per source under ``sources``. Every
entry has ``kind``, ``title``, ``licence``, ``citation`` and ``homepage``; the
rest depends on the kind:

* ``download`` — ``files``: a list of ``{path, sha256, url}`` (path relative to
  the raw-data directory, see :func:`pixelfes_edu.store.data_dir`);
  optional ``role`` (``pairs`` / ``gallery``) and ``eyes`` (``[[x, y], [x, y]]``
  pupils of a single image without landmarks);
* ``embedded`` — ``package`` and ``loader`` (an image that ships inside an
  installed package);
* ``manual`` — ``naming`` (``pattern``, ``example``, ``fields``) and
  ``expressions`` (file code -> normalised expression name): data you obtain
  under its own licence and point the loader at with ``root=``;
* ``generated`` — ``generator`` (``module:function``).

>>> m = load_manifest()
>>> m["london"]["kind"], len(m["london"]["files"])
('download', 306)
>>> sorted(k for k, v in m.items() if v["kind"] == "manual")
['bosphorus', 'cfee', 'kdef', 'rafd']
"""
import re
from functools import lru_cache
from pathlib import Path

import yaml

__all__ = ["KINDS", "ManifestError", "load_manifest", "validate_manifest", "manifest_path"]

#: Known kinds and the extra fields each one requires.
KINDS = {
    "download": ("files",),
    "embedded": ("package", "loader"),
    "manual": ("naming", "expressions"),
    "generated": ("generator",),
}
COMMON_FIELDS = ("kind", "title", "licence", "citation", "homepage")
FILE_FIELDS = ("path", "sha256", "url")
NAMING_FIELDS = ("pattern", "example", "fields")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class ManifestError(ValueError):
    """The data manifest is malformed; the message names the entry and field."""


def manifest_path():
    """Path of the manifest that ships with the package."""
    return Path(__file__).with_name("data_manifest.yaml")


def _fail(where, what):
    raise ManifestError(f"data manifest, {where}: {what}")


def _check_file(name, i, entry, seen):
    where = f"source {name!r}, files[{i}]"
    if not isinstance(entry, dict):
        _fail(where, f"expected a mapping with {', '.join(FILE_FIELDS)}, got {entry!r}")
    for f in FILE_FIELDS:
        if not entry.get(f):
            _fail(where, f"missing field {f!r} (each file needs {', '.join(FILE_FIELDS)})")
    path = str(entry["path"])
    if path.startswith("/") or ".." in Path(path).parts:
        _fail(where, f"path {path!r} must be relative to the data directory, without '..'")
    if path in seen:
        _fail(where, f"path {path!r} is listed twice")
    seen.add(path)
    sha = str(entry["sha256"]).lower()
    if sha.startswith("sha256:"):
        sha = sha[7:]
    if not _SHA256.match(sha):
        _fail(where, f"bad sha256 {entry['sha256']!r} for {path}: expected 64 hex digits")
    url = str(entry["url"])
    if not url.startswith(("https://", "http://")):
        _fail(where, f"url {url!r} for {path} must start with https://")
    return {"path": path, "sha256": sha, "url": url}


def _check_source(name, src):
    if not isinstance(src, dict):
        _fail(f"source {name!r}", f"expected a mapping, got {type(src).__name__}")
    for f in COMMON_FIELDS:
        if f not in src or src[f] in (None, ""):
            _fail(f"source {name!r}", f"missing field {f!r} (every source needs {', '.join(COMMON_FIELDS)})")
    kind = src["kind"]
    if kind not in KINDS:
        _fail(f"source {name!r}", f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    for f in KINDS[kind]:
        if f not in src or src[f] in (None, "", [], {}):
            _fail(f"source {name!r}", f"kind {kind!r} needs field {f!r}")
    out = dict(src)
    if kind == "download":
        if not isinstance(src["files"], list):
            _fail(f"source {name!r}", "'files' must be a list of {path, sha256, url}")
        seen = set()
        out["files"] = [_check_file(name, i, e, seen) for i, e in enumerate(src["files"])]
    if kind == "manual":
        naming = src["naming"]
        if not isinstance(naming, dict):
            _fail(f"source {name!r}", "'naming' must be a mapping with pattern, example, fields")
        for f in NAMING_FIELDS:
            if not naming.get(f):
                _fail(f"source {name!r}, naming", f"missing field {f!r}")
        try:
            rx = re.compile(naming["pattern"])
        except re.error as e:
            _fail(f"source {name!r}, naming", f"pattern is not a valid regular expression: {e}")
        if not rx.match(naming["example"]):
            _fail(f"source {name!r}, naming", f"example {naming['example']!r} does not match its pattern")
        if not isinstance(src["expressions"], dict):
            _fail(f"source {name!r}", "'expressions' must map file codes to expression names")
        out["expressions"] = {str(k): str(v) for k, v in src["expressions"].items()}
    if "eyes" in src:
        try:
            ok = len(src["eyes"]) == 2 and all(len(p) == 2 for p in src["eyes"])
            [float(v) for p in src["eyes"] for v in p]
        except (TypeError, ValueError):
            ok = False
        if not ok:
            _fail(f"source {name!r}", f"'eyes' must be [[x, y], [x, y]] in pixels, got {src['eyes']!r}")
    return out


def validate_manifest(data):
    """Check a parsed manifest and return ``{name: source}`` (sha256 lower-case, no prefix).

    Raises
    ------
    ManifestError
        Naming the source and field that is missing or wrong (unknown kind,
        bad sha256, relative path, duplicate path, pattern not matching its
        own example ...).

    Examples
    --------
    >>> bad = {"kind": "teleport", "title": "t", "licence": "l", "citation": "c", "homepage": "h"}
    >>> try:
    ...     validate_manifest({"sources": {"x": bad}})
    ... except ManifestError as e:
    ...     print(e)
    data manifest, source 'x': unknown kind 'teleport'; use one of download, embedded, manual, generated
    """
    if not isinstance(data, dict) or not isinstance(data.get("sources"), dict):
        _fail("top level", "expected a mapping with a 'sources' mapping")
    if not data["sources"]:
        _fail("top level", "'sources' is empty")
    return {str(name): _check_source(str(name), src) for name, src in data["sources"].items()}


@lru_cache(maxsize=4)
def _load(path):
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(
            f"data manifest {p} not found; reinstall pixelfes_edu (the manifest ships with the package)"
        )
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise ManifestError(f"data manifest {p} is not valid YAML: {e}") from None
    return validate_manifest(data)


def load_manifest(path=None):
    """Parsed and validated manifest as ``{name: source dict}``.

    Parameters
    ----------
    path : str or Path, optional
        Manifest file; default the one shipped with the package.
        The result is cached per path: do not mutate it.
    """
    return _load(str(path or manifest_path()))
