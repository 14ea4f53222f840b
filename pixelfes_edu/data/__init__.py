"""Data sets of aligned face pairs: London, synthetic, the licensed sets you own, and the gallery.

=======================================  =================================================
module                                   what
=======================================  =================================================
:mod:`~pixelfes_edu.data.pairs`          ``Pairs``: the one object every source returns
:mod:`~pixelfes_edu.data.load`           ``load_pairs``: one loader for every paired source
:mod:`~pixelfes_edu.data.london`         Face Research Lab London Set (download, CC BY 4.0)
:mod:`~pixelfes_edu.data.manual`         KDEF, RaFD, CFEE, Bosphorus from a folder you own
:mod:`~pixelfes_edu.data.synthetic`      generated faces (the offline default)
:mod:`~pixelfes_edu.data.gallery`        out-of-dataset faces (embedded and downloaded)
:mod:`~pixelfes_edu.data.prepare`        reading and aligning pairs, in parallel
:mod:`~pixelfes_edu.data.cache`          prepared arrays, keyed by what they were made from
=======================================  =================================================

>>> import pixelfes_edu as pfe
>>> p = pfe.load_pairs("auto", size=64)          # doctest: +SKIP
>>> print(p.source)                              # doctest: +SKIP
Face Research Lab London Set (CC BY 4.0)
"""
from .expressions import normalise_expression
from .gallery import load_gallery, load_gallery_photos
from .load import PAIRED_SOURCES, SOURCE_OPTIONS, load_pairs
from .london import london_available
from .manual import MANUAL_SOURCES, scan_manual
from .pairs import Pairs
from .prepare import MismatchedPairsError
from .synthetic import synthetic_face, synthetic_pairs

__all__ = ["load_pairs", "load_gallery", "load_gallery_photos", "Pairs", "PAIRED_SOURCES", "SOURCE_OPTIONS", "MANUAL_SOURCES",
           "london_available", "scan_manual", "normalise_expression", "synthetic_pairs", "synthetic_face",
           "MismatchedPairsError"]
