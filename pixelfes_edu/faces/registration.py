"""Registration of the expressive photo of a pair onto its neutral photo (sub-pixel similarity).

1. A coarse search on a 64 px crop: rotation, scale, and translation by phase correlation.
2. Coarse-to-fine Gauss-Newton (Lucas-Kanade, forward-compositional) on the
   grayscale eyes and brows of a 256 px crop, with a gain and bias for
   exposure and Huber weights so that pixels the expression changes count less.
3. A guard: the fine result must match the whole head without the mouth about
   as well as the coarse one, else the coarse one is kept (a pose change).
"""
from typing import NamedTuple

import numpy as np
from scipy import ndimage

from .geometry import region_box, region_masks
from .image import luminance
from .transforms import reduce_for_crop, sample_crop

__all__ = ['register_pair']


_REG_SIZE = 256  # registration works on a 256 px canonical crop (any output size)


_REG_LEVELS = (3.0, 1.5, 0.75)  # Gaussian smoothing per coarse-to-fine level (px)


# Gauss-Newton works on the eyes and brows: a smile barely moves them, and hair falling over
# the forehead cannot pull the fit away (as it did on the whole upper face).
_REG_REGION = "eyes"


# A fine result that matches the head (without the mouth) worse than the coarse estimate by
# more than this NCC has drifted (a pose change between the shots): the coarse one is kept.
_GUARD_TOL = 0.15


def _huber_weights(r):
    scale = 1.4826 * np.median(np.abs(r - np.median(r))) + 1e-12
    k = 1.345 * scale
    a = np.abs(r)
    return np.where(a <= k, 1.0, k / np.maximum(a, 1e-300))


def _similarity_step(p, c):
    """3x3 matrix of x -> x + A (x - c) + t with A = [[a, -b], [b, a]] / c."""
    a, b, tx, ty = p[0] / c, p[1] / c, p[2], p[3]
    return np.array([[1 + a, -b, tx - (a - b) * c], [b, 1 + a, ty - (b + a) * c], [0, 0, 1.0]])


def _ncc(a, b):
    a = a - a.mean()
    b = b - b.mean()
    return float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum() + 1e-300))


_COARSE_SIZE = 64  # the initial search works on a 64 px crop


_COARSE_SCALES = np.arange(0.88, 1.1401, 0.02)


_COARSE_ANGLES = np.radians(np.arange(-12.0, 12.1, 3.0))


def _coarse_search(img_n, wn, img_e, we, matrix):
    """Initial similarity (in ``_COARSE_SIZE`` crop coordinates).

    A search over rotations (+-12 deg) and scales (0.88-1.14); for each, the
    translation by phase correlation of the whole 64 px crop (head outline,
    hair, face: robust to moves of a quarter of the crop); scored by
    normalised cross-correlation over the face without the mouth. Returns the
    best transform, its score and the scoring function.
    """
    from skimage.registration import phase_cross_correlation

    Q = _COARSE_SIZE
    sn, mn = reduce_for_crop(img_n, wn, matrix, Q)
    se, me = reduce_for_crop(img_e, we, matrix, Q, margin=0.3 * Q)
    T = ndimage.gaussian_filter(luminance(sample_crop(sn, mn, (Q, Q))), 0.7)
    E = luminance(se)
    masks = region_masks(Q)
    score_mask = masks["head"] & ~masks["mouth"]
    win = np.outer(np.hanning(Q), np.hanning(Q))
    Tw = (T - T.mean()) * win
    c = Q / 2.0

    def warped(C):
        return ndimage.gaussian_filter(sample_crop(E, C @ me, (Q, Q)), 0.7)

    def scorer(C):
        return _ncc(warped(C)[score_mask], T[score_mask])

    def trial(s, th):
        S = _similarity_step([(s * np.cos(th) - 1) * c, s * np.sin(th) * c, 0, 0], c)
        I = warped(S)
        shift = phase_cross_correlation(Tw, (I - I.mean()) * win, upsample_factor=4)[0]
        C = np.eye(3)
        C[:2, 2] = shift[::-1]  # moving(x - shift) ~ reference(x)
        C = C @ S
        return scorer(C), C, s, th

    # rotation at scale 1, then scale at that rotation, then both around the best
    best = max((trial(1.0, th) for th in _COARSE_ANGLES), key=lambda t: t[0])
    best = max([best] + [trial(s, best[3]) for s in _COARSE_SCALES], key=lambda t: t[0])
    ds, dth = 0.01, np.radians(1.5)
    best = max([best] + [trial(best[2] + i * ds, best[3] + j * dth)
                         for i in (-1, 0, 1) for j in (-1, 0, 1) if i or j], key=lambda t: t[0])
    return best[1], best[0], scorer


class _Window(NamedTuple):
    """Where Gauss-Newton runs: the expressive photo's luminance ``E`` and the eyes window of the crop."""

    E: np.ndarray  # luminance of the reduced expressive photo
    mask: np.ndarray  # eyes-and-brows pixels inside the window
    shape: tuple  # window rows, cols
    origin: tuple  # crop (x, y) of the window's first pixel
    xn: np.ndarray  # masked pixel positions relative to the crop centre, in units of half the crop
    yn: np.ndarray
    c: float  # crop centre


