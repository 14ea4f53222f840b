"""The Binder recipe, verified without Docker.

mybinder.org (repo2docker) reads only ``binder/``: Python from ``runtime.txt``, ``pip install -r
binder/requirements.txt``, then ``binder/postBuild`` from the repository root; the session is a
Jupyter server with its extensions, and the README's Voilà link opens ``voila/render/<notebook>``.
These tests do the same steps in a fresh virtual environment with a fresh home folder (nothing of
the test environment leaks in: no PYTHONPATH, no prepared-data cache), with the face data from
``PIXELFES_EDU_DATA`` as in CI (linked file by file into a writable folder, so ``postBuild``'s
fetches never write into the mirror), then serve the repository and drive the Voilà app in
headless Chromium. What they cannot check (the Docker image layer) is listed in binder/README.md.

Needs PyPI (pip installs the notebook stack), ``/usr/bin/chromium`` and the real-data mirror;
several minutes the first time (pip's cache makes later runs faster). Skip with ``-m "not binder"``.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

import voila_support

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
VOILA_LINK = re.compile(r"urlpath=voila/render/([\w./-]+?\.ipynb)")
LEAKS = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PIXELFES_EDU_CACHE", "XDG_CACHE_HOME", "XDG_DATA_HOME",
         "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_PATH", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR")
BUILD_TIMEOUT_S = 1800

needs_build = [pytest.mark.binder, pytest.mark.slow]
needs_browser = needs_build + [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(voila_support.CHROMIUM).exists(),
                       reason=f"{voila_support.CHROMIUM} missing: apt-get install chromium chromium-driver"),
]


def _marked(marks):
    def decorate(test):
        for mark in marks:
            test = mark(test)
        return test
    return decorate


def voila_target():
    """The notebook that the Voilà links of README.md and binder/README.md open (one for all)."""
    targets = {m for doc in (ROOT / "README.md", BINDER / "README.md")
               for m in VOILA_LINK.findall(doc.read_text(encoding="utf-8"))}
    assert len(targets) == 1, f"the Voilà links should all open one notebook, found {sorted(targets)}"
    return targets.pop()


def test_voila_links_open_one_notebook_that_exists():
    target = voila_target()
    assert (ROOT / target).is_file(), f"the Voilà link opens {target}, which is not in the repository"
    assert target.startswith("notebooks/")


def test_binder_folder_is_what_repo2docker_reads():
    runtime = (BINDER / "runtime.txt").read_text().strip()
    assert re.fullmatch(r"python-3\.\d+", runtime), f"runtime.txt should be python-3.X, not {runtime!r}"
    assert (BINDER / "postBuild").read_text().startswith("#!"), "postBuild needs a shebang (repo2docker executes it)"
    reqs = [line.split("#")[0].strip() for line in (BINDER / "requirements.txt").read_text().splitlines()]
    assert not [r for r in reqs if r.startswith((".", "-e", "/"))], \
        "requirements.txt is installed before the repository is copied in: no local paths (postBuild installs '.')"


def _interpreter():
    major, minor = (BINDER / "runtime.txt").read_text().strip().removeprefix("python-").split(".")[:2]
    if sys.version_info[:2] == (int(major), int(minor)):
        return sys.executable
    found = shutil.which(f"python{major}.{minor}")
    if not found:
        pytest.skip(f"binder/runtime.txt asks for Python {major}.{minor}, which is not on this machine")
    return found


def _repository_copy(dest):
    """The files repo2docker would copy: tracked or new, not ignored (the working tree's versions)."""
    try:
        names = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                               cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: cannot tell which files Binder would see")
    for name in filter(None, names):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name, follow_symlinks=False)
    return dest


def _data_overlay(mirror, dest):
    """A writable data folder whose files are links to the read-only mirror's: postBuild's
    ``fetch all`` verifies them and writes whatever it downloads here, never into the mirror."""
    for src in mirror.rglob("*"):
        if src.is_file():
            (dest / src.relative_to(mirror)).parent.mkdir(parents=True, exist_ok=True)
            (dest / src.relative_to(mirror)).symlink_to(src)
    return dest


