"""Cross-validation by person, closed-form leave-one-out curves for λ and σ.

* :func:`evaluate` — k-fold cross-validation split by person id: every model
  (plus the ``identity`` and ``mean target`` baselines) is fitted on the other
  people and scored on held-out faces with :func:`pixelfes_edu.metrics.image_metrics`.
* :class:`Normalised` — wraps any model with per-image normalisation of its
  inputs (and targets) before fitting, undone on its outputs.
* :func:`loo_pixel_ridge`, :func:`loo_pixel_kernel_ridge` — exact
  leave-one-out errors for every λ (and σ) without refitting, the way the
  paper chose its hyper-parameters; :func:`validation_curves` runs both.

>>> import pixelfes_edu as pfe
>>> pairs = pfe.load_pairs("synthetic", n=20, size=32, seed=0)
>>> res = pfe.evaluate({"Pixel-RR": pfe.PixelRidge(lam=0.4)}, pairs, folds=4, progress=False)
>>> [r["model"] for r in res.table]
['Pixel-RR', 'identity', 'mean target']
"""
import copy
import time

import numpy as np

from . import metrics as M
from .models import _MercerBasis, check_images, gaussian_kernel

__all__ = [
    "evaluate", "EvaluationResult", "Normalised", "person_folds",
    "loo_pixel_ridge", "loo_pixel_kernel_ridge", "validation_curves", "ValidationCurves",
    "PAPER_LAM", "PAPER_SIGMA",
]

#: The paper's hyper-parameters (λ for every model; σ for Pixel-KR by expression).
PAPER_LAM = 0.4
PAPER_SIGMA = {"happy": 3.0, "other": 10.0}

#: Column order and headers of :attr:`EvaluationResult.table`.
COLUMNS = {
    "psnr": "PSNR dB", "ssim": "SSIM (crop)", "ssim_face": "SSIM (face)", "sharpness_ratio": "sharpness / target",
    "transfer": "transfer (face)", "cosine": "cosine (face)",
    "transfer_mouth": "transfer (mouth)", "transfer_eyes": "transfer (eyes)",
    "transfer_face": "transfer (face ellipse)", "tone_shift": "tone shift",
    "fit_s": "fit s", "predict_s": "predict s", "n_params": "params / channel",
}


# --------------------------------------------------------------------------- normalisation wrapper
class Normalised:
    """A model fitted on per-image normalised faces; predictions are mapped back.

    ``fit`` scales every input and every target by its own statistics
    (:func:`pixelfes_edu.metrics.normalise_images`); ``predict`` scales the
    input, predicts, and undoes the scaling with the *input's* statistics.

    Parameters
    ----------
    model : an unfitted pixelfes_edu model
    method : ``"minmax"`` (the authors' code), ``"meanstd"`` or ``"none"``

    Examples
    --------
    >>> import pixelfes_edu as pfe
    >>> X = np.random.default_rng(0).random((10, 8, 8)) * 0.5 + 0.2
    >>> m = Normalised(pfe.PixelRidge(lam=1e-6), "minmax").fit(X, X)
    >>> bool(np.allclose(m.predict(X), X, atol=1e-4)), m.n_params
    (True, 128)
    """

    def __init__(self, model, method="minmax"):
        if method not in M.NORMALISATIONS:
            raise ValueError(f"unknown normalisation {method!r}; use one of {M.NORMALISATIONS}")
        self.model, self.method = model, method

    def get_params(self):
        return {"model": _clone(self.model), "method": self.method}

    def fit(self, X, T):
        X, T = check_images(X, "X"), check_images(T, "T")
        self.model.fit(M.normalise_images(X, self.method)[0], M.normalise_images(T, self.method)[0])
        return self

    def predict(self, X):
        X = check_images(np.asarray(X), "X", ndim=(2, 3, 4))
        single = X.ndim == len(self.model.input_shape_)
        Xb = X[None] if single else X
        Xn, params = M.normalise_images(Xb, self.method)
        Y = M.denormalise_images(self.model.predict(Xn), params)
        return Y[0] if single else Y

    @property
    def n_params(self):
        return self.model.n_params

    def __repr__(self):
        return f"Normalised({self.model!r}, method={self.method!r})"


def _clone(model):
    """An unfitted copy with the same hyper-parameters."""
    if hasattr(model, "get_params"):
        return type(model)(**model.get_params())
    return copy.deepcopy(model)


