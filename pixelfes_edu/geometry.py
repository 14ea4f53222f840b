"""Canonical face geometry shared by every aligned image in the package.

All aligned faces (London, synthetic, gallery, manual datasets) put their
features at the same fractions of the crop, so that one pixel position means
the same part of the face in every image — the premise of a pixel-based model.
Coordinates are ``(x, y)`` fractions of the crop size, x to the right, y down.

>>> canonical_points(128)["eye_left"]
array([43.52, 40.96])
"""
import numpy as np

#: (x, y) fractions of the crop where aligned faces put their features.
#: Measured on the 102 London faces (mean 189-point landmark template, see
#: ``pixelfes_edu.align``): with the pupils 0.32 of the crop apart at y = 0.32,
#: a crop shows the face from above the brows (y ~ 0.21) to the chin
#: (y ~ 0.91) and from cheek to cheek (x ~ 0.14 .. 0.86), centred.
CANONICAL = {
    "eye_left": (0.34, 0.32),  # the pupil with the smaller x in the image
    "eye_right": (0.66, 0.32),
    "nose_tip": (0.50, 0.535),
    "mouth_left": (0.372, 0.672),
    "mouth_right": (0.628, 0.672),
    "mouth": (0.50, 0.665),
}


def canonical_points(size):
    """Canonical feature positions in pixels for a ``size`` x ``size`` crop."""
    return {k: np.array(v, dtype=float) * size for k, v in CANONICAL.items()}


def canonical_eyes(size):
    """``(2, 2)`` array of the two pupil positions ``[[x, y], [x, y]]`` in pixels."""
    p = canonical_points(size)
    return np.stack([p["eye_left"], p["eye_right"]])


def region_masks(size):
    """Boolean ``(size, size)`` masks of the expression regions.

    ``mouth`` (mouth, lips and mouth corners), ``eyes`` (eyes and brows),
    ``upper_face`` (forehead and eyes: the part a smile barely moves),
    ``face`` (an ellipse covering the whole face, with hair, ears and neck:
    58% of a crop) and ``inner_face`` (an ellipse over the skin of the face,
    brows to chin and cheek to cheek: from ``0.3 iod`` above the pupils to
    ``0.72 iod`` below the mouth centre and ``0.94 iod`` either side of the
    centre line, with ``iod`` the inter-ocular distance; 32% of a crop,
    checked by eye on the aligned London faces).

    >>> m = region_masks(64)
    >>> sorted(m), m["mouth"].dtype, m["mouth"].shape
    (['eyes', 'face', 'inner_face', 'mouth', 'upper_face'], dtype('bool'), (64, 64))
    >>> round(float(region_masks(128)["inner_face"].mean()), 2)
    0.32
    """
    yy, xx = (np.mgrid[0:size, 0:size] + 0.5) / size
    iod = CANONICAL["eye_right"][0] - CANONICAL["eye_left"][0]  # inter-ocular distance
    mx, my = CANONICAL["mouth"]
    mouth = ((xx - mx) / (0.75 * iod)) ** 2 + ((yy - my) / (0.38 * iod)) ** 2 <= 1
    ey = CANONICAL["eye_left"][1]
    eyes = (np.abs(yy - (ey - 0.12 * iod)) <= 0.42 * iod) & (np.abs(xx - 0.5) <= 1.05 * iod)
    upper = (yy >= ey - 1.0 * iod) & (yy <= ey + 0.25 * iod) & (np.abs(xx - 0.5) <= 0.95 * iod)
    face = ((xx - 0.5) / (1.2 * iod)) ** 2 + ((yy - 0.56) / (1.55 * iod)) ** 2 <= 1
    top, bottom = ey - 0.3 * iod, my + 0.72 * iod  # brows, chin
    cy, b = (top + bottom) / 2, (bottom - top) / 2
    inner = ((xx - 0.5) / (0.94 * iod)) ** 2 + ((yy - cy) / b) ** 2 <= 1
    return {"mouth": mouth, "eyes": eyes, "upper_face": upper, "face": face, "inner_face": inner}
