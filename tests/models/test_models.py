"""The numpy core against brute-force per-pixel solves, gradients and its contract."""
import numpy as np
import pytest

import pixelfes_edu as pfe
from pixelfes_edu.models import FORMAT_VERSION, NotFittedError, gaussian_kernel

RNG = np.random.default_rng(42)


def pairs(n=12, h=5, w=4, c=None, seed=0):
    """Small random (X, T) with a nonlinear, noisy pixel relation."""
    rng = np.random.default_rng(seed)
    shape = (n, h, w) if c is None else (n, h, w, c)
    X = rng.random(shape)
    T = np.clip(0.6 * X**2 + 0.3 * rng.random(shape), 0, 1)
    return X, T


# --------------------------------------------------------------------------- Pixel-RR
def brute_pixel_ridge(X, T, lam):
    """Eq. 6 solved with np.linalg.solve, one pixel at a time."""
    Xf, Tf = X.reshape(len(X), -1), T.reshape(len(T), -1)
    w, b = np.empty(Xf.shape[1]), np.empty(Xf.shape[1])
    for p in range(Xf.shape[1]):
        x, t = Xf[:, p], Tf[:, p]
        A = np.array([[x @ x + lam, x.sum()], [x.sum(), len(x) + lam]])
        w[p], b[p] = np.linalg.solve(A, [x @ t, t.sum()])
    return w.reshape(X.shape[1:]), b.reshape(X.shape[1:])


