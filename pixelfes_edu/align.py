"""Face alignment, pair registration and alignment measures.

A pixel-based model predicts every output pixel from the input pixel at the
SAME position, so it only works when (a) every face puts its eyes, nose and
mouth on the same pixels (alignment *across people*) and (b) the expressive
photo of a pair lands pixel-on-pixel on its neutral photo (registration
*within a pair*). This module does both, on plain numpy arrays:

* :func:`align_with_landmarks` — least-squares affine fit of the eye and
  mouth landmarks (56 of the 189 FRL points) to a mean face template;
* :func:`align_face` — any photo, from explicit eye positions or from the
  LBP frontal-face detector that ships with scikit-image;
* :func:`align_pair` — a neutral/expressive pair: align the neutral photo,
  register the expressive photo to it on the eyes and brows (the part a
  smile barely moves) with a similarity transform, then warp both with the
  same canonical transform;
* :func:`residual_shift` and :func:`mean_face_sharpness_ratio` — the two
  numbers that say how well a set of pairs is aligned.

Every aligned face uses the canonical geometry of :mod:`pixelfes_edu.geometry`,
so a model trained on one source applies to faces from another. No per-face
non-rigid warp is used: landmark faces get one affine (eyes and mouth on the
template), faces with only two eye positions a similarity that puts the
eyes exactly where the training faces have them on average.

Coordinates are ``(x, y)`` in pixels, x to the right, y down, with the centre
of pixel ``[row i, col j]`` at ``(x=j, y=i)`` (the scikit-image convention).
"""
import functools
import os

import numpy as np
from scipy import ndimage

from .geometry import canonical_eyes, canonical_points, region_masks

__all__ = [
    "read_tem",
    "align_face",
    "align_with_landmarks",
    "align_pair",
    "residual_shift",
    "mean_face_sharpness_ratio",
    "detect_faces",
    "detect_eyes",
    "similarity_matrix",
    "landmark_matrix",
    "eye_matrix",
    "warp_to_crop",
    "TEMPLATE",
    "TEMPLATE_INDEX",
    "TEM_PUPILS",
]

# --------------------------------------------------------------------------
# input checking
# --------------------------------------------------------------------------


def _rgb(image, name="image"):
    """Return ``(H, W, 3)`` view of ``image`` (any dtype) and its white value.

    Grayscale ``(H, W)`` and ``(H, W, 1)`` are repeated to three channels,
    RGBA drops its alpha channel. Integer images keep their dtype (they are
    converted to float only after cropping, which is much cheaper).
    """
    img = np.asarray(image)
    if img.ndim == 2:
        img = img[:, :, None]
    if img.ndim != 3 or img.shape[2] not in (1, 3, 4):
        raise ValueError(
            f"{name} must be a (H, W) grayscale, (H, W, 3) RGB or (H, W, 4) RGBA "
            f"array; got shape {np.shape(image)}."
        )
    if img.shape[0] < 8 or img.shape[1] < 8:
        raise ValueError(f"{name} is too small to hold a face: shape {img.shape[:2]}.")
    if img.shape[2] == 1:
        img = np.broadcast_to(img, img.shape[:2] + (3,))
    elif img.shape[2] == 4:
        img = img[:, :, :3]
    if img.dtype == bool:
        img = img.astype(np.uint8)
    if np.issubdtype(img.dtype, np.integer):
        white = float(np.iinfo(img.dtype).max)
    elif np.issubdtype(img.dtype, np.floating):
        white = 1.0
        if not np.all(np.isfinite(img)):
            raise ValueError(f"{name} contains NaN or inf values; clean it first.")
        if img.max(initial=0.0) > 1.0 + 1e-6 or img.min(initial=0.0) < -1e-6:
            raise ValueError(
                f"float {name} must be in [0, 1]; got range [{img.min():.3g}, "
                f"{img.max():.3g}]. Divide by 255 if it holds 8-bit values."
            )
    else:
        raise ValueError(f"{name} must be a numeric array; got dtype {img.dtype}.")
    return img, white


def _points(points, name, n=None):
    pts = np.asarray(points, dtype=float)
    if pts.ndim != 2 or pts.shape[1] != 2 or (n is not None and pts.shape[0] != n):
        want = f"({n}, 2)" if n is not None else "(K, 2)"
        raise ValueError(f"{name} must be a {want} array of [x, y] pixel positions; "
                         f"got shape {pts.shape}.")
    if not np.all(np.isfinite(pts)):
        raise ValueError(f"{name} contains NaN or inf values.")
    return pts


def _check_size(size):
    if int(size) != size or size < 8:
        raise ValueError(f"size must be an integer >= 8; got {size!r}.")
    return int(size)


# --------------------------------------------------------------------------
# WebMorph landmark files
# --------------------------------------------------------------------------


