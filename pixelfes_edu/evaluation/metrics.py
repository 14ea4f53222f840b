"""Metrics for synthesised faces, expression intensity and per-image normalisation.

Every metric takes batches ``(N, H, W)`` or ``(N, H, W, C)`` of float images in
[0, 1] and returns one number per image (``(N,)`` array), so results can be
averaged, plotted or split by person.  ``x`` is the neutral input, ``y`` the
prediction and ``t`` the true expressive target.

==========================  ======================================================
function                    what it measures
==========================  ======================================================
:func:`psnr`, :func:`ssim`  closeness of ``y`` to ``t`` (scikit-image)
:func:`sharpness`           variance of the Laplacian of the grey image (detail)
:func:`sharpness_ratio`     ``sharpness(y) / sharpness(t)``: < 1 means blurrier
:func:`transfer_ratio`      ``<y - x, t - x> / ||t - x||^2``: fraction of the true
                            expression change the model reproduces (1 = all of it)
:func:`transfer_cosine`     cosine between ``y - x`` and ``t - x`` (direction only)
:func:`apply_intensity`     ``x + alpha (y - x)``: expression intensity α
:func:`tone_shift`          change of the face's mean brightness, ``|mean(y) - mean(x)|``
:func:`speckle`             fine detail outside the face, relative to the input's
:func:`normalise_images`    per-image min-max or mean/std scaling (and its inverse)
==========================  ======================================================

Regions are the names of :func:`pixelfes_edu.faces.geometry.region_masks`
(``"face"``, ``"mouth"``, ``"eyes"``, ``"upper_face"``, ``"head"``), a boolean
mask, or None for the whole crop.  Every face-level metric uses ``"face"``
(:data:`~pixelfes_edu.faces.geometry.DEFAULT_REGION`, the skin from the brows
to the chin) by default: the ``"head"`` ellipse also covers hair, ears,
background and neck, whose changes between two photos are not expression.
Grey values are the luminance of :func:`pixelfes_edu.faces.image.luminance`.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> x = rng.random((3, 32, 32, 3)) * 0.5; t = x + 0.2
>>> transfer_ratio(x, apply_intensity(x, t, 0.5), t).round(3)
array([0.5, 0.5, 0.5])
"""
import numpy as np
from scipy import ndimage

from ..faces.geometry import DEFAULT_REGION, region_mask
from ..faces.image import luminance
from ..validation import as_float_array, check_images, check_same_shape

__all__ = [
    "psnr", "ssim", "sharpness", "sharpness_ratio", "transfer_ratio", "transfer_cosine", "apply_intensity",
    "transfer_curve", "image_metrics", "tone_shift", "normalise_images", "denormalise_images", "NORMALISATIONS",
    "speckle",
]

#: Per-image normalisations understood by :func:`normalise_images`.
NORMALISATIONS = ("none", "minmax", "meanstd")
#: Standard deviation over the face that ``normalise_images(..., "meanstd")`` maps every image to.
MEANSTD_STD = 0.1


def _same(**named):
    """The batches, checked (float, finite, 3-D or 4-D) and of one shape."""
    return check_same_shape(named)


def _masked(a, mask):
    """``(N, P*C)`` values of every image inside the mask."""
    return a[:, mask].reshape(len(a), -1)


def _grey(a):
    return luminance(a) if a.ndim == 4 else a


# --------------------------------------------------------------------------- fidelity
def psnr(y, t):
    """Peak signal-to-noise ratio of each prediction to its target, in dB (peak 1).

    ``10 log10(1 / mse)`` with the mean squared error over one image's pixels
    and channels; ``inf`` for a perfect prediction.  Tables and explorers
    report the mean of these per-image values over the held-out faces.

    >>> t = np.full((2, 8, 8), 0.5)
    >>> psnr(t + 0.1, t).round(1)
    array([20., 20.])
    """
    y, t = _same(y=y, t=t)
    mse = ((y - t) ** 2).reshape(len(y), -1).mean(axis=1)
    with np.errstate(divide="ignore"):
        return 10 * np.log10(1.0 / mse)


