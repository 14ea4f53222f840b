"""The numpy core: Pixel-RR, Pixel-KR, masked regression and global ridge.

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
====================  ===================================================  =========

All four share one contract (scikit-learn style): hyper-parameters in
``__init__``, ``fit(X, T)`` returns self, learned arrays end in ``_``,
``predict(X)`` returns the shape of its input, ``update(lam=...)`` re-solves a
fitted model for new hyper-parameters from stored statistics (no pass over the
images: this is what makes sliders instant), ``n_params`` follows the paper's
Table I (per channel), ``save(path)`` / :func:`load_model`.

This module imports numpy only (and the standard library).
"""
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

#: Version of the ``.npz`` model format written by ``save``.
FORMAT_VERSION = 1
#: How far outside [0, 1] inputs may stray (interpolation overshoot) before we refuse them.
RANGE_TOLERANCE = 0.05
#: Pixels processed at once by the kernel model (bounds memory, see PixelKernelRidge).
_KR_BYTES_PER_BATCH = 8 * 2**20


class NotFittedError(ValueError):
    """Raised when ``predict``/``update``/``save`` is called before ``fit``."""


# --------------------------------------------------------------------------- checks
def _check_positive(name, value):
    if not (np.isscalar(value) and np.isreal(value) and np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def check_images(X, name="X", ndim=(3, 4), values=True):
    """Validate a batch of images and return it as float64.

    Refuses integer arrays (8-bit images must be scaled to [0, 1] first),
    wrong dimensions, and (unless ``values=False``, for callers that check
    values chunk by chunk with :func:`check_values`) NaN/inf and values
    outside [0, 1] by more than ``RANGE_TOLERANCE``.

    >>> check_images(np.zeros((2, 4, 4))).dtype
    dtype('float64')
    >>> check_images(np.full((2, 4, 4), 255.0))
    Traceback (most recent call last):
    ...
    ValueError: X has values in [255, 255], outside [0, 1]: ...
    """
    X = np.asarray(X)
    if X.dtype.kind != "f":
        hint = " (8-bit images: use skimage.util.img_as_float or divide by 255)" if X.dtype.kind in "ui" else ""
        raise ValueError(f"{name} must be a float array in [0, 1], got dtype {X.dtype}{hint}")
    if X.ndim not in ndim:
        raise ValueError(
            f"{name} must have {' or '.join(map(str, ndim))} dimensions "
            f"((N, H, W) or (N, H, W, C)), got shape {X.shape}"
        )
    if X.size == 0:
        raise ValueError(f"{name} is empty (shape {X.shape})")
    X = X.astype(np.float64, copy=False)
    return check_values(X, name) if values else X


def check_values(X, name="X"):
    """Refuse NaN/inf and values outside [0, 1] by more than ``RANGE_TOLERANCE``; return X."""
    lo, hi = X.min(), X.max()  # NaN and inf propagate into min/max: one pass checks all three
    if not (np.isfinite(lo) and np.isfinite(hi)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(X))[0])
        raise ValueError(f"{name} contains NaN or inf (first at index {bad}); clean or drop those images")
    if lo < -RANGE_TOLERANCE or hi > 1 + RANGE_TOLERANCE:
        raise ValueError(
            f"{name} has values in [{lo:.3g}, {hi:.3g}], outside [0, 1]: "
            f"scale images to [0, 1] first (8-bit: divide by 255); tolerance is ±{RANGE_TOLERANCE}"
        )
    return X


def _check_pair(X, T, values=True):
    X, T = check_images(X, "X", values=values), check_images(T, "T", values=values)
    if len(X) != len(T):
        raise ValueError(f"X has {len(X)} images but T has {len(T)}: input i must pair with target i")
    if X.shape != T.shape:
        raise ValueError(f"X images {X.shape[1:]} and T images {T.shape[1:]} differ in size or channels")
    return X, T


