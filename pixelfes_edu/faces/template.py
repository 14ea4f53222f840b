"""The mean London landmark template and the affine fit that places 189-point faces on it.
"""
import numpy as np

from ..validation import check_points, check_size
from .geometry import canonical_eyes
from .transforms import affine_lstsq, apply_matrix, similarity_matrix

__all__ = ['TEMPLATE', 'TEMPLATE_INDEX', 'template_in_crop', 'landmark_matrix', 'mean_shape']


#: Indices into the 189-point FRL template used for alignment: the 34 eye
#: points (0 and 1 are the pupils) and the 22 mouth points (87-108).
TEMPLATE_INDEX = np.r_[0:34, 87:109]


#: Mean position of those points over the 102 London neutral faces, in
#: "pupil units": left pupil at (0, 0), right pupil at (1, 0). Built by
#: generalised Procrustes analysis with affine fits (the test
#: ``test_template_matches_the_london_landmarks`` rebuilds it from the data and compares).
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


def template_in_crop(size):
    """:data:`TEMPLATE` with its pupils on :func:`~pixelfes_edu.faces.geometry.canonical_eyes`."""
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
    lm = check_points(landmarks, "landmarks")
    if lm.shape[0] != 189:
        raise ValueError(
            f"landmarks must be the 189-point FRL/WebMorph template (from a .tem file); got "
            f"{lm.shape[0]} points. For other faces pass eyes=[[x_left, y_left], "
            "[x_right, y_right]] instead."
        )
    return affine_lstsq(lm[TEMPLATE_INDEX], template_in_crop(check_size(size)))


def _template_full(size):
    """189 points with the template ones at their canonical place (doctest helper)."""
    pts = np.zeros((189, 2))
    pts[TEMPLATE_INDEX] = template_in_crop(size)
    return pts


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
