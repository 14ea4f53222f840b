"""Face landmarks from a photo: face detector -> 468-point face mesh -> iris (MediaPipe models).

Three small TF Lite models (Apache-2.0, Google MediaPipe; the ``models`` source
of ``data_manifest.yaml``, fetched and sha256-verified like the faces) run with
the LiteRT interpreter (``ai-edge-litert``); everything around them is numpy:

1. **BlazeFace** (``face_detection_short_range``, 128x128 input; the
   ``full_range`` model, 192x192, is tried when it finds nothing): the photo
   is letterboxed into the input square; every anchor of an SSD grid
   (:func:`ssd_anchors`) predicts a box and six key points (two eyes, nose tip,
   mouth, two ear tragions) as offsets from its centre (:func:`decode_boxes`);
   overlapping boxes are merged by *weighted* non-maximum suppression
   (:func:`weighted_nms`: the score-weighted mean of each cluster).
2. **Face mesh** (``face_landmark``, 192x192): a square crop 1.5x the face box,
   rotated so the detector's eye line is horizontal, gives 468 points; the
   crop is cut again around that mesh (tighter and better centred) and the
   model run a second time.
3. **Iris** (``iris_landmark``, 64x64): per eye a square crop 2.3x the
   eye-corner distance, rotated along the corners (the image-right eye is
   mirrored: the model knows one eye), gives 5 iris points, the centre first.

Each crop is an affine map ``A`` (3x3) from photo to crop pixels; the model's
points are mapped back with ``A^-1`` (un-projection). Large photos cost no
more than small ones: the detector sees the photo shrunk to 128 px, and each
crop is cut from the full-resolution photo after an integer box reduction of
just its region.

Coordinates are ``(x, y)`` pixels, x right, y down, with the centre of pixel
``[row i, col j]`` at ``(x=j, y=i)`` as everywhere in the package. (PIL, which
cuts the crops, puts that centre at ``(j + 0.5, i + 0.5)``; the results are
shifted by half a pixel at the end.)

When ``ai-edge-litert`` is not installed or the model files cannot be fetched,
:func:`detect_landmarks` falls back to scikit-image's LBP detector
(:func:`~pixelfes_edu.faces.detect.detect_eyes`: eyes only, less reliable)
with a one-line warning.
"""
import contextlib
import functools
import os
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..store import DataUnavailableError, data_dir, fetch, verify
from ..validation import check_photo
from .detect import detect_eyes
from .ssd import MIN_SCORE, SSD_LAYOUTS, decode_boxes, sigmoid, ssd_anchors, weighted_nms  # noqa: F401 (re-exported)
from .template import landmark_matrix
from .transforms import apply_matrix

__all__ = ["Landmarks", "FaceNotFoundError", "LandmarkModelUnavailable", "LandmarkDetector",
           "detect_landmarks", "landmark_model_dir", "draw_landmarks", "mean_mesh", "build_mean_mesh",
           "ssd_anchors", "decode_boxes", "weighted_nms", "MODEL_SOURCE", "MODEL_FILES", "MESH_MOUTH",
           "MESH_EYE_CORNERS"]

#: The ``data_manifest.yaml`` source holding the model files (``pixelfes-edu fetch models``).
MODEL_SOURCE = "models"
#: The model files, by role.
MODEL_FILES = {
    "short": "face_detection_short_range.tflite",
    "full": "face_detection_full_range.tflite",
    "mesh": "face_landmark.tflite",
    "iris": "iris_landmark.tflite",
}

# Face-presence score of the mesh model below which the crop holds no face.
# Measured: >= 0.9999 on all 426 images of the London/Canada benchmark (full
# size, 200 px wide, 128 px thumbnails) and >= 0.997 on posterised, grey,
# blurred and contour-filtered versions; 0.56 on scikit-image's chelsea cat,
# which BlazeFace takes for a face (score 0.59).
_MESH_FLAG = 0.9
_ROI_FACE = 1.5  # mesh crop side / face box side
_ROI_EYE = 2.3  # iris crop side / eye-corner distance

#: Eye corners in the mesh: (outer, inner) of the image-left eye, (inner, outer) of the image-right eye.
MESH_EYE_CORNERS = ((33, 133), (362, 263))
#: Mesh points laid out like the 22 mouth points (87-108) of the FRL ``.tem``
#: template, which define the training faces' mouth centre: the two corners
#: and five points along each of the outer upper, inner upper, inner lower
#: and outer lower lip.
MESH_MOUTH = np.array([61, 291, 40, 37, 0, 267, 270, 80, 82, 13, 312, 310,
                       88, 87, 14, 317, 318, 91, 84, 17, 314, 321])
