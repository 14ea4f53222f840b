"""SparseFieldRidge against a brute-force per-pixel search, Pixel-RR, and its contract."""
import itertools

import numpy as np
import pytest

import pixelfes_edu as pfe
from pixelfes_edu.models.sparse_field import SparseFieldRidge, candidate_offsets, gaussian_smooth, shift_map


def moved_pairs(n=14, h=7, w=6, c=2, seed=0):
    """Targets that are the inputs moved one pixel right, scaled, plus noise: offsets pay."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, h, w) + ((c,) if c else ()))
    T = np.clip(0.6 * np.roll(X, 1, axis=2) + 0.2 + 0.05 * rng.standard_normal(X.shape), 0, 1)
    return X, T


def ridge_objective(Z, t, lam):
    """min over theta of ||t - Z theta||^2 + lam ||theta||^2 and theta, by np.linalg.solve."""
    theta = np.linalg.solve(Z.T @ Z + lam * np.eye(Z.shape[1]), Z.T @ t)
    return ((t - Z @ theta) ** 2).sum() + lam * (theta**2).sum(), theta


def brute_sparse_field(X, T, lam, radius, n_pixels, locality, smoothness):
    """The model's definition, one pixel and one candidate at a time."""
    X4, T4 = (X, T) if X.ndim == 4 else (X[..., None], T[..., None])
    N, H, W, C = X4.shape
    offs = candidate_offsets(radius)
    chosen, residual = [], T4.copy()
    for pick in range(n_pixels):
        G = np.zeros((len(offs), H, W, C))
        free = np.zeros(G.shape, bool)
        refs = np.zeros((H, W, C))
        for y, x, c in itertools.product(range(H), range(W), range(C)):
            r = residual[:, y, x, c]
            J = {}
            for k, (dy, dx) in enumerate(offs):
                if 0 <= y + dy < H and 0 <= x + dx < W and all(ch[y, x, c] != k for ch in chosen):
                    J[k] = ridge_objective(np.stack([X4[:, y + dy, x + dx, c], np.ones(N)], 1), r, lam)[0]
            ref = ridge_objective(np.stack([X4[:, y, x, c], np.ones(N)], 1), r, lam)[0] if pick == 0 else r @ r
            refs[y, x, c] = ref
            for k in range(len(offs)):
                free[k, y, x, c] = k in J
                G[k, y, x, c] = J.get(k, ref)  # unusable candidates count as no gain over the reference
        if smoothness > 0:  # sum over the neighbourhood (Gaussian weights, edges repeated)
            h = int(np.ceil(3 * smoothness))
            g = np.exp(-0.5 * (np.arange(-h, h + 1) / smoothness) ** 2)
            g /= g.sum()
            A, Aref = np.zeros_like(G), np.zeros_like(refs)
            for y, x, i, j in itertools.product(range(H), range(W), range(-h, h + 1), range(-h, h + 1)):
                yy, xx = min(max(y + i, 0), H - 1), min(max(x + j, 0), W - 1)
                A[:, y, x] += g[i + h] * g[j + h] * G[:, yy, xx]
                Aref[y, x] += g[i + h] * g[j + h] * refs[yy, xx]
            G, refs = A, Aref
        G = G / refs + locality * np.hypot(offs[:, 0], offs[:, 1])[:, None, None, None]
        G = np.where(free, G, np.inf)
        pick_k = np.zeros(G.shape[1:], int)
        for y, x, c in itertools.product(range(H), range(W), range(C)):
            best = np.inf
            for k in range(len(offs)):  # in order, shortest first: a longer one must win by more than rounding
                if G[k, y, x, c] < best * (1 - 1e-9):
                    best, pick_k[y, x, c] = G[k, y, x, c], k
        chosen.append(pick_k)
        weight, bias = np.zeros((H, W, C, len(chosen))), np.zeros((H, W, C))
        for y, x, c in itertools.product(range(H), range(W), range(C)):
            cols = [X4[:, y + offs[ch[y, x, c]][0], x + offs[ch[y, x, c]][1], c] for ch in chosen]
            Z = np.stack(cols + [np.ones(N)], 1)
            theta = ridge_objective(Z, T4[:, y, x, c], lam)[1]
            weight[y, x, c], bias[y, x, c] = theta[:-1], theta[-1]
            residual[:, y, x, c] = T4[:, y, x, c] - Z @ theta
    offset = offs[np.stack(chosen, -1)]
    if X.ndim == 3:
        return offset[:, :, 0], weight[:, :, 0], bias[:, :, 0]
    return offset, weight, bias


