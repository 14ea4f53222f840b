"""Pixel-KR: pixel-based kernel ridge regression (Akram & Khan, Eqs. 7-16)."""
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..validation import check_allocation, check_choice, check_images, check_pair, check_positive
from .base import PixelModel

#: Pixels processed at once (bounds memory, see PixelKernelRidge).
_BYTES_PER_BATCH = 8 * 2**20
#: Smallest σ: the finite basis reproduces the kernel to 1e-12 from here up (tested), and its rank
#: (about 4/σ) stays small enough to fit 128x128x3 faces in seconds.
MIN_SIGMA = 0.05


def gaussian_kernel(a, b, sigma):
    """Eq. 12: ``k(a, b) = exp(-(a - b)^2 / (2 sigma^2))``, elementwise with broadcasting."""
    return np.exp(-((a - b) ** 2) / (2.0 * sigma**2))


class MercerBasis:
    """Exact finite feature map of the 1-D Gaussian kernel on the pixel range.

    Every pixel's inputs are scalars in about [0, 1].  On an interval the
    Gaussian kernel has only a few non-negligible eigenvalues, so with ``m``
    Chebyshev nodes ``z`` and ``F = U diag(s)^-1/2`` from ``k(z, z) = U diag(s) U^T``,
    ``phi(x) = k(x, z) F`` reproduces ``k(x, x') = phi(x) . phi(x')`` to
    floating-point precision (``|error| < 1e-12`` for sigma >= 0.05, tested).  The
    same basis serves every pixel, which is what makes Pixel-KR vectorise.
    """

    def __init__(self, sigma, lo=-0.1, hi=1.1):
        m = int(np.ceil(4.0 / sigma)) + 12  # enough nodes for the rank to saturate (tested)
        k = np.arange(m)
        self.nodes = (lo + hi) / 2 + (hi - lo) / 2 * np.cos(np.pi * (k + 0.5) / m)
        s, U = np.linalg.eigh(gaussian_kernel(self.nodes[:, None], self.nodes[None, :], sigma))
        keep = s > s.max() * 1e-14
        self.F = U[:, keep] / np.sqrt(s[keep])
        self.sigma = sigma
        self.rank = int(keep.sum())

    def __call__(self, x):
        """Features ``(..., rank)`` of the values ``x``."""
        return gaussian_kernel(x[..., None], self.nodes, self.sigma) @ self.F

    @property
    def n_nodes(self):
        return len(self.nodes)


