"""Pixel-KR: pixel-based kernel ridge regression (Akram & Khan, Eqs. 7-16)."""
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..validation import check_allocation, check_choice, check_images, check_pair, check_lam, check_positive
from .base import PixelModel
from .linalg import solve_spd
from .streaming import Streaming

#: Pixels processed at once (bounds memory, see PixelKernelRidge).
_BYTES_PER_BATCH = 8 * 2**20
#: The λ solve takes bigger batches: each step of the batched Cholesky is one numpy call for all of them.
_BYTES_PER_SOLVE = 32 * 2**20
#: The per-pixel M x M systems (M = the basis size) are kept (for instant λ moves) when they take at most this much
#: memory.
_BYTES_KEPT = 64 * 2**20
#: Saved with a model's primal coefficients: the feature basis they are coefficients of.
_BASIS = "chebyshev-eigen"
#: Smallest σ: the finite basis reproduces the kernel to 1e-12 from here up (tested), and its size
#: (about 4/σ) stays small enough to fit 128x128x3 faces in seconds.
MIN_SIGMA = 0.05
#: Largest σ: from σ = 100 the kernel is flat to 1e-5 over the pixel range (3 features) and Pixel-KR is
#: a smooth curve through the data; far beyond, σ² overflows.  The basis is exact up to here (tested).
MAX_SIGMA = 1e6


def gaussian_kernel(a, b, sigma):
    """Eq. 12: ``k(a, b) = exp(-(a - b)^2 / (2 sigma^2))``, elementwise with broadcasting."""
    return np.exp(-((a - b) ** 2) / (2.0 * sigma**2))


def solve_eq14(K, t, lam):
    """Eq. 14: the dual coefficients ``c = (K + λI)^-1 t`` of one pixel, or a batch ``K (..., N, N)``, ``t (..., N)``.

    ``K`` is the pixel's kernel matrix (Eq. 12), ``t`` its N training targets.

    >>> x, t = np.array([0.2, 0.5, 0.9]), np.array([0.3, 0.6, 0.7])
    >>> c = solve_eq14(gaussian_kernel(x[:, None], x[None, :], 1.0), t, 0.4)
    >>> bool(np.allclose((gaussian_kernel(x[:, None], x[None, :], 1.0) + 0.4 * np.eye(3)) @ c, t))
    True
    """
    return np.linalg.solve(K + lam * np.eye(K.shape[-1]), t[..., None])[..., 0]


def predict_eq16(c, kappa):
    """Eqs. 15-16: ``y = c · κ(x)``, with ``κ(x)[n] = k(x^n, x)`` the kernel between the training values and ``x``.

    Broadcasts over leading axes: ``c (..., N)``, ``kappa (..., N)``.

    >>> predict_eq16(np.array([1.0, -1.0]), np.array([0.5, 0.25]))
    np.float64(0.25)
    """
    return np.einsum("...n,...n->...", c, kappa)


def solve_eq14_features(gram, rhs, lam):
    """Eq. 14 through M exact features (push-through identity): ``a = (Φ^T Φ + λI)^-1 Φ^T t`` per pixel.

    Then ``c = (t - Φ a) / λ`` are Eq. 14's dual coefficients and ``y(x) = φ(x) · a``:
    an M x M solve per pixel instead of N x N.  ``gram`` ``(M, M, P)`` holds ``Φ^T Φ``,
    ``rhs`` ``(M, P)`` ``Φ^T t`` of P pixels; returns ``a`` ``(P, M)``.

    >>> Phi, t = np.array([[1.0, 0.2], [1.0, 0.7], [1.0, 0.9]]), np.array([0.3, 0.6, 0.7])
    >>> a = solve_eq14_features((Phi.T @ Phi)[:, :, None], (Phi.T @ t)[:, None], 0.4)[0]
    >>> bool(np.allclose(Phi.T @ solve_eq14(Phi @ Phi.T, t, 0.4), a))
    True
    """
    return solve_spd(gram + lam * np.eye(len(gram))[:, :, None], rhs, overwrite=True).T