def ssim(y, t, region=None):
    """Structural similarity of each prediction to its target (scikit-image, Gaussian window).

    ``region`` averages the SSIM map over a mask (default: the whole image).

    >>> t = np.random.default_rng(0).random((2, 16, 16))
    >>> ssim(t, t)
    array([1., 1.])
    """
    from skimage.metrics import structural_similarity

    y, t = _same(y=y, t=t)
    mask = region_mask(region, y.shape)
    channel_axis = -1 if y.ndim == 4 else None
    out = []
    side = min(y.shape[1:3])
    # the standard Gaussian window (sigma 1.5, 11 px) needs 11 px; tiny images use a smaller uniform one
    window = {"gaussian_weights": True, "sigma": 1.5} if side >= 11 else {"win_size": max(3, side - 1 + side % 2)}
    if side < 3:
        raise ValueError(f"SSIM needs images of at least 3x3 pixels, got {y.shape[1:3]}")
    for a, b in zip(y, t):
        _, smap = structural_similarity(a, b, data_range=1.0, channel_axis=channel_axis, full=True, **window)
        smap = smap.mean(axis=-1) if smap.ndim == 3 else smap
        out.append(smap[mask].mean())
    return np.array(out)


# --------------------------------------------------------------------------- sharpness
def sharpness(images, region=DEFAULT_REGION):
    """Variance of the Laplacian of each grey image inside ``region`` (higher = more detail).

    >>> rng = np.random.default_rng(0)
    >>> a = rng.random((1, 32, 32)); bool(sharpness(a, None) > sharpness(0.5 + 0 * a, None))
    True
    """
    images = check_images(images, "images", in_range=False)
    mask = region_mask(region, images.shape)
    lap = ndimage.laplace(_grey(images), mode="reflect", axes=(1, 2))
    return lap[:, mask].var(axis=1)


def tone_shift(x, y, region=DEFAULT_REGION):
    """``|mean grey(y) - mean grey(x)|`` over ``region`` per image: how much a model relights the face.

    A pixel model shrinks towards the mean face, so without normalisation it
    lightens dark faces and darkens light ones; compare with ``tone_shift(x, t)``.

    >>> x = np.zeros((1, 8, 8)); tone_shift(x, x + 0.1, None).round(3)
    array([0.1])
    """
    x, y = _same(x=x, y=y)
    mask = region_mask(region, x.shape)
    return np.abs(_grey(y)[:, mask].mean(axis=1) - _grey(x)[:, mask].mean(axis=1))


def speckle(x, y, face=DEFAULT_REGION):
    """High-frequency energy outside the face, relative to the input's, per image.

    Mean squared Laplacian of the luminance of ``y`` over the pixels *outside*
    ``face`` (hair, ears, background, neck), divided by the same for ``x``.
    A model that copies the input there scores 1; Pixel-RR, which shrinks
    hair towards the mean, about 0.5; a model whose pixels read scattered
    inputs (:class:`~pixelfes_edu.models.SparseFieldRidge` without neighbour
    consistency) scores higher: salt-and-pepper speckle.  Compare models by
    the ratio of their means.

    >>> rng = np.random.default_rng(0); x = rng.random((2, 32, 32))
    >>> speckle(x, x), speckle(x, 0.5 * x).round(2)
    (array([1., 1.]), array([0.25, 0.25]))
    """
    x, y = _same(x=x, y=y)
    outside = ~region_mask(face, x.shape)
    if not outside.any():
        raise ValueError(f"region {face!r} covers the whole image: nothing is outside it")

    def energy(a):
        return (ndimage.laplace(_grey(a), mode="reflect", axes=(1, 2))[:, outside] ** 2).mean(axis=1)

    return energy(y) / np.maximum(energy(x), 1e-12)


def sharpness_ratio(y, t, region=DEFAULT_REGION):
    """``sharpness(y) / sharpness(t)`` per image: 1 = as detailed as the real photo, < 1 = blurrier."""
    y, t = _same(y=y, t=t)
    return sharpness(y, region) / np.maximum(sharpness(t, region), 1e-12)