class PixelKernelRidge(PixelModel):
    """Pixel-based kernel ridge regression, Pixel-KR (Eqs. 7-16).

    For every pixel ``p`` (and channel), with the ``N`` training values
    ``x_p^n`` and targets ``t_p = (t_p^1 ... t_p^N)``:

        K_p[n, m] = k(x_p^n, x_p^m),  k(a, b) = exp(-(a-b)^2 / (2 sigma^2))   (Eq. 12)
        c_p = t_p (K_p + lam I)^-1                                          (Eq. 14)
        y_p = c_p kappa_p(x),  kappa_p(x)[n] = k(x_p^n, x_p)                (Eqs. 15-16)

    This is exact kernel ridge regression per pixel.  Two solvers give the
    same numbers (tested against a brute-force ``np.linalg.solve`` per pixel):

    * ``"direct"`` builds every ``K_p`` and solves Eq. 14 literally (batched
      over pixels).  Memory and time grow with ``N^2`` and ``N^3``: for teaching
      and small ``N``.
    * ``"features"`` writes the kernel exactly as ``k(a, b) = phi(a) . phi(b)``
      with a finite basis of rank ``r`` (about 6 for sigma=3, 37 for sigma=0.1),
      shared by all pixels.  By the push-through identity
      ``t (Phi Phi^T + lam I)^-1 Phi = t Phi (Phi^T Phi + lam I)^-1`` the N x N
      solve of Eq. 14 becomes an r x r one per pixel.  The r x r matrices are
      kept, so a new λ costs one small solve per pixel and no kernel
      evaluations (``update(lam=...)``).
      ``coef_`` still returns the N dual coefficients of Eq. 14.

    ``"auto"`` (default) uses features unless the basis rank reaches ``N``.

    Parameters
    ----------
    lam : float > 0
        Ridge penalty λ (paper: 0.4).
    sigma : float > 0
        Kernel width σ in units of pixel intensity (paper: 3 for happy, 10 for
        other expressions; small σ gives artefacts, large σ approaches Pixel-RR).
    solver : {"auto", "features", "direct"}

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((30, 6, 6)); T = X ** 2
    >>> k = PixelKernelRidge(lam=1e-3, sigma=0.5).fit(X, T)
    >>> bool(np.abs(k.predict(X) - T).max() < 0.05), k.n_params
    (True, 1080)
    """

    _hyper = ("lam", "sigma", "solver")

    def __init__(self, lam=0.4, sigma=1.0, solver="auto"):
        self.lam = check_positive("lam", lam)
        self.sigma = check_positive("sigma", sigma)
        if self.sigma < MIN_SIGMA:
            raise ValueError(f"sigma must be >= {MIN_SIGMA} (the kernel's exact finite basis needs about "
                             f"4/σ + 12 nodes, {int(4 / self.sigma) + 12:,} at σ = {self.sigma:g}); the paper "
                             "sweeps σ from 0.1 to 5")
        self.solver = check_choice("solver", solver, ("auto", "features", "direct"))

    # -- fitting -----------------------------------------------------------
    def fit(self, X, T):
        X, T = check_pair(X, T)
        self._set_shape(X)
        self.X_ = X.reshape(len(X), -1)  # (N, D): column d is one pixel-channel's training inputs
        self.T_ = T.reshape(len(T), -1)
        return self._factorise()

    def _factorise(self):
        """The expensive, λ-independent part: depends on X_, T_ and σ only."""
        N = len(self.X_)
        self.basis_ = MercerBasis(self.sigma)
        self.solver_ = self.solver
        if self.solver == "auto":
            self.solver_ = "features" if self.basis_.rank < N else "direct"
        if self.solver_ == "features":
            r, D = self.basis_.rank, self.X_.shape[1]
            check_allocation(8 * D * (r * r + 2 * r), f"Pixel-KR's per-pixel {r}x{r} systems (σ = {self.sigma:g}, "
                             f"{D:,} pixel-channels)", "use a larger σ or smaller images")
            self.gram_ = np.empty((D, r, r))  # per pixel: Phi^T Phi
            self.rhs_ = np.empty((D, r))  # per pixel: Phi^T t

            def accumulate(sl):
                Phi = self.basis_(self.X_[:, sl].T)  # (B, N, r): features of every training value
                PhiT = Phi.transpose(0, 2, 1)
                self.gram_[sl] = PhiT @ Phi
                self.rhs_[sl] = (PhiT @ self.T_[:, sl].T[:, :, None])[..., 0]

            self._each_batch(accumulate, N * (self.basis_.n_nodes + r) + 2 * r * r)
        else:
            self._coef = self._direct_coef()
        return self._solve()

    def _batches(self, floats_per_pixel):
        D = self.X_.shape[1]
        step = max(1, _BYTES_PER_BATCH // (8 * floats_per_pixel))
        return (slice(i, min(i + step, D)) for i in range(0, D, step))

    def _each_batch(self, work, floats_per_pixel):
        """Run ``work(slice)`` over pixel batches on every core (numpy releases the GIL)."""
        with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
            list(pool.map(work, self._batches(floats_per_pixel)))

    def _direct_coef(self):
        """Eq. 14 literally: c_p = t_p (K_p + lam I)^-1 for every pixel, batched."""
        N, D = self.X_.shape
        coef = np.empty((N, D))
        for sl in self._batches(2 * N * N):
            x = self.X_[:, sl].T  # (B, N)
            K = gaussian_kernel(x[:, :, None], x[:, None, :], self.sigma)  # Eq. 12, (B, N, N)
            K[:, np.arange(N), np.arange(N)] += self.lam
            coef[:, sl] = np.linalg.solve(K, self.T_[:, sl].T[:, :, None])[..., 0].T  # K symmetric
        return coef

    def _solve(self):
        if self.solver_ == "features":
            # a_p = (Phi^T Phi + lam I)^-1 Phi^T t_p : the r x r form of Eq. 14 (push-through)
            r = self.basis_.rank
            self.primal_ = np.empty_like(self.rhs_)
            for sl in self._batches(2 * r * r):  # in cache-sized batches: no D x r x r temporary
                A = self.gram_[sl] + self.lam * np.eye(r)
                self.primal_[sl] = np.linalg.solve(A, self.rhs_[sl, :, None])[..., 0]
            self.__dict__.pop("_coef", None)
        return self

    def _refresh(self, changed):
        """After ``update``: a new σ (or solver) rebuilds the basis from the stored training values
        ``X_``, ``T_``; a new λ alone re-uses the per-pixel r x r matrices (one small solve per
        pixel, no kernel evaluations)."""
        if changed & {"sigma", "solver"}:
            self._factorise()
        elif self.solver_ == "direct":
            self._coef = self._direct_coef()
        self._solve()

    # -- results -----------------------------------------------------------
    @property
    def coef_(self):
        """Dual coefficients ``c_p`` of Eq. 14, shape ``(N, H, W[, C])``."""
        self._require_fit()
        if getattr(self, "_coef", None) is None:
            # push-through: (Phi Phi^T + lam I) c = t  =>  c = (t - Phi a) / lam
            coef = np.empty_like(self.T_)
            for sl in self._batches((self.basis_.n_nodes + self.basis_.rank) * len(self.X_)):
                fitted = np.einsum("bnr,br->nb", self.basis_(self.X_[:, sl].T), self.primal_[sl])
                coef[:, sl] = (self.T_[:, sl] - fitted) / self.lam
            self._coef = coef
        return self._coef.reshape((-1,) + self.input_shape_)

    def predict(self, X):
        """``y_p = c_p kappa_p(x_p)`` for every pixel (Eqs. 15-16); not clipped."""
        X, single = self._prepare_predict(X)
        x = X.reshape(len(X), -1)
        Y = np.empty_like(x)
        if self.solver_ == "features":
            def predict(sl):
                Y[:, sl] = np.einsum("mdr,dr->md", self.basis_(x[:, sl]), self.primal_[sl])

            self._each_batch(predict, (self.basis_.n_nodes + self.basis_.rank) * len(x))
        else:
            N = len(self.X_)
            for sl in self._batches(N * len(x)):
                kappa = gaussian_kernel(self.X_[:, None, sl], x[None, :, sl], self.sigma)  # (N, M, B)
                Y[:, sl] = np.einsum("nb,nmb->mb", self._coef[:, sl], kappa)
        Y = Y.reshape(X.shape)
        return Y[0] if single else Y

    def to_lut(self):
        """Compile to a per-pixel lookup table over the 256 levels of 8-bit input.

        ``table[l] = predict(l / 255)`` for every pixel: exact for inputs on the
        8-bit grid, predicted by a gather instead of N kernel evaluations.

        >>> X = np.random.default_rng(0).integers(0, 256, (20, 4, 4)) / 255
        >>> k = PixelKernelRidge(sigma=0.5).fit(X, X)
        >>> lut = k.to_lut()
        >>> bool(np.allclose(lut.predict(X), k.predict(X))), lut.n_params
        (True, 4096)
        """
        self._require_fit()
        levels = np.arange(256) / 255.0
        return PixelLUT(self.predict(np.broadcast_to(levels.reshape((256,) + (1,) * len(self.input_shape_)),
                                                      (256,) + self.input_shape_)))

    @property
    def n_params(self):
        """N dual coefficients per pixel, per channel (Table I: 655e4 at N=400, 128x128)."""
        self._require_fit()
        return len(self.X_) * self.input_shape_[0] * self.input_shape_[1]

    def _state(self):
        state = {"X": self.X_, "T": self.T_}
        if self.solver_ == "features":
            state["primal"] = self.primal_
        else:
            state["coef"] = self._coef
        return state

    def _load_state(self, f):
        self.X_, self.T_ = f["X"], f["T"]
        self.basis_ = MercerBasis(self.sigma)
        if "primal" in f:
            self.solver_, self.primal_ = "features", f["primal"]
        else:
            self.solver_, self._coef = "direct", f["coef"]

    def __getattr__(self, name):
        # the r x r systems are not saved: rebuild them on first use after load_model
        if name in ("gram_", "rhs_") and "X_" in self.__dict__:
            self._factorise()
            return self.__dict__[name]
        raise AttributeError(name)


class PixelLUT:
    """A per-pixel lookup table ``table_[level, h, w(, c)]`` over 8-bit input levels.

    Made by :meth:`PixelKernelRidge.to_lut`.  ``predict`` accepts uint8 images
    or floats that lie on the 8-bit grid (``k / 255``) and gathers one value
    per pixel.
    """

    def __init__(self, table):
        self.table_ = np.asarray(table, dtype=np.float64)
        self.input_shape_ = self.table_.shape[1:]

    def predict(self, X):
        X = np.asarray(X)
        single = X.shape == self.input_shape_
        X = X[None] if single else X
        if X.shape[1:] != self.input_shape_:
            raise ValueError(f"the table is for images of shape {self.input_shape_}, got {X.shape[1:]}")
        if X.dtype == np.uint8:
            level = X
        else:
            X = check_images(X, "X")
            level = np.rint(X * 255)
            if np.abs(X * 255 - level).max() > 1e-6 or level.min() < 0 or level.max() > 255:
                raise ValueError("X is not on the 8-bit grid (values k/255): use the exact model's predict")
            level = level.astype(np.intp)
        flat = level.reshape(len(X), -1)
        Y = self.table_.reshape(256, -1)[flat, np.arange(flat.shape[1])].reshape(X.shape)  # the gather
        return Y[0] if single else Y

    @property
    def n_params(self):
        """256 entries per pixel, per channel."""
        return 256 * self.input_shape_[0] * self.input_shape_[1]

    @property
    def nbytes(self):
        return self.table_.nbytes
