"""The canonical geometry and the one region vocabulary (pixelfes_edu.faces.geometry)."""
import numpy as np
import pytest

from pixelfes_edu.faces.geometry import (CANONICAL, DEFAULT_REGION, REGIONS, canonical_eyes, canonical_points,
                                         region_box, region_mask, region_masks)


def test_canonical_points_scale_with_the_crop():
    for size in (32, 128):
        p = canonical_points(size)
        assert set(p) == set(CANONICAL)
        np.testing.assert_allclose(p["mouth"], np.array(CANONICAL["mouth"]) * size)
    np.testing.assert_allclose(canonical_eyes(100), [[34, 32], [66, 32]])


def test_regions_are_one_vocabulary_with_one_default():
    masks = region_masks(64)
    assert tuple(sorted(masks)) == tuple(sorted(REGIONS)) and DEFAULT_REGION == "face"
    for name in REGIONS:
        assert masks[name].dtype == bool and masks[name].shape == (64, 64) and masks[name].any()
        assert np.array_equal(region_mask(name, (3, 64, 64, 3)), masks[name])
    with pytest.raises(ValueError, match="unknown region 'inner_face'"):
        region_mask("inner_face", (1, 64, 64))


def test_face_covers_the_features_and_excludes_hair():
    size = 64
    masks = region_masks(size)
    face = masks["face"]
    assert not (face & ~masks["head"]).any()  # the face lies inside the head
    assert (masks["mouth"] & face).sum() == masks["mouth"].sum()  # the whole mouth region
    for k in ("eye_left", "eye_right", "nose_tip"):
        x, y = canonical_points(size)[k].astype(int)
        assert face[y, x]
    assert not face[1, size // 2] and not face[size // 2, 1]  # top of the crop (hair), side (background)
    assert 0.28 < face.mean() < 0.36 and 0.5 < masks["head"].mean() < 0.65


def test_region_mask_accepts_masks_and_none_and_checks_them():
    shape = (2, 8, 8)
    assert region_mask(None, shape).all()
    m = np.zeros((8, 8), bool)
    m[2, 3] = True
    assert np.array_equal(region_mask(m, shape), m)
    with pytest.raises(ValueError, match="selects no pixels"):
        region_mask(np.zeros((8, 8), bool), shape)
    with pytest.raises(ValueError, match="mask has shape"):
        region_mask(np.ones((4, 4), bool), shape)
    with pytest.raises(ValueError, match="square"):
        region_mask("face", (1, 8, 10))


def test_region_box_bounds_the_region():
    mask, (rows, cols) = region_box("mouth", 64)
    assert mask[rows, cols].sum() == mask.sum()
    assert not mask[rows.start - 1].any() and not mask[:, cols.stop].any()
