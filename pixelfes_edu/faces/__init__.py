"""Faces: reading photos, the canonical geometry, landmarks, alignment, registration, measures.

Every aligned face in the package puts its eyes, nose and mouth at the same
pixels of a square crop (:mod:`~pixelfes_edu.faces.geometry`), because a
pixel-based model only works when one pixel position means the same part of
the face in every image.

==============================================  ===============================================
module                                          what
==============================================  ===============================================
:mod:`~pixelfes_edu.faces.image`                one photo decoder (EXIF, 16-bit, damaged files)
:mod:`~pixelfes_edu.faces.geometry`             canonical feature positions and face regions
:mod:`~pixelfes_edu.faces.tem`                  WebMorph ``.tem`` landmark files
:mod:`~pixelfes_edu.faces.transforms`           similarity/affine fits, crop warps, shape warp
:mod:`~pixelfes_edu.faces.template`             the mean London landmark template
:mod:`~pixelfes_edu.faces.detect`               scikit-image LBP face and eye detector (the fallback)
:mod:`~pixelfes_edu.faces.landmarks`            face detector -> 468-point mesh -> iris (MediaPipe models)
:mod:`~pixelfes_edu.faces.registration`         expressive photo onto its neutral photo
:mod:`~pixelfes_edu.faces.align`                ``align_face``, ``face_warp``, ``align_with_landmarks``, ``align_pair``
:mod:`~pixelfes_edu.faces.synthesize`           a model's change pasted into the full-resolution photo
:mod:`~pixelfes_edu.faces.measures`             residual shift, mean-face sharpness
==============================================  ===============================================
"""
from .align import FaceWarp, align_face, align_pair, align_with_landmarks, face_warp
from .detect import detect_eyes, detect_faces
from .geometry import (CANONICAL, DEFAULT_REGION, REGIONS, canonical_eyes, canonical_points, region_box,
                       region_mask, region_masks)
from .image import CorruptFileError, luminance, read_image, read_photo
from .landmarks import (FaceNotFoundError, LandmarkModelUnavailable, Landmarks, detect_landmarks, draw_landmarks,
                        mean_mesh)
from .measures import mean_face_sharpness_ratio, residual_shift
from .tem import TEM_PUPILS, read_tem
from .template import TEMPLATE, TEMPLATE_INDEX, landmark_matrix, mean_shape
from .synthesize import Synthesis, synthesize
from .transforms import apply_matrix, eye_matrix, shape_field, similarity_matrix, warp_to_crop

__all__ = [
    "align_face", "align_pair", "align_with_landmarks", "detect_eyes", "detect_faces", "read_photo", "read_image",
    "CorruptFileError", "luminance", "read_tem", "TEM_PUPILS", "TEMPLATE", "TEMPLATE_INDEX", "landmark_matrix",
    "mean_shape", "apply_matrix", "eye_matrix", "shape_field", "similarity_matrix", "warp_to_crop",
    "residual_shift", "mean_face_sharpness_ratio", "CANONICAL", "REGIONS", "DEFAULT_REGION", "canonical_eyes",
    "canonical_points", "region_masks", "region_mask", "region_box",
    "face_warp", "FaceWarp", "detect_landmarks", "Landmarks", "FaceNotFoundError", "LandmarkModelUnavailable",
    "draw_landmarks", "mean_mesh", "synthesize", "Synthesis",
]
