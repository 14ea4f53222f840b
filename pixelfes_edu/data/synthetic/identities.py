"""Synthetic people: their random parameters, and what each expression changes.

* :func:`random_identities` draws per-face parameters (face shape, feature
  placement and size, colours, lighting...).  Face ``i`` depends only on
  ``(seed, i)``: not on ``n``, not on the expression, not on the size.
* :func:`expression_controls` turns an expression into per-face controls.
* :func:`expression_region` is where an expression may change pixels.
"""
import numpy as np
from scipy.special import ndtri

from ...faces.geometry import CANONICAL, region_masks
from ...validation import check_int

#: Expressions the generator can draw; ``"neutral"`` gives target == input.
SYNTHETIC_EXPRESSIONS = ("neutral", "happy", "sad", "surprise", "angry", "disgust", "fear")

#: :func:`pixelfes_edu.faces.geometry.region_masks` regions each expression changes.
EXPRESSION_REGIONS = {
    "neutral": (),
    "happy": ("mouth", "eyes"),
    "sad": ("mouth", "eyes"),
    "surprise": ("mouth", "eyes", "upper_face"),
    "angry": ("mouth", "eyes"),
    "disgust": ("mouth", "eyes"),
    "fear": ("mouth", "eyes", "upper_face"),
}

#: Margin (fraction of the inter-ocular distance, 0.2 IOD = 7.7 px at 128) around
#: :data:`EXPRESSION_REGIONS` inside which an expression may change pixels.  Real
#: expression muscles move skin a little beyond the feature outlines that
#: ``region_masks`` draws: a smile raises the cheeks, which sit in the gap
#: between the eye and mouth regions, and deepens the nasolabial folds that run
#: from the nose wings to the mouth corners.
LOCALITY_MARGIN = 0.2

# Faces are drawn in a reference frame: pupils 0.30 apart, their midpoint at
# (0.5, 0.40).  referencereference_frame() maps it onto the package's canonical geometry.
REF_IOD, REF_MID = 0.30, (0.5, 0.40)

# palettes (RGB in [0, 1])
_SKIN = np.array([[0.98, 0.85, 0.76], [0.93, 0.75, 0.63], [0.83, 0.62, 0.48],
                  [0.66, 0.46, 0.33], [0.47, 0.31, 0.21], [0.33, 0.21, 0.14]])
_HAIR = np.array([[0.05, 0.045, 0.04], [0.16, 0.10, 0.06], [0.32, 0.20, 0.11],
                  [0.48, 0.22, 0.10], [0.80, 0.66, 0.42], [0.64, 0.62, 0.60]])
_HAIR_P = np.array([0.30, 0.25, 0.18, 0.07, 0.12, 0.08])
_IRIS = np.array([[0.22, 0.12, 0.06], [0.38, 0.22, 0.10], [0.45, 0.37, 0.17],
                  [0.28, 0.42, 0.24], [0.28, 0.45, 0.64], [0.44, 0.52, 0.58]])
_IRIS_P = np.array([0.35, 0.22, 0.12, 0.08, 0.15, 0.08])