# Mean of MESH_MOUTH minus the .tem mouth centre, in the face frame (x along
# the pupils, y perpendicular and down), in inter-ocular distances: -0.0159,
# -0.0219 on the 102 London faces (-0.0141, -0.0246 on the 40 Canada faces).
# Subtracting the London value brings the Canada mouth error from a median
# 0.030 to 0.014 IOD (p90 0.045 -> 0.026).
_MOUTH_OFFSET = np.array([-0.0159, -0.0219])

_MEAN_MESH_FILE = Path(__file__).with_name("london_mean_mesh.txt")


class FaceNotFoundError(ValueError):
    """No face was found in the photo; pass the eye (and mouth) positions yourself."""


class LandmarkModelUnavailable(RuntimeError):
    """The landmark runtime (``ai-edge-litert``) or its model files are not available."""


@dataclass(frozen=True)
class Landmarks:
    """Landmarks of one face, in pixels of the photo they were found in.

    Attributes
    ----------
    eyes : ndarray, shape (2, 2)
        Pupil (iris) centres ``[[x, y] left, [x, y] right]``; left = smaller x.
    mouth : ndarray, shape (2,) or None
        Mouth centre ``[x, y]`` as the London ``.tem`` files define it (mean
        of 22 lip points, :data:`MESH_MOUTH`). None from the fallback detector.
    points : ndarray, shape (468, 2) or None
        The face mesh (MediaPipe topology). None from the fallback detector.
    box : ndarray, shape (4,)
        Face box ``[x_min, y_min, x_max, y_max]``.
    score : float
        Detector confidence in (0, 1) (NaN from the fallback detector).
    n_faces : int
        Faces found; these landmarks describe the largest.
    method : str
        ``"mesh"`` (MediaPipe models) or ``"lbp"`` (scikit-image fallback).
    """

    eyes: np.ndarray
    mouth: np.ndarray = None
    points: np.ndarray = None
    box: np.ndarray = None
    score: float = float("nan")
    n_faces: int = 1
    method: str = "mesh"

    @property
    def iod(self):
        """Inter-ocular distance (pupil to pupil) in pixels."""
        return float(np.hypot(*(self.eyes[1] - self.eyes[0])))


# --------------------------------------------------------------------------
# crops (PIL: bilinear affine warps on 8-bit images)
# --------------------------------------------------------------------------


def _to_pil(image):
    """8-bit RGB ``PIL.Image`` of a photo (uint8, uint16 or float in [0, 1])."""
    from PIL import Image

    img, white = check_photo(image)
    if img.dtype != np.uint8:
        img = (img * (255.0 / white) + 0.5).astype(np.uint8)
    return Image.fromarray(np.ascontiguousarray(img))


def _crop(pil, A, side):
    """``side`` x ``side`` float32 crop in [0, 1] through ``A`` (photo -> crop, PIL corner coordinates).

    Bilinear, after an integer box reduction of just the region needed, so a
    strong shrink is not aliased. Outside the photo: black.
    """
    from PIL import Image

    inv = np.linalg.inv(A)
    k = max(1, int(1.0 / np.sqrt(abs(np.linalg.det(A[:2, :2])))))  # photo px per crop px
    if k > 1:
        corners = inv @ np.array([[0, 0, 1], [side, 0, 1], [0, side, 1], [side, side, 1]], float).T
        x0, y0 = np.floor(corners[:2].min(1)).astype(int) - k
        x1, y1 = np.ceil(corners[:2].max(1)).astype(int) + k
        w, h = (x1 - x0) // k * k, (y1 - y0) // k * k
        pil = pil.crop((x0, y0, x0 + w, y0 + h)).reduce(k)
        inv = np.array([[1 / k, 0, -x0 / k], [0, 1 / k, -y0 / k], [0, 0, 1]]) @ inv
    out = pil.transform((side, side), Image.AFFINE, tuple(inv[:2].ravel()), resample=Image.BILINEAR)
    return np.asarray(out, dtype=np.float32) / 255.0


def _roi(centre, side, angle, out):
    """Affine (photo -> crop) of a square of ``side`` px on ``centre``, its x axis at ``angle``
    (radians), onto an ``out`` x ``out`` crop."""
    c, s = np.cos(angle) * out / side, np.sin(angle) * out / side
    R = np.array([[c, s], [-s, c]])
    A = np.eye(3)
    A[:2, :2] = R
    A[:2, 2] = out / 2 - R @ np.asarray(centre, float)
    return A


# --------------------------------------------------------------------------
# the models
# --------------------------------------------------------------------------


