"""The expression change of a model, pasted back into the user's own full-resolution photo.

A model sees a 128-px aligned crop, but a user's photo may hold 12 MP. So
:func:`synthesize` aligns the face (:func:`~pixelfes_edu.faces.align.face_warp`),
predicts, and keeps only the *change* the model makes,

    change = alpha * (prediction - aligned input)        (inside a feathered face mask)

then resamples that change (never the photo) into the photo's own pixel grid
and adds it. Everything the model did not change stays as the photo had it:
pixels outside the mask are bit-identical, and fine detail inside it
(eyelashes, skin texture, hair) survives because it is never resampled. Crop
pixels that came from outside the photo (where the crop repeats edge pixels)
carry no change, so edge streaks never reach the output.
"""
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from ..validation import check_photo, check_positive
from .align import FaceWarp, face_warp
from .geometry import CANONICAL
from .image import luminance
from .transforms import apply_matrix

__all__ = ["synthesize", "Synthesis", "face_mask"]


def face_mask(x, y, size, feather=0.25):
    """Feathered face mask at crop positions ``(x, y)`` (pixels of a ``size`` crop), in [0, 1].

    1 inside the ``"face"`` ellipse of :func:`~pixelfes_edu.faces.geometry.region_masks`
    (brows to chin, cheek to cheek), falling smoothly (raised cosine) to
    exactly 0 at ``1 + feather`` times its size: outside that, nothing changes.

    >>> c = face_mask(np.array([64.0, 64.0, 0.0]), np.array([70.0, 5.0, 0.0]), 128)
    >>> c.tolist()
    [1.0, 0.0, 0.0]
    """
    iod = CANONICAL["eye_right"][0] - CANONICAL["eye_left"][0]
    top = CANONICAL["eye_left"][1] - 0.3 * iod  # brows
    bottom = CANONICAL["mouth"][1] + 0.72 * iod  # chin
    u, v = (np.asarray(x, float) + 0.5) / size, (np.asarray(y, float) + 0.5) / size
    r = np.hypot((u - 0.5) / (0.94 * iod), (v - (top + bottom) / 2) / ((bottom - top) / 2))
    t = np.clip((r - 1.0) / feather, 0.0, 1.0)
    return 0.5 * (1.0 + np.cos(np.pi * t))


@dataclass
class Synthesis:
    """What :func:`synthesize` did, for teaching: the full photo and the crops behind it.

    Attributes
    ----------
    image : ndarray
        The photo with the face changed (the input's shape and dtype).
    aligned, prediction, change : ndarray, shape (size, size, C)
        The aligned crop, the model's output on it (clipped to [0, 1]) and the
        change that was pasted (``alpha * (prediction - aligned)``, masked).
    mask : ndarray, shape (size, size)
        Feathered face mask times "this crop pixel came from inside the photo".
    warp : FaceWarp
        The photo -> crop transform (``warp.landmarks``: the detected landmarks).
    alpha : float
        The intensity used.
    """

    image: np.ndarray
    aligned: np.ndarray
    prediction: np.ndarray
    change: np.ndarray
    mask: np.ndarray
    warp: FaceWarp
    alpha: float
    photo: np.ndarray = field(repr=False, default=None)
    _paste: tuple = field(repr=False, default=None)  # (box, selected pixels, change per unit alpha there)

    def at_alpha(self, alpha):
        """The photo at another intensity, without aligning or predicting again (for a slider)."""
        return _compose(self.photo, *self._paste, _check_alpha(alpha))


def _check_alpha(alpha):
    try:
        a = float(alpha)
    except (TypeError, ValueError):
        a = float("nan")
    if not np.isfinite(a) or a < 0 or isinstance(alpha, bool):
        raise ValueError(f"alpha must be a finite number >= 0; got {alpha!r}")
    return a


def _model_shape(model):
    shape = getattr(model, "input_shape_", None) or getattr(getattr(model, "model", None), "input_shape_", None)
    if shape is None or len(shape) not in (2, 3) or shape[0] != shape[1]:
        raise ValueError("model must be a fitted pixelfes_edu model of square face crops (fit it first)")
    return tuple(shape)