# (name, low, high): identity parameters drawn uniformly, one column each.
# Positions and lengths are in the reference frame (see REF_IOD below).
_UNIFORM = (
    ("skin_tone", 0.0, 1.0),       # 0 light ... 1 dark, along _SKIN
    ("face_w", 0.31, 0.35),        # face half-width at the cheekbones
    ("face_top", 0.09, 0.13),
    ("chin_y", 0.92, 0.97),
    ("jaw_taper", 0.20, 0.40),     # how much the face narrows towards the chin
    ("jaw_power", 1.3, 2.2),
    ("hairline", 0.12, 0.23),
    ("hair_volume", 0.015, 0.06),
    ("hair_length", 0.20, 1.05),   # lowest y of the hair (< 0.4: short hair, ears show)
    ("hair_part", -0.03, 0.03),
    ("hair_gray", 0.0, 1.0),       # > 0.8: greying hair
    ("eye_w", 0.064, 0.075),       # eye half-width
    ("eye_open", 0.024, 0.030),    # upper lid height above the pupil
    ("eye_low", 0.015, 0.020),     # lower lid depth below the pupil
    ("eye_tilt", -0.004, 0.008),   # outer corners up
    ("iris_r", 0.026, 0.030),
    ("brow_h", 0.070, 0.088),      # brow height above the pupil
    ("brow_thick", 0.009, 0.016),
    ("brow_arch", 0.006, 0.018),
    ("brow_len", 0.10, 0.13),
    ("brow_density", 0.55, 0.95),
    ("nose_w", 0.048, 0.066),
    ("nose_shade", 0.5, 1.0),
    ("mouth_w", 0.90, 1.06),       # mouth width / canonical mouth width
    ("lip_up", 0.016, 0.024),
    ("lip_low", 0.021, 0.031),
    ("lip_bow", 0.002, 0.005),
    ("lip_red", 0.0, 1.0),
    ("cheek_blush", 0.0, 1.0),
    ("fold_depth", 0.0, 1.0),      # how visible the nasolabial folds are at rest
    ("light_x", -0.6, 0.6),
    ("light_y", -0.7, -0.1),
    ("ambient", 0.40, 0.55),
    ("gradient", 0.0, 0.12),       # strength of the lighting gradient over the image
    ("gradient_angle", 0.0, 2 * np.pi),
    ("noise", 0.004, 0.012),
    ("ear_y", 0.04, 0.07),
    ("neck_w", 0.10, 0.14),
    ("shoulder_y", 0.93, 1.0),
    ("stubble", -2.0, 1.0),        # > 0: a shadow of beard on the lower face
)
# (name, standard deviation in pixels at size 128): canonical-position jitter.
# Alignment pins the pupils down best (0.35 px gives a mean-face sharpness ratio
# of ~0.13, like well-aligned real faces); nose and mouth vary by a pixel or two.
_JITTER = (("eye_left_dx", 0.35), ("eye_left_dy", 0.35), ("eye_right_dx", 0.35),
           ("eye_right_dy", 0.35), ("nose_dx", 0.8), ("nose_dy", 1.2),
           ("mouth_dx", 0.8), ("mouth_dy", 1.4), ("face_dx", 1.0))
_JITTER_CLIP = 2.5  # pixels at 128
_N_COLOURS = 9      # columns for colour jitter and palettes (see random_identities)
_EXPRESSION_STRENGTH = (0.75, 1.0)  # per-face intensity of each expression


def reference_frame():
    """``(scale, midpoint)`` mapping the reference frame onto ``CANONICAL`` (crop = mid + scale * (ref - REF_MID))."""
    left, right = np.array(CANONICAL["eye_left"]), np.array(CANONICAL["eye_right"])
    return np.hypot(*(right - left)) / REF_IOD, 0.5 * (left + right)


def check_expression(expression):
    if expression not in SYNTHETIC_EXPRESSIONS:
        raise ValueError(f"unknown expression {expression!r}; choose one of {SYNTHETIC_EXPRESSIONS}")


