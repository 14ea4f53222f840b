"""The lesson site's configuration (docs/conf.py): outputs on the page, a Binder button per lesson,
and a build that fails on a failing cell or a broken link.

Each case builds a two-page site in a tmp folder with the real ``docs/conf.py`` (``-c docs``), the
way the README's "Lesson site" command builds the whole one.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytest.importorskip("myst_nb", reason="pip install '.[site]'")
pytest.importorskip("sphinx_book_theme", reason="pip install '.[site]'")
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
from site_checks import broken_links  # noqa: E402


def _notebook(*sources):
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "# A lesson\n"}]
    cells += [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": s}
              for s in sources]
    return {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                        "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def _build(tmp_path, code=("print('answer', 6 * 7)",), index_extra=""):
    src, out = tmp_path / "src", tmp_path / "out"
    (src / "docs").mkdir(parents=True)
    (src / "notebooks").mkdir()
    (src / "docs" / "index.md").write_text(
        f"# Site\n\n```{{toctree}}\n../notebooks/lesson\n```\n\n{index_extra}\n", encoding="utf-8")
    (src / "notebooks" / "lesson.ipynb").write_text(json.dumps(_notebook(*code)), encoding="utf-8")
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-c", str(ROOT / "docs"),
           "-D", f"nb_execution_cache_path={tmp_path / 'cache'}", str(src), str(out)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    return r, out


def test_lesson_page_has_its_outputs_and_a_binder_button(tmp_path):
    r, out = _build(tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    page = (out / "notebooks" / "lesson.html").read_text(encoding="utf-8")
    assert "answer 42" in page, "the executed cell's output is not on the page"
    assert "mybinder.org/v2/gh/" in page and "urlpath=lab/tree/notebooks/lesson.ipynb" in page


def test_a_failing_cell_fails_the_build(tmp_path):
    r, _ = _build(tmp_path, code=("x = 1", "raise RuntimeError('this lesson is broken')"))
    assert r.returncode != 0
    assert "this lesson is broken" in r.stdout + r.stderr


def test_every_kind_of_broken_link_fails_the_build(tmp_path):
    links = {"gone1.md": "[a page](gone1.md)", "gone2.ipynb": "[a lesson](../notebooks/gone2.ipynb)",
             "gone3": "[a heading](../notebooks/lesson.ipynb#gone3)", "gone4.html": '<a href="gone4.html">raw</a>'}
    r, _ = _build(tmp_path, index_extra="\n\n".join(links.values()))
    assert r.returncode != 0
    assert [name for name in links if name not in r.stdout + r.stderr] == []


def test_broken_links_finds_missing_files_and_anchors(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "img.png").write_bytes(b"")
    (tmp_path / "a.html").write_text('<h1 id="top">A</h1><a href="sub/b.html#here">ok</a><img src="img.png">'
                                     '<a href="https://example.org/gone">external: not checked</a>'
                                     '<a href="#top">self</a><a href="sub/b.html#nowhere">bad anchor</a>'
                                     '<a href="missing.html">bad file</a>')
    (tmp_path / "sub" / "b.html").write_text('<p id="here"><a href="../a.html">up</a><img src="../nope.png">')
    found = {(str(page), link, why) for page, link, why in broken_links(tmp_path)}
    assert found == {("a.html", "sub/b.html#nowhere", "no such anchor"), ("a.html", "missing.html", "no such file"),
                     (str(Path("sub") / "b.html"), "../nope.png", "no such file")}
