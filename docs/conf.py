"""Sphinx configuration of the lesson site: the notebooks (executed, outputs included), the report,
the architecture notes and the API reference, as one static site.

Build from the repository root (README, "Lesson site"):

    pip install ".[site]" && sphinx-build -W --keep-going -c docs . build/site

The source directory is the repository root, so ``notebooks/*.ipynb`` and ``docs/*.md`` are read
where they live (the notebooks stay the single source) and their relative links keep working.
``-W`` turns every warning into an error: a link to a missing page or heading fails the build;
``nb_execution_raise_on_error`` makes a failing cell fail it; ``site_checks`` checks every
relative ``href``/``src`` of the written HTML. Execution is cached with jupyter-cache under
``build/jupyter_cache/<key>``, where the key hashes the package's source and the data in use, so a
rebuild re-executes only what changed and a changed package never serves stale outputs.
"""
import hashlib
import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))           # document the source tree being built (matters without `pip install -e`)
sys.path.insert(0, str(DOCS / "_ext"))

REPOSITORY = "pixelfes-edu/pixelfes_edu"  # GitHub owner/name, as in the README's Binder badge
BINDER = "https://mybinder.org"

project = "pixelfes_edu"
author = "pixelfes_edu contributors"
copyright = "pixelfes_edu contributors; face images: their sources' licences (see the data manifest)"
root_doc = "docs/index"

extensions = [
    "myst_nb",                   # .md (MyST) and .ipynb pages
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",                  # the package's docstrings are numpydoc
    "sphinx.ext.mathjax",
    "site_checks",               # docs/_ext/site_checks.py: relative links of the written HTML
]

# Read only the site's pages; everything else in the repository is not a page.
include_patterns = ["docs/**", "notebooks/*.ipynb", "notebooks/README.md", "README.md", "binder/README.md"]
exclude_patterns = ["build", ".venv", "**/.ipynb_checkpoints", "docs/_ext", "docs/_templates",
                    "tests", "benchmarks", "pixelfes_edu",
                    "notebooks/app.ipynb"]  # the Voila app: widgets only, useful live (Binder), not as a page
templates_path = ["docs/_templates"]

# MyST: $...$ maths as in the notebooks, GitHub-style heading anchors (README's #your-own-photo)
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
myst_url_schemes = ["http", "https", "mailto"]

# Notebook execution: every notebook is committed without outputs; the site executes them.
nb_execution_mode = "cache"
nb_execution_timeout = 900
nb_execution_raise_on_error = True       # a failing cell fails the build
nb_execution_show_tb = True              # ...and prints its traceback
nb_merge_streams = True
nb_execution_excludepatterns = []


def _execution_key():
    """Outputs depend on the package's code and on which face data the notebooks find."""
    h = hashlib.sha256()
    for p in sorted((ROOT / "pixelfes_edu").rglob("*")):
        if p.is_file() and p.suffix in {".py", ".yaml", ".txt", ".md"}:
            h.update(p.relative_to(ROOT).as_posix().encode())
            h.update(p.read_bytes())
    h.update(os.environ.get("PIXELFES_EDU_DATA", "").encode())
    return h.hexdigest()[:12]


nb_execution_cache_path = str(ROOT / "build" / "jupyter_cache" / _execution_key())

# API reference (numpydoc docstrings)
autosummary_generate = False
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
numpydoc_show_class_members = False      # autodoc lists the members once
numpydoc_xref_param_type = False
numpydoc_validation_checks = set()

# Theme: sphinx-book-theme puts a "launch on Binder" button on every notebook page.
html_theme = "sphinx_book_theme"
html_title = "pixelfes_edu lessons"
html_static_path = []
html_show_sourcelink = False
html_theme_options = {
    "repository_url": f"https://github.com/{REPOSITORY}",
    "repository_branch": "HEAD",
    "path_to_docs": "",
    "use_repository_button": True,
    "launch_buttons": {"binderhub_url": BINDER, "notebook_interface": "jupyterlab"},
    "show_toc_level": 2,
}


def _root_redirect(app, exception):
    """``build/site/index.html`` -> the landing page, so the folder can be served or opened as is."""
    if exception is None and app.builder.format == "html":
        target = app.builder.get_target_uri(root_doc)
        (Path(app.outdir) / "index.html").write_text(
            f'<!DOCTYPE html><meta charset="utf-8"><title>{html_title}</title>'
            f'<meta http-equiv="refresh" content="0; url={target}"><a href="{target}">{html_title}</a>\n',
            encoding="utf-8")


def setup(app):
    app.connect("build-finished", _root_redirect, priority=400)  # before site_checks (500) reads the pages
