"""pixelfes_edu — teach and explore pixel-based facial expression synthesis.

Every output pixel is predicted from the ONE input pixel at the same position
(Akram & Khan, "Pixel-based Facial Expression Synthesis").

>>> import pixelfes_edu as pfe
>>> pairs = pfe.load_pairs("synthetic", n=40, size=32, seed=0)     # doctest: +SKIP
>>> model = pfe.PixelRidge(lam=0.4).fit(pairs.inputs, pairs.targets)  # doctest: +SKIP

The layers, lowest first (each imports only those below it):

=========================  ===============================================================
``validation``, ``models``  input checks and the numpy core (numpy only)
``store``                   the data manifest, verified downloads, caches, atomic writes
``faces``                   photos, canonical geometry, landmarks, alignment, registration
``data``                    paired data sets (London, synthetic, manual) and the gallery
``evaluation``, ``plotting``  metrics, cross-validation, leave-one-out, report; figures
``explore``                 the ipywidgets explorers of the notebooks
``cli``                     the ``pixelfes-edu`` command
=========================  ===============================================================

The numpy core is imported eagerly; everything that pulls in scikit-image,
matplotlib or ipywidgets is imported on first use.
"""
from importlib import import_module

from .models import (FORMAT_VERSION, GlobalRidge, MaskedRidge, NotFittedError, PixelKernelRidge, PixelRidge,
                     SparseFieldRidge, load_model)

__version__ = "0.1.0"

# public name -> module that defines it (imported on first use, PEP 562)
_LAZY = {
    "load_pairs": "data",
    "load_gallery": "data",
    "Pairs": "data",
    "synthetic_pairs": "data",
    "synthetic_face": "data",
    "fetch": "store",
    "align_face": "faces",
    "read_photo": "faces",
    "detect_landmarks": "faces",
    "synthesize": "faces",
    "FaceNotFoundError": "faces",
    "evaluate": "evaluation",
    "apply_intensity": "evaluation",
    "metrics": "evaluation",
}
_SUBPACKAGES = ("validation", "models", "store", "faces", "data", "evaluation", "plotting", "explore", "cli")


def __getattr__(name):
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    if name in _SUBPACKAGES:
        return import_module(f".{name}", __name__)
    raise AttributeError(f"module 'pixelfes_edu' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY) + list(_SUBPACKAGES))


__all__ = [
    "PixelRidge",
    "PixelKernelRidge",
    "MaskedRidge",
    "GlobalRidge",
    "SparseFieldRidge",
    "load_model",
    "NotFittedError",
    "FORMAT_VERSION",
    *_LAZY,
]
