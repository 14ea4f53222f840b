"""Cross-validation by person, exact leave-one-out, validation curves (tiny synthetic data)."""
import numpy as np
import pytest

import pixelfes_edu as pfe
from pixelfes_edu.evaluation import (Normalised, evaluate, loo_pixel_kernel_ridge, loo_pixel_ridge,
                                     person_folds, validation_curves)
from pixelfes_edu.data.pairs import Pairs


@pytest.fixture(scope="module")
def pairs():
    return pfe.load_pairs("synthetic", n=16, size=24, seed=0)


def _toy(n=12, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 3, 4))
    T = np.clip(X**2 + 0.1 * rng.standard_normal(X.shape), 0, 1)
    return X, T


def _brute_loo(make, X, T):
    errs = []
    for n in range(len(X)):
        keep = np.arange(len(X)) != n
        errs.append((make().fit(X[keep], T[keep]).predict(X[n]) - T[n]) ** 2)
    return np.mean(errs)


@pytest.mark.parametrize("lam", [0.01, 0.4, 5.0])
def test_loo_pixel_ridge_equals_refitting(lam):
    X, T = _toy()
    got = loo_pixel_ridge(X, T, [lam], region=None)[0]
    assert got == pytest.approx(_brute_loo(lambda: pfe.PixelRidge(lam), X, T), rel=1e-10)


@pytest.mark.parametrize("sigma,lam", [(0.3, 0.01), (1.0, 0.4), (3.0, 0.4)])  # 0.3: basis rank >= N path
def test_loo_pixel_kernel_ridge_equals_refitting(sigma, lam):
    X, T = _toy()
    got = loo_pixel_kernel_ridge(X, T, [sigma], [lam], region=None)[0, 0]
    want = _brute_loo(lambda: pfe.PixelKernelRidge(lam, sigma, solver="direct"), X, T)
    assert got == pytest.approx(want, rel=1e-8)


def test_loo_grid_shapes_and_subset():
    X, T = _toy(20)
    assert loo_pixel_ridge(X, T, [0.1, 1, 10], region=None).shape == (3,)
    e = loo_pixel_kernel_ridge(X, T, [0.5, 2.0], [0.1, 1.0], region=None, max_pixels=5)
    assert e.shape == (2, 2) and np.isfinite(e).all()
    with pytest.raises(ValueError, match="λ must be"):
        loo_pixel_ridge(X, T, [0.0], region=None)


def test_validation_curves_pick_grid_minimum(pairs):
    vc = validation_curves(pairs, lams=[0.01, 1, 100], sigmas=[0.5, 3.0], kr_lams=[0.1, 1.0], max_pixels=300)
    assert vc.best_lam_rr == vc.lams[np.argmin(vc.rr)]
    assert vc.at(sigma=vc.best_sigma, lam=vc.best_lam_kr) == vc.kr.min()
    fig = vc.figure()
    assert len(fig.axes) == 2


def test_person_folds_partition_people():
    ids = np.repeat(["a", "b", "c", "d", "e"], 2)
    folds = person_folds(ids, 3, seed=1)
    flat = np.concatenate(folds)
    assert sorted(flat) == ["a", "b", "c", "d", "e"] and len(set(flat)) == 5
    assert [f.tolist() for f in folds] == [f.tolist() for f in person_folds(ids, 3, seed=1)]
    with pytest.raises(ValueError, match="folds"):
        person_folds(ids, 6)


class _Spy(pfe.PixelRidge):
    """PixelRidge that records the ids of what it was fitted on (via the first pixel value)."""

    seen = []

    def fit(self, X, T):
        _Spy.seen.append(set(np.round(X[:, 0, 0, 0], 12)))
        return super().fit(X, T)


