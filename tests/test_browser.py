"""The real user interface in a real browser: Voilà serves notebook 06, headless Chromium moves a slider.

Opt-in: ``pytest -m browser tests/test_browser.py`` (needs the apt packages ``chromium`` and
``chromium-driver`` and the ``[test]`` extra, i.e. the python ``playwright`` package; never run
``playwright install`` — we drive Debian's ``/usr/bin/chromium``). The server and browser plumbing
lives in tests/voila_support.py (tests/test_binder.py uses it too).
"""
from pathlib import Path

import pytest

import voila_support
from voila_support import CHROMIUM, CHROMIUM_ARGS, STARTUP_S  # noqa: F401  (for the tests below)

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "06_out_of_dataset_gallery.ipynb"

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install '.[test]' (the playwright package)")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} missing: apt-get install chromium chromium-driver"),
]

_free_port, _wait_http = voila_support.free_port, voila_support.wait_http
_slider, _grid, _wait_new_src = voila_support.slider, voila_support.last_image, voila_support.wait_new_src


@pytest.fixture(scope="module")
def voila_url(tmp_path_factory):
    """The README's ``voila notebooks/06_out_of_dataset_gallery.ipynb``, on a free local port."""
    with voila_support.voila(NOTEBOOK, tmp_path_factory.mktemp("voila") / "voila.log") as url:
        yield url


def _explorer_ready(page, timeout_ms):
    _slider(page, "intensity α").wait_for(state="visible", timeout=timeout_ms)
    voila_support.wait_for_app(page, timeout_ms)


@pytest.fixture
def page(voila_url):
    """A Chromium page showing the rendered notebook, once the explorer's grid has arrived."""
    with voila_support.chromium_page(voila_url, ready=_explorer_ready) as page:
        yield page


def test_voila_slider_changes_rendered_image(page):
    alpha, grid = _slider(page, "intensity α"), _grid(page)
    before_src, before_png = grid.get_attribute("src"), grid.screenshot()

    voila_support.type_into_slider(page, alpha, 2)
    _wait_new_src(page, grid, before_src)
    assert float(alpha.locator(".widget-readout").inner_text()) == pytest.approx(2.0)
    assert grid.screenshot() != before_png, "the rendered grid did not change after moving the α slider"


def test_voila_upload_adds_an_aligned_column(page, tmp_path):
    from PIL import Image
    from skimage.data import astronaut

    photo = tmp_path / "me.png"
    Image.fromarray(astronaut()).save(photo)
    grid = _grid(page)
    natural_width = "el => el.naturalWidth"  # the PNG's own width (the layout may scale it to the page)
    before_src, before_w = grid.get_attribute("src"), grid.evaluate(natural_width)
    with page.expect_file_chooser(timeout=30_000) as chooser:  # FileUpload opens the chooser from its button
        page.locator(".widget-upload").first.click()
    chooser.value.set_files(str(photo))
    _wait_new_src(page, grid, before_src)
    page.get_by_text("aligned your photo").wait_for(timeout=60_000)
    assert grid.evaluate(natural_width) > before_w, "no new column for the uploaded photo"


def test_voila_app_shows_no_code_and_answers_its_controls(tmp_path):
    """notebooks/app.ipynb in Voilà: no code or printed output on the page; picking a gallery face and moving α
    each change the result picture."""
    with voila_support.voila(NOTEBOOK.with_name("app.ipynb"), tmp_path / "voila.log") as url, \
            voila_support.chromium_page(url) as page:
        printed = page.locator("[data-mime-type^='application/vnd.jupyter.std'], .jp-InputArea-editor")
        assert printed.count() == 0, "the page shows code or printed output"
        result = page.locator(".widget-image").first  # the photo, before | after
        src = result.get_attribute("src")
        page.locator(".widget-dropdown select").first.select_option("astronaut")
        _wait_new_src(page, result, src)
        src = result.get_attribute("src")
        voila_support.type_into_slider(page, _slider(page, "intensity α"), 2)
        _wait_new_src(page, result, src)
        page.get_by_text("α = 2.00").wait_for(timeout=30_000)  # the status line names the new α
