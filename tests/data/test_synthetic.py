"""Tests for the synthetic paired-face generator (pixelfes_edu.data.synthetic)."""
import numpy as np
import pytest
from scipy.ndimage import distance_transform_edt

from pixelfes_edu.faces.geometry import CANONICAL, canonical_eyes, canonical_points, region_masks
from pixelfes_edu.data.pairs import Pairs
from pixelfes_edu.data.synthetic import (
    EXPRESSION_REGIONS,
    LOCALITY_MARGIN,
    SYNTHETIC_EXPRESSIONS,
    expression_controls,
    expression_region,
    random_identities,
    render_faces,
    synthetic_face,
    synthetic_pairs,
)

EXPRESSIVE = [e for e in SYNTHETIC_EXPRESSIONS if e != "neutral"]
SIZE = 128          # the paper's crop size: locality is tested where it matters
N_LOCAL = 24        # faces per expression in the locality tests


@pytest.fixture(scope="module")
def neutral128():
    """Inputs and parameters of N_LOCAL faces at 128 px (rendered once)."""
    p = synthetic_pairs(n=N_LOCAL, expression="neutral", seed=7, size=SIZE)
    return p.inputs, p.meta["params"]


def test_required_expressions_present():
    for e in ("neutral", "happy", "sad", "surprise", "angry"):
        assert e in SYNTHETIC_EXPRESSIONS
        assert e in EXPRESSION_REGIONS


def test_pairs_shape_dtype_range_and_labels():
    p = synthetic_pairs(n=5, expression="sad", seed=3, size=48)
    assert isinstance(p, Pairs)
    assert p.inputs.shape == p.targets.shape == (5, 48, 48, 3)
    assert p.inputs.dtype == p.targets.dtype == np.float64
    for a in (p.inputs, p.targets):
        assert np.isfinite(a).all() and a.min() >= 0.0 and a.max() <= 1.0
    assert p.ids.tolist() == ["syn000", "syn001", "syn002", "syn003", "syn004"]
    assert p.expression == "sad" and p.name == "synthetic"
    assert p.source == "synthetic faces (generated, seed=3)"
    assert p.meta["regions"] == EXPRESSION_REGIONS["sad"]


def test_ids_stay_unique_beyond_a_thousand():
    ids = synthetic_pairs(n=1001, expression="neutral", size=16).ids
    assert len(set(ids)) == 1001 and ids[0] == "syn0000" and ids[-1] == "syn1000"


def test_same_arguments_same_bytes():
    a = synthetic_pairs(n=4, expression="happy", seed=11, size=64)
    b = synthetic_pairs(n=4, expression="happy", seed=11, size=64)
    assert a.inputs.tobytes() == b.inputs.tobytes()
    assert a.targets.tobytes() == b.targets.tobytes()


def test_different_seeds_give_different_people():
    a = synthetic_pairs(n=4, expression="happy", seed=0, size=64)
    b = synthetic_pairs(n=4, expression="happy", seed=1, size=64)
    # every face differs substantially, not just by noise
    diff = np.abs(a.inputs - b.inputs).mean(axis=(1, 2, 3))
    assert (diff > 0.03).all()


def test_people_within_a_set_differ():
    x = synthetic_pairs(n=6, expression="neutral", seed=0, size=64).inputs
    d = np.abs(x[:, None] - x[None]).mean(axis=(2, 3, 4))
    assert d[~np.eye(6, dtype=bool)].min() > 0.02


def test_identity_does_not_depend_on_expression():
    pairs = [synthetic_pairs(n=3, expression=e, seed=5, size=48) for e in SYNTHETIC_EXPRESSIONS]
    for p in pairs[1:]:
        assert p.inputs.tobytes() == pairs[0].inputs.tobytes()


def test_face_i_does_not_depend_on_n():
    small = synthetic_pairs(n=3, expression="angry", seed=2, size=32)
    big = synthetic_pairs(n=7, expression="angry", seed=2, size=32)
    assert np.array_equal(small.inputs, big.inputs[:3])
    assert np.array_equal(small.targets, big.targets[:3])


def test_neutral_target_equals_input():
    p = synthetic_pairs(n=3, expression="neutral", seed=0, size=64)
    assert np.array_equal(p.inputs, p.targets)
    assert p.targets is not p.inputs