def test_evaluate_never_trains_on_held_out_people():
    rng = np.random.default_rng(0)
    base = rng.random((6, 8, 8, 3))
    X = np.repeat(base, 2, axis=0) * 0.9  # two images per person
    X[1::2] += 0.05
    T = np.clip(X + 0.1, 0, 1)
    ids = np.repeat([f"p{i}" for i in range(6)], 2)
    _Spy.seen = []
    res = evaluate({"spy": _Spy(lam=0.4)}, Pairs(X, T, ids, "happy", "toy", "toy"), folds=3, progress=False)
    assert len(_Spy.seen) == len(res.folds) == 3  # the spy ran once per fold
    for fold, seen in zip(res.folds, _Spy.seen):
        held = set(np.round(X[np.isin(ids, fold), 0, 0, 0], 12))
        others = set(np.round(X[~np.isin(ids, fold), 0, 0, 0], 12))
        assert held and not (held & seen)  # nobody held out was trained on
        assert seen == others  # and everybody else was


def test_evaluate_table_rows_baselines_and_determinism(pairs):
    models = {"Pixel-RR": pfe.PixelRidge(0.4), "MR": pfe.MaskedRidge(0.4, 3)}
    a = evaluate(models, pairs, folds=4, seed=3, progress=False)
    b = evaluate(models, pairs, folds=4, seed=3, progress=False)
    assert [r["model"] for r in a.table] == ["Pixel-RR", "MR", "identity", "mean target"]
    for ra, rb in zip(a.table, b.table):
        for k in ("psnr", "ssim", "transfer", "cosine", "sharpness_ratio", "n_params"):
            assert ra[k] == rb[k]
    ident = a.row("identity")
    assert ident["transfer"] == 0 and ident["n_params"] == 0
    assert a.row("Pixel-RR")["n_params"] == 2 * 24 * 24
    assert np.array_equal(a.predictions["identity"], pairs.inputs)
    # a model reproduces some of the expression, the mean target too, identity none
    assert a.row("Pixel-RR")["transfer"] > 0.05
    md = a.to_markdown()
    assert "| Pixel-RR |" in md and "| mean target |" in md and "SSIM" in md
    assert len(a.figure(n=3).axes) == 3 * 5  # input, target, 2 models, mean target


def test_evaluate_alpha_scales_transfer(pairs):
    r1 = evaluate([pfe.PixelRidge(0.4)], pairs, folds=4, progress=False).row("PixelRidge")
    r0 = evaluate([pfe.PixelRidge(0.4)], pairs, folds=4, progress=False, alpha=0.0).row("PixelRidge")
    assert r0["transfer"] == 0 and r1["transfer"] > 0


def test_evaluate_rejects_reserved_names(pairs):
    with pytest.raises(ValueError, match="baseline"):
        evaluate({"identity": pfe.PixelRidge()}, pairs, progress=False)


def test_normalised_is_exposure_invariant():
    rng = np.random.default_rng(0)
    X = rng.random((10, 6, 6)) * 0.5 + 0.2
    T = np.clip(X + 0.1, 0, 1)
    m = Normalised(pfe.PixelRidge(0.4), "minmax").fit(X, T)
    x = X[:3]
    darker = 0.5 * x + 0.1  # another exposure of the same faces
    np.testing.assert_allclose(m.predict(darker), 0.5 * m.predict(x) + 0.1, atol=1e-12)
    assert m.predict(x[0]).shape == (6, 6)
    with pytest.raises(ValueError, match="normalisation"):
        Normalised(pfe.PixelRidge(), "zscore")


def test_evaluate_keep_limits_stored_predictions_not_metrics(pairs):
    models = {"RR": pfe.PixelRidge(0.4), "MR": pfe.MaskedRidge(0.4, 3)}
    full = evaluate(models, pairs, folds=4, progress=False)
    lean = evaluate(models, pairs, folds=4, progress=False, keep=["RR"])
    assert set(lean.predictions) == {"RR"}
    assert np.array_equal(lean.predictions["RR"], full.predictions["RR"])
    drop = ("fit_s", "predict_s")
    assert [{k: v for k, v in r.items() if k not in drop} for r in lean.table] == \
        [{k: v for k, v in r.items() if k not in drop} for r in full.table]
    with pytest.raises(ValueError, match="keep"):
        lean.figure(names=["MR"])
    assert len(lean.figure(n=2).axes) == 3 * 2
