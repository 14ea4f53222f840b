"""What every explorer shares: slider ranges, pictures at their own size, colour bars, scores over every held-out face."""
import io

import numpy as np
import pytest
from PIL import Image

import pixelfes_edu as pfe
from pixelfes_edu import explore, pictures
from pixelfes_edu.explore.controls import PIXEL_CSS, lam_slider, log_range, mean_psnr, sigma_slider


def _size(png):
    with Image.open(io.BytesIO(png)) as im:
        return im.size


@pytest.mark.parametrize("value", [0.4, 1e-3, 1e3, 0.0123, 7.0, 999.0])
def test_lambda_slider_spans_exactly_1e_3_to_1e3_with_its_value_on_the_grid(value):
    s = lam_slider(value)
    assert (s.min, s.max, s.value) == (-3.0, 3.0, value)
    k = (np.log10(value) - s.min) / s.step  # the browser snaps to min + k step
    assert k == pytest.approx(round(k), abs=1e-9)
    assert 0.045 <= s.step <= 0.055
    assert (s.max - s.min) / s.step >= 100  # fine enough to drag


def test_sliders_widen_for_a_value_outside_their_range_and_sigma_keeps_its_ends():
    assert lam_slider(5e-4).min == pytest.approx(np.log10(5e-4)) and lam_slider(5e-4).max == 3.0
    s = sigma_slider(3.0, low=0.1, high=20.0)
    assert (10 ** s.min, 10 ** s.max) == (pytest.approx(0.1), pytest.approx(20.0))
    assert (np.log10(3.0) - s.min) / s.step == pytest.approx(round((np.log10(3.0) - s.min) / s.step), abs=1e-9)
    assert log_range(1e-3, 1e-3, 1e3, 0.05) == (-3.0, 3.0, 0.05)


def _explorers(data):
    train, test = data
    rr = pfe.PixelRidge(0.4).fit(train.inputs, train.targets)
    return [explore.PixelInspector(train), explore.TrainingExplorer(train, test, n_show=2),
            explore.KernelExplorer(train, test, n_show=2), explore.ReceptiveFieldExplorer(train, test, fields=(1, 3),
                                                                                          n_show=2),
            explore.SparseFieldExplorer(train, test, radius=1, n_show=2),
            explore.GalleryExplorer({"Pixel-RR": rr}, {"a": test.inputs[0], "b": test.inputs[1]})]


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)


def test_every_explorer_shows_its_pictures_at_their_own_size_with_crisp_pixels(data):
    for ex in _explorers(data):
        widgets = list(_walk(ex.widget))
        images = [w for w in widgets if type(w).__name__ == "Image"]
        assert images, type(ex).__name__
        for im in images:  # not stretched to the cell's width by the flex layout
            assert im.layout.align_self == "flex-start", f"{type(ex).__name__}: an image would be stretched"
        pixels = [im for im in images if "pixelfes-pixels" in im._dom_classes]
        assert pixels, f"{type(ex).__name__}: no image marked as a grid of pixels"
        assert any(getattr(w, "value", None) == PIXEL_CSS for w in widgets), \
            f"{type(ex).__name__}: the style that keeps enlarged pixels crisp is not in the layout"


def test_weight_bias_maps_and_difference_maps_carry_colour_bars(data):
    train, test = data
    side = train.inputs.shape[1]
    tr = explore.TrainingExplorer(train, test, n_show=2)
    assert _size(tr.maps.value)[0] == 4 * (side + 3)  # weight map, its bar, bias map, its bar
    rf = explore.ReceptiveFieldExplorer(train, test, fields=(1, 3), n_show=2)
    width = _size(rf.image.value)[0]
    rows_without_bar = pictures.grid_image([test.inputs[:2]] * 5, row_labels=["input", "MR r=3", "Pixel-RR", "target",
                                                                              "|MR - RR|"])
    assert width == rows_without_bar.shape[1] + side + 3  # one more cell: the difference row's colour bar


def test_colourbar_runs_from_vmax_at_the_top_to_vmin_at_the_bottom():
    cell = pictures.colourbar("RdBu_r", -0.3, 0.3, (40, 48))
    ends = pictures.colourise(np.array([[0.3, -0.3]]), "RdBu_r", -0.3, 0.3)[0]
    np.testing.assert_allclose(cell[0, 3], ends[0], atol=0.003)
    np.testing.assert_allclose(cell[-1, 3], ends[1], atol=0.003)


def test_kernel_explorer_scores_every_held_out_face(data):
    train, test = data
    ex = explore.KernelExplorer(train, test, n_show=2, sigma=1.0)
    psnr = mean_psnr(ex.kr.predict(test.inputs), test.targets)
    assert f"all {len(test)} faces: Pixel-KR {psnr:.2f} dB" in ex.info.value
    shown_only = mean_psnr(ex.kr.predict(test.inputs[:2]), test.targets[:2])
    assert abs(shown_only - psnr) > 0.005  # the two differ on these faces, so the test can tell them apart