@pytest.mark.parametrize("expression", EXPRESSIVE)
def test_expression_changes_only_its_regions(neutral128, expression):
    inputs, params = neutral128
    targets = render_faces(params, expression, SIZE)
    change = np.abs(targets - inputs).max(axis=-1)          # (N, H, W)
    masks = region_masks(SIZE)
    union = np.zeros((SIZE, SIZE), bool)
    for name in EXPRESSION_REGIONS[expression]:
        union |= masks[name]
    # Margin: LOCALITY_MARGIN (0.2) inter-ocular distances, ~8 px at 128.  A real
    # smile raises the cheeks, which lie in the gap between the eye and mouth
    # regions, and deepens the nasolabial folds beside the nose; region_masks has
    # no cheek region, so the gap is what the margin covers.
    iod = np.hypot(*np.subtract(CANONICAL["eye_right"], CANONICAL["eye_left"])) * SIZE
    allowed = distance_transform_edt(~union) <= LOCALITY_MARGIN * iod
    assert np.array_equal(allowed, expression_region(expression, SIZE))
    assert allowed.mean() < 0.6            # the allowed area is a minority of the crop
    # outside: nothing changes (same noise, same lighting for input and target)
    assert change[:, ~allowed].max() < 1e-9
    # inside: every face changes visibly in every region the expression names
    for name in EXPRESSION_REGIONS[expression]:
        per_face = change[:, masks[name]]
        assert (per_face.max(axis=1) > 0.08).all(), name
        assert per_face.mean() > 0.004, name


def test_expression_controls_move_features_the_right_way():
    p = random_identities(8, seed=4)
    c = {e: expression_controls(p, e) for e in SYNTHETIC_EXPRESSIONS}
    # image y grows downwards: "up" is negative for brows, positive for the smile control
    assert (c["happy"]["smile"] > 0).all() and (c["happy"]["mouth_scale"] > 1).all()
    assert (c["happy"]["eye_low_scale"] < 1).all() and (c["happy"]["cheek_raise"] > 0).all()
    assert (c["sad"]["smile"] < 0).all() and (c["sad"]["brow_inner"] < 0).all()
    assert (c["surprise"]["brow_lift"] < 0).all() and (c["surprise"]["eye_open_scale"] > 1).all()
    assert (c["surprise"]["open_low"] > 0).all()
    assert (c["angry"]["brow_inner"] > 0).all() and (c["angry"]["brow_inner_dx"] > 0).all()
    assert (c["angry"]["lip_up_scale"] < 1).all()
    assert (c["fear"]["brow_lift"] < 0).all() and (c["fear"]["brow_inner_dx"] > 0).all()
    assert (c["fear"]["mouth_scale"] > 1).all() and (c["fear"]["eye_open_scale"] > 1).all()
    neutral = c["neutral"]
    for e in EXPRESSIVE:
        assert any(not np.array_equal(neutral[k], c[e][k]) for k in neutral), e


def _iris_centres(params, size):
    """Centroids ``(n, 2, 2)`` of the visible irises of the left and right half of each face.

    Re-colouring the irises changes exactly the visible iris pixels, so the
    centroid of the change on each side is where that eye's pupil was drawn.
    """
    recoloured = dict(params, iris=1.0 - params["iris"])
    diff = np.abs(render_faces(params, "neutral", size)
                  - render_faces(recoloured, "neutral", size)).sum(axis=-1)
    yy, xx = np.mgrid[0:size, 0:size] + 0.5
    out = []
    for side in (xx < size / 2, xx >= size / 2):
        w = diff * side
        mass = w.sum(axis=(1, 2))
        assert (mass > 0).all()
        out.append(np.stack([(w * xx).sum(axis=(1, 2)), (w * yy).sum(axis=(1, 2))], 1) / mass[:, None])
    return np.stack(out, axis=1)


def test_irises_land_on_the_canonical_eyes():
    centres = _iris_centres(random_identities(40, seed=9), SIZE)
    dist = np.hypot(*(centres - canonical_eyes(SIZE)).transpose(2, 0, 1))   # (n, 2)
    # per-person jitter of a pixel or two (clipped at 2.5 px); the lids hide a bit of iris
    assert np.median(dist) < 1.5 and dist.max() < 3.5, (np.median(dist), dist.max())
    assert dist.std() > 0.1                     # there is jitter: not all at one spot