def landmark_model_dir(download=True, progress=True):
    """Folder holding the verified model files (fetched on first use when ``download``).

    Raises
    ------
    LandmarkModelUnavailable
        When files are missing and cannot be downloaded (the message says how to fetch them).
    """
    present, missing = verify(MODEL_SOURCE)
    if missing and download:
        try:
            present = fetch(MODEL_SOURCE, progress=progress)
            missing = []
        except DataUnavailableError as e:
            raise LandmarkModelUnavailable(
                f"the face landmark models are not in {data_dir()} and could not be fetched (offline?); run "
                f"`pixelfes-edu fetch {MODEL_SOURCE}` once while online") from e
    if missing:
        raise LandmarkModelUnavailable(
            f"the face landmark models are not in the data directory ({len(missing)} missing); run "
            f"`pixelfes-edu fetch {MODEL_SOURCE}` once while online")
    return present[0].parent


class LandmarkDetector:
    """Face detector + face mesh + iris models, loaded once (about 0.1 s).

    Parameters
    ----------
    model_dir : str or os.PathLike, optional
        Folder with the files of :data:`MODEL_FILES`; default
        :func:`landmark_model_dir` (the verified ``models`` source, fetched on first use).
    num_threads : int
        Threads of the LiteRT interpreter per model.

    Raises
    ------
    LandmarkModelUnavailable
        If ``ai-edge-litert`` is not installed or a model file is missing.
    """

    def __init__(self, model_dir=None, num_threads=1):
        Interpreter = _interpreter_class()  # noqa: N806 (a class)
        self.model_dir = Path(model_dir) if model_dir is not None else landmark_model_dir()
        self._models = {}
        for key, name in MODEL_FILES.items():
            path = self.model_dir / name
            if not path.is_file():
                raise LandmarkModelUnavailable(f"face landmark model {path} is missing; run "
                                               f"`pixelfes-edu fetch {MODEL_SOURCE}`")
            it = Interpreter(model_path=os.fspath(path), num_threads=num_threads)
            with _quiet_stderr():
                it.allocate_tensors()
            self._models[key] = (it, it.get_input_details()[0]["index"],
                                 [d["index"] for d in it.get_output_details()])

    def _run(self, key, x):
        it, inp, outs = self._models[key]
        it.set_tensor(inp, x[None].astype(np.float32))
        it.invoke()
        return [it.get_tensor(i) for i in outs]

    def faces(self, image, kind="short"):
        """Every face BlazeFace finds: ``boxes (M, 4)``, ``keypoints (M, 6, 2)``, ``scores (M,)``.

        ``kind``: ``"short"`` (faces filling a good part of the photo) or
        ``"full"`` (also small faces). Boxes ``[x_min, y_min, x_max, y_max]``
        and key points (eyes, nose tip, mouth, ear tragions) in pixels of
        ``image``; best score first.
        """
        boxes, kps, scores = self._faces(_to_pil(image), kind)
        return boxes - 0.5, kps - 0.5, scores

    def _faces(self, pil, kind):
        side = SSD_LAYOUTS[kind]["side"]
        w, h = pil.size
        s = side / max(w, h)  # letterbox: the whole photo, centred, black bars
        A = np.array([[s, 0, (side - s * w) / 2], [0, s, (side - s * h) / 2], [0, 0, 1]])
        reg, cls = self._run(kind, _crop(pil, A, side) * 2.0 - 1.0)  # BlazeFace input range [-1, 1]
        scores = sigmoid(cls.reshape(-1))
        keep = scores > MIN_SCORE
        boxes, kps = decode_boxes(reg.reshape(-1, 16)[keep], ssd_anchors(kind)[keep])
        boxes, kps, scores = weighted_nms(boxes, kps, scores[keep])
        inv = np.linalg.inv(A)
        boxes = np.c_[apply_matrix(inv, boxes[:, :2]), apply_matrix(inv, boxes[:, 2:])]
        return boxes, apply_matrix(inv, kps.reshape(-1, 2)).reshape(-1, 6, 2), scores

    def _mesh(self, pil, centre, side, angle):
        A = _roi(centre, side, angle, 192)
        raw, flag = self._run("mesh", _crop(pil, A, 192))  # input range [0, 1]
        return (apply_matrix(np.linalg.inv(A), raw.reshape(468, 3)[:, :2].astype(np.float64)),
                float(sigmoid(flag.ravel()[0])))

    def _iris_centre(self, pil, a, b, mirror):
        d = b - a
        A = _roi((a + b) / 2, _ROI_EYE * np.hypot(*d), np.arctan2(d[1], d[0]), 64)
        if mirror:  # the model sees every eye as an image-left one
            A = np.array([[-1.0, 0, 64], [0, 1, 0], [0, 0, 1]]) @ A
        _contour, iris = self._run("iris", _crop(pil, A, 64))
        return apply_matrix(np.linalg.inv(A), iris.reshape(5, 3)[:1, :2].astype(np.float64))[0]

    def __call__(self, image, refine=True):
        """:class:`Landmarks` of the largest face in ``image`` (see :func:`detect_landmarks`)."""
        pil = _to_pil(image)
        for kind in ("short", "full"):
            boxes, kps, scores = self._faces(pil, kind)
            if len(scores):
                break
        else:
            raise _not_found("No face was found in the image.")
        i = int(np.argmax(np.prod(boxes[:, 2:] - boxes[:, :2], axis=1)))
        if len(scores) > 1:
            warnings.warn(f"{len(scores)} faces found; using the largest (box "
                          f"{np.round(boxes[i]).astype(int).tolist()}). Crop the photo or pass eyes=/mouth= "
                          "to choose another.", stacklevel=3)
        box, kp = boxes[i], kps[i]
        d = kp[1] - kp[0]  # the detector's eyes, image-left -> image-right
        pts, flag = self._mesh(pil, (box[:2] + box[2:]) / 2, _ROI_FACE * np.max(box[2:] - box[:2]),
                               np.arctan2(d[1], d[0]))
        if flag < _MESH_FLAG:
            raise _not_found(f"A face-like region was found (detector score {scores[i]:.2f}) but the face "
                             f"mesh rejects it (score {flag:.2f}): not a human face?")
        if refine:  # again, on a crop centred on the mesh in its own eye-aligned frame
            e = pts[263] - pts[33]
            ang = np.arctan2(e[1], e[0])
            R = np.array([[np.cos(ang), np.sin(ang)], [-np.sin(ang), np.cos(ang)]])
            q = pts @ R.T
            lo, hi = q.min(0), q.max(0)
            pts2, flag2 = self._mesh(pil, R.T @ ((lo + hi) / 2), _ROI_FACE * np.max(hi - lo), ang)
            if flag2 >= _MESH_FLAG:
                pts = pts2
        eyes = np.stack([self._iris_centre(pil, pts[a], pts[b], mirror)
                         for (a, b), mirror in zip(MESH_EYE_CORNERS, (False, True))])
        eyes = eyes[np.argsort(eyes[:, 0])]
        u = eyes[1] - eyes[0]  # face frame: x along the pupils, y perpendicular (down)
        mouth = pts[MESH_MOUTH].mean(0) - np.array([[u[0], -u[1]], [u[1], u[0]]]) @ _MOUTH_OFFSET
        half = 0.5  # PIL's pixel-corner coordinates -> the package's pixel-centre coordinates
        return Landmarks(eyes=eyes - half, mouth=mouth - half, points=pts - half, box=box - half,
                         score=float(scores[i]), n_faces=len(scores), method="mesh")