class MercerBasis:
    """Exact finite feature map of the 1-D Gaussian kernel on the pixel range.

    Every pixel's inputs are scalars in about [0, 1].  On an interval the
    Gaussian kernel is a smooth function of its two arguments: a Chebyshev
    series of degree D in each reproduces it to rounding level (D grows like
    1/σ: 11 at σ = 3, 56 at σ = 0.1),

        k(x, x') = psi(x)^T C psi(x'),   psi(x) = (T_0(u), ..., T_D(u)),  u = x mapped onto [-1, 1]

    With ``C = Q diag(s) Q^T`` (eigenvalues below 1e-14 of the largest dropped),
    ``phi(x) = B^T psi(x)``, ``B = Q diag(s)^1/2``, reproduces ``k(x, x') =
    phi(x) . phi(x')`` to floating-point precision (``|error| < 1e-12`` for
    σ >= 0.05, tested) with ``n_features`` features (about 4/σ).  The same basis
    serves every pixel, which is what makes Pixel-KR vectorise, and the
    features are polynomials: Chebyshev recurrences, no exponentials.

    >>> basis = MercerBasis(1.0)
    >>> x = np.linspace(0, 1, 5)
    >>> bool(np.allclose(basis(x) @ basis(x).T, gaussian_kernel(x[:, None], x[None, :], 1.0)))
    True
    """

    def __init__(self, sigma, lo=-0.1, hi=1.1):
        self.sigma, self.range = sigma, (lo, hi)
        n = int(np.ceil(8 * (hi - lo) / sigma)) + 24  # interpolation points: more than the degree needs
        angle = np.pi * (np.arange(n) + 0.5) / n
        z = (lo + hi) / 2 + (hi - lo) / 2 * np.cos(angle)  # Chebyshev points on [lo, hi]
        A = (2.0 / n) * np.cos(np.outer(np.arange(n), angle))  # values at the points -> coefficients
        A[0] /= 2
        C = A @ gaussian_kernel(z[:, None], z[None, :], sigma) @ A.T
        size = np.abs(C).max(1)
        small = size < 4e-15 * size.max()  # coefficients at rounding level from degree D + 1 on
        self.degree = next((i for i in range(n) if small[i:i + 4].all()), n - 1)
        s, Q = np.linalg.eigh(C[:self.degree + 1, :self.degree + 1])
        keep = s > s.max() * 1e-14
        self.B = Q[:, keep] * np.sqrt(s[keep])  # (D+1, n_features): phi(x) = B^T psi(x)
        self.n_features = int(keep.sum())  # the basis size M
        self._gram_map = None

    def to_unit(self, x):
        """``x`` mapped from the basis range onto [-1, 1], the variable of the Chebyshev series."""
        lo, hi = self.range
        return (2 * np.asarray(x, dtype=np.float64) - (lo + hi)) / (hi - lo)

    def __call__(self, x):
        """Features ``(..., n_features)`` of the values ``x``."""
        return np.polynomial.chebyshev.chebvander(self.to_unit(x), self.degree) @ self.B

    def gram_map(self):
        """:func:`moment_map` of this basis, ``(M * M, 2D+1)`` for M features: ``Phi^T Phi`` of a pixel is
        ``gram_map() @ mu``."""
        if self._gram_map is None:  # made once per basis, when a solve first needs it
            self._gram_map = moment_map(self.B).reshape(2 * self.degree + 1, -1).T
        return self._gram_map


def chebyshev_moments(u, t, degree):
    """Per pixel: ``mu_k = sum_n T_k(u_n)`` (k <= 2 degree) and ``nu_k = sum_n T_k(u_n) t_n`` (k <= degree).

    ``u, t`` are ``(n, P)``: the training values of P pixels mapped onto [-1, 1]
    (:meth:`MercerBasis.to_unit`) and their targets.  These sums do not depend
    on σ: with ``phi = B^T psi`` and ``T_l T_m = (T_{l+m} + T_{|l-m|}) / 2``,

        Phi^T Phi = B^T H B,  H[l, m] = (mu_{l+m} + mu_{|l-m|}) / 2,      Phi^T t = B^T nu

    >>> u, t = np.random.default_rng(0).uniform(-1, 1, (2, 5, 3))
    >>> mu, nu = chebyshev_moments(u, t, 2)
    >>> bool(np.allclose(mu[3], (4 * u**3 - 3 * u).sum(0))), bool(np.allclose(nu[2], ((2 * u**2 - 1) * t).sum(0)))
    (True, True)
    """
    mu, nu = np.empty((2 * degree + 1,) + u.shape[1:]), np.empty((degree + 1,) + u.shape[1:])
    prev, cur, u2 = np.ones_like(u), np.array(u, dtype=np.float64), 2 * np.asarray(u, dtype=np.float64)
    mu[0], nu[0] = len(u), t.sum(0)
    for k in range(1, 2 * degree + 1):
        mu[k] = cur.sum(0)
        if k <= degree:
            nu[k] = np.einsum("np,np->p", cur, t)
        np.subtract(u2 * cur, prev, out=prev)  # T_{k+1} = 2 u T_k - T_{k-1}, into the array of T_{k-1}
        prev, cur = cur, prev
    return mu, nu