def test_faces_follow_the_canonical_geometry(monkeypatch):
    """If the package's canonical geometry changes, synthetic faces move with it."""
    import pixelfes_edu.faces.geometry as geometry

    for key, (x, y) in {"eye_left": (0.38, 0.40), "eye_right": (0.62, 0.40),
                        "nose_tip": (0.5, 0.56), "mouth_left": (0.41, 0.70),
                        "mouth_right": (0.59, 0.70), "mouth": (0.5, 0.70)}.items():
        monkeypatch.setitem(geometry.CANONICAL, key, (x, y))
    centres = _iris_centres(random_identities(10, seed=1), 64)
    dist = np.hypot(*(centres - canonical_eyes(64)).transpose(2, 0, 1))
    assert np.median(dist) < 1.0 and dist.max() < 2.0   # 64 px: jitter halves


def test_faces_vary_in_skin_tone():
    x = synthetic_pairs(n=40, expression="neutral", seed=0, size=32).inputs
    pts = canonical_points(32)
    cx, cy = pts["eye_left"][0], 0.5 * (pts["eye_left"][1] + pts["mouth"][1])   # left cheek
    cheek = x[:, int(cy) - 1:int(cy) + 1, int(cx) - 1:int(cx) + 1].mean(axis=(1, 2, 3))
    assert cheek.max() - cheek.min() > 0.3


def test_synthetic_face_is_one_person_of_the_pairs():
    pairs = synthetic_pairs(n=3, expression="surprise", seed=3, size=32)
    face = synthetic_face(expression="surprise", size=32, index=2, seed=3)
    assert face.shape == (32, 32, 3)
    assert np.array_equal(face, pairs.targets[2])
    params = random_identities(3, seed=3)
    assert np.array_equal(synthetic_face(params, "neutral", 32, index=1), pairs.inputs[1])
    with pytest.raises(ValueError, match="out of range"):
        synthetic_face(params, "happy", 32, index=3)


@pytest.mark.parametrize("size", [16, 17, 64])
def test_small_and_odd_sizes(size):
    p = synthetic_pairs(n=2, expression="happy", size=size)
    assert p.inputs.shape == (2, size, size, 3)
    assert not np.array_equal(p.inputs, p.targets)


def test_bad_expression_lists_choices():
    with pytest.raises(ValueError) as err:
        synthetic_pairs(n=2, expression="smirk")
    for e in SYNTHETIC_EXPRESSIONS:
        assert e in str(err.value)
    with pytest.raises(ValueError, match="happy"):
        render_faces(random_identities(1), "Happy", 32)


@pytest.mark.parametrize("kw, word", [
    ({"n": 0}, "n must be"), ({"n": -3}, "n must be"), ({"n": 2.5}, "n must be"),
    ({"size": 15}, "size must be"), ({"size": 8}, "size must be"),
    ({"seed": -1}, "seed must be"), ({"seed": "a"}, "seed must be"),
])
def test_bad_numbers_raise(kw, word):
    args = dict(n=2, expression="happy", seed=0, size=32)
    args.update(kw)
    with pytest.raises(ValueError, match=word):
        synthetic_pairs(**args)


def test_feature_windows_do_not_clip_any_feature(monkeypatch):
    """Features are drawn over windows only to save time; the full grid gives the same bytes."""
    import pixelfes_edu.data.synthetic.render as syn

    params = random_identities(40, seed=12)   # 40 people: jitter and sizes near their extremes
    fast = {e: render_faces(params, e, 64) for e in EXPRESSIVE}
    monkeypatch.setattr(syn, "_window", lambda img, x, y, xr, yr: (img, x, y))
    for e in EXPRESSIVE:
        assert np.array_equal(fast[e], render_faces(params, e, 64)), e


def test_mean_face_is_sharp_like_well_aligned_real_faces():
    # the alignment measure used for the London set: variance of the Laplacian of
    # the mean face over the mean of the individual ones (>= 0.12 there)
    from scipy.ndimage import laplace

    grey = synthetic_pairs(n=60, expression="neutral", seed=0, size=SIZE).inputs.mean(axis=-1)
    ratio = laplace(grey.mean(axis=0)).var() / np.mean([laplace(g).var() for g in grey])
    assert ratio > 0.1, ratio