def _clean_env(home, venv, data):
    env = {k: v for k, v in os.environ.items() if k not in LEAKS}
    env["PIXELFES_EDU_DATA"] = str(data)
    env.setdefault("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip"))  # only makes re-runs faster
    env.update(HOME=str(home), PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    return env


def _step(name, cmd, log_dir, timings, **kw):
    t0 = time.monotonic()
    log = log_dir / f"{name}.log"
    with open(log, "wb") as f:
        r = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, timeout=BUILD_TIMEOUT_S, **kw)
    timings[name] = time.monotonic() - t0
    assert r.returncode == 0, f"{name} failed ({r.returncode}):\n{log.read_text(errors='replace')[-4000:]}"


@pytest.fixture(scope="module")
def binder(tmp_path_factory, real_data):
    """A fresh environment built exactly as binder/ describes, in a fresh home folder."""
    tmp = tmp_path_factory.mktemp("binder")
    repo, home, venv = _repository_copy(tmp / "repo"), tmp / "home", tmp / "venv"
    home.mkdir()
    env = _clean_env(home, venv, _data_overlay(real_data, tmp / "data"))
    timings = {}
    _step("venv", [_interpreter(), "-m", "venv", str(venv)], tmp, timings, env=env)
    _step("requirements", [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-r",
                           "binder/requirements.txt"], tmp, timings, cwd=repo, env=env)
    os.chmod(repo / "binder" / "postBuild", 0o755)  # repo2docker makes it executable, then runs it
    _step("postBuild", ["./binder/postBuild"], tmp, timings, cwd=repo, env=env)
    print("binder build: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()))
    return SimpleNamespace(repo=repo, home=home, python=str(venv / "bin" / "python"), env=env, log_dir=tmp)


def _run_python(binder, code):
    r = subprocess.run([binder.python, "-c", code], cwd=binder.home, env=binder.env, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


@_marked(needs_build)
def test_binder_image_has_the_package_and_real_faces_prepared(binder):
    out = _run_python(binder, "import json, pixelfes_edu, pixelfes_edu.store as s; "
                              "print(json.dumps([pixelfes_edu.__file__, str(s.cache_dir())]))")
    module, cache = json.loads(out)
    assert Path(module).is_relative_to(Path(binder.python).parents[1]), f"pixelfes_edu imported from {module}"
    assert Path(cache).is_relative_to(binder.home), f"the prepared cache {cache} is outside the image's home"
    prepared = sorted(p.name for p in Path(cache).glob("london_128px*"))
    assert prepared, f"postBuild did not prepare the London crops in {cache}: {os.listdir(cache)}"
    assert _run_python(binder, "import pixelfes_edu as pfe; print(pfe.load_pairs('auto', size=128, progress=False).name)"
                       ).strip() == "london", "the notebooks' load_pairs('auto') would not find the London set"


@pytest.fixture(scope="module")
def binder_server(binder):
    """The Binder session: a Jupyter server over the repository, from the built environment."""
    with voila_support.jupyter_server(binder.repo, binder.log_dir / "server.log", python=binder.python,
                                      env=binder.env) as url:
        yield url


@_marked(needs_build)
def test_binder_serves_jupyterlab_on_the_notebooks(binder_server):
    with urllib.request.urlopen(binder_server + "lab/tree/notebooks/01_derivation.ipynb", timeout=60) as r:
        assert r.status == 200 and b"JupyterLab" in r.read()


def _app_slider(page):
    """The app's α slider when it has one, else its first slider."""
    alpha = voila_support.slider(page, "α")
    return alpha if alpha.count() else voila_support.slider(page)


@_marked(needs_browser)
def test_binder_voila_link_renders_the_app_and_a_slider_changes_it(binder_server):
    pytest.importorskip("playwright.sync_api", reason="pip install '.[test]' (the playwright package)")
    url = binder_server + "voila/render/" + voila_target()
    with voila_support.chromium_page(url) as page:
        assert page.get_by_text("There was an error when executing cell").count() == 0
        control, image = _app_slider(page), voila_support.last_image(page)
        handle = control.locator(".noUi-handle").first
        lo, hi, now = (float(handle.get_attribute(a)) for a in ("aria-valuemin", "aria-valuemax", "aria-valuenow"))
        new = hi if now != hi else lo
        before_src, before_png = image.get_attribute("src"), image.screenshot()
        voila_support.type_into_slider(page, control, round(new, 3))
        voila_support.wait_new_src(page, image, before_src)
        assert image.screenshot() != before_png, "the app's picture did not change after moving a slider"
