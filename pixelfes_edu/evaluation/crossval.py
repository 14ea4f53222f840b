"""Cross-validation by person: :func:`evaluate` fits every model on the other people and scores the held-out ones.
"""
import copy
import time

import numpy as np

from ..models import PAPER_LAM, PAPER_SIGMA  # noqa: F401 (re-exported)
from ..validation import check_images
from . import metrics

__all__ = ['evaluate', 'score_predictions', 'EvaluationResult', 'person_folds', 'named_models', 'PAPER_LAM', 'PAPER_SIGMA', 'COLUMNS']


#: Column order and headers of :attr:`EvaluationResult.table`.
COLUMNS = {
    "psnr": "PSNR dB", "ssim": "SSIM (crop)", "ssim_face": "SSIM (face)", "sharpness_ratio": "sharpness / target",
    "transfer": "transfer (face)", "cosine": "cosine (face)",
    "transfer_mouth": "transfer (mouth)", "transfer_eyes": "transfer (eyes)",
    "transfer_head": "transfer (head)", "tone_shift": "tone shift", "speckle": "speckle (outside face)",
    "fit_s": "fit s", "predict_s": "predict s", "n_params": "params / channel",
}




def clone(model):
    """An unfitted copy with the same hyper-parameters."""
    if hasattr(model, "get_params"):
        return type(model)(**model.get_params())
    return copy.deepcopy(model)


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


def named_models(models):
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


def evaluate(models, pairs, folds=5, seed=0, progress=True, alpha=1.0, regions=("mouth", "eyes", "head"),
             keep=None):
    """Cross-validate models on paired faces, split by person.

    Parameters
    ----------
    models : dict ``{name: model}`` or list of models
        Unfitted (or fitted: they are cloned) pixelfes_edu models or
        :class:`Normalised` wrappers.
    pairs : :class:`pixelfes_edu.data.pairs.Pairs`
    folds : int
        Number of folds; all images of one person fall in the same fold.
    seed : int
        Shuffles people into folds; same seed, same table.
    progress : bool
        Show a tqdm bar over folds.
    alpha : float
        Expression intensity applied to every prediction
        (:func:`pixelfes_edu.evaluation.metrics.apply_intensity`) before scoring.
    regions : tuple of str
        Regions for the extra ``transfer_<region>`` columns (the face-level
        columns use the "face" region).
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
    named = named_models(models)
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
        Y = np.clip(metrics.apply_intensity(X[test], Y, alpha), 0, 1)
        for k, v in metrics.image_metrics(X[test], Y, T[test], regions=regions).items():
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
            m = clone(model)
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


def score_predictions(predictions, pairs, alpha=1.0, regions=("mouth", "eyes", "head")):
    """Metrics of predictions already made for ``pairs`` (no fitting): one table row per entry.

    ``predictions`` is ``{name: outputs}`` with outputs shaped like
    ``pairs.inputs``; they are blended with intensity ``alpha`` and clipped to
    [0, 1] as :func:`evaluate` does.  Handy for held-out tables in a lesson.

    >>> import pixelfes_edu as pfe
    >>> p = pfe.load_pairs("synthetic", n=6, size=32, seed=0)
    >>> res = score_predictions({"input as is": p.inputs, "target": p.targets}, p)
    >>> res.row("target")["transfer"], res.row("input as is")["transfer"]
    (1.0, 0.0)
    """
    X, T = check_images(pairs.inputs, "pairs.inputs"), check_images(pairs.targets, "pairs.targets")
    per_image, preds = {}, {}
    for name, Y in predictions.items():
        Y = check_images(Y, name, in_range=False)
        if Y.shape != X.shape:
            raise ValueError(f"predictions {name!r} have shape {Y.shape}; pairs.inputs have {X.shape}")
        preds[name] = np.clip(metrics.apply_intensity(X, Y, alpha), 0, 1)
        per_image[name] = metrics.image_metrics(X, preds[name], T, regions=regions)
    table = [{"model": name, **{k: float(np.mean(v)) for k, v in m.items()}} for name, m in per_image.items()]
    return EvaluationResult(table, per_image, preds, [np.unique(pairs.ids)], pairs, alpha)


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
    pairs : the evaluated :class:`~pixelfes_edu.data.pairs.Pairs`
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
        """Held-out faces: rows input, target and each model; ``n`` people as columns
        (:func:`pixelfes_edu.plotting.heldout_figure`)."""
        from ..plotting import heldout_figure

        return heldout_figure(self, n=n, names=names, seed=seed)

    def _repr_markdown_(self):  # Jupyter shows the table
        return self.to_markdown()

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
