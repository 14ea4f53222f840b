"""Pixel-RR: pixel-based ridge regression (Akram & Khan, Eqs. 3-6)."""
import numpy as np

from ..validation import check_pair, check_lam, check_values
from .base import PixelModel
from .streaming import Streaming

#: Eq. 6's sums run over blocks of this many images and values (a block of X and T stays in cache
#: while it is checked and summed: 2 x 2 MiB).
BLOCK_IMAGES, BLOCK_VALUES = 16, 16384


def solve_eq6(stats, lam):
    """Eq. 6 for every pixel at once: ``(w, b, inv)`` from the five sums and λ.

    The normal equations of Eq. 3 are the 2x2 system

        [ sxx + lam   sx      ] [w]   [ sxt ]
        [ sx          n + lam ] [b] = [ st  ]

    ``inv = (i11, i12, i22)`` are the entries of its inverse (what the
    leave-one-out hat values need).

    >>> s = {"n": 2.0, "sx": np.array(1.0), "st": np.array(1.0), "sxx": np.array(1.0), "sxt": np.array(1.0)}
    >>> w, b, _ = solve_eq6(s, 1e-9)
    >>> round(float(w), 6), round(float(b), 6)
    (1.0, 0.0)
    """
    n, sx, st, sxx, sxt = (stats[k] for k in ("n", "sx", "st", "sxx", "sxt"))
    a, c = sxx + lam, n + lam
    # a c - sx^2 and the numerators with their λ terms apart: for a pixel that never changes
    # (n sxx = sx^2) the λ terms would otherwise be lost to rounding next to n sxx
    det = np.maximum(n * sxx - sx**2, 0) + lam * (sxx + n) + lam**2
    w = (n * sxt - sx * st + lam * sxt) / det
    b = (sxx * st - sx * sxt + lam * st) / det
    return w, b, (c / det, -sx / det, a / det)


class PixelRidge(Streaming, PixelModel):
    """Pixel-based ridge regression, Pixel-RR (Eqs. 3-6).

    Each output pixel ``p`` (and channel) is ``y_p = w_p x_p + b_p``: it looks
    at the one input pixel at the same position.  ``w_p, b_p`` minimise

        J(w_p, b_p) = sum_n (t_p^n - w_p x_p^n - b_p)^2 + lam (w_p^2 + b_p^2)   (Eq. 3)

    whose normal equations are the 2x2 system of Eq. 6 (:func:`solve_eq6`),
    solved in closed form for all pixels at once.  Only five sums per pixel
    are needed (``stats_``), so a new ``lam`` is solved without the images,
    a data set of any size streams through :meth:`partial_fit` chunk by chunk
    in constant memory, and models fitted on separate chunks add up
    (``a + b``, :mod:`~pixelfes_edu.models.streaming`).

    Parameters
    ----------
    lam : float > 0
        Ridge penalty λ on both ``w`` and ``b`` (paper: 0.4).

    Attributes
    ----------
    weight_, bias_ : ndarray ``(H, W[, C])``
    stats_ : dict of the sufficient statistics ``n, sx, st, sxx, sxt``

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((50, 8, 8)); T = np.clip(0.8 * X + 0.1, 0, 1)
    >>> m = PixelRidge(lam=1e-6).fit(X, T)
    >>> round(float(m.weight_.mean()), 3), round(float(m.bias_.mean()), 3)
    (0.8, 0.1)
    >>> m.predict(X[0]).shape, m.n_params
    ((8, 8), 128)
    >>> a, b = PixelRidge(1e-6).fit(X[:20], T[:20]), PixelRidge(1e-6).partial_fit(X[20:], T[20:])
    >>> bool(np.allclose((a + b).weight_, m.weight_))
    True
    """

    def __init__(self, lam=0.4):
        self.lam = check_lam(lam)

    def partial_fit(self, X, T):
        """Add a chunk of pairs to the sums of Eq. 6 and re-solve; returns self.

        Memory grows with the chunk, not with the data: chunks can be slices
        of a memory-mapped file (``np.load(path, mmap_mode="r")``).  Chunk by
        chunk equals one :meth:`fit` on all of them.
        """
        X, T = check_pair(X, T, values=False)
        self._start_stream(X)
        Xf, Tf = X.reshape(len(X), -1), T.reshape(len(T), -1)  # (N, D) views: pixels x channels
        sums = [np.zeros(Xf.shape[1]) for _ in range(4)]  # this chunk's; stats_ changes only once all is checked
        blocks = [(slice(i, i + BLOCK_IMAGES), slice(j, j + BLOCK_VALUES))  # one trip through memory
                  for i in range(0, len(X), BLOCK_IMAGES) for j in range(0, Xf.shape[1], BLOCK_VALUES)]
        for n, d in blocks:
            try:
                x, t = check_values(Xf[n, d], "X"), check_values(Tf[n, d], "T")
            except ValueError:  # re-check whole arrays so the message gives the (n, h, w, c) index
                check_pair(X, T)
                raise
            sums[0][d] += x.sum(0)  # the sums of Eq. 6, one value per pixel and channel
            sums[1][d] += t.sum(0)
            sums[2][d] += np.einsum("nd,nd->d", x, x)
            sums[3][d] += np.einsum("nd,nd->d", x, t)
        names = ("sx", "st", "sxx", "sxt")
        self.stats_ = {"n": self.stats_["n"] + float(len(X)),
                       **{k: self.stats_[k] + s.reshape(self.input_shape_) for k, s in zip(names, sums)}}
        return self._solve()

    def _init_stats(self):
        self.stats_ = {"n": 0.0, **{k: np.zeros(self.input_shape_) for k in ("sx", "st", "sxx", "sxt")}}

    def _merge_stats(self, a, b):
        self.stats_ = {k: a.stats_[k] + b.stats_[k] for k in a.stats_}

    def _solve(self):
        self.weight_, self.bias_, _ = solve_eq6(self.stats_, self.lam)  # Eq. 6
        return self

    def predict(self, X):
        """``y_p = w_p x_p + b_p`` for every pixel (Eq. 5); output is not clipped."""
        X, single = self._prepare_predict(X)
        Y = X * self.weight_ + self.bias_
        return Y[0] if single else Y

    @property
    def n_params(self):
        """2 per pixel, per channel (Table I: 3.28e4 at 128x128)."""
        self._require_fit()
        return 2 * self.input_shape_[0] * self.input_shape_[1]

    def _state(self):
        return {"weight": self.weight_, "bias": self.bias_,
                **{f"stats_{k}": np.asarray(v) for k, v in self.stats_.items()}}

    def _load_state(self, f):
        self.weight_, self.bias_ = f["weight"], f["bias"]
        self.stats_ = {k: f[f"stats_{k}"] for k in ("n", "sx", "st", "sxx", "sxt")}
        self.stats_["n"] = float(self.stats_["n"])