# --------------------------------------------------------------------------- base class
class _PixelModel:
    """Shared plumbing: shapes, prediction-input checks, save/load."""

    _hyper = ("lam",)  # hyper-parameter names, saved with the model

    def _set_shape(self, X):
        self.input_shape_ = X.shape[1:]  # (H, W) or (H, W, C)

    @property
    def _fitted(self):
        return hasattr(self, "input_shape_")

    def _require_fit(self):
        if not self._fitted:
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit(X, T) first")

    @property
    def n_channels(self):
        self._require_fit()
        return self.input_shape_[2] if len(self.input_shape_) == 3 else 1

    def _prepare_predict(self, X):
        """Return (batch as float64 (M, H, W[, C]), was_single_image)."""
        self._require_fit()
        X = np.asarray(X)
        single = X.shape == self.input_shape_
        X = check_images(X[None] if single else X, "X")
        if X.shape[1:] != self.input_shape_:
            raise ValueError(
                f"this model was fitted on images of shape {self.input_shape_} "
                f"(H, W[, C]); got {X.shape[1:]}: resize/align images to the training size"
            )
        return X, single

    def update(self, lam):
        """Re-solve a fitted model for a new λ from its stored statistics (no pass over the images).

        Pixel-RR keeps the five sums of Eq. 6, MR the per-pixel Gram matrices,
        GlobalRidge the eigendecomposition of ``X X^T``.
        """
        self._require_fit()
        self.lam = _check_positive("lam", lam)
        return self._solve()

    def get_params(self):
        return {k: getattr(self, k) for k in self._hyper}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # persistence --------------------------------------------------------
    def _state(self):
        """Learned arrays to save (name -> ndarray)."""
        raise NotImplementedError

    def save(self, path):
        """Save to ``.npz`` with the format version, kind and hyper-parameters."""
        self._require_fit()
        np.savez_compressed(
            path,
            format_version=FORMAT_VERSION,
            kind=type(self).__name__,
            input_shape=np.array(self.input_shape_),
            **{f"hyper_{k}": v for k, v in self.get_params().items()},
            **self._state(),
        )
        return path


def load_model(path):
    """Load a model written by ``save``.

    Raises ``ValueError`` for files of another format version or kind.

    >>> import tempfile, os
    >>> X = np.random.default_rng(0).random((5, 4, 4))
    >>> m = PixelRidge(lam=0.4).fit(X, X)
    >>> p = m.save(os.path.join(tempfile.mkdtemp(), "m.npz"))
    >>> np.allclose(load_model(p).predict(X), m.predict(X))
    True
    """
    try:
        f = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise ValueError(f"{path} is not a pixelfes_edu model file (.npz): {e}") from e
    with f:
        if "format_version" not in f or "kind" not in f:
            raise ValueError(f"{path} is not a pixelfes_edu model file (no format_version/kind)")
        version = int(f["format_version"])
        if version != FORMAT_VERSION:
            raise ValueError(
                f"{path} has model format version {version}; this pixelfes_edu reads version "
                f"{FORMAT_VERSION}: refit the model and save it again"
            )
        kind = str(f["kind"])
        classes = {c.__name__: c for c in (PixelRidge, PixelKernelRidge, MaskedRidge, GlobalRidge)}
        if kind not in classes:
            raise ValueError(f"{path} holds a model of unknown kind {kind!r}; known: {sorted(classes)}")
        cls = classes[kind]
        params = {k: f[f"hyper_{k}"].item() for k in cls._hyper}
        model = cls(**params)
        model.input_shape_ = tuple(int(s) for s in f["input_shape"])
        model._load_state({k: f[k] for k in f.files})
    return model


