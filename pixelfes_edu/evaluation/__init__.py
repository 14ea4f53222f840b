"""Measuring synthesised faces: metrics, cross-validation by person, leave-one-out, the report.

=================================================  ==============================================
module                                             what
=================================================  ==============================================
:mod:`~pixelfes_edu.evaluation.metrics`            PSNR, SSIM, sharpness, transfer ratio, intensity
:mod:`~pixelfes_edu.evaluation.crossval`           ``evaluate``: k folds split by person
:mod:`~pixelfes_edu.evaluation.normalised`         per-image normalisation around any model
:mod:`~pixelfes_edu.evaluation.loo`                exact leave-one-out curves for λ and σ
:mod:`~pixelfes_edu.evaluation.report`             the London report (``pixelfes-edu report``)
:mod:`~pixelfes_edu.evaluation.expression`         an independent expression classifier (Table III)
:mod:`~pixelfes_edu.evaluation.paper`              the paper beside the package: notebook 07's scorecard
:mod:`~pixelfes_edu.evaluation.recognition`        the Table III analogue: happy rates of that classifier
:mod:`~pixelfes_edu.evaluation.scorecard`          the scorecard's rows and table
=================================================  ==============================================

>>> import pixelfes_edu as pfe
>>> pairs = pfe.load_pairs("synthetic", n=20, size=32, seed=0)
>>> res = pfe.evaluate({"Pixel-RR": pfe.PixelRidge(lam=0.4)}, pairs, folds=4, progress=False)
>>> [r["model"] for r in res.table]
['Pixel-RR', 'identity', 'mean target']
"""
from . import expression, metrics, paper
from .crossval import COLUMNS, EvaluationResult, evaluate, person_folds, score_predictions
from .loo import ValidationCurves, loo_pixel_kernel_ridge, loo_pixel_ridge, validation_curves
from .metrics import apply_intensity
from .normalised import Normalised

__all__ = ["metrics", "expression", "paper", "evaluate", "score_predictions", "EvaluationResult", "person_folds",
           "COLUMNS", "Normalised",
           "loo_pixel_ridge", "loo_pixel_kernel_ridge", "validation_curves", "ValidationCurves",
           "apply_intensity"]
