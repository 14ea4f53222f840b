"""The numpy core: Pixel-RR, Pixel-KR, masked regression, global ridge and sparse fields.

One module per model family, so each sits beside its equations:
``pixel_ridge.py`` (Eqs. 3-6), ``kernel_ridge.py`` (Eqs. 7-16),
``masked_ridge.py`` (MR), ``global_ridge.py`` (Eqs. 1-2), ``sparse_field.py``
(LSRF-style sparse receptive fields, Eq. 6 with shifted sums); ``base.py`` holds
the shared contract, ``update`` and the ``.npz`` format.

Every model maps a batch of neutral faces ``X`` to expressive faces ``T``,
both float arrays ``(N, H, W)`` or ``(N, H, W, C)`` in [0, 1].  Channels are
independent models.  Equation numbers refer to Akram & Khan, "Pixel-based
Facial Expression Synthesis".

====================  ===================================================  =========
model                 output pixel p sees                                  equations
====================  ===================================================  =========
``PixelRidge``        the one input pixel at p, linearly                   3-6
``PixelKernelRidge``  the one input pixel at p, through a Gaussian kernel  7-16
``MaskedRidge``       the r x r input patch centred on p                   MR [Khan]
``GlobalRidge``       every input pixel                                    1-2
``SparseFieldRidge``  n_pixels input pixels it chooses near p              LSRF [Akram]
====================  ===================================================  =========

All of them share one contract (scikit-learn style): hyper-parameters in
``__init__``, ``fit(X, T)`` returns self, learned arrays end in ``_``,
``predict(X)`` returns the shape of its input, ``update(lam=...)`` re-solves a
fitted model for new hyper-parameters from stored statistics (no pass over the
images: this is what makes sliders instant), ``n_params`` follows the paper's
Table I (per channel), ``save(path)`` / :func:`load_model`.

This package imports numpy only (and the standard library).
"""
from .base import FORMAT_VERSION, MODEL_KINDS, PAPER_LAM, PAPER_SIGMA, NotFittedError, PixelModel, load_model
from .global_ridge import GlobalRidge, predict_dual, solve_dual
from .kernel_ridge import (MAX_SIGMA, MIN_SIGMA, MercerBasis, PixelKernelRidge, PixelLUT, gaussian_kernel, predict_eq16,
                           solve_eq14, solve_eq14_features)
from .masked_ridge import MaskedRidge, solve_masked
from .pixel_ridge import PixelRidge, solve_eq6
from .sparse_field import SparseFieldRidge

__all__ = [
    "PixelRidge", "PixelKernelRidge", "MaskedRidge", "GlobalRidge", "PixelLUT", "load_model",
    "PixelModel", "NotFittedError", "FORMAT_VERSION", "MODEL_KINDS", "MIN_SIGMA", "MAX_SIGMA", "MercerBasis",
    "gaussian_kernel", "solve_eq6", "PAPER_LAM", "PAPER_SIGMA", "SparseFieldRidge",
    "solve_dual", "predict_dual", "solve_eq14", "predict_eq16", "solve_eq14_features", "solve_masked",
]