@pytest.mark.parametrize("radius, n_pixels, locality, smoothness, c", [
    (1, 1, 0.0, 0.0, 2), (2, 1, 0.05, 0.0, 2), (2, 1, 0.02, 1.0, None), (2, 2, 0.02, 0.7, 2), (1, 3, 0.0, 0.5, 1),
])
def test_vectorised_choice_equals_brute_force(radius, n_pixels, locality, smoothness, c):
    X, T = moved_pairs(c=c)
    m = SparseFieldRidge(0.4, radius, n_pixels, locality, smoothness).fit(X, T)
    offset, weight, bias = brute_sparse_field(X, T, 0.4, radius, n_pixels, locality, smoothness)
    np.testing.assert_array_equal(m.offset_, offset)
    np.testing.assert_allclose(m.weight_, weight, atol=1e-12)
    np.testing.assert_allclose(m.bias_, bias, atol=1e-12)
    # and predict applies y = sum_k w_k x_{p + d_k} + b
    Y = m.predict(X)
    X4 = X if X.ndim == 4 else X[..., None]
    y, x = 3, 2
    for ch in range(X4.shape[-1]):
        w = m.weight_[y, x, ch] if X.ndim == 4 else m.weight_[y, x]
        d = m.offset_[y, x, ch] if X.ndim == 4 else m.offset_[y, x]
        b = m.bias_[y, x, ch] if X.ndim == 4 else m.bias_[y, x]
        expect = sum(w[k] * X4[:, y + d[k, 0], x + d[k, 1], ch] for k in range(len(w))) + b
        got = Y[:, y, x, ch] if X.ndim == 4 else Y[:, y, x]
        np.testing.assert_allclose(got, expect, atol=1e-12)


def test_the_true_shift_is_found():
    X, T = moved_pairs(n=40, h=9, w=9)
    m = SparseFieldRidge(lam=0.01, radius=2, smoothness=0).fit(X, T)
    assert (m.offset_[:, 1:, :, 0] == [0, -1]).all()  # output (y, x) reads input (y, x - 1)


@pytest.mark.parametrize("c", [None, 3])
def test_radius_zero_is_pixel_ridge_exactly(c):
    X, T = moved_pairs(c=c)
    m = SparseFieldRidge(lam=0.4, radius=0, smoothness=1.0, locality=0.3).fit(X, T)
    p = pfe.PixelRidge(lam=0.4).fit(X, T)
    np.testing.assert_array_equal(m.weight_[..., 0], p.weight_)
    np.testing.assert_array_equal(m.bias_, p.bias_)
    np.testing.assert_array_equal(m.predict(X), p.predict(X))
    assert m.n_params == p.n_params


def test_large_locality_falls_back_to_pixel_ridge():
    X, T = moved_pairs()
    m = SparseFieldRidge(lam=0.4, radius=2, locality=10.0).fit(X, T)
    assert not m.offset_.any()
    np.testing.assert_array_equal(m.predict(X), pfe.PixelRidge(0.4).fit(X, T).predict(X))


def test_update_equals_refit_without_images():
    X, T = moved_pairs(c=3)
    m = SparseFieldRidge(lam=0.4, radius=2, smoothness=0.0).fit(X, T)
    m.update(lam=0.1, locality=0.02, smoothness=0.8, radius=1)
    r = SparseFieldRidge(lam=0.1, radius=1, locality=0.02, smoothness=0.8).fit(X, T)
    np.testing.assert_array_equal(m.offset_, r.offset_)
    np.testing.assert_allclose(m.predict(X), r.predict(X), atol=1e-12)
    m.update(radius=2, smoothness=0.0, locality=0.0, lam=0.4)  # back up to the fitted radius
    np.testing.assert_array_equal(m.offset_, SparseFieldRidge(lam=0.4, radius=2, smoothness=0.0).fit(X, T).offset_)


def test_update_refuses_what_needs_the_images_and_leaves_the_model_as_it_was():
    X, T = moved_pairs(c=3)
    m = SparseFieldRidge(lam=0.4, radius=1).fit(X, T)
    before = m.predict(X)
    with pytest.raises(ValueError, match="radius=2"):
        m.update(radius=2)
    with pytest.raises(ValueError, match="n_pixels"):
        m.update(n_pixels=2)
    assert m.radius == 1 and m.n_pixels == 1
    np.testing.assert_array_equal(m.predict(X), before)
    with pytest.raises(ValueError, match="fit"):
        SparseFieldRidge(radius=1, n_pixels=2).fit(X, T).update(lam=1.0)


