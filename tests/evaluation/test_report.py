"""write_report end to end on tiny synthetic pairs (the London run is `pixelfes-edu report`)."""
import re

import numpy as np
import pytest

import pixelfes_edu as pfe
from pixelfes_edu.evaluation import evaluate
from pixelfes_edu.evaluation.report import TARGET, target_check, write_report


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "r.md"
    pairs = pfe.load_pairs("synthetic", n=18, size=32, seed=1)
    return write_report(out, folds=3, progress=False, pairs=pairs, synthetic_n=24), pairs


def test_report_writes_markdown_and_small_figures(report):
    path, _ = report
    text = path.read_text()
    for section in ("## 1. Held-out results", "## 2. Choosing λ and σ", "## 3. The target", "## 4. Expression",
                    "## 5. Table I", "## 6. Closing note"):
        assert section in text
    figures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(figures) >= 5
    for name in figures:
        f = path.parent / name
        assert f.is_file() and f.suffix == ".png" and 0 < f.stat().st_size < 300_000


def test_report_tables_hold_measured_numbers(report):
    path, pairs = report
    text = path.read_text()
    for row in ("| identity |", "| mean target |", "| MR (r=3, λ=0.4) |", "| Pixel-RR (λ=0.4) |",
                "| StarGAN (quoted from the paper) |"):
        assert row in text
    # Table I: Pixel-RR has 2 parameters per pixel at the evaluated size (x10^4)
    assert f"| Pixel-RR | {2 * 32 * 32 / 1e4:.4g} |" in text
    # the main table's identity row has zero transfer, as measured
    ident = next(line for line in text.splitlines() if line.startswith("| identity |"))
    assert ident.split("|")[6].strip() == "0.000"


def test_target_check_flags_follow_the_numbers():
    pairs = pfe.load_pairs("synthetic", n=12, size=24, seed=0)
    res = evaluate({"RR": pfe.PixelRidge(0.4), "MR": pfe.MaskedRidge(0.4, 3)}, pairs, folds=3, progress=False)
    for where in ("face", "crop"):
        c = target_check(res, "RR", "MR", where)
        assert c["transfer_ok"] == (c["transfer"] >= TARGET["transfer"])
        assert c["ssim_ok"] == (c["ssim"] >= c["ssim_identity"])
        assert c["sharp_vs_mr"] == pytest.approx(res.row("RR")["sharpness_ratio"] / res.row("MR")["sharpness_ratio"])
        assert c["ok"] == (c["transfer_ok"] and c["ssim_ok"] and c["sharp_ok"])
    assert target_check(res, "RR", "MR", "crop")["ssim"] == res.row("RR")["ssim"]
    assert target_check(res, "RR", "MR", "face")["ssim"] == res.row("RR")["ssim_face"]
    with pytest.raises(ValueError, match="where"):
        target_check(res, "RR", "MR", "mouth")
    assert np.isfinite(res.row("RR")["transfer"])


def test_report_has_the_sparse_field_table(report):
    path, _ = report
    text = path.read_text()
    assert "### Where should a pixel look?" in text and "_sparse_field.png" in text
    section = text[text.index("### Where should a pixel look?"):text.index("## 2.")]
    rows = {line.split("|")[1].strip(): line.split("|")[2:-1] for line in section.splitlines()
            if line.startswith("| R=") or line.startswith("| Pixel-RR |")}
    assert rows["R=0, alone"][:6] == rows["Pixel-RR"][:6]  # radius 0 is Pixel-RR: same numbers, speckle 1.000
    assert {"R=4, alone", "R=4, locality", "R=4, both", "R=4, neighbours (default)"} <= set(rows)
    assert "| Sparse field (R = 4, 1 pixel; offsets not counted) | 0.2048 |" in text  # Table I: 2 per pixel


def test_sparse_check_flags_follow_the_numbers():
    from pixelfes_edu.evaluation.report import SPARSE_TARGET, sparse_check

    pairs = pfe.load_pairs("synthetic", n=12, size=24, seed=0)
    res = evaluate({"Pixel-RR": pfe.PixelRidge(0.4), "S": pfe.SparseFieldRidge(0.4, radius=2)}, pairs, folds=3,
                   progress=False)
    c = sparse_check(res, "S")
    assert c["speckle_vs_rr"] == pytest.approx(res.row("S")["speckle"] / res.row("Pixel-RR")["speckle"])
    assert c["transfer_ok"] == (c["transfer"] >= SPARSE_TARGET["transfer"])
    assert c["speckle_ok"] == (c["speckle_vs_rr"] <= SPARSE_TARGET["speckle_vs_rr"])
    assert c["ok"] == (c["transfer_ok"] and c["ssim_ok"] and c["speckle_ok"])
    assert sparse_check(res, "Pixel-RR")["speckle_vs_rr"] == 1.0