# --------------------------------------------------------------------------- identities
def random_identities(n, seed=0):
    """Draw the parameters of ``n`` synthetic people.

    Parameters
    ----------
    n : int
        Number of people (>= 1).
    seed : int
        Face ``i`` is drawn from ``np.random.default_rng([seed, i])``, so it
        does not depend on ``n``, on the expression or on the image size.

    Returns
    -------
    params : dict of str -> ndarray ``(n, ...)``
        One row per person.  Positions (``eye_left``, ``nose``, ``mouth``...
        as ``(x, y)``) and lengths are in a reference frame where the pupils
        are 0.30 apart with their midpoint at (0.5, 0.40); rendering maps that
        frame onto :data:`~pixelfes_edu.faces.geometry.CANONICAL`, so the
        parameters do not depend on the crop size.  ``*_dx``/``*_dy`` are the
        alignment jitters in fractions of the crop.  Colours are RGB in [0, 1];
        ``expression_strength`` holds each person's intensity per expression.

    Examples
    --------
    >>> p = random_identities(3, seed=1)
    >>> p["eye_left"].shape, p["skin"].shape
    ((3, 2), (3, 3))
    >>> bool(np.allclose(random_identities(5, seed=1)["skin"][:3], p["skin"]))
    True
    """
    n = check_int("n", n, 1)
    seed = check_int("seed", seed, 0)
    n_cols = len(_UNIFORM) + len(_JITTER) + _N_COLOURS + len(SYNTHETIC_EXPRESSIONS)
    draws = [np.random.default_rng([seed, i]) for i in range(n)]
    U = np.stack([rng.random(n_cols) for rng in draws])                 # (n, n_cols)
    uid = np.array([rng.integers(2**62) for rng in draws], dtype=np.int64)
    p, c = {}, 0
    for name, lo, hi in _UNIFORM:
        p[name] = lo + (hi - lo) * U[:, c]
        c += 1
    for name, sd in _JITTER:  # Gaussian jitter through the normal quantile function
        z = ndtri(np.clip(U[:, c], 1e-6, 1 - 1e-6))
        p[name] = np.clip(z * sd, -_JITTER_CLIP, _JITTER_CLIP) / 128.0
        c += 1
    cu = U[:, c:c + _N_COLOURS]
    c += _N_COLOURS
    p["expression_strength"] = dict(zip(
        SYNTHETIC_EXPRESSIONS,
        (_EXPRESSION_STRENGTH[0] + np.diff(_EXPRESSION_STRENGTH) * U[:, c + k]
         for k in range(len(SYNTHETIC_EXPRESSIONS)))))
    p["uid"] = uid
    # colours ------------------------------------------------------------------
    tone = p["skin_tone"] * (len(_SKIN) - 1)
    k = np.minimum(tone.astype(int), len(_SKIN) - 2)
    f = (tone - k)[:, None]
    p["skin"] = (1 - f) * _SKIN[k] + f * _SKIN[k + 1] + 0.03 * (cu[:, 0:3] - 0.5)
    hair_p = np.where(p["skin_tone"][:, None] > 0.55, [0.55, 0.35, 0.10, 0, 0, 0], _HAIR_P)
    hair_i = (cu[:, 3:4] > np.cumsum(hair_p, axis=1) / hair_p.sum(1, keepdims=True)).sum(1)
    p["hair"] = _HAIR[np.minimum(hair_i, len(_HAIR) - 1)] * (0.85 + 0.3 * cu[:, 4:5])
    grey_hair = 0.7 * np.clip((p["hair_gray"][:, None] - 0.8) / 0.2, 0, 1)
    p["hair"] = (1 - grey_hair) * p["hair"] + grey_hair * _HAIR[-1]
    iris_p = np.where(p["skin_tone"][:, None] > 0.45, [0.7, 0.3, 0, 0, 0, 0], _IRIS_P)
    iris_i = (cu[:, 5:6] > np.cumsum(iris_p, axis=1) / iris_p.sum(1, keepdims=True)).sum(1)
    p["iris"] = _IRIS[np.minimum(iris_i, len(_IRIS) - 1)]
    grey = 0.35 + 0.45 * cu[:, 6:7]
    hue = np.stack([np.cos(2 * np.pi * (cu[:, 7] + s)) for s in (0, 1 / 3, 2 / 3)], 1)
    p["background"] = np.clip(grey + 0.12 * hue, 0, 1)
    p["clothes"] = np.clip(0.25 + 0.5 * cu[:, 8:9] - 0.2 * hue[:, ::-1], 0.03, 0.95)
    lip_tint = np.array([0.80, 0.50, 0.52]) + np.outer(p["lip_red"], [0.08, -0.06, -0.04])
    p["lips"] = p["skin"] * lip_tint
    # canonical geometry plus jitter --------------------------------------------
    scale, mid = reference_frame()
    for key, name in (("eye_left", "eye_left"), ("eye_right", "eye_right"),
                      ("nose", "nose_tip"), ("mouth", "mouth")):
        x0, y0 = (np.array(CANONICAL[name]) - mid) / scale + REF_MID
        p[key] = np.stack([x0 + p[key + "_dx"] / scale, y0 + p[key + "_dy"] / scale], axis=1)
    p["face_cx"] = 0.5 + p["face_dx"] / scale
    p["mouth_w"] = p["mouth_w"] * 0.5 * (CANONICAL["mouth_right"][0] - CANONICAL["mouth_left"][0]) / scale
    return p