# --------------------------------------------------------------------------- cross-validation
def person_folds(ids, folds=5, seed=0):
    """Split the unique person ids into ``folds`` groups (shuffled with ``seed``).

    >>> [f.tolist() for f in person_folds(["a", "b", "c", "d"], folds=2, seed=0)]
    [['c', 'a'], ['b', 'd']]
    """
    people = np.unique(np.asarray(ids).astype(str))
    if not (isinstance(folds, (int, np.integer)) and 2 <= folds <= len(people)):
        raise ValueError(f"folds must be an integer between 2 and the number of people ({len(people)}), "
                         f"got {folds!r}")
    order = np.random.default_rng(seed).permutation(people)
    return np.array_split(order, folds)


def _as_dict(models):
    if isinstance(models, dict):
        named = dict(models)
    else:
        named = {}
        for m in models:
            name = type(m).__name__
            named[name if name not in named else f"{name} ({len(named)})"] = m
    for reserved in ("identity", "mean target"):
        if reserved in named:
            raise ValueError(f"{reserved!r} is a built-in baseline name; rename your model")
    return named


def evaluate(models, pairs, folds=5, seed=0, progress=True, alpha=1.0, regions=("mouth", "eyes", "face"),
             keep=None):
    """Cross-validate models on paired faces, split by person.

    Parameters
    ----------
    models : dict ``{name: model}`` or list of models
        Unfitted (or fitted: they are cloned) pixelfes_edu models or
        :class:`Normalised` wrappers.
    pairs : :class:`pixelfes_edu.pairs.Pairs`
    folds : int
        Number of folds; all images of one person fall in the same fold.
    seed : int
        Shuffles people into folds; same seed, same table.
    progress : bool
        Show a tqdm bar over folds.
    alpha : float
        Expression intensity applied to every prediction
        (:func:`pixelfes_edu.metrics.apply_intensity`) before scoring.
    regions : tuple of str
        Regions for the extra ``transfer_<region>`` columns (the face-level
        columns use :data:`pixelfes_edu.metrics.FACE`, the inner face).
    keep : list of str, optional
        Names whose held-out predictions are kept in ``.predictions``
        (default: all; each costs the size of ``pairs.inputs``).

    Returns
    -------
    EvaluationResult
        ``.table`` rows = models + ``identity`` + ``mean target``; held-out
        predictions (clipped to [0, 1]) in ``.predictions``.

    Examples
    --------
    >>> import pixelfes_edu as pfe
    >>> pairs = pfe.load_pairs("synthetic", n=12, size=32, seed=0)
    >>> res = pfe.evaluate([pfe.PixelRidge()], pairs, folds=3, progress=False)
    >>> bool(res.row("identity")["transfer"] == 0.0)
    True
    """
    named = _as_dict(models)
    X, T = check_images(pairs.inputs, "pairs.inputs"), check_images(pairs.targets, "pairs.targets")
    groups = person_folds(pairs.ids, folds, seed)
    names = (*named, "identity", "mean target")
    keep = set(names if keep is None else keep)
    preds = {name: np.empty_like(X) for name in names if name in keep}
    per_image = {name: {} for name in names}
    fit_s = {name: 0.0 for name in names}
    predict_s = dict(fit_s)
    n_params = {"identity": 0, "mean target": int(np.prod(X.shape[1:3]))}

    def score(name, test, Y):  # metrics of one fold's held-out predictions, stored per image
        Y = np.clip(M.apply_intensity(X[test], Y, alpha), 0, 1)
        for k, v in M.image_metrics(X[test], Y, T[test], regions=regions).items():
            per_image[name].setdefault(k, np.empty(len(X)))[test] = v
        if name in preds:
            preds[name][test] = Y

    it = groups
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(groups, desc=f"evaluate ({len(named)} models, {folds} folds)")
    for test_ids in it:
        test = np.isin(pairs.ids, test_ids)
        for name, model in named.items():
            m = _clone(model)
            t0 = time.perf_counter()
            m.fit(X[~test], T[~test])
            t1 = time.perf_counter()
            Y = m.predict(X[test])
            fit_s[name] += t1 - t0
            predict_s[name] += time.perf_counter() - t1
            n_params[name] = int(m.n_params)
            score(name, test, Y)
        t0 = time.perf_counter()
        Y = np.broadcast_to(T[~test].mean(axis=0), X[test].shape)
        fit_s["mean target"] += time.perf_counter() - t0
        score("mean target", test, Y)
        score("identity", test, X[test])
    table = []
    for name in names:
        row = {"model": name, **{k: float(np.mean(v)) for k, v in per_image[name].items()}}
        row.update(fit_s=fit_s[name] / folds, predict_s=predict_s[name] / folds, n_params=n_params[name])
        table.append(row)
    return EvaluationResult(table, per_image, preds, groups, pairs, alpha)