def read_tem(path_or_text):
    """Read the landmark points of a WebMorph ``.tem`` file.

    The format: first line the number of points ``K``, then ``K`` lines
    ``x y`` (pixels, x to the right, y down). Later lines (the template's
    line connections) are ignored.

    Parameters
    ----------
    path_or_text : str or os.PathLike
        A file path, or the text of a ``.tem`` file (any string containing a
        newline is taken as text).

    Returns
    -------
    points : ndarray, shape (K, 2)
        ``[x, y]`` of every point, float64. For the 189-point FRL template
        points 0 and 1 are the two pupils.

    Raises
    ------
    FileNotFoundError
        If the path does not exist.
    ValueError
        If the file is truncated or corrupt (the message names the file).

    Examples
    --------
    >>> read_tem("3\\n10 20\\n30 20.5\\n20 40\\n1\\n0 1\\n")
    array([[10. , 20. ],
           [30. , 20.5],
           [20. , 40. ]])
    """
    if isinstance(path_or_text, str) and "\n" in path_or_text:
        text, where = path_or_text, "<tem text>"
    else:
        where = os.fspath(path_or_text)
        if not os.path.exists(where):
            raise FileNotFoundError(f"landmark file {where!r} does not exist; "
                                    "check the path or re-fetch the data set.")
        with open(where, "rb") as fh:
            raw = fh.read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"landmark file {where!r} is not a text .tem file "
                             "(corrupt?); delete it and re-fetch the data set.") from None
    hint = "delete it and re-fetch the data set (e.g. `pixelfes-edu fetch london`)."
    lines = [ln for ln in text.splitlines() if ln.strip()]
    try:
        k = int(lines[0].split()[0])
    except (IndexError, ValueError):
        raise ValueError(f"landmark file {where!r} is empty or does not start with the "
                         f"number of points; it is corrupt: {hint}") from None
    if k < 1:
        raise ValueError(f"landmark file {where!r} declares {k} points; it is corrupt: {hint}")
    if len(lines) < k + 1:
        raise ValueError(f"landmark file {where!r} is truncated: it declares {k} points "
                         f"but has only {len(lines) - 1} lines after the count; {hint}")
    try:
        pts = np.array([[float(v) for v in ln.split()[:2]] for ln in lines[1:k + 1]])
    except ValueError:
        raise ValueError(f"landmark file {where!r} has a non-numeric point line; "
                         f"it is corrupt: {hint}") from None
    if pts.shape != (k, 2) or not np.all(np.isfinite(pts)):
        raise ValueError(f"landmark file {where!r} has malformed point lines (each must "
                         f"be 'x y'); it is corrupt: {hint}")
    return pts


# --------------------------------------------------------------------------
# similarity transforms and cropping
# --------------------------------------------------------------------------


def similarity_matrix(src, dst, weights=None):
    """Least-squares similarity transform mapping points ``src`` onto ``dst``.

    Rotation, uniform scale and translation (no reflection, no shear), in
    closed form (weighted Procrustes).

    Parameters
    ----------
    src, dst : array_like, shape (K, 2)
        Corresponding ``[x, y]`` points, ``K >= 2``.
    weights : array_like, shape (K,), optional
        Non-negative weight of each point (default: all equal).

    Returns
    -------
    matrix : ndarray, shape (3, 3)
        Homogeneous matrix ``M`` with ``dst ~= (M @ [x, y, 1])[:2]``.

    Examples
    --------
    >>> M = similarity_matrix([[0, 0], [1, 0]], [[10, 10], [10, 12]])
    >>> np.round(M @ [1, 0, 1], 6)
    array([10., 12.,  1.])
    """
    src = _points(src, "src")
    dst = _points(dst, "dst", n=src.shape[0])
    w = np.ones(len(src)) if weights is None else np.asarray(weights, dtype=float)
    w = w / w.sum()
    ms, md = w @ src, w @ dst
    s, d = src - ms, dst - md
    norm = w @ (s ** 2).sum(1)
    if norm <= 0:
        raise ValueError("src points are all identical; a similarity needs two distinct points.")
    a = w @ (s * d).sum(1) / norm
    b = w @ (s[:, 0] * d[:, 1] - s[:, 1] * d[:, 0]) / norm
    A = np.array([[a, -b], [b, a]])
    M = np.eye(3)
    M[:2, :2] = A
    M[:2, 2] = md - A @ ms
    return M


def _reduce(img, white, matrix, size, margin=0.0):
    """Box-downsample the part of ``img`` that ``matrix`` maps into the crop.

    Returns a float image in [0, 1] whose pixels are at most as fine as the
    crop's (anti-aliasing by an integer block mean, the cheapest good filter)
    and the matrix from its pixel coordinates to crop coordinates.
    """
    scale = np.sqrt(abs(np.linalg.det(matrix[:2, :2])))  # crop px per image px
    f = max(1, int(np.floor(1.0 / scale + 1e-9)))
    inv = np.linalg.inv(matrix)
    corners = np.array([[-1, -1, 1], [size, -1, 1], [-1, size, 1], [size, size, 1]], float)
    xy = (inv @ corners.T)[:2]
    pad = 2 * f + margin / scale
    h, w = img.shape[:2]
    x0 = int(np.clip(np.floor(xy[0].min() - pad), 0, w - f))
    x1 = int(np.clip(np.ceil(xy[0].max() + pad), x0 + f, w))
    y0 = int(np.clip(np.floor(xy[1].min() - pad), 0, h - f))
    y1 = int(np.clip(np.ceil(xy[1].max() + pad), y0 + f, h))
    nh, nw = (y1 - y0) // f, (x1 - x0) // f
    sub = img[y0:y0 + nh * f, x0:x0 + nw * f]
    small = np.zeros((nh, nw, sub.shape[2]))
    for i in range(f):  # block mean as f*f strided adds (much faster than .mean)
        for j in range(f):
            small += sub[i::f, j::f]
    small /= white * f * f
    d = 1.0 / (scale * f)  # remaining downscale factor (>= 1)
    if d > 1.3:
        sig = (d - 1) / 2
        small = ndimage.gaussian_filter(small, (sig, sig, 0))
    to_img = np.array([[f, 0, x0 + (f - 1) / 2], [0, f, y0 + (f - 1) / 2], [0, 0, 1.0]])
    return small, matrix @ to_img


