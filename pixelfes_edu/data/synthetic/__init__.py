"""Synthetic paired faces: the offline default data set.

A deterministic generator of aligned (neutral, expressive) face pairs that
look like faces: shaded skin in varied tones, eyes with sclera, iris, pupil
and eyelids, brows, a shaded nose, lips, hair, a background, a mild lighting
gradient and sensor noise.  Every face is drawn with numpy distance fields
and smooth masks over the pixel grid, a batch of faces at a time, at the
package's canonical geometry (:data:`pixelfes_edu.faces.geometry.CANONICAL`) with
per-identity jitter (pupils ~0.35 px, nose and mouth a pixel or two at 128,
as after landmark alignment of real photos), so the models and regions used
for real faces work unchanged.  Input and target of a pair share lighting,
texture and sensor noise: only the expression differs.

Three small pieces, usable on their own in a notebook:

* :func:`random_identities` draws per-face parameters (face shape, feature
  placement and size, colours, lighting...).  Face ``i`` depends only on
  ``(seed, i)``: not on ``n``, not on the expression, not on the size.
* :func:`render_faces` draws those identities with one expression.
* :func:`synthetic_pairs` puts both together into a :class:`~pixelfes_edu.data.pairs.Pairs`.

Each expression changes only what a real one changes (:data:`EXPRESSION_REGIONS`):

==========  ===============================================================
neutral     nothing: the target is the input
happy       mouth corners up, wider lips, teeth, cheeks raised, nasolabial
            folds, lower eyelids up, crow's feet
sad         mouth corners down, lower lip pushed up, inner brows up,
            slightly lowered upper lids
surprise    brows up, eyes wide open, mouth open in an "O", forehead lines
angry       brows down and together, frown lines, narrowed eyes, lips pressed
disgust     upper lip raised, mouth corners down, nose wrinkled, brows lowered,
            eyes narrowed
fear        brows raised and drawn together, forehead lines, upper lids up,
            lower lids tense, lips stretched sideways and parted
==========  ===============================================================

Examples
--------
>>> p = synthetic_pairs(n=4, expression="happy", seed=0, size=64)
>>> p.inputs.shape, p.inputs.dtype, p.ids.tolist()
((4, 64, 64, 3), dtype('float64'), ['syn000', 'syn001', 'syn002', 'syn003'])
>>> bool((p.inputs != p.targets).any()), p.source
(True, 'synthetic faces (generated, seed=0)')
"""
import numpy as np

from ...validation import check_int
from ..pairs import Pairs
from .identities import (EXPRESSION_REGIONS, LOCALITY_MARGIN, SYNTHETIC_EXPRESSIONS, check_expression,
                         expression_controls, expression_region, random_identities)
from .render import render_expressions, render_faces, select_people

__all__ = ["synthetic_pairs", "synthetic_face", "render_faces", "random_identities", "expression_controls",
           "expression_region", "SYNTHETIC_EXPRESSIONS", "EXPRESSION_REGIONS", "LOCALITY_MARGIN"]


def synthetic_face(params=None, expression="neutral", size=128, index=0, seed=0):
    """One synthetic face ``(size, size, 3)``: handy for showing a single person.

    Parameters
    ----------
    params : dict or None
        People from :func:`random_identities`; ``None`` draws them from ``seed``.
    expression : str
        One of :data:`SYNTHETIC_EXPRESSIONS`.
    size : int
        Side of the square crop in pixels (>= 16).
    index : int
        Which person of ``params`` (person ``index`` of ``seed`` if ``params`` is None);
        the same person as ``synthetic_pairs(seed=seed).inputs[index]``.

    Examples
    --------
    >>> a = synthetic_face(expression="neutral", size=32, index=2)
    >>> b = synthetic_face(expression="happy", size=32, index=2)
    >>> a.shape, bool(np.abs(a - b).max() > 0.1)
    ((32, 32, 3), True)
    """
    index = check_int("index", index, 0)
    if params is None:
        params = random_identities(index + 1, seed=seed)
    n = len(params["uid"])
    if index >= n:
        raise ValueError(f"index {index} is out of range: params describe {n} people (0..{n - 1})")
    return render_faces(select_people(params, slice(index, index + 1)), expression, size)[0]


def synthetic_pairs(n=400, expression="happy", seed=0, size=128):
    """Generated (neutral, ``expression``) pairs of synthetic faces.

    Parameters
    ----------
    n : int
        Number of people (>= 1); person ``i`` is the same for every ``n``.
    expression : str
        One of :data:`SYNTHETIC_EXPRESSIONS`; ``"neutral"`` gives targets equal to inputs.
    seed : int
        Same ``(n, expression, seed, size)`` gives the same bytes; the people
        do not depend on ``expression``.
    size : int
        Side of the square crop in pixels (>= 16).

    Returns
    -------
    Pairs
        ``inputs`` neutral and ``targets`` expressive faces, float64
        ``(n, size, size, 3)`` in [0, 1], aligned at the canonical geometry;
        ids ``"syn000"``, ``"syn001"``...; ``meta["params"]`` holds each
        person's parameters and ``meta["regions"]`` the regions the
        expression changes.

    Examples
    --------
    >>> p = synthetic_pairs(n=3, expression="sad", seed=1, size=32)
    >>> len(p), p.expression, p.name
    (3, 'sad', 'synthetic')
    """
    check_expression(expression)
    n = check_int("n", n, 1)
    size = check_int("size", size, 16)
    seed = check_int("seed", seed, 0)
    params = random_identities(n, seed)
    if expression == "neutral":
        inputs = render_faces(params, "neutral", size)
        targets = inputs.copy()
    else:
        faces = render_expressions(params, ("neutral", expression), size)
        inputs, targets = faces["neutral"], faces[expression]
    width = max(3, len(str(n - 1)))
    ids = np.array([f"syn{i:0{width}d}" for i in range(n)])
    meta = {"params": params, "regions": EXPRESSION_REGIONS[expression],
            "locality_margin_iod": LOCALITY_MARGIN, "seed": seed,
            "generator": "pixelfes_edu.data.synthetic"}
    return Pairs(inputs, targets, ids, expression, f"synthetic faces (generated, seed={seed})",
                 "synthetic", meta)