class EvaluationResult:
    """What :func:`evaluate` returns.

    Attributes
    ----------
    table : list of dict
        One row per model: ``model``, mean held-out metrics (``psnr``,
        ``ssim``, ``ssim_face``, ``sharpness``, ``sharpness_ratio``, ``transfer``,
        ``cosine``, ``transfer_<region>``), mean ``fit_s`` / ``predict_s`` per fold and
        ``n_params`` (per channel).
    per_image : dict name -> dict metric -> ``(N,)`` array
    predictions : dict name -> held-out predictions ``(N, H, W[, C])`` in [0, 1]
    folds : list of arrays of person ids
    pairs : the evaluated :class:`~pixelfes_edu.pairs.Pairs`
    alpha : expression intensity used
    """

    def __init__(self, table, per_image, predictions, folds, pairs, alpha=1.0):
        self.table, self.per_image, self.predictions = table, per_image, predictions
        self.folds, self.pairs, self.alpha = folds, pairs, alpha

    def row(self, name):
        """The table row of one model."""
        for r in self.table:
            if r["model"] == name:
                return r
        raise KeyError(f"no model {name!r}; have {[r['model'] for r in self.table]}")

    def to_markdown(self, columns=None):
        """The table as GitHub markdown (means over held-out faces)."""
        cols = list(columns or [c for c in COLUMNS if c in self.table[0]])
        lines = ["| model | " + " | ".join(COLUMNS.get(c, c) for c in cols) + " |",
                 "|---|" + "---:|" * len(cols)]
        for r in self.table:
            lines.append(f"| {r['model']} | " + " | ".join(_fmt(c, r[c]) for c in cols) + " |")
        return "\n".join(lines)

    def figure(self, n=6, names=None, seed=0):
        """Held-out faces: rows input, target and each model; ``n`` people as columns."""
        import matplotlib.pyplot as plt

        names = list(names or [r["model"] for r in self.table
                               if r["model"] != "identity" and r["model"] in self.predictions])
        missing = [n for n in names if n not in self.predictions]
        if missing:
            raise ValueError(f"no held-out predictions kept for {missing}: pass keep=... to evaluate")
        idx = np.sort(np.random.default_rng(seed).choice(len(self.pairs), min(n, len(self.pairs)), replace=False))
        rows = [("input (neutral)", self.pairs.inputs), ("target", self.pairs.targets)]
        rows += [(name, self.predictions[name]) for name in names]
        fig, axes = plt.subplots(len(rows), len(idx), figsize=(1.3 * len(idx) + 1.2, 1.3 * len(rows)),
                                 squeeze=False)
        for i, (label, imgs) in enumerate(rows):
            for j, k in enumerate(idx):
                ax = axes[i, j]
                ax.imshow(np.clip(imgs[k], 0, 1), cmap="gray" if imgs.ndim == 3 else None, vmin=0, vmax=1)
                ax.set_xticks([]), ax.set_yticks([])
                if j == 0:
                    ax.set_ylabel(label.replace(" (", "\n(").replace(", ", ",\n"), fontsize=7)
                if i == 0:
                    ax.set_title(str(self.pairs.ids[k]), fontsize=8)
        fig.suptitle(f"held-out faces ({len(self.folds)}-fold CV by person, α = {self.alpha:g})", fontsize=9)
        fig.tight_layout()
        return fig

    def __repr__(self):
        return f"EvaluationResult({len(self.table)} rows, {len(self.folds)} folds)\n" + self.to_markdown()


def _fmt(col, v):
    if col == "n_params":
        if v < 1e5:
            return f"{v:,d}"
        return f"{v / 1e4:.4g}e4" if v < 1e8 else f"{v / 10 ** int(np.log10(v)):.3g}e{int(np.log10(v))}"
    if col in ("fit_s", "predict_s"):
        return f"{v:.3f}"
    if col == "psnr":
        return f"{v:.2f}"
    return f"{v:.3f}"


# --------------------------------------------------------------------------- leave-one-out
def _flat(X, T, region, max_pixels, seed):
    """``(N, P)`` pixel-channel columns inside ``region`` (optionally a random subset)."""
    X, T = check_images(X, "X"), check_images(T, "T")
    if X.shape != T.shape:
        raise ValueError(f"X {X.shape} and T {T.shape} must have the same shape")
    mask = M.get_mask(region, X.shape)
    x, t = M._masked(X, mask), M._masked(T, mask)
    if max_pixels is not None and x.shape[1] > max_pixels:
        keep = np.sort(np.random.default_rng(seed).choice(x.shape[1], int(max_pixels), replace=False))
        x, t = x[:, keep], t[:, keep]
    return x, t


