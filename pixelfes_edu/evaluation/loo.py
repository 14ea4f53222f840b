"""Choosing λ and σ by exact leave-one-out: closed forms for Pixel-RR and Pixel-KR, no refitting.
"""
import numpy as np

from ..faces.geometry import DEFAULT_REGION, region_mask
from ..models import MercerBasis, gaussian_kernel, solve_eq6
from ..validation import check_pair, check_positive
from .metrics import normalise_images

__all__ = ['loo_pixel_ridge', 'loo_pixel_kernel_ridge', 'validation_curves', 'ValidationCurves']


def _flat(X, T, region, max_pixels, seed):
    """``(N, P)`` pixel-channel columns inside ``region`` (optionally a random subset)."""
    X, T = check_pair(X, T)
    mask = region_mask(region, X.shape)
    x, t = X[:, mask].reshape(len(X), -1), T[:, mask].reshape(len(T), -1)
    if max_pixels is not None and x.shape[1] > max_pixels:
        keep = np.sort(np.random.default_rng(seed).choice(x.shape[1], int(max_pixels), replace=False))
        x, t = x[:, keep], t[:, keep]
    return x, t


def _lams(lams):
    return np.array([check_positive("every λ", float(v)) for v in np.atleast_1d(np.asarray(lams, dtype=float))])


def loo_pixel_ridge(X, T, lams, region=DEFAULT_REGION, max_pixels=None, seed=0):
    """Exact leave-one-out mean squared error of Pixel-RR for every λ, without refitting.

    Per pixel the design rows are ``z_n = [x_n, 1]`` and ``A = Z^T Z + λ I`` is
    the 2x2 matrix of Eq. 6, built from the sums in ``PixelRidge.stats_``.
    The hat value is ``h_n = z_n^T A^-1 z_n`` and the left-out residual is
    ``(t_n - y_n) / (1 - h_n)``.

    Parameters
    ----------
    X, T : training batches ``(N, H, W[, C])``
    lams : sequence of λ > 0
    region : region name, mask or None
        Pixels whose errors are averaged (every pixel is its own model).
    max_pixels : int or None
        Use a random subset of that many pixel-channels (``seed``).

    Returns
    -------
    ndarray ``(len(lams),)`` of mean squared LOO errors.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((30, 8, 8)); T = np.clip(0.7 * X + 0.1 + 0.05 * rng.standard_normal(X.shape), 0, 1)
    >>> e = loo_pixel_ridge(X, T, [1e-3, 1.0, 100.0], region=None)
    >>> bool(e[0] < e[2])
    True
    """
    x, t = _flat(X, T, region, max_pixels, seed)
    stats = {"n": float(len(x)), "sx": x.sum(0), "st": t.sum(0), "sxx": (x * x).sum(0), "sxt": (x * t).sum(0)}
    out = []
    for lam in _lams(lams):
        w, b, (i11, i12, i22) = solve_eq6(stats, lam)  # Eq. 6, as PixelRidge solves it
        h = x * x * i11 + 2 * x * i12 + i22  # hat values z^T A^-1 z, z = [x, 1]
        out.append(np.mean(((t - w * x - b) / (1 - h)) ** 2))
    return np.array(out)


