"""Aligning faces to the canonical geometry: one photo, a photo with landmarks, a neutral/expressive pair.

A pixel-based model predicts every output pixel from the input pixel at the
SAME position, so it only works when (a) every face puts its eyes, nose and
mouth on the same pixels (alignment *across people*) and (b) the expressive
photo of a pair lands pixel-on-pixel on its neutral photo (registration
*within a pair*):

* :func:`align_with_landmarks` — a face with WebMorph landmarks: least-squares
  affine fit of its eye and mouth points onto the mean London template;
* :func:`align_face` — any photo: its face mesh (:mod:`~pixelfes_edu.faces.landmarks`) warped onto
  the London mean mesh, or explicit eye (and mouth) positions; :func:`face_warp` is the
  transform itself (what :func:`~pixelfes_edu.faces.synthesize.synthesize` maps back with);
* :func:`align_pair` — a neutral/expressive pair: align the neutral photo,
  register the expressive one to it (:mod:`~pixelfes_edu.faces.registration`),
  and optionally warp both piecewise-affinely onto a mean landmark shape
  (``target_shape=``), sampled once from the photos.
"""
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from ..validation import check_choice, check_photo, check_points, check_size
from .detect import detect_eyes
from .landmarks import Landmarks, detect_landmarks, mean_mesh
from .registration import register_pair
from .template import TEMPLATE, TEMPLATE_INDEX, landmark_matrix  # noqa: F401 (TEMPLATE*: doctests)
from .tem import TEM_PUPILS
from .transforms import apply_matrix, eye_matrix, reduce_for_crop, sample_crop, sample_field, shape_field, warp_to_crop

__all__ = ['align_face', 'face_warp', 'FaceWarp', 'align_with_landmarks', 'align_pair', 'tem_matrix']


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
    return warp_to_crop(image, tem_matrix(landmarks, size), size)


def tem_matrix(landmarks, size):
    """Canonical transform for a WebMorph landmark set (see align_with_landmarks)."""
    lm = check_points(landmarks, "landmarks")
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
        return tem_matrix(landmarks, size), "landmarks"
    if eyes is not None:
        return eye_matrix(check_points(eyes, "eyes", n=2, within=img.shape), size), "eyes"
    return eye_matrix(detect_eyes(img), size), "detected"


def align_pair(neutral, expressive, landmarks=None, eyes=None, size=128, target_shape=None):
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
    3. Optionally (``target_shape``, with 189-point ``landmarks``), both are warped
       piecewise-affinely so the landmarks land on ``target_shape`` (e.g.
       :func:`~pixelfes_edu.faces.template.mean_shape` of a data set): eyes, nose, mouth and jaw then sit on
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
    target_shape : array_like, shape (189, 2), optional
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
    size = check_size(size)
    n, wn = check_photo(neutral, "neutral")
    e, we = check_photo(expressive, "expressive")
    M, method = _neutral_matrix(n, wn, landmarks, eyes, size)
    C, info = register_pair(n, wn, e, we, M, size)
    sn, mn = reduce_for_crop(n, wn, M, size)
    se, me = reduce_for_crop(e, we, C @ M, size)
    if target_shape is None:
        x, y = sample_crop(sn, mn, (size, size)), sample_crop(se, me, (size, size))
    else:
        if landmarks is None or len(landmarks) != len(target_shape):
            raise ValueError("target_shape= needs the neutral photo's landmarks of the same template "
                             f"({len(target_shape)} points)")
        field = shape_field(apply_matrix(M, landmarks), np.asarray(target_shape, float), size)
        x, y = sample_field(sn, mn, field), sample_field(se, me, field)
        method += " + shape warp"
    info = {"method": method, "matrix": M, **info}
    return np.clip(x, 0.0, 1.0), np.clip(y, 0.0, 1.0), info


