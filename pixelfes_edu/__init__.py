"""pixelfes_edu — teach and explore pixel-based facial expression synthesis.

Every output pixel is predicted from the ONE input pixel at the same position
(Akram & Khan, "Pixel-based Facial Expression Synthesis").

>>> import pixelfes_edu as pfe
>>> pairs = pfe.load_pairs("synthetic", n=40, size=32, seed=0)     # doctest: +SKIP
>>> model = pfe.PixelRidge(lam=0.4).fit(pairs.inputs, pairs.targets)  # doctest: +SKIP

The numpy core (``models``) is imported eagerly; everything that pulls in
scikit-image, matplotlib or ipywidgets is imported on first use.
"""
from importlib import import_module

from .models import (
    FORMAT_VERSION,
    GlobalRidge,
    MaskedRidge,
    PixelKernelRidge,
    PixelRidge,
    load_model,
)

__version__ = "0.1.0"

# public name -> module that defines it (imported lazily, PEP 562)
_LAZY = {
    "load_pairs": "datasets",
    "load_gallery": "datasets",
    "fetch": "datasets",
    "Pairs": "pairs",
    "synthetic_pairs": "synthetic",
    "synthetic_face": "synthetic",
    "align_face": "align",
    "evaluate": "evaluation",
    "apply_intensity": "metrics",
}


def __getattr__(name):
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'pixelfes_edu' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY))


__all__ = [
    "PixelRidge",
    "PixelKernelRidge",
    "MaskedRidge",
    "GlobalRidge",
    "load_model",
    "FORMAT_VERSION",
    *_LAZY,
]