def synthesize(image, model, alpha=1.0, landmarks=None, eyes=None, mouth=None, warp=None, feather=0.25,
               return_crops=False):
    """Apply a fitted model to the face in a photo; return the whole photo at its own size.

    Parameters
    ----------
    image : ndarray
        ``(H, W, 3)`` RGB (also grayscale ``(H, W)`` or RGBA ``(H, W, 4)``,
        whose alpha is kept), uint8, uint16 or float in [0, 1], any size.
        Read files with :func:`~pixelfes_edu.faces.image.read_photo` (EXIF orientation applied).
    model : fitted model
        Any pixelfes_edu model fitted on aligned crops (its crop size is used).
    alpha : float
        Expression intensity: 0 returns the photo, 1 the model's change, 2 twice it.
    landmarks : Landmarks, optional
        From :func:`~pixelfes_edu.faces.landmarks.detect_landmarks` (else detected here).
    eyes, mouth : array_like, optional
        Pupil centres ``[[x, y], [x, y]]`` and mouth centre ``[x, y]`` in
        photo pixels instead of detection (animals, paintings, missed faces).
    warp : {None, "shape", "affine"}
        As in :func:`~pixelfes_edu.faces.align.align_face`.
    feather : float
        Width of the mask's soft edge, as a fraction of the face ellipse.
    return_crops : bool
        Return a :class:`Synthesis` (the photo plus the crops behind it) instead of the photo.

    Returns
    -------
    ndarray or Synthesis
        The photo, same shape and dtype, changed only inside the feathered face mask.

    Raises
    ------
    FaceNotFoundError
        A ``ValueError``: no face found and no ``eyes=`` given.

    Examples
    --------
    >>> import pixelfes_edu as pfe
    >>> pairs = pfe.load_pairs("synthetic", n=20, size=32, seed=0)
    >>> model = pfe.PixelRidge().fit(pairs.inputs, pairs.targets)
    >>> photo = (pfe.load_pairs("synthetic", n=1, size=96, seed=5).inputs[0] * 255).astype(np.uint8)
    >>> out = synthesize(photo, model, eyes=pfe.faces.canonical_eyes(96))
    >>> out.shape, out.dtype, bool((out[:5] == photo[:5]).all())   # the top rows lie outside the face
    ((96, 96, 3), dtype('uint8'), True)
    """
    alpha = _check_alpha(alpha)
    check_positive("feather", feather)
    shape = _model_shape(model)
    size = shape[0]
    photo = np.asarray(image)
    rgb, white = check_photo(photo)
    fw = face_warp(rgb, eyes=eyes, size=size, mouth=mouth, warp=warp, landmarks=landmarks)
    aligned = fw.crop(rgb)
    x_in = aligned if len(shape) == 3 else luminance(aligned)
    pred = np.clip(np.asarray(model.predict(x_in), float), 0.0, 1.0)
    # crop pixels whose source lies outside the photo (edge-repeated there) carry no change
    h, w = rgb.shape[:2]
    gy, gx = np.mgrid[0:size, 0:size].astype(float)
    src = fw.crop_to_photo(np.c_[gx.ravel(), gy.ravel()])
    inside = ((src[:, 0] >= -0.5) & (src[:, 0] <= w - 0.5) & (src[:, 1] >= -0.5)
              & (src[:, 1] <= h - 0.5)).reshape(size, size)
    support = face_mask(gx, gy, size, feather)
    unit = (pred - x_in) * (inside if pred.ndim == 2 else inside[..., None])
    paste = _paste_plan(fw, unit, support, h, w)
    out = _compose(photo, *paste, alpha)
    if not return_crops:
        return out
    return Synthesis(out, aligned, pred, alpha * unit, support * inside, fw, alpha, photo, paste)