# --------------------------------------------------------------------------- expression transfer
def transfer_ratio(x, y, t, region=None):
    """Fraction of the true expression change reproduced: ``<y - x, t - x> / ||t - x||^2``.

    0 for the identity map (``y = x``), 1 when the projection of the predicted
    change onto the true one is complete; it scales linearly with the
    intensity α of :func:`apply_intensity`.  Computed per image over ``region``
    (a name from ``geometry.region_masks``, a boolean mask, or None = all).

    >>> x = np.zeros((1, 4, 4)); t = x + 0.4
    >>> transfer_ratio(x, x + 0.1, t), transfer_ratio(x, x, t)
    (array([0.25]), array([0.]))
    """
    x, y, t = _same(x=x, y=y, t=t)
    mask = region_mask(region, x.shape)
    d, e = _masked(y - x, mask), _masked(t - x, mask)
    return np.einsum("np,np->n", d, e) / np.maximum(np.einsum("np,np->n", e, e), 1e-12)


def transfer_cosine(x, y, t, region=None):
    """Cosine between the predicted change ``y - x`` and the true change ``t - x`` per image.

    >>> x = np.zeros((1, 4, 4)); t = x + 0.4
    >>> transfer_cosine(x, x + 0.1, t)
    array([1.])
    """
    x, y, t = _same(x=x, y=y, t=t)
    mask = region_mask(region, x.shape)
    d, e = _masked(y - x, mask), _masked(t - x, mask)
    num = np.einsum("np,np->n", d, e)
    den = np.sqrt(np.einsum("np,np->n", d, d) * np.einsum("np,np->n", e, e))
    return num / np.maximum(den, 1e-12)


def apply_intensity(x, y, alpha=1.0):
    """Expression intensity: ``x + alpha (y - x)``.

    ``alpha = 0`` returns the neutral input, 1 the model's prediction, values
    in between a weaker expression and values above 1 an exaggerated one.
    Works on single images or batches; ``alpha`` may be an array that
    broadcasts against them.  Not clipped (clip to [0, 1] for display).

    >>> x = np.zeros((2, 2)); y = np.ones((2, 2))
    >>> apply_intensity(x, y, 0.25)
    array([[0.25, 0.25],
           [0.25, 0.25]])
    """
    x, y = as_float_array(x, "x"), as_float_array(y, "y")
    if x.shape != y.shape:
        raise ValueError(f"x {x.shape} and y {y.shape} must have the same shape")
    alpha = as_float_array(alpha, "alpha")
    if not np.isfinite(alpha).all():
        raise ValueError(f"alpha must be finite, got {alpha!r}")
    return x + alpha * (y - x)


def transfer_curve(x, y, t, alphas=np.linspace(0, 2, 9), region=DEFAULT_REGION, clip=True):
    """Metrics of ``apply_intensity(x, y, alpha)`` for every α: how intensity trades realism.

    Returns a dict of arrays over ``alphas`` (means over images): ``alpha``,
    ``transfer`` (transfer ratio, linear in α unless clipping bites), ``ssim``
    (whole image), ``ssim_face`` (over ``region``), ``sharpness_ratio``.

    >>> x = np.zeros((2, 16, 16)); t = x + 0.4
    >>> transfer_curve(x, t, t, alphas=[0, 1], region=None)["transfer"]
    array([0., 1.])
    """
    alphas = np.asarray(alphas, dtype=np.float64).ravel()
    out = {"alpha": alphas, "transfer": [], "ssim": [], "ssim_face": [], "sharpness_ratio": []}
    for a in alphas:
        ya = apply_intensity(x, y, a)
        ya = np.clip(ya, 0, 1) if clip else ya
        out["transfer"].append(transfer_ratio(x, ya, t, region).mean())
        out["ssim"].append(ssim(ya, t).mean())
        out["ssim_face"].append(ssim(ya, t, region).mean())
        out["sharpness_ratio"].append(sharpness_ratio(ya, t, region).mean())
    return {k: np.asarray(v) for k, v in out.items()}


