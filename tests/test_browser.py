"""The real user interface in a real browser: Voilà serves notebook 04, headless Chromium moves a slider.

Opt-in: ``pytest -m browser tests/test_browser.py`` (needs the apt packages ``chromium`` and
``chromium-driver`` and the ``[browser]`` extra, i.e. the python ``playwright`` package; never run
``playwright install`` — we drive Debian's ``/usr/bin/chromium``).
"""
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "06_out_of_dataset_gallery.ipynb"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
STARTUP_S = 240  # kernel start + data preparation in a fresh cache + three model fits

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install '.[browser]' (the playwright package)")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} missing: apt-get install chromium chromium-driver"),
]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url, proc, timeout):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"voila exited early with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "voila/static/", timeout=2):
                return
        except urllib.error.HTTPError:  # any HTTP answer (even 404) means the server is up; no kernel started yet
            return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"voila did not answer at {url} within {timeout} s")


@pytest.fixture(scope="module")
def voila_url(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("voila")
    port = _free_port()
    log = open(tmp_path / "voila.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "voila", str(NOTEBOOK), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1"],
        stdout=log, stderr=subprocess.STDOUT, cwd=NOTEBOOK.parent, env=dict(os.environ),
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_http(url, proc, 60)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        print((tmp_path / "voila.log").read_text(errors="replace")[-3000:])


def _slider(page, label):
    """The ipywidgets 8 slider whose description is ``label``."""
    return page.locator(".widget-slider", has=page.locator(".widget-label", has_text=label)).first


@pytest.fixture
def page(voila_url):
    """A Chromium page showing the rendered notebook, once the explorer's grid has arrived."""
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1200})
            page.goto(voila_url, timeout=STARTUP_S * 1000)
            _slider(page, "intensity α").wait_for(state="visible", timeout=STARTUP_S * 1000)
            grid = _grid(page)
            grid.wait_for(state="visible", timeout=60_000)
            page.wait_for_function("el => el.naturalWidth > 0", arg=grid.element_handle(), timeout=60_000)
            yield page
        finally:
            browser.close()


def _grid(page):
    return page.locator(".widget-image").last  # the explorer's face grid is the last image widget


def _wait_new_src(page, grid, old_src):
    page.wait_for_function("([el, src]) => el.getAttribute('src') !== src && el.naturalWidth > 0",
                           arg=[grid.element_handle(), old_src], timeout=60_000)


def test_voila_slider_changes_rendered_image(page):
    alpha, grid = _slider(page, "intensity α"), _grid(page)
    before_src, before_png = grid.get_attribute("src"), grid.screenshot()

    alpha.locator(".widget-readout").click()  # type a new α into the slider's editable readout
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    page.keyboard.press("Enter")
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
    """notebooks/app.ipynb in Voilà: no code or text output on the page; picking a gallery face and moving α
    each change the result picture."""
    app, port = NOTEBOOK.with_name("app.ipynb"), _free_port()
    url = f"http://127.0.0.1:{port}/"
    with open(tmp_path / "voila.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "voila", str(app), "--no-browser", f"--port={port}",
                                 "--Voila.ip=127.0.0.1"], stdout=log, stderr=subprocess.STDOUT, cwd=app.parent,
                                env=dict(os.environ))
        try:
            _wait_http(url, proc, 60)
            with sync_api.sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    page = browser.new_page(viewport={"width": 1400, "height": 1100})
                    page.goto(url, timeout=STARTUP_S * 1000)
                    alpha = _slider(page, "intensity α")
                    alpha.wait_for(state="visible", timeout=STARTUP_S * 1000)
                    result = page.locator(".widget-image").first  # the photo, before | after
                    page.wait_for_function("el => el.naturalWidth > 0", arg=result.element_handle(), timeout=60_000)
                    printed = page.locator("[data-mime-type^='application/vnd.jupyter.std'], .jp-InputArea-editor")
                    assert printed.count() == 0, "the page shows code or printed output"

                    src = result.get_attribute("src")
                    page.locator(".widget-dropdown select").first.select_option("astronaut")
                    _wait_new_src(page, result, src)

                    src = result.get_attribute("src")
                    alpha.locator(".widget-readout").click()
                    page.keyboard.press("Control+A")
                    page.keyboard.type("2")
                    page.keyboard.press("Enter")
                    _wait_new_src(page, result, src)
                    page.get_by_text("α = 2.00").wait_for(timeout=30_000)  # the status line names the new α
                finally:
                    browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=20)
