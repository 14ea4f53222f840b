"""Table III, an analogue: how often an independent expression classifier calls faces happy.

The paper's Table III reports how often its recogniser called the synthesised happy faces happy
(GANimation 68%, MR 84%, Pixel-RR 85%). :func:`table3` measures the same thing here with a
network this package did not train (:mod:`~pixelfes_edu.evaluation.expression`), on held-out
people, beside the real smiles (the ceiling) and the neutral inputs (the floor);
:func:`gallery_happy` asks it about out-of-dataset faces. Both return scorecard rows
(:mod:`~pixelfes_edu.evaluation.scorecard`); :mod:`~pixelfes_edu.evaluation.paper` gathers them
with the other claims of the paper.
"""
import time

import numpy as np

from ..models import PAPER_LAM, PAPER_SIGMA, MaskedRidge, PixelKernelRidge, PixelRidge, SparseFieldRidge
from . import expression
from .crossval import named_models
from .scorecard import MarkdownResult, Row, markdown_table, percent

__all__ = ["PAPER_TABLE3", "table3", "Table3", "gallery_happy", "GalleryHappy"]

#: Table III of the paper: share of synthesised happy faces its recogniser called happy.
PAPER_TABLE3 = {"GANimation": 0.68, "MR": 0.84, "Pixel-RR": 0.85}


# --------------------------------------------------------------------------- Table III
def _default_models():
    return {"Pixel-RR": PixelRidge(PAPER_LAM), "MR": MaskedRidge(PAPER_LAM, 3),
            "Pixel-KR": PixelKernelRidge(PAPER_LAM, PAPER_SIGMA["happy"]), "Sparse field": SparseFieldRidge(PAPER_LAM)}


class Table3(MarkdownResult):
    """What :func:`table3` returns: ``recognition`` (:class:`~pixelfes_edu.evaluation.expression.Recognition`),
    ``seconds`` and ``rows``."""

    def __init__(self, recognition, seconds, rows):
        self.recognition, self.seconds, self.rows = recognition, seconds, rows

    def to_markdown(self):
        return self.recognition.to_markdown()


def table3(pairs, models=None, alphas=(0.5, 1.0, 1.5), folds=5, seed=0):
    """Table III analogue: how often an independent classifier calls held-out synthesised smiles happy.

    :func:`~pixelfes_edu.evaluation.expression.held_out_recognition`: ``folds`` folds split
    by person; every model is fitted on the other people and its held-out outputs, at each
    intensity α, are classified by the FER2013 mini-Xception (a network this package did
    not train). The real smiles (the ceiling: the network does not call every real smile
    happy), the neutral inputs and the mean training smile are classified too.

    Parameters
    ----------
    pairs : Pairs of neutral inputs and smiles (London)
    models : dict ``{name: unfitted model}``, default Pixel-RR (λ = 0.4), MR (r = 3) and
        Pixel-KR (λ = 0.4, σ = 3), the paper's settings, and the sparse field (R = 4) of the
        authors' follow-up.
    alphas : intensities measured (must include 1)
    folds, seed : as :func:`~pixelfes_edu.evaluation.person_folds`

    Returns
    -------
    Table3

    Raises
    ------
    DataUnavailableError
        The classifier's network is not cached and cannot be downloaded.
    """
    if not np.isclose(alphas, 1.0).any():
        raise ValueError(f"alphas must include 1 (the paper's setting), got {list(alphas)}")
    models = _default_models() if models is None else named_models(models)
    t0 = time.perf_counter()
    rec = expression.held_out_recognition(models, pairs, alphas=alphas, folds=folds, seed=seed)
    seconds = time.perf_counter() - t0
    n = len(pairs)

    def rate(name):
        k = int(round(rec.happy_rate(name) * n))
        lo, hi = expression.wilson_interval(k, n)
        return f"{percent(k / n)} ({percent(lo)}–{percent(hi)})"

    proto = (f"{folds} folds by person on {n} {pairs.name} faces, α = 1; FER2013 mini-Xception "
             "(`evaluation.expression`, 18 views per face); 95% Wilson interval")
    ceiling = rec.happy_rate("real smiles")
    rows = [Row("Table III: real smiles called happy", "—", rate("real smiles"), "the ceiling here",
                "the same network on the real smiling photos"),
            Row("Table III: neutral inputs called happy", "—", rate("neutral inputs"), "the floor here",
                "the same network on the neutral photos")]
    for name in models:
        paper = PAPER_TABLE3.get(name)
        rows.append(Row(f"Table III: {name} smiles called happy", "—" if paper is None else percent(paper),
                        rate(name) + f"; {rec.happy_rate(name) / max(ceiling, 1e-9):.2f}x the real smiles' rate",
                        "not in the paper" if paper is None else "not comparable (other classifier and data)",
                        proto))
    if {"Pixel-RR", "MR"} <= set(models):
        rr, mr = rec.happy_rate("Pixel-RR"), rec.happy_rate("MR")
        k_rr, k_mr = round(rr * n), round(mr * n)
        overlap = (expression.wilson_interval(k_rr, n)[0] <= expression.wilson_interval(k_mr, n)[1]
                   and expression.wilson_interval(k_mr, n)[0] <= expression.wilson_interval(k_rr, n)[1])
        rows.append(Row("Table III: Pixel-RR vs MR", "85% vs 84% (Pixel-RR ≥ MR)",
                        f"{percent(rr)} vs {percent(mr)}" + (" (intervals overlap)" if overlap else ""),
                        "same order" if rr >= mr else "reversed", proto))
    rows.append(Row("Table III: mean training smile called happy", "—", rate("mean target"),
                    "a happy rate is not realism", "the mean of the training smiles, the same face for everybody"))
    rows.append(Row("Table III: GANimation", percent(PAPER_TABLE3["GANimation"]), "not run", "not comparable",
                    "no GAN in this package"))
    return Table3(rec, seconds, rows)