def image_metrics(x, y, t, regions=("mouth", "eyes", "head"), face=DEFAULT_REGION):
    """Every metric per image, as a dict of ``(N,)`` arrays.

    Keys: ``psnr``, ``ssim`` (whole image), ``ssim_face``, ``sharpness``,
    ``sharpness_ratio`` (to the target's), ``transfer``, ``cosine`` and
    ``tone_shift`` (all over the ``face`` region), ``speckle`` (outside it),
    and ``transfer_<region>`` for each of ``regions``.

    >>> rng = np.random.default_rng(0); x = rng.random((2, 32, 32, 3)) * 0.8
    >>> sorted(image_metrics(x, x + 0.1, x + 0.2))[:3]
    ['cosine', 'psnr', 'sharpness']
    """
    x, y, t = _same(x=x, y=y, t=t)
    out = {
        "psnr": psnr(y, t),
        "ssim": ssim(y, t),
        "ssim_face": ssim(y, t, face),
        "sharpness": sharpness(y, face),
        "sharpness_ratio": sharpness_ratio(y, t, face),
        "transfer": transfer_ratio(x, y, t, face),
        "cosine": transfer_cosine(x, y, t, face),
        "tone_shift": tone_shift(x, y, face),
        "speckle": speckle(x, y, face),
    }
    for r in regions:
        out[f"transfer_{r}"] = transfer_ratio(x, y, t, r)
    return out


# --------------------------------------------------------------------------- normalisation
def normalise_images(images, method="minmax", region=DEFAULT_REGION):
    """Per-image scaling; returns ``(scaled, params)``.

    ``"minmax"`` maps each image's (and channel's) range to [0, 1] (what the
    authors' code does before fitting); ``"meanstd"`` shifts each channel's
    mean over ``region`` to 0.5 and scales the image so its standard
    deviation over ``region`` (all channels together, so colours keep their
    balance) becomes :data:`MEANSTD_STD` — about 1% of London pixels (hair,
    background) fall outside [0, 1] and are clipped; ``"none"`` returns a
    copy.  Undo with :func:`denormalise_images` and the params of the *input*
    image (the target's are unknown at prediction time): the prediction then
    keeps the input's brightness, contrast and skin tone.

    >>> a = np.random.default_rng(0).random((2, 8, 8, 3)) * 0.5 + 0.2
    >>> s, p = normalise_images(a, "minmax", region=None)
    >>> float(s.min()), float(s.max()), bool(np.allclose(denormalise_images(s, p), a))
    (0.0, 1.0, True)
    """
    images = check_images(images, "images", in_range=False)
    if method not in NORMALISATIONS:
        raise ValueError(f"unknown normalisation {method!r}; use one of {NORMALISATIONS}")
    shape = (len(images), 1, 1) + images.shape[3:]
    if method == "none":
        return images.copy(), {"method": "none"}
    if method == "minmax":
        lo = images.min(axis=(1, 2), keepdims=True)
        hi = images.max(axis=(1, 2), keepdims=True)
        scale = np.maximum(hi - lo, 1e-6)
        return (images - lo) / scale, {"method": "minmax", "offset": lo, "scale": scale}
    mask = region_mask(region, images.shape)
    vals = images[:, mask]  # (N, P[, C])
    mean = vals.mean(axis=1).reshape(shape)
    std = np.maximum(vals.reshape(len(images), -1).std(axis=1), 1e-6).reshape((-1,) + (1,) * (images.ndim - 1))
    scale = std / MEANSTD_STD
    offset = mean - 0.5 * scale
    return np.clip((images - offset) / scale, 0, 1), {"method": "meanstd", "offset": offset, "scale": scale}


def denormalise_images(images, params):
    """Inverse of :func:`normalise_images` with its ``params`` (per image)."""
    if params["method"] == "none":
        return np.asarray(images, dtype=np.float64).copy()
    return np.asarray(images, dtype=np.float64) * params["scale"] + params["offset"]