def _lams(lams):
    lams = np.atleast_1d(np.asarray(lams, dtype=np.float64))
    if not (np.isfinite(lams).all() and (lams > 0).all()):
        raise ValueError(f"every λ must be a finite number > 0, got {lams}")
    return lams


def loo_pixel_ridge(X, T, lams, region="face", max_pixels=None, seed=0):
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
    n = float(len(x))
    sx, st, sxx, sxt = x.sum(0), t.sum(0), (x * x).sum(0), (x * t).sum(0)  # PixelRidge.stats_
    out = []
    for lam in _lams(lams):
        a, c = sxx + lam, n + lam  # Eq. 6: A = [[a, sx], [sx, c]]
        det = a * c - sx**2
        w = (c * sxt - sx * st) / det
        b = (a * st - sx * sxt) / det
        h = (x * x * c - 2 * x * sx + a) / det  # z^T A^-1 z with A^-1 = [[c, -sx], [-sx, a]] / det
        out.append(np.mean(((t - w * x - b) / (1 - h)) ** 2))
    return np.array(out)


def loo_pixel_kernel_ridge(X, T, sigmas, lams, region="face", max_pixels=4000, seed=0, batch=512):
    """Exact leave-one-out mean squared error of Pixel-KR on a grid of σ x λ.

    The smoother of kernel ridge is ``S = K (K + λ I)^-1``; its left-out
    residual is ``(t_n - y_n) / (1 - S_nn)``.  As in ``PixelKernelRidge``, the
    kernel is written exactly as ``K = Φ Φ^T`` with the shared finite Mercer
    basis (rank ``r`` << N), so with the eigendecomposition
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
        basis = _MercerBasis(float(sigma))
        for s in range(0, P, batch):
            xb = x[:, s:s + batch].T  # (B, N)
            if basis.rank < N:
                Phi = basis(xb)  # (B, N, r): K = Phi Phi^T exactly
                e, V = np.linalg.eigh(Phi.transpose(0, 2, 1) @ Phi)  # (B, r), (B, r, r)
                Psi = Phi @ V  # (B, N, r)
            else:  # basis no smaller than N: eigendecompose K = U diag(e) U^T itself (Eq. 12)
                e, U = np.linalg.eigh(gaussian_kernel(xb[:, :, None], xb[:, None, :], sigma))
                Psi = U * np.sqrt(np.maximum(e, 0))[:, None, :]
            e = np.maximum(e, 0)
            q = np.einsum("bnr,nb->br", Psi, t[:, s:s + batch])  # Ψ^T t
            tb = t[:, s:s + batch].T  # (B, N)
            for j, lam in enumerate(lams):
                inv = 1.0 / (e + lam)  # (B, r)
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
        import matplotlib.pyplot as plt

        fig, (a, b) = plt.subplots(1, 2, figsize=(8, 3))
        a.loglog(self.lams, self.rr, "o-", ms=3)
        a.axvline(PAPER_LAM, color="grey", ls=":", label="paper λ=0.4")
        a.axvline(self.best_lam_rr, color="C3", ls="--", label=f"LOO best λ={self.best_lam_rr:.3g}")
        a.set(xlabel="λ", ylabel="LOO mean squared error", title=f"Pixel-RR {self.label}")
        a.legend(fontsize=7)
        for j, lam in enumerate(self.kr_lams):
            b.loglog(self.sigmas, self.kr[:, j], "o-", ms=3, label=f"λ={lam:.3g}")
        for s in PAPER_SIGMA.values():
            b.axvline(s, color="grey", ls=":")
        b.axvline(self.best_sigma, color="C3", ls="--")
        b.set(xlabel="σ", title=f"Pixel-KR {self.label} (best σ={self.best_sigma:.3g}, λ={self.best_lam_kr:.3g})")
        b.legend(fontsize=6, ncol=2)
        fig.tight_layout()
        return fig


def validation_curves(pairs, lams=None, sigmas=None, kr_lams=None, region="face", max_pixels=4000, seed=0,
                      normalise="none"):
    """LOO validation curves for Pixel-RR (λ) and Pixel-KR (σ, λ) on ``pairs``.

    ``normalise`` applies :func:`pixelfes_edu.metrics.normalise_images` to
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
        X, T = M.normalise_images(X, normalise)[0], M.normalise_images(T, normalise)[0]
    rr = loo_pixel_ridge(X, T, lams, region=region, max_pixels=max_pixels, seed=seed)
    kr = loo_pixel_kernel_ridge(X, T, sigmas, kr_lams, region=region, max_pixels=max_pixels, seed=seed)
    return ValidationCurves(lams, rr, sigmas, kr_lams, kr, label=pairs.name)