def _paste_plan(fw, unit, support, h, w, up=2):
    """``(box, sel, delta)``: the photo rows/columns the mask reaches, its pixels there with mask > 0,
    and the change per unit alpha at those pixels ``(n, C)``, times the mask.

    The change and the mask are first put on a grid ``up`` times finer than the crop in the
    frame of ``fw.matrix`` (through the inverse shape warp, if any), then carried into the
    photo by that one affine map: a bilinear resampling per channel, only of the change.
    """
    size = fw.size
    layers = np.dstack([unit if unit.ndim == 3 else unit[..., None], support])
    g = (np.arange(up * size) + 0.5) / up - 0.5  # matrix-crop coordinates of the fine grid
    gx, gy = np.meshgrid(g, g)
    if fw.field is not None:  # where each matrix-crop position sits in the shape-warped crop
        inv = fw.inverse_field
        coords = [gy, gx]
        gx, gy = (ndimage.map_coordinates(inv[..., k], coords, order=1, mode="nearest") for k in (0, 1))
    fine = np.stack([ndimage.map_coordinates(layers[..., k], [gy, gx], order=1, mode="constant")
                     for k in range(layers.shape[2])], axis=-1)
    rows, cols = np.nonzero(fine[..., -1] > 0)
    if not len(rows):
        return None, None, None
    Minv = np.linalg.inv(fw.matrix)
    qx, qy = g[[cols.min(), cols.max()]], g[[rows.min(), rows.max()]]
    corners = np.array([[x, y] for x in qx for y in qy])
    px, py = apply_matrix(Minv, corners).T
    pad = 2.0 / np.sqrt(abs(np.linalg.det(fw.matrix[:2, :2]))) + 1  # two fine cells, and rounding
    x0, x1 = max(int(np.floor(px.min() - pad)), 0), min(int(np.ceil(px.max() + pad)) + 1, w)
    y0, y1 = max(int(np.floor(py.min() - pad)), 0), min(int(np.ceil(py.max() + pad)) + 1, h)
    if x1 <= x0 or y1 <= y0:
        return None, None, None
    # photo pixel (x0 + c, y0 + r) -> fine-grid position K @ (x, y, 1): one affine resampling per layer
    K = up * fw.matrix[:2]
    K[:, 2] += (up - 1) / 2
    out = [_resample(fine[..., k], K[:, :2], K[:, :2] @ [x0, y0] + K[:, 2], (y1 - y0, x1 - x0))
           for k in range(fine.shape[2])]
    mask = out[-1].ravel()
    sel = mask > 0
    delta = np.stack([o.ravel()[sel] for o in out[:-1]], axis=1) * mask[sel, None]
    return (y0, y1, x0, x1), sel, delta.astype(np.float32)


def _resample(layer, P, t, shape):
    """Bilinear ``out[r, c] = layer at (x, y) = P @ (c, r) + t`` (0 outside): PIL's float32 affine warp,
    a few times faster than scipy's for a large photo region."""
    from PIL import Image

    corner = t + 0.5 - P @ [0.5, 0.5]  # PIL measures from pixel corners, we from pixel centres
    coeffs = (P[0, 0], P[0, 1], corner[0], P[1, 0], P[1, 1], corner[1])
    img = Image.fromarray(np.ascontiguousarray(layer, dtype=np.float32), mode="F")
    return np.asarray(img.transform((shape[1], shape[0]), Image.AFFINE, coeffs, resample=Image.BILINEAR))


def _compose(photo, box, sel, delta, alpha):
    """``photo`` with ``alpha * delta`` added at the selected pixels of ``box``; all else untouched."""
    out = photo.copy()
    if box is None or alpha == 0:
        return out
    white = float(np.iinfo(photo.dtype).max) if photo.dtype.kind == "u" else 1.0  # check_photo allowed these
    y0, y1, x0, x1 = box
    region = out[y0:y1, x0:x1].reshape(-1, *photo.shape[2:])
    px = region[sel]
    d = alpha * delta.astype(float)
    if photo.ndim == 2:
        vals = px / white + d.mean(1)
    else:
        vals = px[:, :3] / white + d  # a 1-channel change broadcasts to RGB
    vals = np.clip(vals, 0.0, 1.0) * white
    if photo.dtype.kind in "ui":
        vals = np.rint(vals)
    if photo.ndim == 3 and photo.shape[2] != 3:  # (H, W, 1) keeps one channel; RGBA keeps its alpha
        vals = vals.mean(1, keepdims=True) if photo.shape[2] == 1 else np.c_[vals, px[:, 3:]]
    region[sel] = vals.astype(photo.dtype)
    out[y0:y1, x0:x1] = region.reshape(out[y0:y1, x0:x1].shape)
    return out
