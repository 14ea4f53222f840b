"""Streaming fits and merged statistics: chunk by chunk, or merged from parts, equals one fit on everything."""
import numpy as np
import pytest

import pixelfes_edu as pfe
from pixelfes_edu.models.linalg import solve_spd
from pixelfes_edu.models.masked_ridge import masked_sums

MODELS = [pfe.PixelRidge(0.3), pfe.MaskedRidge(0.3, 3), pfe.MaskedRidge(0.3, 5), pfe.GlobalRidge(0.3),
          pfe.PixelKernelRidge(0.3, 0.5), pfe.PixelKernelRidge(0.3, 0.5, "direct")]


def pairs(n=30, h=7, w=6, c=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, h, w) + ((c,) if c else ()))
    return X, np.clip(0.7 * X + 0.2 * rng.random(X.shape), 0, 1)


def fresh(model):
    return type(model)(**model.get_params())


@pytest.mark.parametrize("model", MODELS, ids=repr)
@pytest.mark.parametrize("c", [None, 3])
def test_partial_fit_in_chunks_equals_one_fit(model, c):
    X, T = pairs(c=c)
    whole = fresh(model).fit(X, T)
    m = fresh(model)
    for s in (slice(0, 7), slice(7, 8), slice(8, 30)):
        m.partial_fit(X[s], T[s])
    np.testing.assert_allclose(m.predict(X), whole.predict(X), atol=1e-10)
    lam = {**model.get_params(), "lam": 3.0}
    np.testing.assert_allclose(m.update(lam=3.0).predict(X), type(model)(**lam).fit(X, T).predict(X), atol=1e-10)
    m.fit(X[:5], T[:5])  # fit forgets the chunks before it (and keeps the hyper-parameters)
    np.testing.assert_allclose(m.predict(X), type(model)(**lam).fit(X[:5], T[:5]).predict(X), atol=1e-10)


@pytest.mark.parametrize("model", MODELS, ids=repr)
def test_merged_models_equal_one_fit(model):
    X, T = pairs(seed=1)
    parts = [fresh(model).fit(X[s], T[s]) for s in (slice(0, 10), slice(10, 11), slice(11, 30))]
    whole = fresh(model).fit(X, T)
    merged = parts[0].merge(parts[1]).merge(parts[2])
    np.testing.assert_allclose(merged.predict(X), whole.predict(X), atol=1e-10)
    np.testing.assert_allclose(sum(parts).predict(X), whole.predict(X), atol=1e-10)  # sum() as a reduce
    assert parts[0].predict(X).shape == X.shape  # the parts are unchanged models
    # λ is applied after the sums: merging then updating equals fitting at the new λ
    np.testing.assert_allclose(merged.update(lam=2.0).predict(X),
                               type(model)(**{**model.get_params(), "lam": 2.0}).fit(X, T).predict(X), atol=1e-10)


def test_merge_refuses_other_kinds_shapes_and_structure():
    X, T = pairs()
    a = pfe.MaskedRidge(field=3).fit(X, T)
    with pytest.raises(ValueError, match="cannot merge a MaskedRidge with a PixelRidge"):
        a + pfe.PixelRidge().fit(X, T)
    with pytest.raises(ValueError, match="shape"):
        a + pfe.MaskedRidge(field=3).fit(X[:, :5], T[:, :5])
    with pytest.raises(ValueError, match="field"):
        a + pfe.MaskedRidge(field=5).fit(X, T)
    with pytest.raises(ValueError, match="not fitted"):
        pfe.PixelRidge() + pfe.PixelRidge().fit(X, T)
    with pytest.raises(ValueError, match="every chunk must have the same"):
        pfe.PixelRidge().fit(X, T).partial_fit(X[:, :5], T[:, :5])


def test_kernel_ridge_merges_across_sigma_its_moments_do_not_depend_on_it():
    X, T = pairs(seed=5)
    a = pfe.PixelKernelRidge(0.3, 1.0).fit(X[:15], T[:15])
    b = pfe.PixelKernelRidge(0.3, 0.5).fit(X[15:], T[15:])
    assert a.solver_ == b.solver_ == "features"
    whole = pfe.PixelKernelRidge(0.3, 1.0).fit(X, T)
    np.testing.assert_allclose((a + b).predict(X), whole.predict(X), atol=1e-10)
    np.testing.assert_allclose((b + a).predict(X), whole.update(sigma=0.5).predict(X), atol=1e-10)


def test_pixel_ridge_streams_float32_memmap_chunks(tmp_path):
    X, T = pairs(n=70, c=3, seed=2)
    for name, a in (("X", X), ("T", T)):
        np.save(tmp_path / f"{name}.npy", a.astype(np.float32))
    Xm, Tm = np.load(tmp_path / "X.npy", mmap_mode="r"), np.load(tmp_path / "T.npy", mmap_mode="r")
    m = pfe.PixelRidge(0.4)
    for i in range(0, 70, 16):
        m.partial_fit(Xm[i:i + 16], Tm[i:i + 16])
    ref = pfe.PixelRidge(0.4).fit(Xm.astype(np.float64), Tm.astype(np.float64))
    np.testing.assert_allclose(m.weight_, ref.weight_, atol=1e-12)
    np.testing.assert_allclose(m.bias_, ref.bias_, atol=1e-12)
    bad = np.array(Xm[:16])
    bad[3, 2, 1, 0] = np.nan
    with pytest.raises(ValueError, match=r"NaN or inf \(first at index \(3, 2, 1, 0\)\)"):
        pfe.PixelRidge().partial_fit(bad, Tm[:16])


