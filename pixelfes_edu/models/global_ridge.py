"""Ridge regression over all pixels (Eqs. 1-2), in its dual form."""
import numpy as np

from ..validation import check_pair, check_lam
from .base import PixelModel
from .streaming import Streaming


def solve_dual(eigval, eigvec, T, lam):
    """Eq. 2 in dual form: the coefficients ``(X X^T + λI)^-1 T``, from ``X X^T = V diag(e) V^T``.

    With images as rows of ``X`` (N x D) and ``T``, ``W = T^T X (X^T X + λI)^-1``
    (Eq. 2) equals ``T^T (X X^T + λI)^-1 X``: only the N x N Gram matrix is
    inverted, and its eigendecomposition makes every λ one division.
    Broadcasts over a leading channel axis.

    >>> rng = np.random.default_rng(0); X, T = rng.random((4, 9)), rng.random((4, 9))
    >>> e, V = np.linalg.eigh(X @ X.T)
    >>> bool(np.allclose(solve_dual(e, V, T, 0.4), np.linalg.solve(X @ X.T + 0.4 * np.eye(4), T)))
    True
    """
    return (eigvec / (eigval + lam)[..., None, :]) @ eigvec.swapaxes(-1, -2) @ T


def predict_dual(X, dual, x):
    """``W x`` of Eq. 2 without ``W``: ``dual^T (X x)``, the training images weighted by their similarity to ``x``.

    ``X`` ``(..., N, D)`` training images, ``dual`` ``(..., N, D)`` from :func:`solve_dual`, ``x`` ``(..., M, D)``.

    >>> rng = np.random.default_rng(0); X, T, x = rng.random((4, 9)), rng.random((4, 9)), rng.random((2, 9))
    >>> W = T.T @ X @ np.linalg.inv(X.T @ X + 0.4 * np.eye(9))                  # Eq. 2, D x D
    >>> e, V = np.linalg.eigh(X @ X.T)
    >>> bool(np.allclose(predict_dual(X, solve_dual(e, V, T, 0.4), x), x @ W.T))
    True
    """
    return (x @ X.swapaxes(-1, -2)) @ dual


class GlobalRidge(Streaming, PixelModel):
    """Ridge regression over all pixels (Eqs. 1-2): every output pixel sees every input pixel.

        min_W ||T - W X||^2 + lam ||W||^2   =>   W = T^T X (X^T X + lam I)^-1      (Eq. 2)

    with images as columns of length D = H*W (per channel).  ``W`` is D x D
    (2.7e8 numbers at 128x128), so it is never built: the dual form

        W x = T^T (X X^T + lam I)^-1 X x

    needs only the N x N Gram matrix ``X X^T``.  Its eigendecomposition is kept,
    so a new λ costs O(N^2 D).  The dual form predicts with combinations of
    the training images, so they are kept too: :meth:`partial_fit` and ``+``
    work, but memory grows with N.

    Examples
    --------
    >>> X = np.random.default_rng(0).random((10, 6, 6))
    >>> g = GlobalRidge(lam=0.4).fit(X, X)
    >>> g.predict(X).shape, g.n_params
    ((10, 6, 6), 1296)
    """

    def __init__(self, lam=0.4):
        self.lam = check_lam(lam)

    def partial_fit(self, X, T):
        """Append a chunk of pairs and re-solve; returns self.

        No statistic of fixed size replaces the images here (the primal
        ``X^T X`` is D x D, 2.7e8 numbers per channel at 128x128), so the model
        keeps every image.  A chunk adds only its rows and columns to the Gram
        matrix ``X X^T`` (O(N_new N D)); the N x N eigendecomposition is redone.
        """
        X, T = check_pair(X, T)
        self._start_stream(X)
        C = self.n_channels
        self._append(_channels_first(X, C), _channels_first(T, C))  # (C, n, D): one row per image and channel
        return self._solve()

    def _init_stats(self):
        C, D = self.n_channels, self.input_shape_[0] * self.input_shape_[1]
        self.X_, self.T_, self.gram_ = np.zeros((C, 0, D)), np.zeros((C, 0, D)), np.zeros((C, 0, 0))

    def _append(self, X, T):
        """Add images ``(C, n, D)`` and their targets: the new blocks of ``X X^T``, then its eigendecomposition."""
        cross = X @ self.X_.transpose(0, 2, 1)  # (C, n, N): the new images against the stored ones
        self.gram_ = np.concatenate([np.concatenate([self.gram_, cross.transpose(0, 2, 1)], 2),
                                     np.concatenate([cross, X @ X.transpose(0, 2, 1)], 2)], 1)
        self.X_, self.T_ = np.concatenate([self.X_, X], 1), np.concatenate([self.T_, T], 1)
        self.eigval_, self.eigvec_ = np.linalg.eigh(self.gram_)

    def _merge_stats(self, a, b):
        self.X_, self.T_, self.gram_ = a.X_, a.T_, a.gram_
        self._append(b.X_, b.T_)

    def _factorise(self):
        self.gram_ = self.X_ @ self.X_.transpose(0, 2, 1)  # X X^T per channel, (C, N, N)
        self.eigval_, self.eigvec_ = np.linalg.eigh(self.gram_)

    def _solve(self):
        self.dual_ = solve_dual(self.eigval_, self.eigvec_, self.T_, self.lam)  # (C, N, D), Eq. 2
        return self

    def predict(self, X):
        X, single = self._prepare_predict(X)
        Y = predict_dual(self.X_, self.dual_, _channels_first(X, len(self.X_)))  # (C, M, D)
        Y = np.moveaxis(Y, 0, -1).reshape(X.shape)
        return Y[0] if single else Y

    @property
    def n_params(self):
        """(H*W)^2 per channel: the primal W of Eq. 2 (never built)."""
        self._require_fit()
        return (self.input_shape_[0] * self.input_shape_[1]) ** 2

    def _state(self):
        return {"X": self.X_, "T": self.T_}

    def _load_state(self, f):
        self.X_, self.T_ = f["X"], f["T"]
        self._factorise()
        self._solve()


def _channels_first(X, C):
    """``(N, H, W[, C])`` -> contiguous ``(C, N, H*W)``."""
    return np.ascontiguousarray(np.moveaxis(X.reshape(len(X), -1, C), -1, 0))