def _sample(small, matrix, shape, origin=(0, 0)):
    """Bilinear sample of ``small`` on the crop grid (``shape`` rows, cols).

    ``matrix`` maps ``small`` pixel coordinates to crop coordinates; ``origin``
    is the crop ``(x, y)`` of the first output pixel (to sample a sub-window).
    """
    inv = np.linalg.inv(matrix)
    A = inv[:2, :2]
    a = inv[:2, 2] + A @ np.asarray(origin, float)
    if small.ndim == 2:
        return ndimage.affine_transform(small, A[::-1, ::-1], a[::-1], output_shape=shape,
                                        order=1, mode="nearest")
    mat = np.eye(3)
    mat[:2, :2] = A[::-1, ::-1]
    off = np.r_[a[::-1], 0.0]
    return ndimage.affine_transform(small, mat, off, output_shape=tuple(shape) + small.shape[2:],
                                    order=1, mode="nearest")


def _sample_field(small, matrix, field):
    """Bilinear sample of ``small`` at crop positions ``field`` (``(H, W, 2)`` x, y).

    ``matrix`` maps ``small`` pixel coordinates to crop coordinates. Used for
    the piecewise-affine shape warp: one interpolation from the photo.
    """
    inv = np.linalg.inv(matrix)
    x, y = field[..., 0], field[..., 1]  # elementwise, not a matmul: no BLAS threads in the workers
    coords = [inv[1, 0] * x + inv[1, 1] * y + inv[1, 2], inv[0, 0] * x + inv[0, 1] * y + inv[0, 2]]
    return np.stack([ndimage.map_coordinates(small[..., c], coords, order=1, mode="nearest")
                     for c in range(small.shape[2])], axis=-1)


def mean_shape(landmarks, size=128):
    """Mean of 189-point FRL landmark sets after each one's :func:`landmark_matrix`.

    ``landmarks``: sequence of ``(189, 2)`` arrays in their photos' pixels.
    Returns ``(189, 2)`` crop positions: the shape :func:`align_pair` warps
    every face onto with ``shape=``.
    """
    crop = [apply_matrix(landmark_matrix(lm, size), lm) for lm in landmarks]
    if not crop:
        raise ValueError("mean_shape needs at least one landmark set")
    return np.mean(crop, axis=0)


def apply_matrix(matrix, points):
    """``(K, 2)`` points mapped by a 3x3 homogeneous ``matrix``."""
    pts = np.asarray(points, dtype=float)
    return pts @ np.asarray(matrix)[:2, :2].T + np.asarray(matrix)[:2, 2]


def shape_field(points, shape, size=128):
    """Piecewise-affine map putting ``points`` on ``shape``: where each output pixel samples.

    ``points`` and ``shape`` are ``(K, 2)`` crop positions (x, y). The
    Delaunay triangulation of ``shape`` plus 8 fixed points on the crop
    border is mapped triangle by triangle onto the same triangles over
    ``points``; pixels outside the face blend into the identity at the border.
    Returns ``(size, size, 2)`` crop positions ``(x, y)``.

    >>> pts = np.array([[10., 10], [20, 10], [15, 20]])
    >>> f = shape_field(pts + 1, pts, size=32)     # shape -> points moved by (1, 1)
    >>> f[15, 15].tolist()
    [16.0, 16.0]
    """
    from scipy.spatial import Delaunay

    e = size - 1.0
    frame = np.array([[0, 0], [e, 0], [0, e], [e, e], [e / 2, 0], [0, e / 2], [e, e / 2], [e / 2, e]])
    inside = np.all((shape > 1) & (shape < size - 2), axis=1)  # points too near the border would fold
    src = np.r_[np.asarray(shape, float)[inside], frame]
    dst = np.r_[np.asarray(points, float)[inside], frame]
    tri = Delaunay(src)
    yy, xx = np.mgrid[0:size, 0:size]
    pix = np.c_[xx.ravel(), yy.ravel()].astype(float)
    simplex = tri.find_simplex(pix)
    simplex = np.where(simplex < 0, tri.find_simplex(np.clip(pix, 0.01, e - 0.01)), simplex)
    T = tri.transform[simplex]
    b = np.einsum("pij,pj->pi", T[:, :2], pix - T[:, 2])
    bary = np.c_[b, 1 - b.sum(1)]  # barycentric coordinates of every pixel in its triangle
    return np.einsum("pk,pkd->pd", bary, dst[tri.simplices[simplex]]).reshape(size, size, 2)