def loo_pixel_kernel_ridge(X, T, sigmas, lams, region=DEFAULT_REGION, max_pixels=4000, seed=0, batch=512):
    """Exact leave-one-out mean squared error of Pixel-KR on a grid of σ x λ.

    The smoother of kernel ridge is ``S = K (K + λ I)^-1``; its left-out
    residual is ``(t_n - y_n) / (1 - S_nn)``.  As in ``PixelKernelRidge``, the
    kernel is written exactly as ``K = Φ Φ^T`` with the shared finite Mercer
    basis (``M`` features, M << N), so with the eigendecomposition
    ``Φ^T Φ = V diag(e) V^T`` and ``Ψ = Φ V`` every λ costs only
    ``S_nn = Σ_k Ψ_nk² / (e_k + λ)`` and ``y_n = Σ_k Ψ_nk (Ψ^T t)_k / (e_k + λ)``.

    Returns
    -------
    ndarray ``(len(sigmas), len(lams))`` of mean squared LOO errors.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((40, 6, 6)); T = X ** 2
    >>> e = loo_pixel_kernel_ridge(X, T, [0.3, 30.0], [1e-3], region=None)
    >>> bool(e[0, 0] < e[1, 0])
    True
    """
    x, t = _flat(X, T, region, max_pixels, seed)
    lams = _lams(lams)
    sigmas = np.atleast_1d(np.asarray(sigmas, dtype=np.float64))
    N, P = x.shape
    out = np.zeros((len(sigmas), len(lams)))
    for i, sigma in enumerate(sigmas):
        basis = MercerBasis(float(sigma))
        for s in range(0, P, batch):
            xb = x[:, s:s + batch].T  # (B, N)
            if basis.n_features < N:
                Phi = basis(xb)  # (B, N, M): K = Phi Phi^T exactly
                e, V = np.linalg.eigh(Phi.transpose(0, 2, 1) @ Phi)  # (B, M), (B, M, M)
                Psi = Phi @ V  # (B, N, M)
            else:  # basis no smaller than N: eigendecompose K = U diag(e) U^T itself (Eq. 12)
                e, U = np.linalg.eigh(gaussian_kernel(xb[:, :, None], xb[:, None, :], sigma))
                Psi = U * np.sqrt(np.maximum(e, 0))[:, None, :]
            e = np.maximum(e, 0)
            q = np.einsum("bnr,nb->br", Psi, t[:, s:s + batch])  # Ψ^T t
            tb = t[:, s:s + batch].T  # (B, N)
            for j, lam in enumerate(lams):
                inv = 1.0 / (e + lam)  # (B, M)
                y = np.einsum("bnr,br->bn", Psi, q * inv)
                snn = np.einsum("bnr,br->bn", Psi**2, inv)
                out[i, j] += (((tb - y) / (1 - snn)) ** 2).sum()
    return out / (N * P)


class ValidationCurves:
    """LOO errors of Pixel-RR over λ and Pixel-KR over σ x λ, with the chosen values."""

    def __init__(self, lams, rr, sigmas, kr_lams, kr, label=""):
        self.lams, self.rr, self.sigmas, self.kr_lams, self.kr, self.label = lams, rr, sigmas, kr_lams, kr, label
        self.best_lam_rr = float(lams[np.argmin(rr)])
        i, j = np.unravel_index(np.argmin(kr), kr.shape)
        self.best_sigma, self.best_lam_kr = float(sigmas[i]), float(kr_lams[j])

    def at(self, lam=None, sigma=None):
        """LOO error of Pixel-RR at ``lam`` (sigma None) or Pixel-KR at (``sigma``, ``lam``), by nearest grid point."""
        if sigma is None:
            return float(self.rr[np.argmin(np.abs(np.log(self.lams / lam)))])
        i = np.argmin(np.abs(np.log(self.sigmas / sigma)))
        j = np.argmin(np.abs(np.log(self.kr_lams / lam)))
        return float(self.kr[i, j])

    def figure(self):
        """Two panels: Pixel-RR LOO error vs λ; Pixel-KR LOO error vs σ (one line per λ)."""
        from ..plotting import validation_figure

        return validation_figure(self)

def validation_curves(pairs, lams=None, sigmas=None, kr_lams=None, region=DEFAULT_REGION, max_pixels=4000, seed=0,
                      normalise="none"):
    """LOO validation curves for Pixel-RR (λ) and Pixel-KR (σ, λ) on ``pairs``.

    ``normalise`` applies :func:`pixelfes_edu.evaluation.metrics.normalise_images` to
    inputs and targets first (then λ and σ are in units of that scale, as in
    the authors' code for ``"minmax"``).

    Examples
    --------
    >>> import pixelfes_edu as pfe
    >>> pairs = pfe.load_pairs("synthetic", n=30, size=32, seed=0)
    >>> vc = validation_curves(pairs, sigmas=[0.3, 3.0], kr_lams=[0.4], max_pixels=500)
    >>> vc.best_sigma in (0.3, 3.0)
    True
    """
    lams = np.logspace(-3, 2, 16) if lams is None else _lams(lams)
    sigmas = np.array([0.1, 0.2, 0.3, 0.5, 1, 2, 3, 5, 10]) if sigmas is None else np.asarray(sigmas, float)
    kr_lams = np.array([0.01, 0.1, 0.4, 1.0]) if kr_lams is None else _lams(kr_lams)
    X, T = pairs.inputs, pairs.targets
    if normalise != "none":
        X, T = normalise_images(X, normalise)[0], normalise_images(T, normalise)[0]
    rr = loo_pixel_ridge(X, T, lams, region=region, max_pixels=max_pixels, seed=seed)
    kr = loo_pixel_kernel_ridge(X, T, sigmas, kr_lams, region=region, max_pixels=max_pixels, seed=seed)
    return ValidationCurves(lams, rr, sigmas, kr_lams, kr, label=pairs.name)