@contextlib.contextmanager
def _quiet_stderr():
    """Silence the C-level stderr: the runtime announces its CPU delegate ("INFO: Created TensorFlow
    Lite XNNPACK delegate") once per process, which notebooks and Voila would show as output."""
    try:
        sys.stderr.flush()
        saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError):  # no file descriptor 2 here: nothing to silence
        yield
        return
    os.dup2(null, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def _not_found(what):
    return FaceNotFoundError(
        f"{what} Pass the positions yourself, in pixels of the photo (x to the right, y down): "
        "eyes=[[x_left, y_left], [x_right, y_right]] (pupil centres) and mouth=[x, y] (centre of the mouth).")


def _interpreter_class():
    """LiteRT's ``Interpreter``, or :class:`LandmarkModelUnavailable` saying how to install it."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except Exception as e:  # not installed, or a wheel built for another numpy/ABI
        raise LandmarkModelUnavailable(f"ai-edge-litert cannot be imported ({type(e).__name__}); "
                                       "`pip install ai-edge-litert` where it has a wheel") from None
    return Interpreter


@functools.lru_cache(maxsize=2)
def _detector(model_dir):
    return LandmarkDetector(model_dir)


def detect_landmarks(image, refine=True, fallback=True, download=True):
    """Find the largest face in a photo and return its :class:`Landmarks`.

    Parameters
    ----------
    image : ndarray
        ``(H, W, 3)`` RGB photo (grayscale and RGBA accepted), uint8, uint16
        or float in [0, 1], any size (read files with
        :func:`~pixelfes_edu.faces.image.read_photo`, which applies EXIF orientation).
    refine : bool
        Run the face mesh a second time on a crop centred on the first mesh
        (mouth error 0.021 -> 0.016 IOD on the benchmark; costs one more model run).
    fallback : bool
        If the MediaPipe models or their runtime are missing, use
        scikit-image's LBP detector (eyes only) with a one-line warning,
        instead of raising :class:`LandmarkModelUnavailable`.
    download : bool
        Fetch the model files (about 4 MB, once, sha256-verified) when they
        are not in the data directory yet.

    Returns
    -------
    Landmarks
        ``eyes``, ``mouth``, ``points`` (468-point mesh), ``box``, ``score``, ...

    Raises
    ------
    FaceNotFoundError
        A ``ValueError``: no human face found; the message says how to pass
        ``eyes=`` and ``mouth=`` instead.

    Examples
    --------
    >>> from skimage.data import astronaut
    >>> lm = detect_landmarks(astronaut())                  # doctest: +SKIP
    >>> lm.eyes.round()                                     # doctest: +SKIP
    array([[203., 101.],
           [246., 103.]])
    """
    try:
        _interpreter_class()  # no runtime: say so, and do not download models it cannot run
        detector = _detector(str(landmark_model_dir(download=download, progress=True)))
    except LandmarkModelUnavailable as e:
        if not fallback:
            raise
        warnings.warn(f"face mesh unavailable: {' '.join(str(e).split())}. Falling back to scikit-image's LBP detector: eyes only "
                      "(no mouth, no mesh), often wrong on small or tilted faces; pass eyes=/mouth= to be sure.",
                      stacklevel=2)
        return _lbp_landmarks(image)
    return detector(image, refine=refine)


def _lbp_landmarks(image):
    try:
        eyes = detect_eyes(image)
    except ValueError:
        raise _not_found("No face was found in the image (scikit-image's LBP detector).") from None
    return Landmarks(eyes=np.asarray(eyes, float), method="lbp")


# --------------------------------------------------------------------------
# the London mean mesh (target of the shape warp) and drawing
# --------------------------------------------------------------------------


def build_mean_mesh(meshes, tems):
    """Mean face mesh of faces with FRL ``.tem`` landmarks, as fractions of the canonical crop.

    Every mesh is placed with its face's :func:`~pixelfes_edu.faces.template.landmark_matrix`
    (the affine the London training faces get before their shape warp) and
    the positions are averaged: ``(468, 2)`` ``(x, y)`` fractions of the crop side.
    """
    placed = [apply_matrix(landmark_matrix(t, 128), np.asarray(m, float)) for m, t in zip(meshes, tems)]
    if not placed:
        raise ValueError("build_mean_mesh needs at least one face")
    return np.mean(placed, axis=0) / 128.0


@functools.lru_cache(maxsize=1)
def _mean_mesh_fractions():
    return np.loadtxt(_MEAN_MESH_FILE)


def mean_mesh(size=128):
    """The mean face mesh of the 102 London faces in a ``size`` crop, ``(468, 2)`` pixels.

    Where :func:`~pixelfes_edu.faces.align.align_face` puts the mesh points of
    a photo with ``warp="shape"``. Built by :func:`build_mean_mesh` (the test
    ``test_mean_mesh_matches_the_london_faces`` rebuilds it from the data).

    >>> m = mean_mesh(128); m.shape, bool(40 < m[1, 0] < 88)       # point 1: the nose tip
    ((468, 2), True)
    """
    return _mean_mesh_fractions() * size


def draw_landmarks(image, landmarks, radius=None):
    """A uint8 RGB copy of ``image`` with the mesh (green), pupils and mouth (red) and box (blue) drawn."""
    from PIL import ImageDraw

    pil = _to_pil(image).copy()
    draw = ImageDraw.Draw(pil)
    r = radius or max(1.0, max(pil.size) / 400)
    c = 0.5  # pixel centres -> PIL coordinates
    if landmarks.points is not None:
        for x, y in landmarks.points + c:
            draw.ellipse([x - r / 2, y - r / 2, x + r / 2, y + r / 2], fill=(0, 255, 0))
    marks = list(landmarks.eyes) + ([landmarks.mouth] if landmarks.mouth is not None else [])
    for x, y in np.asarray(marks) + c:
        draw.ellipse([x - 2 * r, y - 2 * r, x + 2 * r, y + 2 * r], outline=(255, 0, 0), width=max(1, int(r)))
    if landmarks.box is not None:
        draw.rectangle(list(np.asarray(landmarks.box) + c), outline=(0, 96, 255), width=max(1, int(r)))
    return np.asarray(pil)
