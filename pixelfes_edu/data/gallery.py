"""Out-of-dataset faces: images that ship with scikit-image/matplotlib, and downloaded extras.
"""
from importlib import import_module

import numpy as np

from ..faces import align_face, align_with_landmarks, read_photo, read_tem
from ..store import cache_dir, data_dir, load_manifest, verify, writable_cache
from .cache import cache_key, load_npz, save_npz

__all__ = ['load_gallery']


def _embedded_image(src):
    """Load an embedded image from its manifest ``loader`` ("module.func" or "module.func:arg")."""
    target, _, arg = src["loader"].partition(":")
    module, _, func = target.rpartition(".")
    fn = getattr(import_module(module), func)
    if arg:
        obj = fn(arg)
        if hasattr(obj, "read"):
            with obj:
                return read_photo(obj, name=src["loader"])
        return read_photo(obj)
    return np.asarray(fn())


def _gallery_online(present, size):
    """Align the online extras ``{source: [verified paths]}``: by landmarks, or by manifest eyes."""
    manifest, out = load_manifest(), {}
    for name, paths in present.items():
        src = manifest[name]
        have = {p.as_posix() for p in paths}
        images = [p for p in paths if p.suffix.lower() in (".jpg", ".jpeg", ".png")]
        for path in images:
            key = path.stem if path.stem.startswith(name) else f"{name}_{path.stem}"
            if "eyes" in src:
                key = name if len(images) == 1 else key
                out[key] = align_face(read_photo(path, data_source=name), eyes=src["eyes"], size=size)
            elif path.with_suffix(".tem").as_posix() in have:
                img = read_photo(path, data_source=name)
                out[key] = align_with_landmarks(img, read_tem(path.with_suffix(".tem")), size)
    return {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}


def load_gallery(size=128, online=True):
    """Aligned out-of-dataset faces ``{name: (size, size, 3) float image}``.

    Always: ``astronaut``, ``chelsea`` (a cat) and ``grace_hopper`` (they ship
    with scikit-image / matplotlib; eyes from the manifest). With
    ``online=True`` also the extras whose files are present and verified in
    :func:`~pixelfes_edu.store.data_dir` (``canada_*``, ``lisa*``, ``zoom_*`` via their landmarks,
    ``fox`` via manifest eyes). Never downloads: run ``pixelfes-edu fetch all``.

    Examples
    --------
    >>> g = load_gallery(size=64, online=False)                 # doctest: +SKIP
    >>> sorted(g), g["astronaut"].shape                         # doctest: +SKIP
    (['astronaut', 'chelsea', 'grace_hopper'], (64, 64, 3))
    """
    manifest = load_manifest()
    out = {}
    for name, src in manifest.items():
        if src["kind"] == "embedded":
            out[name] = np.asarray(align_face(_embedded_image(src), eyes=src.get("eyes"), size=size),
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
            cached = cache_dir() / f"gallery_{size}px_{cache_key('gallery', size, sorted(stamps))}.npz"
            try:
                extras = load_npz(cached)
            except (OSError, ValueError):  # not prepared yet, or damaged: prepare again
                extras = None
            if extras is None:
                extras = _gallery_online(present, size)
                try:
                    save_npz(writable_cache() / cached.name, **extras)
                except OSError:
                    pass
            out.update(extras)
    return out
