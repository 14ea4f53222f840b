"""The small functions the lessons print are the ones the models solve with: each equals its equation solved
by brute force, and the fitted models equal them."""
import numpy as np
import pytest

from pixelfes_edu.models import (GlobalRidge, MaskedRidge, PixelKernelRidge, PixelRidge, gaussian_kernel, predict_dual,
                                 predict_eq16, solve_dual, solve_eq6, solve_eq14, solve_masked)


@pytest.fixture(scope="module")
def faces():
    rng = np.random.default_rng(3)
    X = rng.random((12, 5, 4))
    return X, np.clip(0.6 * X + 0.2 + 0.05 * rng.standard_normal(X.shape), 0, 1)


def test_solve_eq14_is_the_direct_solver_pixel_by_pixel(faces):
    X, T = faces
    model = PixelKernelRidge(lam=0.3, sigma=0.7, solver="direct").fit(X, T)
    grid = np.linspace(0, 1, 7)
    for r, c in [(0, 0), (2, 3), (4, 1)]:
        x, t = X[:, r, c], T[:, r, c]
        K = gaussian_kernel(x[:, None], x[None, :], 0.7)
        coef = solve_eq14(K, t, 0.3)
        np.testing.assert_allclose(coef, np.linalg.inv(K + 0.3 * np.eye(len(x))) @ t, atol=1e-10)
        np.testing.assert_allclose(model.coef_[:, r, c], coef, atol=1e-12)
        y = predict_eq16(coef, gaussian_kernel(x[None, :], grid[:, None], 0.7))  # κ(x) for every grid value
        one = PixelKernelRidge(lam=0.3, sigma=0.7, solver="direct").fit(x[:, None, None], t[:, None, None])
        np.testing.assert_allclose(one.predict(grid[:, None, None])[:, 0, 0], y, atol=1e-12)
    features = PixelKernelRidge(lam=0.3, sigma=0.7, solver="features").fit(X, T)
    np.testing.assert_allclose(features.predict(X), model.predict(X), atol=1e-10)


def test_solve_dual_is_eq2(faces):
    X, T = faces
    Xf, Tf = X.reshape(len(X), -1), T.reshape(len(T), -1)
    e, V = np.linalg.eigh(Xf @ Xf.T)
    W = Tf.T @ Xf @ np.linalg.inv(Xf.T @ Xf + 0.5 * np.eye(Xf.shape[1]))  # Eq. 2, D x D
    np.testing.assert_allclose(predict_dual(Xf, solve_dual(e, V, Tf, 0.5), Xf), Xf @ W.T, atol=1e-10)
    np.testing.assert_allclose(GlobalRidge(0.5).fit(X, T).predict(X).reshape(len(X), -1), Xf @ W.T, atol=1e-10)


def test_solve_masked_with_a_one_pixel_field_is_eq6(faces):
    X, T = faces
    stats = PixelRidge(0.4).fit(X, T).stats_
    z = np.stack([X, np.ones_like(X)])  # (2, N, H, W): z = [x, 1]
    gram, rhs = np.einsum("anhw,bnhw->abhw", z, z), np.einsum("anhw,nhw->ahw", z, T)
    w, b = solve_masked(gram, rhs, 0.4)
    w6, b6, _ = solve_eq6(stats, 0.4)
    np.testing.assert_allclose(w, w6, atol=1e-12)
    np.testing.assert_allclose(b, b6, atol=1e-12)
    np.testing.assert_allclose(MaskedRidge(0.4, field=1).fit(X, T).weight_[..., 0, 0], w6, atol=1e-12)