def _lk_level(Ts, win, m0, sigma, max_iter):
    """Gauss-Newton iterations at one smoothing level; returns the similarity
    ``C`` to apply after ``m0``, the gain, the last residuals and the count."""
    E, mask, shape, origin, xn, yn, c = win
    C = np.eye(3)
    g = h = None
    r = np.zeros(1)
    for it in range(1, max_iter + 1):
        I = ndimage.gaussian_filter(sample_crop(E, C @ m0, shape, origin), sigma)
        gy, gx = np.gradient(I)
        gx, gy, Iv = gx[mask], gy[mask], I[mask]
        if g is None:  # exposure: T ~ g I + h
            g = Ts.std() / max(Iv.std(), 1e-6)
            h = Ts.mean() - g * Iv.mean()
        r = Ts - (g * Iv + h)
        J = np.column_stack([g * (gx * xn + gy * yn), g * (gy * xn - gx * yn),
                             g * gx, g * gy, Iv, np.ones_like(Iv)])
        Jw = J * _huber_weights(r)[:, None]
        dp = np.linalg.solve(Jw.T @ J + 1e-9 * np.eye(6), Jw.T @ r)
        C = np.linalg.inv(_similarity_step(dp[:4], c)) @ C
        g, h = g + dp[4], h + dp[5]
        if np.max(np.abs(dp[:4])) < 1e-3:
            break
    return C, g, r, it


def register_pair(img_n, wn, img_e, we, matrix, size, max_iter=25):
    """Similarity ``C`` (crop coords of ``size``) so that ``C @ matrix`` aligns the
    expressive photo on the neutral one.

    1. Coarse search (:func:`_coarse_search`) on a 64 px crop: rotation,
       scale, and translation by phase correlation.
    2. Coarse-to-fine Gauss-Newton (Lucas-Kanade, forward-compositional) on
       the grayscale eyes and brows of a 256 px crop, with a gain and bias for
       exposure changes and Huber weights (IRLS) so that pixels the expression
       changes count less; a level is kept only if it improves the match.
    3. The result is kept only if it still matches the whole face without the
       mouth nearly as well as the coarse estimate (else the coarse one).
    """
    R = _REG_SIZE
    up = np.diag([R / size, R / size, 1.0])
    Mr = up @ matrix
    mask_full, (rows, cols) = region_box(_REG_REGION, R)
    pad = 10
    r0, r1 = max(rows.start - pad, 0), min(rows.stop + pad, R)
    c0, c1 = max(cols.start - pad, 0), min(cols.stop + pad, R)
    shape, origin = (r1 - r0, c1 - c0), (c0, r0)
    mask = mask_full[r0:r1, c0:c1]
    small_n, mn = reduce_for_crop(img_n, wn, Mr, R)
    T = luminance(sample_crop(small_n, mn, shape, origin))
    small_e, me = reduce_for_crop(img_e, we, Mr, R, margin=0.15 * R)
    E = luminance(small_e)
    yy, xx = np.mgrid[r0:r1, c0:c1].astype(float)
    c = R / 2.0
    win = _Window(E, mask, shape, origin, ((xx - c) / c)[mask], ((yy - c) / c)[mask], c)

    to_coarse = np.diag([_COARSE_SIZE / size, _COARSE_SIZE / size, 1.0])
    Cq, coarse_score, scorer = _coarse_search(img_n, wn, img_e, we, to_coarse @ matrix)
    k = np.diag([R / _COARSE_SIZE, R / _COARSE_SIZE, 1.0])
    C = C0 = k @ Cq @ np.linalg.inv(k)
    iters, r = 0, np.zeros(1)
    for sigma in _REG_LEVELS:
        Ts = ndimage.gaussian_filter(T, sigma)[mask]
        score0 = _ncc(ndimage.gaussian_filter(sample_crop(E, C @ me, shape, origin), sigma)[mask], Ts)
        C1, g, r, n = _lk_level(Ts, win, C @ me, sigma, max_iter)
        iters += n
        C1 = C1 @ C
        score1 = _ncc(ndimage.gaussian_filter(sample_crop(E, C1 @ me, shape, origin), sigma)[mask], Ts)
        if score1 >= score0:  # guard: keep a level only if it improves the match
            C = C1
    # guard against drifting to a wrong optimum of the small region (hair, pose):
    # the result must match the whole head (without the mouth) about as well as
    # the coarse estimate does
    kinv = np.linalg.inv(k)
    whole = scorer(kinv @ C @ k)
    reverted = whole < coarse_score - _GUARD_TOL
    if reverted:
        C = C0
    down = np.diag([size / R, size / R, 1.0])
    C_out = down @ C @ np.linalg.inv(down)
    A = C_out[:2, :2]
    info = {
        "registration": C_out,
        "reg_scale": float(np.sqrt(abs(np.linalg.det(A)))),
        "reg_rotation_deg": float(np.degrees(np.arctan2(A[1, 0], A[0, 0]))),
        "reg_shift_px": float(np.hypot(*(C_out @ [size / 2, size / 2, 1])[:2] - size / 2)),
        "reg_gain": float(g),
        "reg_coarse_ncc": float(coarse_score),
        "reg_face_ncc": float(coarse_score if reverted else whole),
        "reg_fine_face_ncc": float(whole),
        "reg_reverted": bool(reverted),
        "reg_iterations": iters,
        "reg_residual_rms": float(np.sqrt(np.mean(r ** 2))),
    }
    return C_out, info
