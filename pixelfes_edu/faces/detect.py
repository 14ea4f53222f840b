"""Face and eye detection with scikit-image's LBP frontal-face cascade (the fallback detector).
"""
import functools

import numpy as np
from scipy import ndimage

from ..validation import check_photo
from .image import block_luminance

__all__ = ['detect_faces', 'detect_eyes']


# Where the pupils sit in a detect_faces box, as fractions of its side from the top-left corner:
# the mean over the London and Canada faces with landmarks, made left/right symmetric.
_BOX_EYES = np.array([[0.295, 0.361], [0.709, 0.361]])


_DETECT_MAX_SIDE = 400  # detection runs on a copy no larger than this


@functools.lru_cache(maxsize=1)
def _cascade():
    from skimage.data import lbp_frontal_face_cascade_filename
    from skimage.feature import Cascade

    return Cascade(lbp_frontal_face_cascade_filename())


def detect_faces(image, scale_factors=(1.05, 1.1, 1.2), min_neighbors=2):
    """Faces found by scikit-image's LBP frontal-face cascade.

    The cascade runs at several window-size steps; detections whose centres
    lie inside each other's box are grouped, and a group needs
    ``min_neighbors`` detections to count as a face (this removes most false
    detections on clothes and background).

    Parameters
    ----------
    image : ndarray
        Grayscale, RGB or RGBA photo (uint8 or float in [0, 1]).
    scale_factors : sequence of float
        The cascade runs once per step between window sizes; each run votes.
    min_neighbors : int
        Minimum number of votes (detections over all runs) per face.

    Returns
    -------
    faces : list of dict
        ``{"x", "y", "size", "votes"}``: top-left corner and side of the
        averaged square box in ``image`` pixels, and the number of raw
        detections; most votes first (ties: larger first).

    Examples
    --------
    >>> from skimage.data import astronaut
    >>> face = detect_faces(astronaut())[0]
    >>> 150 < face["x"] + face["size"] / 2 < 280 and 70 < face["y"] + face["size"] / 2 < 160
    True
    """
    img, white = check_photo(image)
    k = max(1, int(np.ceil(max(img.shape[:2]) / _DETECT_MAX_SIDE)))
    g = block_luminance(img, white, k)
    side = min(g.shape)
    cascade = _cascade()
    raw = []
    for sf in scale_factors:  # the cascade merges its own windows; vote across runs
        raw += cascade.detect_multi_scale(img=g, scale_factor=sf, step_ratio=1,
                                          min_size=(max(24, side // 10),) * 2,
                                          max_size=(side, side))
    boxes = np.array([[d["c"], d["r"], d["width"]] for d in raw], dtype=float).reshape(-1, 3)
    groups = []
    for i in np.argsort(-boxes[:, 2], kind="stable"):  # largest first
        x, y, s = boxes[i]
        cx, cy = x + s / 2, y + s / 2
        for grp in groups:
            gx, gy, gs = np.mean(grp, axis=0)
            if abs(cx - gx - gs / 2) < gs / 2 and abs(cy - gy - gs / 2) < gs / 2:
                grp.append(boxes[i])
                break
        else:
            groups.append([boxes[i]])
    faces = []
    for grp in groups:
        if len(grp) >= min_neighbors:
            x, y, s = np.mean(grp, axis=0) * k
            faces.append({"x": float(x), "y": float(y), "size": float(s), "votes": len(grp)})
    faces.sort(key=lambda f: (-f["votes"], -f["size"]))
    return faces


def _refine_eye(gray, guess, radius, sigma):
    """Darkest blob (Gaussian-smoothed minimum, with a Gaussian prior around
    ``guess``) within ``radius`` pixels of ``guess``."""
    x0, y0 = int(round(guess[0] - radius)), int(round(guess[1] - radius))
    x1, y1 = int(round(guess[0] + radius)) + 1, int(round(guess[1] + radius)) + 1
    h, w = gray.shape
    if x0 < 0 or y0 < 0 or x1 > w or y1 > h:
        return np.asarray(guess, float)
    win = ndimage.gaussian_filter(gray[y0:y1, x0:x1], sigma)
    yy, xx = np.mgrid[y0:y1, x0:x1]
    d2 = ((xx - guess[0]) ** 2 + (yy - guess[1]) ** 2) / radius ** 2
    score = (win - win.min()) / (np.ptp(win) + 1e-12) + 0.5 * d2
    score[d2 > 1] = np.inf
    j = np.unravel_index(np.argmin(score), score.shape)
    return np.array([xx[j], yy[j]], dtype=float)


def detect_eyes(image, refine=True):
    """Pupil positions ``[[x_left, y_left], [x_right, y_right]]`` of the main face.

    The face is found with :func:`detect_faces`; the eyes are placed where
    the pupils of the London/Canada training faces sit in the detector's box,
    then (``refine=True``) moved to the darkest blob nearby (kept only if the
    two still look like a pair of eyes). On 142 London/Canada faces the
    worse eye is off by a median 4% of the eye distance (90th percentile
    16%); about one face in ten gets brows or nostrils instead, so pass
    ``eyes=`` when you know them.

    Raises
    ------
    ValueError
        If no face is detected (the message says to pass ``eyes=``).

    Examples
    --------
    >>> from skimage.data import astronaut
    >>> eyes = detect_eyes(astronaut())
    >>> eyes.shape, bool(eyes[0, 0] < eyes[1, 0])
    ((2, 2), True)
    """
    faces = detect_faces(image)
    if not faces:
        raise ValueError(
            "no frontal face was detected in the image; pass the eye positions yourself: "
            "eyes=[[x_left, y_left], [x_right, y_right]] (pixels, x to the right, y down)."
        )
    f = faces[0]
    eyes = np.array([f["x"], f["y"]]) + f["size"] * _BOX_EYES
    if refine:
        img, white = check_photo(image)
        s = f["size"]
        k = max(1, int(s // 100))  # work at ~100 px per face box
        g = block_luminance(img, white, k)
        refined = np.stack([_refine_eye(g, (e - (k - 1) / 2) / k, 0.12 * s / k, 0.02 * s / k)
                            * k + (k - 1) / 2 for e in eyes])
        # keep the refinement only if the pair still looks like two eyes
        v, v0 = refined[1] - refined[0], eyes[1] - eyes[0]
        if (abs(np.hypot(*v) / np.hypot(*v0) - 1) <= 0.2
                and abs(np.degrees(np.arctan2(v[1], v[0]))) <= 8.0):
            eyes = refined
    return eyes