# --------------------------------------------------------------------------- the gallery
class GalleryHappy(MarkdownResult):
    """What :func:`gallery_happy` returns: ``rates`` ``{row: {group: happy rate}}``, ``p_happy``
    (mean p(happy) likewise), ``groups`` ``{group: names}``, ``rows``."""

    def __init__(self, rates, p_happy, groups, rows):
        self.rates, self.p_happy, self.groups, self.rows = rates, p_happy, groups, rows

    def to_markdown(self):
        head = ["faces"] + [f"{g} (n={len(names)})" for g, names in self.groups.items()]
        return markdown_table(head, [(name, *(f"{percent(r[g])} ({self.p_happy[name][g]:.2f})" for g in self.groups))
                                for name, r in self.rates.items()])


def gallery_happy(models, gallery, animals=("chelsea", "fox"), alpha=1.0):
    """The classifier on out-of-dataset faces: the inputs as they are and each fitted model's output.

    Parameters
    ----------
    models : dict ``{name: fitted model}`` (trained on a whole data set)
    gallery : dict ``{name: aligned (H, W, 3) crop}`` (:func:`pixelfes_edu.load_gallery`)
    animals : gallery names that are not people (reported apart)
    alpha : intensity of the change

    Returns
    -------
    GalleryHappy
    """
    names = sorted(gallery)
    groups = {"people": [k for k in names if k not in animals], "animals": [k for k in names if k in animals]}
    groups = {g: v for g, v in groups.items() if v}
    G = np.stack([gallery[k] for k in names])
    faces = {"inputs as they are": G}
    for name, m in models.items():
        faces[name] = np.clip(G + alpha * (m.predict(G) - G), 0, 1)
    rates, p_happy = {}, {}
    for label, F in faces.items():
        p = expression.predict_proba(F)
        rates[label], p_happy[label] = {}, {}
        for g, members in groups.items():
            sel = np.isin(names, members)
            rates[label][g] = float(np.mean(p[sel].argmax(axis=1) == expression.HAPPY))
            p_happy[label][g] = float(p[sel, expression.HAPPY].mean())
    people = groups.get("people", [])
    rows = []
    if people:
        for label in faces:
            rows.append(Row(f"Out of dataset: {label} called happy", "qualitative (Figs. 1, 4)" if label in models
                            else "—", f"{percent(rates[label]['people'])} of {len(people)} gallery people",
                            "no number in the paper", f"models fitted on all training pairs, α = {alpha:g}; "
                            "`load_gallery` crops aligned by the detected face mesh"))
    return GalleryHappy(rates, p_happy, groups, rows)
