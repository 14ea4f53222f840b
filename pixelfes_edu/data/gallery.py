"""Out-of-dataset faces: images that ship with scikit-image/matplotlib, and downloaded extras.

:func:`load_gallery` gives them aligned (crops for the models), :func:`load_gallery_photos` as
the full-resolution photos (for :func:`~pixelfes_edu.faces.synthesize.synthesize`). When the
face landmark models are present, human faces are aligned like any upload (detected mesh,
shape warp: the geometry of the London training faces); animals, and every face without the
models, by their manifest eyes or ``.tem`` landmarks.
"""
from importlib import import_module

import numpy as np

from ..faces import (FaceNotFoundError, LandmarkModelUnavailable, align_face, align_with_landmarks,
                    detect_landmarks, read_photo, read_tem)
from ..faces.landmarks import landmark_model_dir
from ..store import cache_dir, data_dir, load_manifest, verify, writable_cache
from ..validation import check_values
from .cache import CacheError, cache_key, cached_arrays, save_npz

__all__ = ['load_gallery', 'load_gallery_photos']


def _landmarks(image, use_mesh):
    """Detected landmarks of a human face, or None (no models here, or not a human face)."""
    if not use_mesh:
        return None
    try:
        return detect_landmarks(image, fallback=False, download=False)
    except (FaceNotFoundError, LandmarkModelUnavailable):
        return None


def _models_present():
    """Landmark models and runtime both here (the gallery never downloads)."""
    try:
        landmark_model_dir(download=False)
        import ai_edge_litert  # noqa: F401
    except Exception:  # LandmarkModelUnavailable, or the runtime missing / built for another numpy
        return False
    return True


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


def _present_extras(manifest):
    """``{source: verified paths}`` of the downloaded gallery extras on this machine (never downloads)."""
    present = {}
    for name, src in manifest.items():
        if src["kind"] == "download" and src.get("role") == "gallery":
            paths, _missing = verify(name)  # present files only
            if paths:
                present[name] = paths
    return present


def _photo_keys(name, src, paths):
    """``(key, path)`` of every photo of a gallery source: ``<source>_<stem>`` (or the stem when it starts
    with the source's name); a source of one photo placed by manifest eyes is keyed by its name."""
    images = [p for p in paths if p.suffix.lower() in (".jpg", ".jpeg", ".png")]
    for path in images:
        key = path.stem if path.stem.startswith(name) else f"{name}_{path.stem}"
        yield (name if "eyes" in src and len(images) == 1 else key), path


def _gallery_online(present, size, use_mesh=False):
    """Align the online extras ``{source: [verified paths]}``: detected mesh, landmarks, or manifest eyes."""
    manifest, out = load_manifest(), {}
    for name, paths in present.items():
        src = manifest[name]
        have = {p.as_posix() for p in paths}
        for key, path in _photo_keys(name, src, paths):
            img = read_photo(path, data_source=name)
            lm = _landmarks(img, use_mesh)
            if lm is not None:
                out[key] = align_face(img, size=size, landmarks=lm)
            elif "eyes" in src:
                out[key] = align_face(img, eyes=src["eyes"], size=size)
            elif path.with_suffix(".tem").as_posix() in have:
                out[key] = align_with_landmarks(img, read_tem(path.with_suffix(".tem")), size)
    return {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}


def check_faces(faces, size):
    """Refuse cached gallery faces that are not ``(size, size, 3)`` float images in [0, 1]."""
    for name, face in faces.items():
        if face.shape != (size, size, 3) or face.dtype != np.float64:
            raise CacheError(f"{name} has shape {face.shape} and dtype {face.dtype}, not ({size}, {size}, 3) "
                             "float64")
        check_values(face, name)


def load_gallery(size=128, online=True):
    """Aligned out-of-dataset faces ``{name: (size, size, 3) float image}``.

    Always: ``astronaut``, ``chelsea`` (a cat) and ``grace_hopper`` (they ship
    with scikit-image / matplotlib; eyes from the manifest). With
    ``online=True`` also the extras whose files are present and verified in
    :func:`~pixelfes_edu.store.data_dir` (``canada_*``, ``lisa*``, ``zoom_*`` via their landmarks,
    ``fox`` via manifest eyes). Never downloads: run ``pixelfes-edu fetch all``.
    Human faces are aligned by the detected face mesh when the landmark models
    are present (see the module docstring).

    Examples
    --------
    >>> g = load_gallery(size=64, online=False)                 # doctest: +SKIP
    >>> sorted(g), g["astronaut"].shape                         # doctest: +SKIP
    (['astronaut', 'chelsea', 'grace_hopper'], (64, 64, 3))
    """
    manifest = load_manifest()
    use_mesh = _models_present()
    out = {}
    for name, src in manifest.items():
        if src["kind"] == "embedded":
            img = _embedded_image(src)
            lm = _landmarks(img, use_mesh)
            face = align_face(img, size=size, landmarks=lm) if lm is not None else \
                align_face(img, eyes=src.get("eyes"), size=size)
            out[name] = np.asarray(face, dtype=np.float64)
    if online:
        present, stamps = _present_extras(manifest), []
        for name, paths in present.items():
            sha = {e["path"]: e["sha256"] for e in manifest[name]["files"]}
            stamps += [sha[p.relative_to(data_dir()).as_posix()] for p in paths]
        if present:
            how = "mesh" if use_mesh else "manual"  # aligned by the detected mesh, or by manifest eyes / .tem
            cached = cache_dir() / f"gallery_{size}px_{cache_key('gallery', size, how, sorted(stamps))}.npz"
            extras = cached_arrays(cached, lambda faces: check_faces(faces, size))
            if extras is None:  # not prepared yet, or damaged (warned): prepare again
                for name, paths in present.items():  # hash every file the new cache is made from
                    verify(name, [p.relative_to(data_dir()).as_posix() for p in paths], rehash=True)
                extras = _gallery_online(present, size, use_mesh)
                try:
                    save_npz(writable_cache() / cached.name, **extras)
                except OSError:
                    pass
            out.update(extras)
    return out


def load_gallery_photos(online=True):
    """The gallery's photos at full resolution ``{name: (H, W, 3) uint8}``, upright.

    The same names as :func:`load_gallery`: the embedded ``astronaut``,
    ``chelsea`` and ``grace_hopper`` always, the downloaded extras when they are
    present and verified (never downloads). For
    :func:`~pixelfes_edu.faces.synthesize.synthesize`; animals need their eyes
    (``load_manifest()[name]["eyes"]``).

    Examples
    --------
    >>> photos = load_gallery_photos(online=False)
    >>> sorted(photos), photos["astronaut"].shape
    (['astronaut', 'chelsea', 'grace_hopper'], (512, 512, 3))
    """
    manifest, out = load_manifest(), {}
    for name, src in manifest.items():
        if src["kind"] == "embedded":
            out[name] = np.asarray(_embedded_image(src))
    if online:
        for name, paths in _present_extras(manifest).items():
            for key, path in _photo_keys(name, manifest[name], paths):
                out[key] = read_photo(path, data_source=name)
    return out
