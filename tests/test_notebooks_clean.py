"""Every notebook is committed without outputs, so diffs stay readable (and no face pixels sneak into git);
every lesson has its frame (objectives, prerequisites, time, recap) and a collapsed solution per exercise."""
import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


LESSONS = ["01_derivation", "02_training", "03_kernel_regression", "04_sparse_fields", "05_masked_regression",
           "06_out_of_dataset_gallery", "07_reproducing_the_paper"]
#: Notebooks that are not lessons: the Voilà app has no exercises.
PAGES = ["app"]
INDEX = NOTEBOOKS[0].parent / "README.md" if NOTEBOOKS else None


def test_the_lessons_exist():
    assert set(LESSONS) | set(PAGES) <= {p.stem for p in NOTEBOOKS}, [p.name for p in NOTEBOOKS]


def _cells(name):
    path = NOTEBOOKS[0].parent / f"{name}.ipynb"
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _text(cell):
    return "".join(cell["source"])


@pytest.mark.parametrize("name", LESSONS)
def test_lesson_has_objectives_prerequisites_time_and_recap(name):
    cells = _cells(name)
    head = "\n".join(_text(c) for c in cells[:3] if c["cell_type"] == "markdown")
    for field in ("**Objectives.**", "**Prerequisites.**", "**Time.**"):
        assert field in head, f"{name}: the first markdown cells should hold {field}"
    assert re.search(r"\*\*Time\.\*\* About \d+ minutes", head), f"{name}: say the time as '**Time.** About N minutes'"
    assert any(c["cell_type"] == "markdown" and _text(c).startswith("## Recap") for c in cells), \
        f"{name}: end with a '## Recap' markdown cell"


@pytest.mark.parametrize("name", LESSONS)
def test_every_exercise_has_a_collapsed_solution_that_runs(name):
    """An exercise is a markdown cell with a '### Exercise' heading; the next code cell is its solution:
    tagged 'solution' and collapsed (nbval executes it, so it stays correct)."""
    cells = _cells(name)
    exercises = [i for i, c in enumerate(cells) if c["cell_type"] == "markdown" and "### Exercise" in _text(c)]
    assert exercises, f"{name}: no '### Exercise' cells"
    for i in exercises:
        code = next((c for c in cells[i + 1:] if c["cell_type"] == "code"), None)
        title = _text(cells[i]).split("### ")[1].splitlines()[0]
        assert code is not None and "solution" in code["metadata"].get("tags", []), \
            f"{name}: exercise {title!r} has no solution cell after it"
        assert code["metadata"].get("jupyter", {}).get("source_hidden") is True, \
            f"{name}: the solution of {title!r} should be collapsed (metadata jupyter.source_hidden)"
        assert _text(code).strip(), f"{name}: the solution of {title!r} is empty"


def test_the_index_lists_every_lesson_with_its_time():
    """notebooks/README.md: every lesson, with the time its notebook states, and a 90-minute path."""
    assert INDEX is not None and INDEX.exists(), "notebooks/README.md (the lesson index) is missing"
    index = INDEX.read_text(encoding="utf-8")
    assert "90-minute" in index
    for name in LESSONS:
        head = "\n".join(_text(c) for c in _cells(name)[:3])
        minutes = re.search(r"\*\*Time\.\*\* About (\d+) minutes", head).group(1)
        row = next((line for line in index.splitlines() if f"{name}.ipynb" in line and line.startswith("|")), "")
        assert row, f"notebooks/README.md has no table row for {name}.ipynb"
        assert f"{minutes} min" in row, \
            f"notebooks/README.md gives {name} another time than its notebook ({minutes} min)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_no_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    dirty = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
             and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, f"{path.name}: cells {dirty} have outputs; run `nbstripout {path}` before committing"
    assert "widgets" not in nb.get("metadata", {}), f"{path.name}: saved widget state; run nbstripout"
    for c in nb["cells"]:
        assert not c.get("attachments"), f"{path.name}: a cell has attachments (embedded images)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_parameters_and_names_its_data(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and any(line.split("=")[0].strip().isupper() for line in code[0].splitlines() if "=" in line), \
        f"{path.name}: the first code cell should hold the parameters (UPPER_CASE = value)"
    assert any("load_pairs(\"auto\"" in c for c in code) and any(".source" in c for c in code), \
        f"{path.name}: load data with pfe.load_pairs(\"auto\", ...) and print pairs.source"


def test_nbstripout_would_change_nothing():
    """The committed form is nbstripout's own (so `nbstripout` before a commit gives no diff)."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path as _P

    exe = shutil.which("nbstripout") or str(_P(sys.executable).with_name("nbstripout"))
    assert _P(exe).exists(), "nbstripout is not installed: pip install '.[test]'"
    r = subprocess.run([exe, "--verify", *map(str, NOTEBOOKS)], capture_output=True, text=True)
    assert r.returncode == 0, f"run `nbstripout notebooks/*.ipynb` and commit:\n{r.stdout}{r.stderr}"
