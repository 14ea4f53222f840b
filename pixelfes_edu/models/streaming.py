"""Fits that stream and merge: ``partial_fit`` adds a chunk of pairs, ``a + b`` adds two fitted models.

Pixel-RR needs five sums per pixel (Eq. 6) and MR one Gram matrix and one
right-hand side per pixel: sums over the training pairs.  Sums of disjoint
chunks add up to the sums of all of them, so

* a data set larger than memory streams through ``partial_fit`` chunk by
  chunk (e.g. slices of ``np.load(path, mmap_mode="r")``), and
* a fit is a reduce: models fitted on separate chunks (processes, machines)
  merge into the model of all the data.

With ``concurrent.futures``::

    def fit_chunk(bounds):
        X, T = np.load("X.npy", mmap_mode="r"), np.load("T.npy", mmap_mode="r")
        return PixelRidge(0.4).partial_fit(X[slice(*bounds)], T[slice(*bounds)])

    with ProcessPoolExecutor() as pool:
        model = sum(pool.map(fit_chunk, chunk_bounds))

Dask does the same with ``dask.delayed(fit_chunk)`` per chunk and a tree
reduction of ``operator.add`` over the results.  λ enters only when solving,
after the sums, so merged models are re-solved (and ``update(lam=...)`` works
on them as on any fit).  GlobalRidge and Pixel-KR keep their training values
(the dual form and a change of σ need them): they stream and merge too, but
their memory grows with N.

>>> import numpy as np
>>> from pixelfes_edu.models import PixelRidge
>>> X = np.random.default_rng(0).random((30, 4, 4))
>>> parts = [PixelRidge().fit(X[:10], X[:10]), PixelRidge().fit(X[10:], X[10:])]
>>> bool(np.allclose(sum(parts).weight_, PixelRidge().fit(X, X).weight_))
True
"""


class Streaming:
    """Mixin for :class:`~pixelfes_edu.models.base.PixelModel` subclasses whose fit is a sum over pairs.

    A subclass implements ``partial_fit`` (calling :meth:`_start_stream`
    first), ``_init_stats`` (empty statistics for ``input_shape_``) and
    ``_merge_stats(a, b)`` (this model's statistics from two fitted ones);
    ``fit`` is then :meth:`_reset` and one ``partial_fit``.
    """

    def fit(self, X, T):
        """Fit on the pairs ``(X[n], T[n])``, forgetting any earlier fit; returns self."""
        self._reset()
        return self.partial_fit(X, T)

    def _reset(self):
        """Forget what was learned (attributes ending in ``_``, and private caches of them)."""
        for k in [k for k in vars(self) if k.endswith("_") or k in self._caches]:
            delattr(self, k)

    _caches = ()  # names of private attributes derived from the learned ones

    def _start_stream(self, X):
        """Before a chunk is added: the first one sets the image shape, later ones must have it."""
        if not self._fitted:
            self._set_shape(X)
            self._init_stats()
        elif X.shape[1:] != self.input_shape_:
            raise ValueError(f"this model was fitted on images of shape {self.input_shape_}; the new chunk "
                             f"has {X.shape[1:]}: every chunk must have the same (H, W[, C])")

    def merge(self, other):
        """A new model fitted on this model's pairs and ``other``'s, from their statistics.

        Equal to one fit on both sets of pairs; ``a + b`` and ``sum(models)``
        do the same.  The result has this model's hyper-parameters (the
        statistics do not depend on λ, so ``other`` may have another λ).
        """
        if type(other) is not type(self):
            raise ValueError(f"cannot merge a {type(self).__name__} with a {type(other).__name__}")
        self._require_fit()
        other._require_fit()
        if other.input_shape_ != self.input_shape_:
            raise ValueError(f"cannot merge models fitted on images of shape {self.input_shape_} "
                             f"and {other.input_shape_}")
        merged = type(self)(**self.get_params())
        merged.input_shape_ = self.input_shape_
        merged._merge_stats(self, other)
        return merged._solve()

    def __add__(self, other):
        return self.merge(other)

    def __radd__(self, other):
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:  # sum(models) starts at 0
            return self
        return NotImplemented