#: Alignment of a photo with a detected face mesh, decided on held-out London faces (5 folds by
#: person, Pixel-RR lambda 0.4 trained on the package's .tem-aligned faces, benchmarks/landmarks.py):
#: transfer ratio / face SSIM of detector-aligned test faces minus those of .tem-aligned ones
#:   training faces warp="shape" (the default):  "affine" -0.031 / -0.014   "shape" -0.016 / -0.006
#:   training faces warp="affine":               "affine" -0.015 / -0.002   "shape" -0.003 / +0.005
#: so the mesh is warped onto the London mean mesh by default.
DEFAULT_WARP = "shape"


@dataclass
class FaceWarp:
    """How a photo maps onto the canonical crop (the result of :func:`face_warp`).

    Attributes
    ----------
    matrix : ndarray, shape (3, 3)
        Photo pixels -> crop pixels (eyes and mouth on the canonical places).
    size : int
        Side of the crop.
    field : ndarray, shape (size, size, 2) or None
        With the shape warp: the ``matrix``-crop position ``(x, y)`` each crop
        pixel samples (the mesh moved onto :func:`~pixelfes_edu.faces.landmarks.mean_mesh`).
    landmarks : Landmarks or None
        The detected landmarks, if any.
    method : str
        How the transform was found, e.g. ``"mesh + shape warp"``, ``"eyes + mouth"``.
    """

    matrix: np.ndarray
    size: int
    field: np.ndarray = None
    landmarks: Landmarks = None
    method: str = ""

    def crop(self, image):
        """The aligned ``(size, size, 3)`` float crop of ``image`` (one anti-aliased interpolation)."""
        img, white = check_photo(image)
        if self.field is None:
            return warp_to_crop(img, self.matrix, self.size)
        small, m = reduce_for_crop(img, white, self.matrix, self.size)
        return np.clip(sample_field(small, m, self.field), 0.0, 1.0)

    @property
    def inverse_field(self):
        """``(size, size, 2)``: the crop position each ``matrix``-crop pixel ends up at (shape warp only)."""
        if self.field is None:
            return None
        if getattr(self, "_inverse", None) is None:
            self._inverse = _shape_field(mean_mesh(self.size), apply_matrix(self.matrix, self.landmarks.points),
                                         self.size)
        return self._inverse

    def photo_to_crop(self, points):
        """Crop positions ``(K, 2)`` of photo positions ``(K, 2)``."""
        q = apply_matrix(self.matrix, points)
        if self.field is None:
            return q
        inv = self.inverse_field
        return np.stack([ndimage.map_coordinates(inv[..., k], [q[:, 1], q[:, 0]], order=1, mode="nearest")
                         for k in (0, 1)], axis=1)

    def crop_to_photo(self, points):
        """Photo positions ``(K, 2)`` of crop positions ``(K, 2)``."""
        q = np.asarray(points, float)
        if self.field is not None:
            q = np.stack([ndimage.map_coordinates(self.field[..., k], [q[:, 1], q[:, 0]], order=1, mode="nearest")
                          for k in (0, 1)], axis=1)
        return apply_matrix(np.linalg.inv(self.matrix), q)


def _shape_field(points, target, size):
    # Qhull's small LAPACK calls run on BLAS threads that only spin on a busy machine (seconds
    # instead of milliseconds when the cores are shared): one thread.
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return shape_field(points, target, size)


