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
#: ``pixelfes_edu.faces.template``): with the pupils 0.32 of the crop apart at y = 0.32,
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


#: Names of the regions of :func:`region_masks`, and the one every face-level metric uses by default.
REGIONS = ("face", "mouth", "eyes", "upper_face", "head")
DEFAULT_REGION = "face"


def region_masks(size):
    """Boolean ``(size, size)`` masks of the face regions, one vocabulary for the whole package.

    ``face`` (the default region of every metric: an ellipse over the skin of
    the face, brows to chin and cheek to cheek: from ``0.3 iod`` above the
    pupils to ``0.72 iod`` below the mouth centre and ``0.94 iod`` either side
    of the centre line, with ``iod`` the inter-ocular distance; 32% of a
    crop, checked by eye on the aligned London faces), ``mouth`` (mouth, lips
    and mouth corners), ``eyes`` (eyes and brows), ``upper_face`` (forehead
    and eyes: the part a smile barely moves) and ``head`` (a larger ellipse
    with hair, ears and neck: 58% of a crop; what differs there between two
    photos is mostly not expression).

    >>> m = region_masks(64)
    >>> sorted(m), m["mouth"].dtype, m["mouth"].shape
    (['eyes', 'face', 'head', 'mouth', 'upper_face'], dtype('bool'), (64, 64))
    >>> round(float(region_masks(128)["face"].mean()), 2), round(float(region_masks(128)["head"].mean()), 2)
    (0.32, 0.58)
    """
    yy, xx = (np.mgrid[0:size, 0:size] + 0.5) / size
    iod = CANONICAL["eye_right"][0] - CANONICAL["eye_left"][0]  # inter-ocular distance
    mx, my = CANONICAL["mouth"]
    mouth = ((xx - mx) / (0.75 * iod)) ** 2 + ((yy - my) / (0.38 * iod)) ** 2 <= 1
    ey = CANONICAL["eye_left"][1]
    eyes = (np.abs(yy - (ey - 0.12 * iod)) <= 0.42 * iod) & (np.abs(xx - 0.5) <= 1.05 * iod)
    upper = (yy >= ey - 1.0 * iod) & (yy <= ey + 0.25 * iod) & (np.abs(xx - 0.5) <= 0.95 * iod)
    head = ((xx - 0.5) / (1.2 * iod)) ** 2 + ((yy - 0.56) / (1.55 * iod)) ** 2 <= 1
    top, bottom = ey - 0.3 * iod, my + 0.72 * iod  # brows, chin
    cy, b = (top + bottom) / 2, (bottom - top) / 2
    face = ((xx - 0.5) / (0.94 * iod)) ** 2 + ((yy - cy) / b) ** 2 <= 1
    return {"face": face, "mouth": mouth, "eyes": eyes, "upper_face": upper, "head": head}


def region_mask(region, shape):
    """Boolean ``(H, W)`` mask for ``region``: a name of :data:`REGIONS`, a mask, or None (everything).

    ``shape`` is an image or batch shape whose last axes are ``(H, W)`` or
    ``(H, W, C)`` (``ndim`` tells: pass ``(N, H, W[, C])``).

    >>> region_mask("mouth", (5, 64, 64, 3)).shape
    (64, 64)
    """
    H, W = shape[1:3]
    if region is None:
        return np.ones((H, W), bool)
    if isinstance(region, str):
        if region not in REGIONS:
            raise ValueError(f"unknown region {region!r}; use one of {REGIONS}, a boolean mask or None")
        if H != W:
            raise ValueError(f"named regions need square aligned crops, got {H}x{W}; pass a mask instead")
        return region_masks(H)[region]
    m = np.asarray(region, bool)
    if m.shape != (H, W):
        raise ValueError(f"mask has shape {m.shape}, images are {H}x{W}")
    if not m.any():
        raise ValueError("mask selects no pixels")
    return m


def region_box(region, size):
    """``(mask, (row_slice, col_slice))``: a named region of a ``size`` crop and its bounding box.

    >>> mask, (rows, cols) = region_box("eyes", 64)
    >>> bool(mask[rows, cols].any()), mask[rows, cols].shape == mask[rows, cols].shape
    (True, True)
    """
    m = region_mask(region, (1, size, size))
    rows, cols = np.flatnonzero(m.any(1)), np.flatnonzero(m.any(0))
    return m, (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