@pytest.mark.parametrize("c", [None, 3])
def test_pixel_ridge_equals_per_pixel_solve(c):
    X, T = pairs(c=c)
    m = pfe.PixelRidge(lam=0.4).fit(X, T)
    w, b = brute_pixel_ridge(X, T, 0.4)
    np.testing.assert_allclose(m.weight_, w, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(m.bias_, b, rtol=1e-10, atol=1e-12)
    assert m.weight_.shape == X.shape[1:]
    np.testing.assert_allclose(m.predict(X), w * X + b, atol=1e-12)


def test_pixel_ridge_gradient_of_eq3_vanishes():
    X, T = pairs()
    lam = 0.7
    m = pfe.PixelRidge(lam=lam).fit(X, T)
    r = T - (m.weight_ * X + m.bias_)  # residuals
    grad_w = -2 * (r * X).sum(0) + 2 * lam * m.weight_
    grad_b = -2 * r.sum(0) + 2 * lam * m.bias_
    assert np.abs(grad_w).max() < 1e-12 and np.abs(grad_b).max() < 1e-12
    # and it is a minimum: nudging w or b raises the objective of Eq. 3
    J = lambda w, b: ((T - w * X - b) ** 2).sum(0) + lam * (w**2 + b**2)  # noqa: E731
    assert (J(m.weight_ + 1e-3, m.bias_) > J(m.weight_, m.bias_)).all()
    assert (J(m.weight_, m.bias_ - 1e-3) > J(m.weight_, m.bias_)).all()


def test_pixel_ridge_update_equals_refit_without_images():
    X, T = pairs(c=3)
    m = pfe.PixelRidge(lam=0.4).fit(X, T)
    m.update(lam=2.5)
    ref = pfe.PixelRidge(lam=2.5).fit(X, T)
    np.testing.assert_allclose(m.weight_, ref.weight_, atol=1e-13)
    np.testing.assert_allclose(m.bias_, ref.bias_, atol=1e-13)
    assert m.lam == 2.5


# --------------------------------------------------------------------------- Pixel-KR
def brute_kernel_ridge(X, T, Xnew, lam, sigma):
    """Eqs. 12, 14, 16 pixel by pixel with np.linalg.solve."""
    Xf, Tf, Nf = (a.reshape(len(a), -1) for a in (X, T, Xnew))
    coef, Y = np.empty_like(Tf), np.empty_like(Nf)
    for p in range(Xf.shape[1]):
        x = Xf[:, p]
        K = np.exp(-((x[:, None] - x[None, :]) ** 2) / (2 * sigma**2))
        c = np.linalg.solve(K + lam * np.eye(len(x)), Tf[:, p])  # Eq. 14 (K symmetric)
        coef[:, p] = c
        kappa = np.exp(-((x[:, None] - Nf[None, :, p]) ** 2) / (2 * sigma**2))  # Eq. 15
        Y[:, p] = c @ kappa  # Eq. 16
    return coef.reshape(X.shape), Y.reshape(Xnew.shape)


@pytest.mark.parametrize("solver", ["features", "direct"])
@pytest.mark.parametrize("sigma", [0.1, 0.5, 3.0, 10.0])
def test_kernel_ridge_equals_per_pixel_solve(solver, sigma):
    X, T = pairs(n=15, c=2, seed=1)
    Xnew = np.random.default_rng(5).random((4,) + X.shape[1:])
    k = pfe.PixelKernelRidge(lam=0.4, sigma=sigma, solver=solver).fit(X, T)
    coef, Y = brute_kernel_ridge(X, T, Xnew, 0.4, sigma)
    np.testing.assert_allclose(k.predict(Xnew), Y, atol=1e-9)
    np.testing.assert_allclose(k.coef_, coef, atol=1e-8 * np.abs(coef).max())


def test_kernel_ridge_auto_switches_to_direct_when_basis_is_not_smaller():
    X, T = pairs(n=6)
    assert pfe.PixelKernelRidge(sigma=0.1).fit(X, T).solver_ == "direct"  # rank 37 >= N = 6
    X, T = pairs(n=40)
    assert pfe.PixelKernelRidge(sigma=3.0).fit(X, T).solver_ == "features"


def test_kernel_feature_map_reproduces_the_kernel():
    from pixelfes_edu.models import MercerBasis

    x = np.linspace(-0.05, 1.05, 300)
    for sigma in (0.05, 0.1, 1.0, 10.0):
        phi = MercerBasis(sigma)(x)
        K = gaussian_kernel(x[:, None], x[None, :], sigma)
        assert np.abs(phi @ phi.T - K).max() < 1e-12, sigma


def test_kernel_ridge_gradient_of_dual_objective_vanishes():
    """Eq. 11 in the dual: J(c) = ||t - K c||^2 + lam c^T K c, gradient 2K((K + lam I)c - t)."""
    X, T = pairs(n=20, seed=3)
    lam, sigma = 0.4, 0.8
    k = pfe.PixelKernelRidge(lam=lam, sigma=sigma).fit(X, T)
    C = k.coef_.reshape(len(X), -1)
    Xf, Tf = X.reshape(len(X), -1), T.reshape(len(T), -1)
    for p in range(Xf.shape[1]):
        K = gaussian_kernel(Xf[:, p, None], Xf[None, :, p], sigma)
        grad = 2 * K @ ((K + lam * np.eye(len(K))) @ C[:, p] - Tf[:, p])
        assert np.abs(grad).max() < 1e-10


def test_kernel_ridge_update_lam_and_sigma_equal_refit():
    X, T = pairs(n=30, c=3, seed=2)
    k = pfe.PixelKernelRidge(lam=0.4, sigma=3.0).fit(X, T)
    k.update(lam=0.05)
    np.testing.assert_allclose(k.predict(X), pfe.PixelKernelRidge(0.05, 3.0).fit(X, T).predict(X), atol=1e-10)
    k.update(sigma=0.7)
    np.testing.assert_allclose(k.predict(X), pfe.PixelKernelRidge(0.05, 0.7).fit(X, T).predict(X), atol=1e-10)
    d = pfe.PixelKernelRidge(lam=0.4, sigma=0.5, solver="direct").fit(X, T).update(lam=0.1)
    np.testing.assert_allclose(d.predict(X), pfe.PixelKernelRidge(0.1, 0.5).fit(X, T).predict(X), atol=1e-9)


def test_kernel_ridge_large_sigma_approaches_pixel_ridge_shape():
    """The paper: large σ blurs towards a smooth (nearly linear) per-pixel map."""
    X, T = pairs(n=60, seed=4)
    k = pfe.PixelKernelRidge(lam=1e-3, sigma=10.0).fit(X, T)
    r = pfe.PixelRidge(lam=1e-3).fit(X, T)
    small = pfe.PixelKernelRidge(lam=1e-3, sigma=0.05).fit(X, T)
    gap_large = np.abs(k.predict(X) - r.predict(X)).mean()
    gap_small = np.abs(small.predict(X) - r.predict(X)).mean()
    assert gap_large < 0.5 * gap_small


def test_lut_is_exact_on_8bit_inputs_and_refuses_others():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (25, 6, 5, 3)) / 255
    T = np.clip(X**1.5 + 0.05, 0, 1)
    k = pfe.PixelKernelRidge(lam=0.4, sigma=0.5).fit(X, T)
    lut = k.to_lut()
    Xnew = rng.integers(0, 256, (7, 6, 5, 3)).astype(np.uint8)
    np.testing.assert_allclose(lut.predict(Xnew), k.predict(Xnew / 255), atol=1e-12)
    np.testing.assert_allclose(lut.predict(Xnew[0] / 255), k.predict(Xnew[0] / 255), atol=1e-12)
    assert lut.n_params == 256 * 6 * 5 and lut.nbytes == 256 * 6 * 5 * 3 * 8
    with pytest.raises(ValueError, match="8-bit grid"):
        lut.predict(Xnew / 255 + 0.001)


