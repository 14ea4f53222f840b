"""Per-image normalisation around any model: scale inputs and targets before fitting, undo it after."""
import numpy as np

from ..validation import check_images
from . import metrics
from .crossval import clone

__all__ = ["Normalised"]


class Normalised:
    """A model fitted on per-image normalised faces; predictions are mapped back.

    ``fit`` scales every input and every target by its own statistics
    (:func:`pixelfes_edu.evaluation.metrics.normalise_images`); ``predict`` scales the
    input, predicts, and undoes the scaling with the *input's* statistics.

    Parameters
    ----------
    model : an unfitted pixelfes_edu model
    method : ``"minmax"`` (the authors' code), ``"meanstd"`` or ``"none"``

    Examples
    --------
    >>> import pixelfes_edu as pfe
    >>> X = np.random.default_rng(0).random((10, 8, 8)) * 0.5 + 0.2
    >>> m = Normalised(pfe.PixelRidge(lam=1e-6), "minmax").fit(X, X)
    >>> bool(np.allclose(m.predict(X), X, atol=1e-4)), m.n_params
    (True, 128)
    """

    def __init__(self, model, method="minmax"):
        if method not in metrics.NORMALISATIONS:
            raise ValueError(f"unknown normalisation {method!r}; use one of {metrics.NORMALISATIONS}")
        self.model, self.method = model, method

    def get_params(self):
        return {"model": clone(self.model), "method": self.method}

    def fit(self, X, T):
        X, T = check_images(X, "X"), check_images(T, "T")
        self.model.fit(metrics.normalise_images(X, self.method)[0], metrics.normalise_images(T, self.method)[0])
        return self

    def predict(self, X):
        X = check_images(np.asarray(X), "X", ndim=(2, 3, 4))
        single = X.ndim == len(self.model.input_shape_)
        Xb = X[None] if single else X
        Xn, params = metrics.normalise_images(Xb, self.method)
        Y = metrics.denormalise_images(self.model.predict(Xn), params)
        return Y[0] if single else Y

    @property
    def n_params(self):
        return self.model.n_params

    def __repr__(self):
        return f"Normalised({self.model!r}, method={self.method!r})"