@pytest.mark.parametrize("shape", [(9, 11), (3, 3), (2, 5), (1, 4), (6, 6)])
@pytest.mark.parametrize("field", [1, 3, 5, 7])
def test_masked_sums_equal_products_of_explicit_patches(shape, field):
    rng = np.random.default_rng(3)
    x, t = rng.random((5,) + shape), rng.random((5,) + shape)
    gram, rhs = masked_sums(x, t, field)
    h = field // 2
    P = np.pad(x, ((0, 0), (h, h), (h, h)))
    H, W = shape
    Z = np.stack([P[:, i:i + H, j:j + W] for i in range(field) for j in range(field)] + [np.ones(x.shape)], -1)
    np.testing.assert_allclose(np.moveaxis(gram, (0, 1), (2, 3)), np.einsum("nhwa,nhwb->hwab", Z, Z), atol=1e-12)
    np.testing.assert_allclose(np.moveaxis(rhs, 0, -1), np.einsum("nhwa,nhw->hwa", Z, t), atol=1e-12)


@pytest.mark.parametrize("q", [1, 2, 10, 26])
def test_solve_spd_equals_numpy_solve(q):
    rng = np.random.default_rng(q)
    Z = rng.random((40, 30, q))
    A = Z.transpose(0, 2, 1) @ Z + 0.1 * np.eye(q)  # (40, q, q) SPD
    b = rng.random((40, q))
    x = solve_spd(np.moveaxis(A, 0, -1), b.T)  # batch axis last
    np.testing.assert_allclose(x.T, np.linalg.solve(A, b[..., None])[..., 0], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("model", MODELS, ids=repr)
def test_partial_fit_continues_a_saved_model(model, tmp_path):
    X, T = pairs(seed=4)
    path = fresh(model).fit(X[:12], T[:12]).save(tmp_path / "m.npz")
    m = pfe.load_model(path).partial_fit(X[12:], T[12:])
    np.testing.assert_allclose(m.predict(X), fresh(model).fit(X, T).predict(X), atol=1e-10)


def test_kernel_ridge_new_sigma_or_lambda_reuses_the_moments(monkeypatch):
    from pixelfes_edu.models import kernel_ridge

    X, T = pairs(n=40, seed=6)
    k = pfe.PixelKernelRidge(0.3, 0.5).fit(X, T)  # moments up to the degree σ = 0.5 needs

    def boom(*a, **kw):
        raise AssertionError("a larger σ or a new λ must not visit the training values again")

    monkeypatch.setattr(kernel_ridge, "chebyshev_moments", boom)
    k.update(sigma=2.0)
    k.update(lam=1.0)
    monkeypatch.undo()
    np.testing.assert_allclose(k.predict(X), pfe.PixelKernelRidge(1.0, 2.0).fit(X, T).predict(X), atol=1e-10)


def test_kernel_ridge_file_from_another_feature_basis_is_refitted_on_load(tmp_path):
    X, T = pairs(n=40, seed=7)
    k = pfe.PixelKernelRidge(0.3, 1.0).fit(X, T)
    path = k.save(tmp_path / "k.npz")
    with np.load(path) as f:
        arrays = {name: f[name] for name in f.files if name != "basis"}
    arrays["primal"] = np.zeros_like(arrays["primal"])  # coefficients of some other basis
    np.savez(tmp_path / "old.npz", **arrays)
    np.testing.assert_allclose(pfe.load_model(tmp_path / "old.npz").predict(X), k.predict(X), atol=1e-10)


def test_kernel_ridge_moments_follow_the_data_through_a_solver_switch():
    X, T = pairs(n=40, seed=8)
    k = pfe.PixelKernelRidge(0.3, 1.0, "features").fit(X[:20], T[:20])
    k.update(solver="direct").partial_fit(X[20:], T[20:])  # the direct solver does not keep moments
    k.update(solver="features")
    np.testing.assert_allclose(k.predict(X), pfe.PixelKernelRidge(0.3, 1.0, "features").fit(X, T).predict(X),
                               atol=1e-10)


@pytest.mark.parametrize("model", [pfe.PixelRidge(0.4), pfe.MaskedRidge(0.4, 3), pfe.GlobalRidge(0.4),
                                   pfe.PixelKernelRidge(0.4, 1.0)], ids=lambda m: type(m).__name__)
def test_a_refused_chunk_leaves_the_fitted_model_as_it_was(model):
    """NaN deep inside a chunk (past the first blocks summed): partial_fit and fit refuse it, nothing changes."""
    rng = np.random.default_rng(3)
    X, T = rng.random((12, 8, 8, 3)), rng.random((12, 8, 8, 3))
    model.fit(X, T)
    before = model.predict(X)
    bad = rng.random((40, 8, 8, 3))
    bad[37, 5, 5, 2] = np.nan
    for method in (model.partial_fit, model.fit):
        with pytest.raises(ValueError, match="NaN"):
            method(bad, bad)
        np.testing.assert_array_equal(model.predict(X), before)
    model.update(lam=0.8)  # the statistics are the fitted ones: the re-solve equals a fresh fit at λ = 0.8
    fresh = type(model)(**{**model.get_params(), "lam": 0.8}).fit(X, T)
    np.testing.assert_allclose(model.predict(X), fresh.predict(X), atol=1e-9)