# --------------------------------------------------------------------------- MR
def brute_masked_ridge(X, T, Xnew, lam, field):
    """Each pixel: ridge on its in-bounds r x r patch + bias (the authors' counting)."""
    N, H, W = X.shape
    h = field // 2
    Y = np.empty(Xnew.shape)
    for i in range(H):
        for j in range(W):
            rows, cols = slice(max(i - h, 0), i + h + 1), slice(max(j - h, 0), j + h + 1)
            Z = np.column_stack([X[:, rows, cols].reshape(N, -1), np.ones(N)])
            w = np.linalg.solve(Z.T @ Z + lam * np.eye(Z.shape[1]), Z.T @ T[:, i, j])
            Zn = np.column_stack([Xnew[:, rows, cols].reshape(len(Xnew), -1), np.ones(len(Xnew))])
            Y[:, i, j] = Zn @ w
    return Y


@pytest.mark.parametrize("field", [1, 3, 5])
def test_masked_ridge_equals_per_pixel_solve_with_inbounds_patches(field):
    X, T = pairs(n=20, h=6, w=7, seed=6)
    Xnew = np.random.default_rng(1).random((3, 6, 7))
    m = pfe.MaskedRidge(lam=0.4, field=field).fit(X, T)
    np.testing.assert_allclose(m.predict(Xnew), brute_masked_ridge(X, T, Xnew, 0.4, field), atol=1e-11)
    assert m.weight_.shape == (6, 7, field, field) and m.bias_.shape == (6, 7)
    # out-of-bounds neighbours get exactly zero weight
    if field > 1:
        assert np.all(m.weight_[0, :, 0, :] == 0) and np.all(m.weight_[:, -1, :, -1] == 0)


def test_masked_ridge_gradient_vanishes():
    X, T = pairs(n=15, h=5, w=5, seed=7)
    lam = 0.3
    m = pfe.MaskedRidge(lam=lam, field=3).fit(X, T)
    P = np.pad(X, ((0, 0), (1, 1), (1, 1)))
    Z = np.stack([P[:, i:i + 5, j:j + 5] for i in range(3) for j in range(3)], axis=-1)  # (N, H, W, 9), zeros outside
    w = m.weight_.reshape(5, 5, 9)
    r = T - ((Z * w).sum(-1) + m.bias_)
    grad_w = -2 * (r[..., None] * Z).sum(0) + 2 * lam * w
    grad_b = -2 * r.sum(0) + 2 * lam * m.bias_
    assert np.abs(grad_w).max() < 1e-11 and np.abs(grad_b).max() < 1e-11


