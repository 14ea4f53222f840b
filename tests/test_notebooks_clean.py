"""Every notebook is committed without outputs, so diffs stay readable (and no face pixels sneak into git)."""
import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


LESSONS = ["01_derivation", "02_training", "03_kernel_regression", "04_sparse_fields", "05_masked_regression",
           "06_out_of_dataset_gallery"]


def test_the_lessons_exist():
    assert set(LESSONS) <= {p.stem for p in NOTEBOOKS}, [p.name for p in NOTEBOOKS]


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