# --------------------------------------------------------------------------- expressions
def expression_controls(params, expression):
    """Per-face expression controls (``(n,)`` arrays) for :func:`render_faces`.

    Zero (or one, for scale factors) everywhere for ``"neutral"``; each other
    expression moves a few of them, scaled by the face's own strength.

    >>> c = expression_controls(random_identities(2), "happy")
    >>> bool((c["smile"] > 0).all()), bool((expression_controls(random_identities(2), "neutral")["smile"] == 0).all())
    (True, True)
    """
    check_expression(expression)
    n = len(params["uid"])
    zero, one = np.zeros(n), np.ones(n)
    c = dict(smile=zero, mouth_scale=one, mouth_dy=zero, open_up=zero, open_low=zero,
             teeth=zero, lip_up_scale=one, lip_low_scale=one, round_mouth=zero,
             corner_shadow=zero, upper_lip_raise=zero,
             eye_open_scale=one, eye_low_scale=one, lower_lid_fold=zero, crows_feet=zero,
             brow_lift=zero, brow_inner=zero, brow_outer=zero, brow_inner_dx=zero,
             brow_arch_scale=one, frown_lines=zero, forehead_lines=zero,
             cheek_raise=zero, fold=zero, nose_wrinkle=zero)
    if expression == "neutral":
        return c
    k = params["expression_strength"][expression]
    if expression == "happy":
        c.update(smile=0.030 * k, mouth_scale=1 + 0.22 * k, mouth_dy=-0.004 * k,
                 open_up=0.005 * k, open_low=0.014 * k, teeth=k, lip_up_scale=1 - 0.3 * k,
                 lip_low_scale=1 - 0.15 * k, eye_low_scale=1 - 0.45 * k,
                 eye_open_scale=1 - 0.12 * k, lower_lid_fold=k, crows_feet=k,
                 cheek_raise=k, fold=k)
    elif expression == "sad":
        c.update(smile=-0.016 * k, mouth_scale=1 - 0.05 * k, mouth_dy=0.002 * k,
                 lip_low_scale=1 + 0.15 * k, corner_shadow=k, eye_open_scale=1 - 0.15 * k,
                 brow_inner=-0.020 * k, brow_outer=0.005 * k, brow_arch_scale=1 - 0.5 * k)
    elif expression == "surprise":
        c.update(mouth_scale=1 - 0.40 * k, open_up=0.012 * k, open_low=0.038 * k,
                 round_mouth=k, lip_up_scale=1 - 0.1 * k, eye_open_scale=1 + 0.55 * k,
                 eye_low_scale=1 + 0.2 * k, brow_lift=-0.026 * k, brow_arch_scale=1 + 0.5 * k,
                 forehead_lines=k)
    elif expression == "angry":
        c.update(smile=-0.004 * k, mouth_scale=1 - 0.08 * k, lip_up_scale=1 - 0.55 * k,
                 lip_low_scale=1 - 0.5 * k, eye_open_scale=1 - 0.25 * k,
                 eye_low_scale=1 - 0.3 * k, brow_lift=0.005 * k, brow_inner=0.018 * k,
                 brow_inner_dx=0.012 * k, brow_arch_scale=1 - 0.6 * k, frown_lines=k)
    elif expression == "disgust":
        c.update(smile=-0.008 * k, mouth_scale=1 - 0.04 * k, upper_lip_raise=0.008 * k,
                 open_up=0.003 * k, teeth=0.6 * k, lip_low_scale=1 + 0.1 * k,
                 eye_open_scale=1 - 0.3 * k, eye_low_scale=1 - 0.35 * k, brow_lift=0.004 * k,
                 brow_inner=0.010 * k, brow_inner_dx=0.006 * k, frown_lines=0.6 * k,
                 corner_shadow=0.6 * k, fold=0.8 * k, nose_wrinkle=k)
    elif expression == "fear":
        c.update(smile=-0.006 * k, mouth_scale=1 + 0.12 * k, open_up=0.003 * k,
                 open_low=0.010 * k, teeth=0.5 * k, lip_up_scale=1 - 0.35 * k,
                 lip_low_scale=1 - 0.25 * k, corner_shadow=0.5 * k,
                 eye_open_scale=1 + 0.45 * k, eye_low_scale=1 - 0.15 * k,
                 brow_lift=-0.016 * k, brow_inner=-0.012 * k, brow_inner_dx=0.006 * k,
                 brow_arch_scale=1 - 0.5 * k, forehead_lines=0.6 * k)
    return c


def expression_region(expression, size, margin=LOCALITY_MARGIN):
    """Boolean ``(size, size)`` mask of where ``expression`` may change pixels.

    The union of its :data:`EXPRESSION_REGIONS`, grown by ``margin`` times the
    inter-ocular distance (see :data:`LOCALITY_MARGIN`).  Empty for neutral.

    >>> m = expression_region("happy", 64); m.shape, bool(m.any()), bool(expression_region("neutral", 64).any())
    ((64, 64), True, False)
    """
    check_expression(expression)
    size = check_int("size", size, 1)
    masks = region_masks(size)
    union = np.zeros((size, size), bool)
    for name in EXPRESSION_REGIONS[expression]:
        union |= masks[name]
    if not union.any() or margin <= 0:
        return union
    from scipy.ndimage import distance_transform_edt
    return distance_transform_edt(~union) <= margin * reference_frame()[0] * REF_IOD * size
