"""The Face Research Lab London Set: 102 people, neutral and smiling, with 189 landmarks (CC BY 4.0).

Each smiling photo is registered to its own neutral photo, and every face is
warped piecewise-affinely onto the mean landmark shape (``warp="shape"``) or
placed by one affine fit of its eyes and mouth (``warp="affine"``).
"""
import re
import time
import warnings

import numpy as np

from ..faces import mean_shape, read_tem
from ..store import DataUnavailableError, cache_dir, data_dir, fetch, manifest_source, verify, writable_cache
from .cache import PREP_VERSION, cache_key, cached_pairs, save_pairs
from .expressions import normalise_expression
from .pairs import Pairs
from .prepare import alignment_measures, prepare_pairs, report_failures, report_mismatch

__all__ = ['load_london', 'london_available']


def _template_regex(template):
    a, b = template.split("{id}")
    return re.compile("^" + re.escape(a) + r"(?P<id>.+?)" + re.escape(b) + "$")


def _london_layout():
    """``{id: {"input": rel, "target": rel, "landmarks": rel}}`` from the manifest."""
    src = manifest_source("london")
    tpl = src["pairs"]
    rx = {role: _template_regex(t) for role, t in tpl.items()}
    by_id = {}
    for entry in src["files"]:
        for role, r in rx.items():
            m = r.match(entry["path"])
            if m:
                by_id.setdefault(m["id"], {})[role] = entry["path"]
    return by_id


def london_available():
    """True when every London file is present in :func:`~pixelfes_edu.store.data_dir` (never downloads)."""
    root = data_dir()
    return all((root / e["path"]).is_file() for e in manifest_source("london")["files"])


def load_london(size=128, progress=True, strict=True, workers=2, download=True, expression="happy",
                warp="shape"):
    """The London pairs, aligned and cached (see :func:`pixelfes_edu.load_pairs` for the arguments)."""
    if warp not in ("shape", "affine"):
        raise ValueError(f"warp must be 'shape' (piecewise-affine onto the mean landmark shape, the "
                         f"default) or 'affine' (one affine fit of eyes and mouth), got {warp!r}")
    if normalise_expression(expression) != "happy":
        raise ValueError(f"the London set has neutral and smiling photos only: expression must be "
                         f"'happy', got {expression!r}")
    src = manifest_source("london")
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
    report_mismatch("london", only_input, only_target, strict, "neutral (with .tem)", "smiling")
    if not complete:
        raise DataUnavailableError(
            f"no London pairs found in {data_dir()}; run `pixelfes-edu fetch london` or set "
            f"PIXELFES_EDU_DATA to a directory holding london/neutral_front/NNN_03.jpg ...")
    sha = {e["path"]: e["sha256"] for e in src["files"]}
    used = sorted(rel for pid in complete for rel in layout[pid].values())
    key = cache_key("london", size, warp, [(rel, sha[rel]) for rel in used])
    cached = cache_dir() / f"london_{size}px_{warp}_{key}.npz"
    source = f"{src['title']} ({src['licence']})"
    pairs = cached_pairs(cached, "happy", source, "london")
    if pairs is not None:
        return pairs
    verify("london", used, rehash=True)  # what is cached now is kept: hash every file it is made from
    root = data_dir()
    tems = [str(root / layout[p]["landmarks"]) for p in complete]
    shape = None
    if warp == "shape":  # everybody's landmarks onto the mean shape: features on the same pixels
        shape = mean_shape([read_tem(t) for t in tems], size)
    jobs = [(str(root / layout[p]["input"]), str(root / layout[p]["target"]), tem, size, "london", shape)
            for p, tem in zip(complete, tems)]
    t0 = time.perf_counter()
    inputs, targets, failed, fell_back = prepare_pairs(jobs, workers, progress, f"aligning London pairs ({size}px)")
    fell_back = [complete[i] for i in fell_back]
    complete = report_failures("london", failed, complete, strict)
    meta = {"citation": src["citation"], "licence": src["licence"], "homepage": src["homepage"],
            "size": size, "prep_version": PREP_VERSION, "warp": warp,
            "registration_fell_back": fell_back,  # pose changed between the shots: kept, worth a look
            **alignment_measures(inputs, targets),
            "prepare_seconds": round(time.perf_counter() - t0, 2)}
    pairs = Pairs(inputs, targets, np.array(complete), "happy", source, "london", meta)
    try:
        save_pairs(writable_cache() / cached.name, pairs)
    except OSError as e:
        warnings.warn(f"could not write the prepared cache {cached} ({e}); the next load "
                      "prepares again", stacklevel=2)
    return pairs