# --------------------------------------------------------------------------- Pixel-RR
class PixelRidge(_PixelModel):
    """Pixel-based ridge regression, Pixel-RR (Eqs. 3-6).

    Each output pixel ``p`` (and channel) is ``y_p = w_p x_p + b_p``: it looks
    at the one input pixel at the same position.  ``w_p, b_p`` minimise

        J(w_p, b_p) = sum_n (t_p^n - w_p x_p^n - b_p)^2 + lam (w_p^2 + b_p^2)   (Eq. 3)

    whose normal equations are the 2x2 system of Eq. 6

        [ sum x^2 + lam   sum x   ] [w]   [ sum x t ]
        [ sum x           N + lam ] [b] = [ sum t   ]

    solved in closed form for all pixels at once.  Only five sums per pixel
    are needed (``stats_``), so a new ``lam`` is solved without the images.

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
    """

    def __init__(self, lam=0.4):
        self.lam = _check_positive("lam", lam)

    def fit(self, X, T):
        X, T = _check_pair(X, T, values=False)
        self._set_shape(X)
        Xf, Tf = X.reshape(len(X), -1), T.reshape(len(T), -1)  # (N, D) views: pixels x channels
        s = {k: np.zeros(Xf.shape[1]) for k in ("sx", "st", "sxx", "sxt")}
        for i in range(0, len(X), 8):  # 8 images at a time stay in cache: one trip through memory
            try:
                x, t = check_values(Xf[i:i + 8], "X"), check_values(Tf[i:i + 8], "T")
            except ValueError:  # re-check whole arrays so the message gives the (n, h, w, c) index
                _check_pair(X, T)
                raise
            s["sx"] += x.sum(0)  # the sums of Eq. 6, one value per pixel and channel
            s["st"] += t.sum(0)
            s["sxx"] += np.einsum("nd,nd->d", x, x)
            s["sxt"] += np.einsum("nd,nd->d", x, t)
        self.stats_ = {"n": float(len(X)), **{k: v.reshape(X.shape[1:]) for k, v in s.items()}}
        return self._solve()

    def _solve(self):
        s, lam = self.stats_, self.lam
        a, c = s["sxx"] + lam, s["n"] + lam  # Eq. 6: [[a, sx], [sx, c]] [w, b] = [sxt, st]
        det = a * c - s["sx"] ** 2
        self.weight_ = (c * s["sxt"] - s["sx"] * s["st"]) / det
        self.bias_ = (a * s["st"] - s["sx"] * s["sxt"]) / det
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


# --------------------------------------------------------------------------- Pixel-KR
def gaussian_kernel(a, b, sigma):
    """Eq. 12: ``k(a, b) = exp(-(a - b)^2 / (2 sigma^2))``, elementwise with broadcasting."""
    return np.exp(-((a - b) ** 2) / (2.0 * sigma**2))


