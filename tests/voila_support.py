"""Serve a notebook with Voilà (standalone or as a Jupyter-server extension) and look at it in Debian's
headless Chromium through the ``playwright`` package. Shared by tests/test_browser.py and
tests/test_binder.py; ``playwright`` is imported only when a browser is opened.
"""
import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
STARTUP_S = 240  # kernel start + data preparation in a fresh cache + model fits


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, proc, timeout):
    """Return once ``url`` answers at all (any HTTP status); fail if ``proc`` exits or time runs out."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited early with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:  # an HTTP answer, even 404, means the server is up
            return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"nothing answered at {url} within {timeout} s")


@contextlib.contextmanager
def serve(cmd, probe, log_path, cwd=None, env=None, timeout=60):
    """Run server ``cmd`` (logging to ``log_path``) until ``probe`` answers; stop it on exit and print
    the end of its log (pytest shows it for a failing test)."""
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=cwd,
                                env=dict(os.environ) if env is None else env)
        try:
            wait_http(probe, proc, timeout)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    print(Path(log_path).read_text(errors="replace")[-3000:])


@contextlib.contextmanager
def voila(notebook, log_path, python=sys.executable, env=None):
    """``voila NOTEBOOK`` (the README's command) on a free port; yields the page's URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    cmd = [python, "-m", "voila", str(notebook), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1"]
    with serve(cmd, url + "voila/static/", log_path, cwd=Path(notebook).parent, env=env):
        yield url


@contextlib.contextmanager
def jupyter_server(root, log_path, python=sys.executable, env=None):
    """A Jupyter server over ``root`` with every installed server extension (JupyterLab, Voilà's
    ``/voila/render/...``), no token, the way a Binder session serves the repository; yields its base URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    cmd = [python, "-m", "jupyter_server", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
           "--IdentityProvider.token=", f"--ServerApp.root_dir={root}", "--allow-root"]  # CI runs as root
    with serve(cmd, url + "api/status", log_path, cwd=root, env=env, timeout=120):
        yield url


@contextlib.contextmanager
def chromium_page(url, ready=None, timeout_s=STARTUP_S):
    """A headless Chromium page at ``url`` once ``ready(page, timeout_ms)`` returns (default:
    :func:`wait_for_app`)."""
    from playwright import sync_api

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1200})
            page.goto(url, timeout=timeout_s * 1000)
            (ready or wait_for_app)(page, timeout_s * 1000)
            yield page
        finally:
            browser.close()


def slider(page, label=None):
    """The ipywidgets 8 slider whose description contains ``label`` (the first slider if None)."""
    if label is None:
        return page.locator(".widget-slider").first
    return page.locator(".widget-slider", has=page.locator(".widget-label", has_text=label)).first


def last_image(page):
    """The last image widget on the page (the explorers put their result there)."""
    return page.locator(".widget-image").last


def wait_for_app(page, timeout_ms):
    """Wait until the app has a slider and its last image widget shows a picture."""
    slider(page).wait_for(state="visible", timeout=timeout_ms)
    image = last_image(page)
    image.wait_for(state="visible", timeout=60_000)
    page.wait_for_function("el => el.naturalWidth > 0", arg=image.element_handle(), timeout=60_000)


def wait_new_src(page, image, old_src, timeout_ms=60_000):
    page.wait_for_function("([el, src]) => el.getAttribute('src') !== src && el.naturalWidth > 0",
                           arg=[image.element_handle(), old_src], timeout=timeout_ms)


def type_into_slider(page, control, value):
    """Type ``value`` into a slider's editable readout, as a user would."""
    control.locator(".widget-readout").click()
    page.keyboard.press("Control+A")
    page.keyboard.type(str(value))
    page.keyboard.press("Enter")