def warp_to_crop(image, matrix, size=128):
    """Warp ``image`` into a ``size`` x ``size`` RGB crop with ``matrix``.

    Parameters
    ----------
    image : ndarray
        ``(H, W)``, ``(H, W, 3)`` or ``(H, W, 4)``; uint8/uint16 or float in
        [0, 1]. Grayscale is repeated to RGB, alpha is dropped.
    matrix : ndarray, shape (3, 3)
        Maps image ``(x, y, 1)`` to crop ``(x, y, 1)``.
    size : int
        Side of the square crop.

    Returns
    -------
    crop : ndarray, shape (size, size, 3), float64 in [0, 1]
        Anti-aliased (block mean, then bilinear); outside the photo the edge
        pixels are repeated.

    Examples
    --------
    >>> img = np.zeros((100, 100)); img[40:60, 40:60] = 1.0
    >>> M = similarity_matrix([[30, 50], [70, 50]], [[8, 16], [24, 16]])
    >>> crop = warp_to_crop(img, M, size=32)
    >>> crop.shape, float(crop[16, 16, 0])
    ((32, 32, 3), 1.0)
    """
    img, white = _rgb(image)
    size = _check_size(size)
    M = np.asarray(matrix, dtype=float)
    if M.shape != (3, 3) or abs(np.linalg.det(M[:2, :2])) < 1e-12:
        raise ValueError("matrix must be an invertible (3, 3) homogeneous transform.")
    small, m = _reduce(img, white, M, size)
    return np.clip(_sample(small, m, (size, size)), 0.0, 1.0)


def _gray(rgb):
    """Luminance (ITU-R 709 weights, as skimage.color.rgb2gray)."""
    return rgb @ np.array([0.2125, 0.7154, 0.0721])


