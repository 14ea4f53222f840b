"""Transforms between photos and the canonical crop, and the warps that apply them.

Coordinates are ``(x, y)`` in pixels, x to the right, y down, with the centre
of pixel ``[row i, col j]`` at ``(x=j, y=i)`` (the scikit-image convention).
A transform is a 3x3 homogeneous matrix mapping photo ``(x, y, 1)`` to crop
``(x, y, 1)``.

* :func:`similarity_matrix`, :func:`affine_lstsq` — least-squares fits of points onto points;
* :func:`eye_matrix` — the transform putting two eyes (and a mouth) on the canonical places;
* :func:`warp_to_crop` — one anti-aliased warp of a photo into the crop;
* :func:`shape_field` + :func:`sample_field` — the piecewise-affine shape warp.
"""
import numpy as np
from scipy import ndimage

from ..validation import check_photo, check_points, check_size
from .geometry import canonical_eyes, canonical_points

__all__ = ['similarity_matrix', 'affine_lstsq', 'apply_matrix', 'eye_matrix', 'warp_to_crop', 'reduce_for_crop', 'sample_crop', 'sample_field', 'shape_field']


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
    src = check_points(src, "src")
    dst = check_points(dst, "dst", n=src.shape[0])
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


def affine_lstsq(src, dst):
    X = np.c_[src, np.ones(len(src))]
    P = np.linalg.lstsq(X, dst, rcond=None)[0]
    M = np.eye(3)
    M[:2] = P.T
    return M


def apply_matrix(matrix, points):
    """``(..., 2)`` points mapped by a 3x3 homogeneous ``matrix``.

    Written elementwise: a ``(K, 2) @ (2, 2)`` product would wake the BLAS
    threads, which only spin for so small a product on a busy machine.

    >>> apply_matrix(np.array([[2.0, 0, 1], [0, 2, 0], [0, 0, 1]]), [[1.0, 1.0]]).tolist()
    [[3.0, 2.0]]
    """
    M = np.asarray(matrix, dtype=float)
    p = np.asarray(points, dtype=float)
    x, y = p[..., 0], p[..., 1]
    return np.stack([M[0, 0] * x + M[0, 1] * y + M[0, 2], M[1, 0] * x + M[1, 1] * y + M[1, 2]], axis=-1)


def eye_matrix(eyes, size=128, mouth=None):
    """Transform putting two eyes (and optionally the mouth) at the canonical place.

    With ``eyes`` only: the similarity (rotation, scale, translation) that
    maps the two eye centres exactly onto :func:`~pixelfes_edu.faces.geometry.canonical_eyes`.
    With ``mouth`` too: the affine that maps eyes and mouth centre exactly
    onto their canonical places (what the landmark alignment of the
    training faces does on average).

    Examples
    --------
    >>> M = eye_matrix([[30, 40], [70, 40]], size=128)
    >>> np.round((M @ [30, 40, 1])[:2], 6), canonical_eyes(128)[0]
    (array([43.52, 40.96]), array([43.52, 40.96]))
    """
    e = check_points(eyes, "eyes", n=2)
    e = e[np.argsort(e[:, 0], kind="stable")]  # left eye (smaller x) first
    if np.hypot(*(e[1] - e[0])) < 1.0:
        raise ValueError(f"the two eyes are less than 1 pixel apart ({e.tolist()}); pass "
                         "eyes=[[x_left, y_left], [x_right, y_right]] in image pixels.")
    size = check_size(size)
    if mouth is None:
        return similarity_matrix(e, canonical_eyes(size))
    m = check_points(np.reshape(np.asarray(mouth, dtype=float), (1, 2)), "mouth", n=1)
    dst = np.vstack([canonical_eyes(size), canonical_points(size)["mouth"]])
    src = np.vstack([e, m])
    if abs(np.linalg.det(np.c_[src, np.ones(3)])) < 1e-6:
        raise ValueError("mouth lies on the line through the eyes; pass the mouth centre "
                         "as [x, y] below the eyes.")
    return affine_lstsq(src, dst)


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
    img, white = check_photo(image)
    size = check_size(size)
    M = np.asarray(matrix, dtype=float)
    if M.shape != (3, 3) or abs(np.linalg.det(M[:2, :2])) < 1e-12:
        raise ValueError("matrix must be an invertible (3, 3) homogeneous transform.")
    small, m = reduce_for_crop(img, white, M, size)
    return np.clip(sample_crop(small, m, (size, size)), 0.0, 1.0)


def reduce_for_crop(img, white, matrix, size, margin=0.0):
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


def sample_crop(small, matrix, shape, origin=(0, 0)):
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


def sample_field(small, matrix, field):
    """Bilinear sample of ``small`` at crop positions ``field`` (``(H, W, 2)`` x, y).

    ``matrix`` maps ``small`` pixel coordinates to crop coordinates. Used for
    the piecewise-affine shape warp: one interpolation from the photo.
    """
    inv = np.linalg.inv(matrix)
    x, y = field[..., 0], field[..., 1]  # elementwise, not a matmul: no BLAS threads in the workers
    coords = [inv[1, 0] * x + inv[1, 1] * y + inv[1, 2], inv[0, 0] * x + inv[0, 1] * y + inv[0, 2]]
    return np.stack([ndimage.map_coordinates(small[..., c], coords, order=1, mode="nearest")
                     for c in range(small.shape[2])], axis=-1)


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