def moment_map(B):
    """``A (2D+1, M, M)`` with ``B^T H B = sum_k mu_k A[k]`` (H as in :func:`chebyshev_moments`; M features)."""
    D, nf = B.shape[0] - 1, B.shape[1]
    A = np.zeros((2 * D + 1, nf, nf))
    for l in range(D + 1):
        half = 0.5 * B[l][None, :, None] * B[:, None, :]  # (D+1, M, M): B[l] x B[m] / 2 for every m
        A[l:l + D + 1] += half  # T_{l+m}
        A[l::-1] += half[:l + 1]  # T_{l-m}, m <= l
        A[1:D + 1 - l] += half[l + 1:]  # T_{m-l}, m > l
    return A


class PixelKernelRidge(Streaming, PixelModel):
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
      with a finite basis of ``M`` features (about 6 for sigma=3, 37 for sigma=0.1),
      shared by all pixels.  By the push-through identity
      ``t (Phi Phi^T + lam I)^-1 Phi = t Phi (Phi^T Phi + lam I)^-1`` the N x N
      solve of Eq. 14 becomes an M x M one per pixel (:func:`solve_eq14_features`).  The features are
      Chebyshev polynomials (:class:`MercerBasis`), so ``Phi^T Phi`` and
      ``Phi^T t`` follow from a few σ-independent sums of each pixel's values,
      its Chebyshev moments (:func:`chebyshev_moments`, kept in ``moments_``):
      a new λ, or a σ no smaller than the smallest so far, is one matrix
      product and one small solve per pixel; a smaller σ needs higher moments,
      one pass over the stored training values.  ``coef_`` still returns the N dual
      coefficients of Eq. 14.  ``predict`` evaluates each pixel's fitted curve
      as its Chebyshev series (Clenshaw), equal to the kernel sum to rounding.

    ``"auto"`` (default) uses features unless the basis size reaches ``N``.

    Parameters
    ----------
    lam : float > 0
        Ridge penalty λ (paper: 0.4).
    sigma : float in [MIN_SIGMA, MAX_SIGMA] = [0.05, 1e6]
        Kernel width σ in units of pixel intensity (paper: 3 for happy, 10 for
        other expressions; small σ gives artefacts, large σ approaches Pixel-RR).
        The finite basis is exact (to 1e-12) over this whole range.
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
        self.lam = check_lam(lam)
        self.sigma = check_positive("sigma", sigma)
        if self.sigma < MIN_SIGMA:
            raise ValueError(f"sigma must be >= {MIN_SIGMA} (the kernel's exact finite basis has about 4/σ "
                             f"features, {int(4 / self.sigma):,} at σ = {self.sigma:g}); the paper "
                             "sweeps σ from 0.1 to 5")
        if self.sigma > MAX_SIGMA:
            raise ValueError(f"sigma must be <= {MAX_SIGMA:g}, got {self.sigma:g}: the kernel is already flat over "
                             "the pixel range from σ = 100 (use PixelRidge for a straight line)")
        self.solver = check_choice("solver", solver, ("auto", "features", "direct"))

    # -- fitting -----------------------------------------------------------
    def partial_fit(self, X, T):
        """Add a chunk of pairs and re-solve; returns self.

        Pixel-KR keeps its training values (Eq. 14's N dual coefficients per
        pixel, a new σ and ``n_params`` need them), so memory grows with N.
        With the features solver the per-pixel ``Phi^T Phi`` and ``Phi^T t``
        are sums over the pairs: a chunk adds its own, and the earlier pairs
        are not visited again.  The direct solver refactorises.
        """
        X, T = check_pair(X, T)
        incremental = self._fitted and self.solver_ == "features"
        self._start_stream(X)
        if incremental:  # the moments so far (rebuilt here after load_model, before the new pairs join)
            moments = self.moments_
        x, t = X.reshape(len(X), -1), T.reshape(len(T), -1)  # (n, D): column d is one pixel-channel's values
        self.X_, self.T_ = np.concatenate([self.X_, x]), np.concatenate([self.T_, t])
        if incremental and self._choose_solver() == "features":
            mu, nu = self._moments(x, t, moments[2])
            self.moments_ = (moments[0] + mu, moments[1] + nu, moments[2])
            self.__dict__.pop("_systems", None)
        else:
            self._factorise()
        return self._solve()

    def _init_stats(self):
        D = int(np.prod(self.input_shape_))
        self.X_, self.T_ = np.zeros((0, D)), np.zeros((0, D))

    _caches = ("_coef", "_series", "_systems")

    def _merge_stats(self, a, b):
        self.X_, self.T_ = np.concatenate([a.X_, b.X_]), np.concatenate([a.T_, b.T_])
        if a.solver_ == b.solver_ == "features" and self._choose_solver() == "features":
            (mu_a, nu_a, degree), (mu_b, nu_b, degree_b) = a.moments_, b.moments_  # σ-independent sums
            if degree_b != degree:
                degree = min(degree, degree_b)
                mu_a, nu_a, mu_b, nu_b = mu_a[:2 * degree + 1], nu_a[:degree + 1], mu_b[:2 * degree + 1], nu_b[:degree + 1]
            self.moments_ = (mu_a + mu_b, nu_a + nu_b, degree)
            self.basis_, self.solver_ = MercerBasis(self.sigma), "features"
            if self.basis_.degree > degree:
                self._factorise()
        else:
            self._factorise()

    def _choose_solver(self):
        if self.solver != "auto":
            return self.solver
        return "features" if MercerBasis(self.sigma).n_features < len(self.X_) else "direct"

    def _factorise(self):
        """The part that depends on σ and the training values: the basis, and the moments it needs."""
        self.__dict__.pop("_systems", None)
        self.basis_ = MercerBasis(self.sigma)
        self.solver_ = self._choose_solver()
        if self.solver_ == "features":
            have = self.__dict__.get("moments_")  # still valid if it covers this degree and every pair (mu_0 = N)
            if have is None or have[2] < self.basis_.degree or have[0][0, 0] != len(self.X_):
                degree = self.basis_.degree
                self.moments_ = (*self._moments(self.X_, self.T_, degree), degree)
        else:
            self._coef = self._direct_coef()

    def _moments(self, x, t, degree):
        """Chebyshev moments ``(mu (2 degree + 1, D), nu (degree + 1, D))`` of the pairs ``x, t`` ``(n, D)``."""
        check_allocation(8 * (3 * degree + 2) * x.shape[1], f"Pixel-KR's Chebyshev moments (degree {degree} for "
                         f"σ = {self.sigma:g}, {x.shape[1]:,} pixel-channels)", "use a larger σ or smaller images")
        mu, nu = np.empty((2 * degree + 1, x.shape[1])), np.empty((degree + 1, x.shape[1]))

        def work(sl):
            mu[:, sl], nu[:, sl] = chebyshev_moments(self.basis_.to_unit(x[:, sl]), t[:, sl], degree)

        self._each_batch(work, 4 * len(x) + 3 * degree)
        return mu, nu

    def _batches(self, floats_per_pixel, nbytes=_BYTES_PER_BATCH):
        D = self.X_.shape[1]
        step = max(1, nbytes // (8 * floats_per_pixel))
        return (slice(i, min(i + step, D)) for i in range(0, D, step))

    def _each_batch(self, work, floats_per_pixel):
        """Run ``work(slice)`` over pixel batches on every core (numpy releases the GIL)."""
        with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
            list(pool.map(work, self._batches(floats_per_pixel)))

    def _direct_coef(self):
        """Eq. 14 literally (:func:`solve_eq14`) for every pixel, in batches of pixels."""
        N, D = self.X_.shape
        coef = np.empty((N, D))
        for sl in self._batches(3 * N * N):
            x = self.X_[:, sl].T  # (B, N)
            K = gaussian_kernel(x[:, :, None], x[:, None, :], self.sigma)  # Eq. 12, (B, N, N)
            coef[:, sl] = solve_eq14(K, self.T_[:, sl].T, self.lam).T
        return coef

    def _solve(self):
        if self.solver_ == "features":
            # Eq. 14 through the features (solve_eq14_features), with Phi^T Phi = sum_k mu_k A[k] and
            # Phi^T t = B^T nu from the moments; in batches of pixels
            B, A, (mu, nu, _) = self.basis_.B, self.basis_.gram_map(), self.moments_
            D, nf, P = B.shape[0] - 1, B.shape[1], mu.shape[1]

            def systems(sl):  # Phi^T Phi and Phi^T t of the pixels sl
                return (A @ mu[:2 * D + 1, sl]).reshape(nf, nf, -1), B.T @ nu[:D + 1, sl]

            if "_systems" not in self.__dict__ and 8 * nf * nf * P <= _BYTES_KEPT:  # few features: keep them,
                self._systems = systems(slice(None))  # so that a new λ is the small solves alone
            self.primal_ = np.empty((P, nf))
            for sl in self._batches(2 * nf * nf, _BYTES_PER_SOLVE):  # pixels at once; no D x M x M array
                gram, rhs = (self._systems[0][:, :, sl], self._systems[1][:, sl]) if "_systems" in self.__dict__ \
                    else systems(sl)
                self.primal_[sl] = solve_eq14_features(gram, rhs, self.lam)
            self.__dict__.pop("_coef", None)
            self.__dict__.pop("_series", None)
        return self

    def _refresh(self, changed):
        """After ``update``: a new σ (or solver) rebuilds the basis from the stored training values
        ``X_``, ``T_``; a new λ alone re-uses the per-pixel M x M matrices (one small solve per
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
            for sl in self._batches((self.basis_.degree + 1 + self.basis_.n_features) * len(self.X_)):
                fitted = np.einsum("bnr,br->nb", self.basis_(self.X_[:, sl].T), self.primal_[sl])
                coef[:, sl] = (self.T_[:, sl] - fitted) / self.lam
            self._coef = coef
        return self._coef.reshape((-1,) + self.input_shape_)

    def predict(self, X):
        """``y_p = c_p kappa_p(x_p)`` for every pixel (Eqs. 15-16); not clipped."""
        X, single = self._prepare_predict(X)
        x = X.reshape(len(X), -1)
        Y = np.empty_like(x)
        if self.solver_ == "features":  # each pixel's curve phi(x) . a_p as a Chebyshev series
            if getattr(self, "_series", None) is None:
                self._series = self.basis_.B @ self.primal_.T  # (D+1, pixel-channels)
            u = self.basis_.to_unit(x)
            for sl in self._batches(4 * len(x)):
                Y[:, sl] = _clenshaw(self._series[:, sl], u[:, sl])
        else:
            N = len(self.X_)
            for sl in self._batches(N * len(x)):
                kappa = gaussian_kernel(x[:, sl, None], self.X_[:, sl].T[None], self.sigma)  # (M, B, N)
                Y[:, sl] = predict_eq16(self._coef[:, sl].T, kappa)
        Y = Y.reshape(X.shape)
        return Y[0] if single else Y

    def to_lut(self):
        """Compile to a per-pixel lookup table over the 256 levels of 8-bit input.

        ``table[l] = predict(l / 255)`` for every pixel: exact for inputs on the
        8-bit grid, predicted by one gather per pixel.  The table makes the model
        a plain per-pixel curve anyone can read (or ship without this package); it
        is not faster than :meth:`predict`, whose small basis already makes exact
        prediction a few array operations (``python benchmarks/run.py lut``).

        >>> X = np.random.default_rng(0).integers(0, 256, (20, 4, 4)) / 255
        >>> k = PixelKernelRidge(sigma=0.5).fit(X, X)
        >>> lut = k.to_lut()
        >>> bool(np.allclose(lut.predict(X), k.predict(X))), lut.n_params
        (True, 4096)
        """
        self._require_fit()
        check_allocation(3 * 8 * 256 * int(np.prod(self.input_shape_)), "a 256-level lookup table of "
                         f"{self.input_shape_} images", "use smaller images")
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
            state["primal"], state["basis"] = self.primal_, np.array(_BASIS)
        else:
            state["coef"] = self._coef
        return state

    def _load_state(self, f):
        self.X_, self.T_ = f["X"], f["T"]
        self.basis_ = MercerBasis(self.sigma)
        if "coef" in f:
            self.solver_, self._coef = "direct", f["coef"]
        elif "basis" in f and str(f["basis"]) == _BASIS:
            self.solver_, self.primal_ = "features", f["primal"]
        else:  # written with another feature basis: its primal coefficients mean something else here
            self._factorise()
            self._solve()

    def __getattr__(self, name):
        # the moments are not saved: rebuild them on first use after load_model
        if name == "moments_" and "X_" in self.__dict__ and self.__dict__.get("solver_") == "features":
            self._factorise()
            return self.__dict__[name]
        raise AttributeError(name)


def _clenshaw(coef, u):
    """``sum_k coef[k] T_k(u)`` column by column: ``coef (K, P)``, ``u (M, P)`` -> ``(M, P)``."""
    b1, b2 = np.zeros_like(u), np.zeros_like(u)
    u2 = 2 * u
    for c in coef[:0:-1]:  # b_k = 2 u b_{k+1} - b_{k+2} + c_k, in place
        b2 *= -1
        b2 += u2 * b1
        b2 += c
        b1, b2 = b2, b1
    return u * b1 - b2 + coef[0]


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