def test_masked_ridge_field_1_is_pixel_ridge():
    X, T = pairs(n=30, c=3, seed=8)
    m = pfe.MaskedRidge(lam=0.4, field=1).fit(X, T)
    r = pfe.PixelRidge(lam=0.4).fit(X, T)
    np.testing.assert_allclose(m.weight_[..., 0, 0], r.weight_, atol=1e-12)
    np.testing.assert_allclose(m.bias_, r.bias_, atol=1e-12)
    np.testing.assert_allclose(m.predict(X), r.predict(X), atol=1e-12)
    assert m.n_params == r.n_params


def test_masked_ridge_update_equals_refit():
    X, T = pairs(n=15, c=3, seed=9)
    m = pfe.MaskedRidge(lam=0.4, field=3).fit(X, T).update(lam=1.5)
    np.testing.assert_allclose(m.predict(X), pfe.MaskedRidge(1.5, 3).fit(X, T).predict(X), atol=1e-12)


# --------------------------------------------------------------------------- global ridge
def test_global_ridge_dual_equals_primal():
    X, T = pairs(n=8, h=4, w=3, c=2, seed=10)
    lam = 0.3
    g = pfe.GlobalRidge(lam=lam).fit(X, T)
    Y = g.predict(X[:3])
    for c in range(2):
        A, B = X[..., c].reshape(8, -1), T[..., c].reshape(8, -1)
        W = np.linalg.solve(A.T @ A + lam * np.eye(A.shape[1]), A.T @ B).T  # Eq. 2, D x D
        np.testing.assert_allclose(Y[..., c].reshape(3, -1), A[:3] @ W.T, atol=1e-12)
    g.update(lam=2.0)
    np.testing.assert_allclose(g.predict(X), pfe.GlobalRidge(2.0).fit(X, T).predict(X), atol=1e-12)


# --------------------------------------------------------------------------- Table I counts
def test_n_params_follow_table_1():
    z = np.zeros((2, 128, 128))
    assert pfe.PixelRidge().fit(z, z).n_params == 32768  # 3.28e4
    assert pfe.MaskedRidge(field=3).fit(z, z).n_params == 162308  # 16.2e4
    assert pfe.GlobalRidge().fit(z, z).n_params == 128**4
    X = np.random.default_rng(0).random((400, 128, 128))
    assert pfe.PixelKernelRidge(sigma=10.0).fit(X, X).n_params == 6_553_600  # 655e4
    # per channel: colour does not change the count
    z3 = np.zeros((2, 128, 128, 3))
    assert pfe.PixelRidge().fit(z3, z3).n_params == 32768


# --------------------------------------------------------------------------- shapes, persistence
@pytest.mark.parametrize("cls", [pfe.PixelRidge, pfe.PixelKernelRidge, pfe.MaskedRidge, pfe.GlobalRidge])
@pytest.mark.parametrize("c", [None, 3])
def test_predict_returns_shape_of_its_input(cls, c):
    X, T = pairs(n=10, c=c)
    m = cls().fit(X, T)
    assert m.predict(X).shape == X.shape
    assert m.predict(X[0]).shape == X.shape[1:]
    np.testing.assert_allclose(m.predict(X[0]), m.predict(X)[0], atol=1e-12)


@pytest.mark.parametrize(
    "model",
    [pfe.PixelRidge(0.3), pfe.PixelKernelRidge(0.3, 0.5), pfe.PixelKernelRidge(0.3, 0.05, "direct"),
     pfe.MaskedRidge(0.3, 3), pfe.GlobalRidge(0.3)],
    ids=repr,
)
def test_save_load_round_trip(model, tmp_path):
    X, T = pairs(n=10, c=3)
    model.fit(X, T)
    path = model.save(tmp_path / "m.npz")
    loaded = pfe.load_model(path)
    assert type(loaded) is type(model) and loaded.get_params() == model.get_params()
    np.testing.assert_allclose(loaded.predict(X), model.predict(X), atol=1e-12)
    loaded.update(lam=1.0)  # a loaded model can still be re-solved
    np.testing.assert_allclose(loaded.predict(X), type(model)(**{**model.get_params(), "lam": 1.0}).fit(X, T).predict(X),
                               atol=1e-9)