class _MercerBasis:
    """Exact finite feature map of the 1-D Gaussian kernel on the pixel range.

    Every pixel's inputs are scalars in about [0, 1].  On an interval the
    Gaussian kernel has only a few non-negligible eigenvalues, so with ``m``
    Chebyshev nodes ``z`` and ``F = U diag(s)^-1/2`` from ``k(z, z) = U diag(s) U^T``,
    ``phi(x) = k(x, z) F`` reproduces ``k(x, x') = phi(x) . phi(x')`` to
    floating-point precision (|error| < 1e-12 for sigma >= 0.05, tested).  The
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


class PixelKernelRidge(_PixelModel):
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
        self.lam = _check_positive("lam", lam)
        self.sigma = _check_positive("sigma", sigma)
        if solver not in ("auto", "features", "direct"):
            raise ValueError(f"solver must be 'auto', 'features' or 'direct', got {solver!r}")
        self.solver = solver

    # -- fitting -----------------------------------------------------------
    def fit(self, X, T):
        X, T = _check_pair(X, T)
        self._set_shape(X)
        self.X_ = X.reshape(len(X), -1)  # (N, D): column d is one pixel-channel's training inputs
        self.T_ = T.reshape(len(T), -1)
        return self._factorise()

    def _factorise(self):
        """The expensive, λ-independent part: depends on X_, T_ and σ only."""
        N = len(self.X_)
        self.basis_ = _MercerBasis(self.sigma)
        self.solver_ = self.solver
        if self.solver == "auto":
            self.solver_ = "features" if self.basis_.rank < N else "direct"
        if self.solver_ == "features":
            r, D = self.basis_.rank, self.X_.shape[1]
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
        step = max(1, _KR_BYTES_PER_BATCH // (8 * floats_per_pixel))
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

    def update(self, lam=None, sigma=None):
        """New λ and/or σ for a fitted model.

        A λ-only change re-uses the per-pixel r x r matrices (features
        solver): one small solve per pixel, no kernel evaluations.  A σ change rebuilds
        the basis from the stored training values ``X_``, ``T_``.
        """
        self._require_fit()
        if sigma is not None and float(sigma) != self.sigma:
            self.sigma = _check_positive("sigma", sigma)
            if lam is not None:
                self.lam = _check_positive("lam", lam)
            return self._factorise()
        if lam is not None:
            self.lam = _check_positive("lam", lam)
            if self.solver_ == "direct":
                self._coef = self._direct_coef()
        return self._solve()

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
        self.basis_ = _MercerBasis(self.sigma)
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


# --------------------------------------------------------------------------- MR baseline
def _patches(X, field):
    """``(N, H, W, C, field*field)`` r x r neighbourhoods, zero outside the image."""
    h = field // 2
    P = np.pad(X, ((0, 0), (h, h), (h, h), (0, 0)))
    H, W = X.shape[1:3]
    return np.stack([P[:, i:i + H, j:j + W] for i in range(field) for j in range(field)], axis=-1)


class MaskedRidge(_PixelModel):
    """Masked regression, MR (Khan et al., IJCV 2020): the baseline Pixel-RR shrinks.

    Each output pixel regresses on the ``field x field`` input patch centred on
    it plus a bias, with its own ridge problem:

        min_w  sum_n (t_p^n - w_p . z_p^n)^2 + lam ||w_p||^2,   z_p^n = [patch_p(x^n), 1]

    Neighbours outside the image are not used (they enter as zeros, which
    ridge gives weight exactly 0, and are not counted in ``n_params``).
    ``field=1`` is exactly Pixel-RR.

    Parameters
    ----------
    lam : float > 0
    field : odd int >= 1
        Receptive field r (paper's MR: 3).

    Attributes
    ----------
    weight_ : ``(H, W, C, field, field)``;  bias_ : ``(H, W, C)`` (``C`` dropped for grey input)

    Examples
    --------
    >>> X = np.random.default_rng(0).random((20, 8, 8))
    >>> m = MaskedRidge(lam=0.4, field=1).fit(X, X)
    >>> bool(np.allclose(m.predict(X), PixelRidge(lam=0.4).fit(X, X).predict(X)))
    True
    """

    _hyper = ("lam", "field")

    def __init__(self, lam=0.4, field=3):
        self.lam = _check_positive("lam", lam)
        if not (isinstance(field, (int, np.integer)) and field >= 1 and field % 2 == 1):
            raise ValueError(f"field must be an odd integer >= 1 (1 = Pixel-RR, 3 = the paper's MR), got {field!r}")
        self.field = int(field)

    @staticmethod
    def _as4d(X):
        return X if X.ndim == 4 else X[..., None]

    def fit(self, X, T):
        X, T = _check_pair(X, T)
        self._set_shape(X)
        X4, T4 = self._as4d(X), self._as4d(T)
        N, H, W, C = X4.shape
        q = self.field**2 + 1
        self.gram_ = np.empty((H, W, C, q, q))  # sum_n z z^T per pixel
        self.rhs_ = np.empty((H, W, C, q))  # sum_n z t per pixel
        for c in range(C):  # one channel at a time bounds memory
            Z = _patches(X4[..., c:c + 1], self.field)[..., 0, :]  # (N, H, W, q-1)
            Z = np.concatenate([Z, np.ones((N, H, W, 1))], axis=-1).reshape(N, H * W, q)
            Zp = Z.transpose(1, 2, 0)  # (HW, q, N)
            self.gram_[:, :, c] = np.matmul(Zp, Z.transpose(1, 0, 2)).reshape(H, W, q, q)
            self.rhs_[:, :, c] = np.matmul(Zp, T4[..., c].reshape(N, H * W).T[:, :, None]).reshape(H, W, q)
        return self._solve()

    def _solve(self):
        q = self.gram_.shape[-1]
        A = self.gram_ + self.lam * np.eye(q)
        sol = np.linalg.solve(A, self.rhs_[..., None])[..., 0]
        H, W, C = sol.shape[:3]
        weight = sol[..., :-1].reshape(H, W, C, self.field, self.field)
        bias = sol[..., -1]
        grey = len(self.input_shape_) == 2
        self.weight_, self.bias_ = (weight[:, :, 0], bias[:, :, 0]) if grey else (weight, bias)
        return self

    def predict(self, X):
        X, single = self._prepare_predict(X)
        X4 = self._as4d(X)
        w = self.weight_ if X.ndim == 4 else self.weight_[:, :, None]
        b = self.bias_ if X.ndim == 4 else self.bias_[:, :, None]
        H, W, C = w.shape[:3]
        wf = w.reshape(H, W, C, -1)
        h = self.field // 2
        P = np.pad(X4, ((0, 0), (h, h), (h, h), (0, 0)))
        Y = np.broadcast_to(b, X4.shape).copy()
        for k in range(self.field**2):  # a sum over the few patch offsets, vectorised over pixels
            i, j = divmod(k, self.field)
            Y += wf[..., k] * P[:, i:i + H, j:j + W]
        Y = Y.reshape(X.shape)
        return Y[0] if single else Y

    @property
    def n_params(self):
        """In-bounds patch weights + 1 bias per pixel, per channel (Table I: 16.2e4 at 128x128, r=3)."""
        self._require_fit()
        H, W = self.input_shape_[:2]
        h = self.field // 2

        def inbounds(L):  # sum over positions of in-bounds neighbours along one axis
            i = np.arange(L)
            return int((np.minimum(i + h, L - 1) - np.maximum(i - h, 0) + 1).sum())

        return inbounds(H) * inbounds(W) + H * W

    def _state(self):
        return {"gram": self.gram_, "rhs": self.rhs_}

    def _load_state(self, f):
        self.gram_, self.rhs_ = f["gram"], f["rhs"]
        self._solve()


# --------------------------------------------------------------------------- global ridge
class GlobalRidge(_PixelModel):
    """Ridge regression over all pixels (Eqs. 1-2): every output pixel sees every input pixel.

        min_W ||T - W X||^2 + lam ||W||^2   =>   W = T^T X (X^T X + lam I)^-1      (Eq. 2)

    with images as columns of length D = H*W (per channel).  ``W`` is D x D
    (2.7e8 numbers at 128x128), so it is never built: the dual form

        W x = T^T (X X^T + lam I)^-1 X x

    needs only the N x N Gram matrix ``X X^T``.  Its eigendecomposition is kept,
    so a new λ costs O(N^2 D).

    Examples
    --------
    >>> X = np.random.default_rng(0).random((10, 6, 6))
    >>> g = GlobalRidge(lam=0.4).fit(X, X)
    >>> g.predict(X).shape, g.n_params
    ((10, 6, 6), 1296)
    """

    def __init__(self, lam=0.4):
        self.lam = _check_positive("lam", lam)

    def fit(self, X, T):
        X, T = _check_pair(X, T)
        self._set_shape(X)
        C = X.shape[3] if X.ndim == 4 else 1
        self.X_ = _channels_first(X, C)  # (C, N, D): one row per training image and channel
        self.T_ = _channels_first(T, C)
        self._factorise()
        return self._solve()

    def _factorise(self):
        gram = self.X_ @ self.X_.transpose(0, 2, 1)  # X X^T per channel, (C, N, N)
        self.eigval_, self.eigvec_ = np.linalg.eigh(gram)

    def _solve(self):
        # dual_ = (X X^T + lam I)^-1 T, (C, N, D): then W x = dual_^T (X x)
        inv = (self.eigvec_ / (self.eigval_ + self.lam)[:, None, :]) @ self.eigvec_.transpose(0, 2, 1)
        self.dual_ = inv @ self.T_
        return self

    def predict(self, X):
        X, single = self._prepare_predict(X)
        x = _channels_first(X, len(self.X_))  # (C, M, D)
        kx = self.X_ @ x.transpose(0, 2, 1)  # X x: similarity to every training image, (C, N, M)
        Y = kx.transpose(0, 2, 1) @ self.dual_  # (C, M, D)
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