def test_smoothing_keeps_constant_maps_and_the_range():
    a = np.random.default_rng(0).random((9, 7, 2))
    assert np.allclose(gaussian_smooth(np.ones((5, 6, 1)), 1.3), 1.0)
    s = gaussian_smooth(a, 0.8)
    assert s.shape == a.shape and np.all(s <= a.max()) and np.all(s >= a.min())
    np.testing.assert_array_equal(gaussian_smooth(a, 0), a)


def test_shift_map_reads_the_offset_pixel():
    a = np.arange(12.0).reshape(3, 4, 1)
    s = shift_map(a, 1, -1)
    assert s[0, 1, 0] == a[1, 0, 0] and s[2, 3, 0] == 0 and s[1, 0, 0] == 0


@pytest.mark.parametrize("n_pixels, c", [(1, None), (2, 3)])
def test_save_load_round_trip(tmp_path, n_pixels, c):
    X, T = moved_pairs(c=c)
    m = SparseFieldRidge(lam=0.3, radius=2, n_pixels=n_pixels, locality=0.01, smoothness=0.5).fit(X, T)
    k = pfe.load_model(m.save(tmp_path / "m.npz"))
    assert type(k) is SparseFieldRidge and k.get_params() == m.get_params()
    np.testing.assert_array_equal(k.offset_, m.offset_)
    np.testing.assert_array_equal(k.predict(X), m.predict(X))
    with pytest.raises(ValueError, match="loaded from a file"):  # the per-candidate sums are not saved
        k.update(lam=1.0)


@pytest.mark.parametrize("kw, match", [
    ({"radius": -1}, "radius"), ({"radius": 1.5}, "radius"), ({"radius": True}, "radius"),
    ({"n_pixels": 0}, "n_pixels"), ({"radius": 0, "n_pixels": 2}, "exceeds"),
    ({"locality": -0.1}, "locality"), ({"smoothness": np.nan}, "smoothness"), ({"lam": 0}, "lam"),
])
def test_bad_hyper_parameters(kw, match):
    with pytest.raises(ValueError, match=match):
        SparseFieldRidge(**kw)


def test_fit_refuses_a_radius_beyond_the_image():
    X, T = moved_pairs(h=4, w=4)
    with pytest.raises(ValueError, match="radius < 4"):
        SparseFieldRidge(radius=4).fit(X, T)


def test_n_params_and_shapes():
    X, T = moved_pairs(c=3, h=8, w=8)
    m = SparseFieldRidge(radius=1, n_pixels=2).fit(X, T)
    assert m.n_params == 3 * 64
    assert m.offset_.shape == (8, 8, 3, 2, 2) and m.weight_.shape == (8, 8, 3, 2) and m.bias_.shape == (8, 8, 3)
    assert m.predict(X[0]).shape == X[0].shape
    np.testing.assert_allclose(m.predict(X[0]), m.predict(X)[0], atol=1e-12)
    assert np.abs(m.offset_).max() <= 1


def test_ties_go_to_the_shorter_offset():
    rng = np.random.default_rng(1)
    X = np.repeat(rng.random((20, 6, 3)), 2, axis=2)  # columns 2j and 2j+1 are equal: d=0 ties with a neighbour
    m = SparseFieldRidge(lam=0.4, radius=1, smoothness=0).fit(X, X)
    assert not m.offset_.any()


def test_a_file_with_offsets_outside_the_radius_or_the_image_is_refused(tmp_path):
    X = np.random.default_rng(0).random((20, 8, 8, 3))
    path = SparseFieldRidge(0.4, radius=2).fit(X, X).save(tmp_path / "m.npz")
    assert isinstance(pfe.load_model(path), SparseFieldRidge)
    for pixel, offset in [((0, 0), (-1, 0)), ((3, 3), (0, 7)), ((7, 7), (0, 1))]:
        arrays = dict(np.load(path))
        arrays["offset"] = arrays["offset"].copy()
        arrays["offset"][pixel][0] = offset
        np.savez(tmp_path / "bad.npz", **arrays)
        with pytest.raises(ValueError, match="radius 2 and point inside"):
            pfe.load_model(tmp_path / "bad.npz")


@pytest.mark.parametrize("value", [10**400, -1, float("nan"), True, "2"], ids=["huge int", "negative", "nan", "bool", "str"])
def test_locality_and_smoothness_refuse_what_is_not_a_nonnegative_number(value):
    for name in ("locality", "smoothness"):
        with pytest.raises(ValueError, match=f"{name} must be a finite real number >= 0"):
            SparseFieldRidge(**{name: value})
