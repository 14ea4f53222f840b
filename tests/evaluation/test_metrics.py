"""Metrics: known values, invariances and error messages."""
import numpy as np
import pytest

from pixelfes_edu.evaluation import metrics
from pixelfes_edu.faces.geometry import region_masks


@pytest.fixture
def batch():
    rng = np.random.default_rng(0)
    x = rng.random((4, 32, 32, 3)) * 0.6 + 0.1
    t = np.clip(x + 0.2 * rng.standard_normal(x.shape) * region_masks(32)["mouth"][..., None], 0, 1)
    return x, t


def test_psnr_matches_mse_formula(batch):
    x, t = batch
    mse = ((x - t) ** 2).mean(axis=(1, 2, 3))
    np.testing.assert_allclose(metrics.psnr(x, t), 10 * np.log10(1 / mse))


def test_ssim_identical_is_one_and_noise_lowers_it(batch):
    x, t = batch
    np.testing.assert_allclose(metrics.ssim(t, t), 1.0)
    assert (metrics.ssim(x, t) < 1).all()
    assert metrics.ssim(t, t, region="mouth").shape == (4,)


def test_transfer_ratio_identity_zero_target_one_linear_in_alpha(batch):
    x, t = batch
    np.testing.assert_allclose(metrics.transfer_ratio(x, x, t), 0.0)
    np.testing.assert_allclose(metrics.transfer_ratio(x, t, t), 1.0)
    for a in (0.3, 1.7):
        np.testing.assert_allclose(metrics.transfer_ratio(x, metrics.apply_intensity(x, t, a), t), a)
    # cosine ignores the intensity and is 1 along the true change
    np.testing.assert_allclose(metrics.transfer_cosine(x, metrics.apply_intensity(x, t, 0.3), t), 1.0)


def test_transfer_ratio_matches_explicit_projection_in_region(batch):
    x, t = batch
    rng = np.random.default_rng(1)
    y = np.clip(x + rng.normal(0, 0.05, x.shape), 0, 1)
    m = region_masks(32)["mouth"]
    d, e = (y - x)[:, m].reshape(4, -1), (t - x)[:, m].reshape(4, -1)
    expect = [di @ ei / (ei @ ei) for di, ei in zip(d, e)]
    np.testing.assert_allclose(metrics.transfer_ratio(x, y, t, "mouth"), expect)
    np.testing.assert_allclose(metrics.transfer_ratio(x, y, t, m), expect)


def test_transfer_opposite_change_is_negative(batch):
    x, t = batch
    assert (metrics.transfer_ratio(x, 2 * x - t, t) < 0).all()
    np.testing.assert_allclose(metrics.transfer_cosine(x, 2 * x - t, t), -1.0)


def test_sharpness_blur_lowers_it(batch):
    from scipy import ndimage

    x, _ = batch
    blurred = ndimage.gaussian_filter(x, sigma=(0, 1.5, 1.5, 0))
    assert (metrics.sharpness(blurred) < 0.5 * metrics.sharpness(x)).all()
    np.testing.assert_allclose(metrics.sharpness_ratio(x, x), 1.0)
    assert (metrics.sharpness_ratio(blurred, x) < 1).all()


def test_apply_intensity_endpoints_and_broadcast():
    x, y = np.zeros((2, 4, 4)), np.ones((2, 4, 4))
    assert np.array_equal(metrics.apply_intensity(x, y, 0), x)
    assert np.array_equal(metrics.apply_intensity(x, y, 1), y)
    out = metrics.apply_intensity(x, y, np.array([0.5, 2.0])[:, None, None])
    assert out[0].max() == 0.5 and out[1].min() == 2.0
    with pytest.raises(ValueError, match="same shape"):
        metrics.apply_intensity(x, y[:1])


def test_transfer_curve_is_linear_before_clipping(batch):
    x, t = batch
    c = metrics.transfer_curve(x, metrics.apply_intensity(x, t, 0.5), t, alphas=[0, 1, 2], region=None, clip=False)
    np.testing.assert_allclose(c["transfer"], [0, 0.5, 1.0])
    assert c["ssim"][2] == pytest.approx(1.0)


@pytest.mark.parametrize("method", ["minmax", "meanstd", "none"])
def test_normalise_roundtrip_and_range(batch, method):
    x, _ = batch
    s, params = metrics.normalise_images(x, method)
    assert s.min() >= 0 and s.max() <= 1
    np.testing.assert_allclose(metrics.denormalise_images(s, params), x, atol=1e-12)
    if method == "minmax":
        np.testing.assert_allclose(s.min(axis=(1, 2)), 0)
        np.testing.assert_allclose(s.max(axis=(1, 2)), 1)


def test_normalise_removes_exposure_difference(batch):
    x, _ = batch
    brighter = 0.5 * x + 0.3  # same face, other exposure
    for method in ("minmax", "meanstd"):
        a, b = metrics.normalise_images(x, method)[0], metrics.normalise_images(brighter, method)[0]
        np.testing.assert_allclose(a, b, atol=1e-9)


def test_image_metrics_keys_and_shapes(batch):
    x, t = batch
    out = metrics.image_metrics(x, t, t)
    assert {"psnr", "ssim", "sharpness", "sharpness_ratio", "transfer", "cosine",
            "transfer_mouth", "transfer_eyes"} <= set(out)
    assert all(v.shape == (4,) for v in out.values())


def test_errors_say_what_to_do():
    x = np.zeros((2, 8, 8))
    with pytest.raises(ValueError, match="divide by 255"):
        metrics.psnr(np.zeros((2, 8, 8), np.uint8), x)
    with pytest.raises(ValueError, match="batch"):
        metrics.ssim(x[0], x[0])
    with pytest.raises(ValueError, match="same shape"):
        metrics.transfer_ratio(x, x, np.zeros((2, 8, 9)))
    with pytest.raises(ValueError, match="unknown region"):
        metrics.transfer_ratio(x, x, x, "nose")
    with pytest.raises(ValueError, match="NaN"):
        metrics.sharpness(np.full((1, 8, 8), np.nan))
    with pytest.raises(ValueError, match="unknown normalisation"):
        metrics.normalise_images(x, "zscore")


def test_top_level_export():
    import pixelfes_edu as pfe

    assert pfe.apply_intensity is metrics.apply_intensity


def test_speckle_sees_only_fine_detail_outside_the_face():
    from scipy import ndimage

    from pixelfes_edu.faces.geometry import region_mask

    rng = np.random.default_rng(0)
    x = 0.5 + ndimage.gaussian_filter(rng.standard_normal((3, 64, 64, 3)), (0, 2, 2, 0))  # smooth photos
    face = region_mask("face", x.shape)
    assert np.allclose(metrics.speckle(x, x), 1.0)
    assert np.allclose(metrics.speckle(x, 0.5 + 0.5 * (x - 0.5)), 0.25)  # half the contrast, a quarter of the energy
    y = x.copy()
    y[:, ndimage.binary_erosion(face)] = 0.5  # what happens inside the face does not count (the Laplacian
    # of a pixel just outside reads its neighbours: keep the face's border row)
    assert np.allclose(metrics.speckle(x, y), 1.0)
    y = x.copy()
    y[:, ~face] = x[:, ~face][:, rng.permutation((~face).sum())]  # scattered pixels outside: more fine detail
    assert (metrics.speckle(x, y) > 1.2).all()
    assert "speckle" in metrics.image_metrics(x, y, x)