def face_warp(image=None, eyes=None, size=128, mouth=None, warp=None, landmarks=None):
    """The transform :func:`align_face` applies to a photo, as a :class:`FaceWarp`.

    Parameters are those of :func:`align_face`; ``image`` is only needed when
    nothing else says where the face is.
    """
    size = check_size(size)
    if warp is not None:
        check_choice("warp", warp, ("shape", "affine"))
    if eyes is not None:
        if landmarks is not None:
            raise ValueError("pass eyes= (and mouth=) or landmarks=, not both.")
        if image is not None:  # a crop around points outside the photo would be flat background
            shape = np.shape(image)
            eyes = check_points(eyes, "eyes", n=2, within=shape)
            mouth = None if mouth is None else check_points([mouth], "mouth", n=1, within=shape)[0]
        if warp == "shape":
            raise ValueError("warp='shape' needs the face mesh of detect_landmarks; with eyes= (and "
                             "mouth=) the warp is 'affine'.")
        return FaceWarp(eye_matrix(eyes, size, mouth=mouth), size,
                        method="eyes + mouth" if mouth is not None else "eyes")
    if mouth is not None:
        raise ValueError("mouth= needs eyes= as well; pass both or neither.")
    if landmarks is None:
        if image is None:
            raise ValueError("face_warp needs the image, its landmarks= or eyes=.")
        landmarks = detect_landmarks(image)
    elif not isinstance(landmarks, Landmarks):
        raise ValueError(f"landmarks must be a Landmarks result of detect_landmarks; got {type(landmarks).__name__}. "
                         "For a .tem file use align_with_landmarks; for positions pass eyes= and mouth=.")
    M = eye_matrix(landmarks.eyes, size, mouth=landmarks.mouth)
    warp = warp or (DEFAULT_WARP if landmarks.points is not None else "affine")
    if warp == "affine":
        return FaceWarp(M, size, landmarks=landmarks,
                        method=f"{landmarks.method} eyes" + (" + mouth" if landmarks.mouth is not None else ""))
    if landmarks.points is None:
        raise ValueError("warp='shape' needs the face mesh; these landmarks have none (the fallback detector "
                         "found the eyes only): use warp='affine'.")
    field = _shape_field(apply_matrix(M, landmarks.points), mean_mesh(size), size)
    return FaceWarp(M, size, field=field, landmarks=landmarks, method="mesh + shape warp")


def align_face(image, eyes=None, size=128, mouth=None, warp=None, landmarks=None):
    """Align any face photo to the canonical geometry of the training faces.

    By default the face is found by :func:`~pixelfes_edu.faces.landmarks.detect_landmarks`
    (face detector, 468-point face mesh, iris), placed by an affine that puts
    its pupils and mouth centre on the canonical places, and its mesh warped
    piecewise-affinely onto the London mean mesh — the geometry of the
    London training faces, whose landmarks are warped onto their mean shape.

    Parameters
    ----------
    image : ndarray
        ``(H, W, 3)`` RGB photo, uint8, uint16 or float in [0, 1]. Grayscale
        ``(H, W)`` is repeated to three channels and RGBA ``(H, W, 4)`` drops
        its alpha channel (the output is always RGB).
    eyes : array_like, shape (2, 2), optional
        ``[[x_left, y_left], [x_right, y_right]]`` pupil centres in image
        pixels (x to the right, y down) instead of detection: for animals,
        paintings, or whenever detection fails (``FaceNotFoundError``).
    size : int
        Side of the square output crop.
    mouth : array_like, shape (2,), optional
        ``[x, y]`` of the mouth centre (only with ``eyes``): an affine then
        puts eyes and mouth exactly at the canonical places. Without it the
        eyes alone fix a similarity (rotation, scale, shift).
    warp : {None, "shape", "affine"}
        ``"shape"``: the detected mesh onto the London mean mesh (default when
        a mesh was found, see :data:`DEFAULT_WARP`); ``"affine"``: eyes and
        mouth only.
    landmarks : Landmarks, optional
        A result of ``detect_landmarks(image)`` to reuse (no second detection).

    Returns
    -------
    face : ndarray, shape (size, size, 3), float64 in [0, 1]

    Raises
    ------
    FaceNotFoundError
        A ``ValueError``: no face detected and no ``eyes=`` given.

    Examples
    --------
    >>> from skimage.data import astronaut, chelsea
    >>> align_face(astronaut(), size=64).shape
    (64, 64, 3)
    >>> cat = align_face(chelsea(), eyes=[[170, 110], [265, 120]], size=64)
    """
    img, _ = check_photo(image)
    return face_warp(img, eyes=eyes, size=size, mouth=mouth, warp=warp, landmarks=landmarks).crop(img)