def test_load_refuses_other_versions_kinds_and_files(tmp_path):
    X, T = pairs()
    path = pfe.PixelRidge().fit(X, T).save(tmp_path / "m.npz")
    data = dict(np.load(path))
    np.savez(tmp_path / "old.npz", **{**data, "format_version": FORMAT_VERSION + 1})
    with pytest.raises(ValueError, match="format version"):
        pfe.load_model(tmp_path / "old.npz")
    np.savez(tmp_path / "kind.npz", **{**data, "kind": "StarGAN"})
    with pytest.raises(ValueError, match="unknown kind 'StarGAN'"):
        pfe.load_model(tmp_path / "kind.npz")
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(ValueError, match="not a pixelfes_edu model"):
        pfe.load_model(tmp_path / "other.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="not a pixelfes_edu model"):
        pfe.load_model(tmp_path / "junk.npz")


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("bad", [0, -0.4, float("nan"), float("inf"), "0.4"])
def test_bad_lambda(bad):
    for cls in (pfe.PixelRidge, pfe.PixelKernelRidge, pfe.MaskedRidge, pfe.GlobalRidge):
        with pytest.raises(ValueError, match="lam must be a finite real number > 0"):
            cls(lam=bad)
    with pytest.raises(ValueError, match="lam must be"):
        pfe.PixelRidge().fit(*pairs()).update(lam=bad)


@pytest.mark.parametrize("bad", [0, -1.0, float("nan")])
def test_bad_sigma(bad):
    with pytest.raises(ValueError, match="sigma must be a finite real number > 0"):
        pfe.PixelKernelRidge(sigma=bad)
    with pytest.raises(ValueError, match="sigma must be"):
        pfe.PixelKernelRidge().fit(*pairs()).update(sigma=bad)


@pytest.mark.parametrize("bad", [0, 2, 4, -3, 3.0, "3"])
def test_bad_field(bad):
    with pytest.raises(ValueError, match="field must be an odd integer >= 1"):
        pfe.MaskedRidge(field=bad)


def test_bad_images_get_messages_that_say_what_to_fix():
    X, T = pairs(c=3)
    m = pfe.PixelRidge()
    Xn = X.copy()
    Xn[3, 1, 2, 0] = np.nan
    with pytest.raises(ValueError, match=r"NaN or inf \(first at index \(3, 1, 2, 0\)\)"):
        m.fit(Xn, T)
    with pytest.raises(ValueError, match="NaN or inf"):
        m.fit(X, np.where(T > 0.5, np.inf, T))
    with pytest.raises(ValueError, match=r"outside \[0, 1\].*divide by 255"):
        m.fit(X * 255, T)
    with pytest.raises(ValueError, match="dtype uint8.*img_as_float"):
        m.fit((X * 255).astype(np.uint8), T)
    with pytest.raises(ValueError, match="X has 12 images but T has 11"):
        m.fit(X, T[:11])
    with pytest.raises(ValueError, match="differ in size or channels"):
        m.fit(X, T[:, :4])
    with pytest.raises(ValueError, match=r"\(N, H, W\) or \(N, H, W, C\)"):
        m.fit(X[0, :, :, 0], T[0, :, :, 0])
    # within the documented tolerance is accepted (interpolation overshoot)
    m.fit(X * 1.04, T)


def test_predict_before_fit_and_on_other_shapes():
    X, T = pairs(c=3)
    for cls in (pfe.PixelRidge, pfe.PixelKernelRidge, pfe.MaskedRidge, pfe.GlobalRidge):
        with pytest.raises(NotFittedError, match="not fitted yet"):
            cls().predict(X)
        assert issubclass(NotFittedError, ValueError)
        m = cls().fit(X, T)
        with pytest.raises(ValueError, match="fitted on images of shape"):
            m.predict(X[:, :4])
        with pytest.raises(ValueError, match="fitted on images of shape"):
            m.predict(X[..., :1])  # one channel instead of three
        with pytest.raises(ValueError, match="NaN or inf"):
            m.predict(np.full_like(X, np.nan))
