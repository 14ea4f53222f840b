"""Licensed datasets the paper used (KDEF, RaFD, CFEE, Bosphorus): your own copy, parsed by its file naming.
"""
import re
from pathlib import Path

import numpy as np

from ..store import cache_dir, file_stamp, manifest_source, writable_cache
from .cache import PREP_VERSION, cache_key, cached_pairs, save_pairs
from .expressions import normalise_expression
from .pairs import Pairs
from .prepare import alignment_measures, prepare_pairs, report_failures, report_mismatch

__all__ = ['scan_manual', 'load_manual', 'MANUAL_SOURCES']

#: The licensed datasets of the paper, read from a folder you point to.
MANUAL_SOURCES = ("kdef", "rafd", "cfee", "bosphorus")


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
    src = manifest_source(name, ("manual",))
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


def load_manual(name, root=None, expression="happy", size=128, progress=True, strict=True, workers=2):
    """Aligned pairs of a manual dataset (see :func:`pixelfes_edu.load_pairs` for the arguments)."""
    if root is None:
        src = manifest_source(name)
        raise ValueError(f"{name} is a manual dataset: pass root='/path/to/{name.upper()}' (obtain it "
                         f"from {src['homepage']}; files are named like {src['naming']['example']!r})")
    src = manifest_source(name, ("manual",))
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
    report_mismatch(name, only_in, only_out, strict, "neutral", want)
    complete = [g for g in groups if g in neutral and g in expressive]
    paths = [(neutral[g]["path"], expressive[g]["path"]) for g in complete]
    stamps = [(str(p), *file_stamp(p)) for pair in paths for p in pair]  # an in-place edit changes ctime
    key = cache_key(name, want, size, stamps)
    cached = cache_dir() / f"{name}_{want}_{size}px_{key}.npz"
    source = f"{src['title']} (your own copy; terms: {src['homepage']})"
    pairs = cached_pairs(cached, want, source, name)
    if pairs is not None:
        return pairs
    jobs = [(str(a), str(b), None, size, name, None) for a, b in paths]
    inputs, targets, failed, fell_back = prepare_pairs(jobs, workers, progress, f"aligning {name} pairs ({size}px)")
    fell_back = [complete[i] for i in fell_back]
    complete = report_failures(name, failed, complete, strict)
    meta = {"citation": src["citation"], "licence": src["licence"], "homepage": src["homepage"],
            "root": str(root), "size": size, "prep_version": PREP_VERSION,
            "registration_fell_back": [neutral[g]["id"] for g in fell_back]}
    if len(inputs) >= 2:
        meta.update(alignment_measures(inputs, targets))
    ids = np.array([neutral[g]["id"] for g in complete])
    pairs = Pairs(inputs, targets, ids, want, source, name, meta)
    try:
        save_pairs(writable_cache() / cached.name, pairs)
    except OSError:
        pass
    return pairs
