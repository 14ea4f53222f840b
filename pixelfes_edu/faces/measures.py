"""How well a set of aligned pairs is aligned: residual shift within pairs, mean-face sharpness across people.
"""
import numpy as np

from .geometry import region_box
from .image import luminance

__all__ = ['residual_shift', 'mean_face_sharpness_ratio']


def _batch_gray(images, name):
    x = np.asarray(images, dtype=float)
    if x.ndim == 4 and x.shape[-1] in (3, 4):
        x = luminance(x[..., :3])
    elif x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 3 or x.shape[1] != x.shape[2]:
        raise ValueError(f"{name} must be a batch (N, S, S) or (N, S, S, 3) of square "
                         f"crops; got shape {np.shape(images)}.")
    return x


def residual_shift(inputs, targets, region="upper_face", upsample_factor=50):
    """Remaining translation between aligned inputs and targets, in pixels.

    For each pair, the sub-pixel phase correlation
    (:func:`skimage.registration.phase_cross_correlation`) of the grayscale
    input and target over the bounding box of ``region`` (see
    :func:`pixelfes_edu.faces.geometry.region_masks`), after removing the mean and
    applying a Hann window.

    Parameters
    ----------
    inputs, targets : ndarray, shape (N, S, S) or (N, S, S, 3)
        Aligned crops in [0, 1].
    region : str
        ``"upper_face"`` (default: forehead and eyes, which a smile barely
        moves), ``"eyes"``, ``"mouth"`` or ``"face"``.
    upsample_factor : int
        Sub-pixel precision 1 / ``upsample_factor`` (>= 20).

    Returns
    -------
    shift : ndarray, shape (N,)
        Magnitude of the translation of each pair, in pixels of the crop.

    Examples
    --------
    >>> from scipy import ndimage
    >>> from skimage.data import camera
    >>> a = camera()[None, 100:228, 200:328] / 255.0
    >>> b = ndimage.shift(a, (0, 0.6, -0.8), order=3, mode="nearest")
    >>> bool(abs(residual_shift(a, b)[0] - 1.0) < 0.15)  # true shift: 1.0 px
    True
    """
    from skimage.registration import phase_cross_correlation

    x, y = _batch_gray(inputs, "inputs"), _batch_gray(targets, "targets")
    if x.shape != y.shape:
        raise ValueError(f"inputs and targets must have the same shape; got {x.shape} "
                         f"and {y.shape}.")
    if upsample_factor < 20:
        raise ValueError(f"upsample_factor must be >= 20 for sub-pixel shifts; got "
                         f"{upsample_factor}.")
    _, box = region_box(region, x.shape[1])
    xb, yb = x[(slice(None),) + box], y[(slice(None),) + box]
    win = np.outer(np.hanning(xb.shape[1]), np.hanning(xb.shape[2]))
    out = np.empty(len(x))
    for i in range(len(x)):  # one FFT registration per pair
        a = (xb[i] - xb[i].mean()) * win
        b = (yb[i] - yb[i].mean()) * win
        shift = phase_cross_correlation(a, b, upsample_factor=upsample_factor)[0]
        out[i] = np.hypot(*shift)
    return out


def mean_face_sharpness_ratio(images, region="face"):
    """How sharp the mean face is compared with the faces themselves.

    ``var(Laplacian(mean image)) / mean_i var(Laplacian(image_i))`` on
    grayscale (:func:`skimage.filters.laplace`), over ``region``. Faces whose
    eyes, nose and mouth land on the same pixels average to a sharp mean face
    (ratio high); misaligned faces average to a blur (ratio near 0).

    Parameters
    ----------
    images : ndarray, shape (N, S, S) or (N, S, S, 3)
        Aligned crops in [0, 1], ``N >= 2``.
    region : str
        Mask from :func:`pixelfes_edu.faces.geometry.region_masks` (default ``"face"``).

    Returns
    -------
    ratio : float
        In [0, 1] for practical purposes; 1 when all images are identical.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> face = rng.random((32, 32))
    >>> round(mean_face_sharpness_ratio(np.stack([face, face])), 6)
    1.0
    """
    from skimage.filters import laplace

    x = _batch_gray(images, "images")
    if len(x) < 2:
        raise ValueError("mean_face_sharpness_ratio needs at least 2 images.")
    mask, _ = region_box(region, x.shape[1])

    def sharp(im):
        return laplace(im, ksize=3)[mask].var()

    each = np.mean([sharp(im) for im in x])
    if each == 0:
        raise ValueError("the images are flat (no texture); the ratio is undefined.")
    return float(sharp(x.mean(0)) / each)