def _block_gray(img, white, k):
    """Luminance in [0, 1] of ``img`` (``(H, W, 3)``, white value ``white``) shrunk by k x k block means."""
    h, w = img.shape[:2]
    return _gray(img[: h // k * k, : w // k * k].reshape(h // k, k, w // k, k, 3).mean(axis=(1, 3)) / white)


# --------------------------------------------------------------------------
# the mean face template (189-point FRL / WebMorph landmarks)
# --------------------------------------------------------------------------

#: Indices into the 189-point FRL template used for alignment: the 34 eye
#: points (0 and 1 are the pupils) and the 22 mouth points (87-108).
TEMPLATE_INDEX = np.r_[0:34, 87:109]

#: Mean position of those points over the 102 London neutral faces, in
#: "pupil units": left pupil at (0, 0), right pupil at (1, 0). Built by
#: generalised Procrustes analysis with affine fits (``/tmp`` script in the
#: commit history; the tests rebuild it from the data and compare).
TEMPLATE = np.array([
    (0.0000, 0.0000), (1.0000, 0.0000), (-0.0017, -0.0628), (-0.0780, -0.0408),
    (-0.0965, 0.0066), (-0.0731, 0.0640), (-0.0010, 0.0905), (0.0723, 0.0616),
    (0.0936, 0.0063), (0.0763, -0.0395), (1.0002, -0.0631), (0.9266, -0.0407),
    (0.9092, 0.0062), (0.9319, 0.0620), (1.0045, 0.0901), (1.0779, 0.0637),
    (1.0987, 0.0056), (1.0793, -0.0423), (-0.1984, 0.0305), (-0.1169, -0.0345),
    (-0.0026, -0.0630), (0.1187, -0.0275), (0.2305, 0.0583), (0.7712, 0.0597),
    (0.8823, -0.0287), (1.0007, -0.0642), (1.1189, -0.0327), (1.2006, 0.0330),
    (-0.1181, 0.0812), (-0.0007, 0.0959), (0.1169, 0.0761), (0.8889, 0.0762),
    (1.0043, 0.0954), (1.1209, 0.0789), (0.1019, 1.1020), (0.2531, 0.9982),
    (0.3867, 0.9422), (0.5012, 0.9667), (0.6223, 0.9427), (0.7605, 1.0038),
    (0.9013, 1.0935), (0.2593, 1.0792), (0.3789, 1.0650), (0.5034, 1.0748),
    (0.6336, 1.0645), (0.7558, 1.0791), (0.2591, 1.0797), (0.3787, 1.0656),
    (0.5038, 1.0767), (0.6341, 1.0657), (0.7561, 1.0799), (0.2207, 1.1791),
    (0.3516, 1.2275), (0.5104, 1.2424), (0.6732, 1.2237), (0.7964, 1.1744),
])

#: Why eyes + mouth with an affine fit: measured on the 102 London faces at
#: 128 px, mean-face sharpness ratio over the face / eyes / mouth regions and
#: rms spread of the aligned landmarks (crop px) at the eyes / mouth / nose:
#:   pupils only, similarity         0.108 / 0.260 / 0.018   0.48 / 2.69 / 1.81
#:   134 inner-face points, similar. 0.056 / 0.095 / 0.092   1.09 / 1.10 / 1.28
#:   eyes + mouth (56), affine       0.123 / 0.261 / 0.147   0.45 / 0.79 / 1.37
#: The affine pins the eyes AND the mouth at the cost of a mild anisotropy
#: (median singular-value ratio 1.05). A photo with only eye positions gets
#: the similarity that puts its eyes exactly where the training faces have
#: them (and ``align_face(..., mouth=)`` reproduces the affine).


# --------------------------------------------------------------------------
# alignment measures
# --------------------------------------------------------------------------


def _batch_gray(images, name):
    x = np.asarray(images, dtype=float)
    if x.ndim == 4 and x.shape[-1] in (3, 4):
        x = _gray(x[..., :3])
    elif x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 3 or x.shape[1] != x.shape[2]:
        raise ValueError(f"{name} must be a batch (N, S, S) or (N, S, S, 3) of square "
                         f"crops; got shape {np.shape(images)}.")
    return x


def _region_box(region, size):
    masks = region_masks(size)
    if region not in masks:
        raise ValueError(f"region must be one of {sorted(masks)}; got {region!r}.")
    m = masks[region]
    rows, cols = np.flatnonzero(m.any(1)), np.flatnonzero(m.any(0))
    return m, (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))


def residual_shift(inputs, targets, region="upper_face", upsample_factor=50):
    """Remaining translation between aligned inputs and targets, in pixels.

    For each pair, the sub-pixel phase correlation
    (:func:`skimage.registration.phase_cross_correlation`) of the grayscale
    input and target over the bounding box of ``region`` (see
    :func:`pixelfes_edu.geometry.region_masks`), after removing the mean and
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
    _, box = _region_box(region, x.shape[1])
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
        Mask from :func:`pixelfes_edu.geometry.region_masks` (default ``"face"``).

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
    mask, _ = _region_box(region, x.shape[1])

    def sharp(im):
        return laplace(im, ksize=3)[mask].var()

    each = np.mean([sharp(im) for im in x])
    if each == 0:
        raise ValueError("the images are flat (no texture); the ratio is undefined.")
    return float(sharp(x.mean(0)) / each)


# --------------------------------------------------------------------------
# canonical transforms: landmarks, eyes (and mouth)
# --------------------------------------------------------------------------


def _affine_lstsq(src, dst):
    X = np.c_[src, np.ones(len(src))]
    P = np.linalg.lstsq(X, dst, rcond=None)[0]
    M = np.eye(3)
    M[:2] = P.T
    return M


def _template_in_crop(size):
    """:data:`TEMPLATE` with its pupils on :func:`~pixelfes_edu.geometry.canonical_eyes`."""
    return apply_matrix(similarity_matrix([[0.0, 0.0], [1.0, 0.0]], canonical_eyes(size)), TEMPLATE)


def landmark_matrix(landmarks, size=128):
    """Affine transform taking 189 FRL landmarks onto the canonical template.

    Least-squares affine fit of the eye and mouth landmarks
    (:data:`TEMPLATE_INDEX`) to the mean London template placed at the
    canonical geometry of a ``size`` crop.

    Examples
    --------
    >>> M = landmark_matrix(np.zeros((189, 2)) + _template_full(128))
    >>> bool(np.allclose(M, np.eye(3), atol=1e-9))
    True
    """
    lm = _points(landmarks, "landmarks")
    if lm.shape[0] != 189:
        raise ValueError(
            f"landmarks must be the 189-point FRL/WebMorph template (from a .tem file); got "
            f"{lm.shape[0]} points. For other faces pass eyes=[[x_left, y_left], "
            "[x_right, y_right]] instead."
        )
    return _affine_lstsq(lm[TEMPLATE_INDEX], _template_in_crop(_check_size(size)))


def _template_full(size):
    """189 points with the template ones at their canonical place (doctest helper)."""
    pts = np.zeros((189, 2))
    pts[TEMPLATE_INDEX] = _template_in_crop(size)
    return pts


def eye_matrix(eyes, size=128, mouth=None):
    """Transform putting two eyes (and optionally the mouth) at the canonical place.

    With ``eyes`` only: the similarity (rotation, scale, translation) that
    maps the two eye centres exactly onto :func:`~pixelfes_edu.geometry.canonical_eyes`.
    With ``mouth`` too: the affine that maps eyes and mouth centre exactly
    onto their canonical places (what the landmark alignment of the
    training faces does on average).

    Examples
    --------
    >>> M = eye_matrix([[30, 40], [70, 40]], size=128)
    >>> np.round((M @ [30, 40, 1])[:2], 6), canonical_eyes(128)[0]
    (array([43.52, 40.96]), array([43.52, 40.96]))
    """
    e = _points(eyes, "eyes", n=2)
    e = e[np.argsort(e[:, 0], kind="stable")]  # left eye (smaller x) first
    if np.hypot(*(e[1] - e[0])) < 1.0:
        raise ValueError(f"the two eyes are less than 1 pixel apart ({e.tolist()}); pass "
                         "eyes=[[x_left, y_left], [x_right, y_right]] in image pixels.")
    size = _check_size(size)
    if mouth is None:
        return similarity_matrix(e, canonical_eyes(size))
    m = _points(np.reshape(np.asarray(mouth, dtype=float), (1, 2)), "mouth", n=1)
    dst = np.vstack([canonical_eyes(size), canonical_points(size)["mouth"]])
    src = np.vstack([e, m])
    if abs(np.linalg.det(np.c_[src, np.ones(3)])) < 1e-6:
        raise ValueError("mouth lies on the line through the eyes; pass the mouth centre "
                         "as [x, y] below the eyes.")
    return _affine_lstsq(src, dst)


# --------------------------------------------------------------------------
# registration of the expressive photo to its neutral photo
# --------------------------------------------------------------------------

_REG_SIZE = 256  # registration works on a 256 px canonical crop (any output size)
_REG_LEVELS = (3.0, 1.5, 0.75)  # Gaussian smoothing per coarse-to-fine level (px)
# Gauss-Newton works on the "eyes" region (eyes and brows). Measured on London
# (residual shift over the upper face, median / p90 / max px): registering on
# the whole "upper_face" 0.29 / 0.92 / 11.7 (hair falling over the forehead
# pulled some pairs away), on "eyes" 0.27 / 0.84 / 3.9.
_REG_REGION = "eyes"
# A fine result is rejected (the coarse one kept) if it matches the whole face
# without the mouth worse than the coarse estimate by more than this NCC. On
# London good fine results score 0.00-0.09 below the coarse one (the coarse
# search maximises that very score); the one drift seen (143) scored 0.33 below.
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
    sn, mn = _reduce(img_n, wn, matrix, Q)
    se, me = _reduce(img_e, we, matrix, Q, margin=0.3 * Q)
    T = ndimage.gaussian_filter(_gray(_sample(sn, mn, (Q, Q))), 0.7)
    E = _gray(se)
    masks = region_masks(Q)
    score_mask = masks["face"] & ~masks["mouth"]
    win = np.outer(np.hanning(Q), np.hanning(Q))
    Tw = (T - T.mean()) * win
    c = Q / 2.0

    def warped(C):
        return ndimage.gaussian_filter(_sample(E, C @ me, (Q, Q)), 0.7)

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


def _lk_level(Ts, E, m0, mask, shape, origin, xn, yn, c, sigma, max_iter):
    """Gauss-Newton iterations at one smoothing level; returns the similarity
    ``C`` to apply after ``m0``, the gain, the last residuals and the count."""
    C = np.eye(3)
    g = h = None
    r = np.zeros(1)
    for it in range(1, max_iter + 1):
        I = ndimage.gaussian_filter(_sample(E, C @ m0, shape, origin), sigma)
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


def _register(img_n, wn, img_e, we, matrix, size, max_iter=25):
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
    mask_full, (rows, cols) = _region_box(_REG_REGION, R)
    pad = 10
    r0, r1 = max(rows.start - pad, 0), min(rows.stop + pad, R)
    c0, c1 = max(cols.start - pad, 0), min(cols.stop + pad, R)
    shape, origin = (r1 - r0, c1 - c0), (c0, r0)
    mask = mask_full[r0:r1, c0:c1]
    small_n, mn = _reduce(img_n, wn, Mr, R)
    T = _gray(_sample(small_n, mn, shape, origin))
    small_e, me = _reduce(img_e, we, Mr, R, margin=0.15 * R)
    E = _gray(small_e)
    yy, xx = np.mgrid[r0:r1, c0:c1].astype(float)
    c = R / 2.0
    xn, yn = ((xx - c) / c)[mask], ((yy - c) / c)[mask]

    to_coarse = np.diag([_COARSE_SIZE / size, _COARSE_SIZE / size, 1.0])
    Cq, coarse_score, scorer = _coarse_search(img_n, wn, img_e, we, to_coarse @ matrix)
    k = np.diag([R / _COARSE_SIZE, R / _COARSE_SIZE, 1.0])
    C = C0 = k @ Cq @ np.linalg.inv(k)
    iters, r = 0, np.zeros(1)
    for sigma in _REG_LEVELS:
        Ts = ndimage.gaussian_filter(T, sigma)[mask]
        score0 = _ncc(ndimage.gaussian_filter(_sample(E, C @ me, shape, origin), sigma)[mask], Ts)
        C1, g, r, n = _lk_level(Ts, E, C @ me, mask, shape, origin, xn, yn, c, sigma, max_iter)
        iters += n
        C1 = C1 @ C
        score1 = _ncc(ndimage.gaussian_filter(_sample(E, C1 @ me, shape, origin), sigma)[mask], Ts)
        if score1 >= score0:  # guard: keep a level only if it improves the match
            C = C1
    # guard against drifting to a wrong optimum of the small region (hair, pose):
    # the result must match the whole face (without the mouth) about as well as
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


# --------------------------------------------------------------------------
# public alignment functions
# --------------------------------------------------------------------------


#: Pupil point indices of the WebMorph templates in the gallery, by point
#: count: FRL 189 (London, Canada) and 106 (lisa): points 0 and 1; the 83-point
#: template of the zoom set: points 63 and 81 (checked on the images).
TEM_PUPILS = {189: (0, 1), 106: (0, 1), 83: (63, 81)}


def align_with_landmarks(image, landmarks, size=128):
    """Align one face that has WebMorph landmarks (a ``.tem`` file).

    With the 189-point FRL template (London, Canada) the eye and mouth
    landmarks are fitted (least-squares affine) to the mean London template
    at the canonical geometry, exactly as the London training faces are
    aligned. With another known template (:data:`TEM_PUPILS`: 106 points as
    in lisa, 83 points as in zoom) the two pupils are placed on the canonical
    eyes by a similarity, like :func:`align_face` with ``eyes``.

    Parameters
    ----------
    image : ndarray
        ``(H, W, 3)`` RGB (also ``(H, W)`` grayscale or ``(H, W, 4)`` RGBA,
        converted to RGB, alpha dropped); uint8 or float in [0, 1].
    landmarks : array_like, shape (K, 2)
        ``[x, y]`` points in ``image`` pixels, e.g. ``read_tem(path)``.
    size : int
        Side of the square output crop.

    Returns
    -------
    face : ndarray, shape (size, size, 3), float64 in [0, 1]

    Examples
    --------
    >>> img = np.full((200, 200, 3), 0.5)
    >>> lm = np.full((189, 2), 100.0); lm[TEMPLATE_INDEX] = 60 + 80 * TEMPLATE
    >>> align_with_landmarks(img, lm, size=64).shape
    (64, 64, 3)
    """
    return warp_to_crop(image, _tem_matrix(landmarks, size), size)


def _tem_matrix(landmarks, size):
    """Canonical transform for a WebMorph landmark set (see align_with_landmarks)."""
    lm = _points(landmarks, "landmarks")
    if lm.shape[0] == 189:
        return landmark_matrix(lm, size)
    if lm.shape[0] in TEM_PUPILS:
        return eye_matrix(lm[list(TEM_PUPILS[lm.shape[0]])], size)
    raise ValueError(
        f"unknown landmark template with {lm.shape[0]} points (known: "
        f"{sorted(TEM_PUPILS)}); use align_face(image, eyes=[[x_left, y_left], "
        "[x_right, y_right]]) instead."
    )


def _neutral_matrix(img, white, landmarks, eyes, size):
    if landmarks is not None:
        return _tem_matrix(landmarks, size), "landmarks"
    if eyes is not None:
        return eye_matrix(eyes, size), "eyes"
    return eye_matrix(detect_eyes(img), size), "detected"


def align_pair(neutral, expressive, landmarks=None, eyes=None, size=128, shape=None):
    """Align a neutral/expressive pair of photos of one person.

    1. The neutral photo is aligned to the canonical geometry: with
       ``landmarks`` (189 FRL points) by the affine template fit of
       :func:`align_with_landmarks`; else with ``eyes`` by a similarity;
       else the eyes are detected (:func:`detect_eyes`).
    2. The expressive photo is registered to the neutral one with a
       sub-pixel similarity transform: a coarse search (rotation within
       +-12 degrees, scale 0.88-1.14, translation up to about a quarter of
       the crop, by phase correlation), then robust Gauss-Newton on the eyes
       and brows of a 256 px crop (gain/bias for exposure, Huber weights).
       It is warped with the canonical transform of the neutral photo
       composed with the registration, so the target lands pixel-on-pixel
       on the input. The two photos should come from the same camera set-up
       (as in London, KDEF, RaFD): the search covers the head moving between
       shots, not an arbitrary re-framing.
    3. Optionally (``shape``, with 189-point ``landmarks``), both are warped
       piecewise-affinely so the landmarks land on ``shape`` (e.g.
       :func:`mean_shape` of a data set): eyes, nose, mouth and jaw then sit on
       the same pixels for everybody. The warp is composed with steps 1-2
       and sampled once from the photos.

    Parameters
    ----------
    neutral, expressive : ndarray
        RGB photos of the same person (uint8 or float in [0, 1]; grayscale
        and RGBA are converted to RGB). They may differ in size.
    landmarks : array_like, shape (K, 2), optional
        WebMorph landmarks of the NEUTRAL photo (189 FRL points, or a
        template of :data:`TEM_PUPILS`); used instead of ``eyes``.
    eyes : array_like, shape (2, 2), optional
        ``[[x_left, y_left], [x_right, y_right]]`` pupils in the neutral photo.
    size : int
        Side of the square output crops.
    shape : array_like, shape (189, 2), optional
        Crop positions to warp the landmarks onto (see step 3).

    Returns
    -------
    input, target : ndarray, shape (size, size, 3), float64 in [0, 1]
    info : dict
        ``method`` ("landmarks", "eyes" or "detected"), ``matrix`` (3x3,
        neutral photo -> crop), ``registration`` (3x3 similarity in crop
        pixels applied after ``matrix`` for the expressive photo),
        ``reg_shift_px``, ``reg_scale``, ``reg_rotation_deg``, ``reg_gain``,
        ``reg_iterations``, ``reg_residual_rms``, ``reg_coarse_ncc`` and
        ``reg_face_ncc`` (match of the whole face without the mouth, after
        the coarse search and at the end) and ``reg_reverted`` (True when the
        fine result drifted and the coarse one was kept: a pose change
        between the shots; worth a look).

    Examples
    --------
    >>> from scipy import ndimage
    >>> rng = np.random.default_rng(0)
    >>> photo = ndimage.gaussian_filter(rng.random((300, 300)), 3)
    >>> photo = (photo - photo.min()) / np.ptp(photo)
    >>> moved = ndimage.shift(photo, (2.0, -3.0), mode="nearest")
    >>> x, y, info = align_pair(photo, moved, eyes=[[110, 130], [190, 130]], size=64)
    >>> x.shape, bool(abs(info["reg_shift_px"] - np.hypot(2, 3) * info["matrix"][0, 0]) < 0.05)
    ((64, 64, 3), True)
    """
    size = _check_size(size)
    n, wn = _rgb(neutral, "neutral")
    e, we = _rgb(expressive, "expressive")
    M, method = _neutral_matrix(n, wn, landmarks, eyes, size)
    C, info = _register(n, wn, e, we, M, size)
    sn, mn = _reduce(n, wn, M, size)
    se, me = _reduce(e, we, C @ M, size)
    if shape is None:
        x, y = _sample(sn, mn, (size, size)), _sample(se, me, (size, size))
    else:
        if landmarks is None or len(landmarks) != len(shape):
            raise ValueError("shape= needs the neutral photo's landmarks of the same template "
                             f"({len(shape)} points)")
        field = shape_field(apply_matrix(M, landmarks), np.asarray(shape, float), size)
        x, y = _sample_field(sn, mn, field), _sample_field(se, me, field)
        method += " + shape warp"
    info = {"method": method, "matrix": M, **info}
    return np.clip(x, 0.0, 1.0), np.clip(y, 0.0, 1.0), info


# Where the pupils sit in a box of detect_faces, as fractions of the box side
# from its top-left corner: mean over the 102 London and 40 Canada neutral
# faces (pupils from their .tem files), made left/right symmetric. Error of
# the pupil positions in units of the inter-ocular distance (median / 90th
# percentile, 47 faces): box only 0.078 / 0.165; after the dark-blob
# refinement (radius 0.12, sigma 0.02 box sides) 0.028 / 0.070. Worse of the
# two eyes over all 142 faces (median / p90 / p95 / max): 0.038 / 0.158 /
# 0.218 / 0.364 with the pair check (refined pupils kept only if their
# distance is within 20% of the box estimate and their line within 8 deg of
# horizontal); brows or nostrils are still taken for eyes in ~10% of faces.
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
    img, white = _rgb(image)
    k = max(1, int(np.ceil(max(img.shape[:2]) / _DETECT_MAX_SIDE)))
    g = _block_gray(img, white, k)
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
        img, white = _rgb(image)
        s = f["size"]
        k = max(1, int(s // 100))  # work at ~100 px per face box
        g = _block_gray(img, white, k)
        refined = np.stack([_refine_eye(g, (e - (k - 1) / 2) / k, 0.12 * s / k, 0.02 * s / k)
                            * k + (k - 1) / 2 for e in eyes])
        # keep the refinement only if the pair still looks like two eyes
        v, v0 = refined[1] - refined[0], eyes[1] - eyes[0]
        if (abs(np.hypot(*v) / np.hypot(*v0) - 1) <= 0.2
                and abs(np.degrees(np.arctan2(v[1], v[0]))) <= 8.0):
            eyes = refined
    return eyes


def align_face(image, eyes=None, size=128, mouth=None):
    """Align any face photo to the canonical geometry of the training faces.

    Parameters
    ----------
    image : ndarray
        ``(H, W, 3)`` RGB photo, uint8 or float in [0, 1]. Grayscale
        ``(H, W)`` is repeated to three channels and RGBA ``(H, W, 4)`` drops
        its alpha channel (the output is always RGB).
    eyes : array_like, shape (2, 2), optional
        ``[[x_left, y_left], [x_right, y_right]]`` eye centres in image
        pixels (x to the right, y down). Overrides detection: use it for
        animals, paintings, profile-ish or small faces. If None, the face is
        detected with scikit-image's LBP frontal-face cascade
        (:func:`detect_faces`) and the eyes are placed where the training
        faces have them in the detector's box, then refined to the darkest
        blob nearby (:func:`detect_eyes`).
    size : int
        Side of the square output crop.
    mouth : array_like, shape (2,), optional
        ``[x, y]`` of the mouth centre (only with ``eyes``): an affine then
        puts eyes and mouth exactly at the canonical places, like the
        landmark alignment of the training faces does on average.

    Returns
    -------
    face : ndarray, shape (size, size, 3), float64 in [0, 1]

    Raises
    ------
    ValueError
        If ``eyes`` is None and no face is detected (pass ``eyes=`` then).

    Examples
    --------
    >>> from skimage.data import astronaut, chelsea
    >>> align_face(astronaut(), size=64).shape
    (64, 64, 3)
    >>> cat = align_face(chelsea(), eyes=[[170, 110], [265, 120]], size=64)
    """
    size = _check_size(size)
    img, _ = _rgb(image)
    if eyes is None:
        if mouth is not None:
            raise ValueError("mouth= needs eyes= as well; pass both or neither.")
        eyes = detect_eyes(img)
    return warp_to_crop(img, eye_matrix(eyes, size, mouth=mouth), size)
