"""The scorecard of notebook 07: each row's number is the measurement it claims to be."""
import numpy as np
import pytest

import pixelfes_edu as pfe
from pixelfes_edu.evaluation import expression, paper, validation_curves
from pixelfes_edu.models import gaussian_kernel


@pytest.fixture(scope="module")
def pairs():
    return pfe.load_pairs("synthetic", n=24, size=32, seed=0)


@pytest.fixture(scope="module")
def split(pairs):
    return pairs.split_by_person(0.25, seed=0)


# --------------------------------------------------------------------------- Table I
def test_generator_params_count_each_layer():
    """Labels enter only the first 7x7 convolution (64 x 49 weights each); the attention head is 64 x 49 more."""
    assert paper.generator_params(c_dim=6) - paper.generator_params(c_dim=5) == 64 * 7 * 7
    assert paper.generator_params(c_dim=5, attention=True) - paper.generator_params(c_dim=5) == 64 * 7 * 7
    # the StarGAN generator (CelebA, 5 attributes) has 8.43 M parameters; both GANs land within 1% of Table I
    assert paper.generator_params(c_dim=5) == 8_430_528
    for name, n in [("StarGAN", paper.generator_params(8)), ("GANimation", paper.generator_params(17, True))]:
        assert abs(n / 1e4 - paper.PAPER_TABLE1[name]) < 0.01 * paper.PAPER_TABLE1[name]


def test_generator_params_by_brute_force():
    """Count the arrays of every layer, built one by one."""
    def arrays(c_dim, attention):
        shapes, d = [(64, 3 + c_dim, 7, 7), (64,), (64,)], 64
        for _ in range(2):
            shapes += [(2 * d, d, 4, 4), (2 * d,), (2 * d,)]
            d *= 2
        for _ in range(12):
            shapes += [(d, d, 3, 3), (d,), (d,)]
        for _ in range(2):
            shapes += [(d, d // 2, 4, 4), (d // 2,), (d // 2,)]
            d //= 2
        shapes += [(3, d, 7, 7)] + ([(1, d, 7, 7)] if attention else [])
        return sum(np.zeros(s).size for s in shapes)

    for c_dim, attention in [(5, False), (8, False), (17, True)]:
        assert paper.generator_params(c_dim, attention) == arrays(c_dim, attention)


def test_table1_counts_are_the_models_own(pairs):
    t = paper.table1(pairs, n_kernel=400)
    h, w = pairs.inputs.shape[1:3]
    assert t.counts["Pixel-RR"] == 2 * h * w
    assert t.counts[f"Pixel-KR (N = {len(pairs)})"] == len(pairs) * h * w == t.models["Pixel-KR"].n_params
    assert t.counts["Pixel-KR (N = 400)"] == 400 * h * w
    assert t.counts["MR (r = 3)"] == t.models["MR (r = 3)"].n_params
    verdicts = {r.what.split(": ")[1].split(" parameters")[0]: r.verdict for r in t.rows}
    assert verdicts["Pixel-RR"] == "other image size"  # 32 x 32 is not the paper's 128 x 128
    assert verdicts["StarGAN"] == verdicts["GANimation"] == "agrees"
    assert t.counts["Sparse field (R = 4)"] == 2 * h * w and verdicts["Sparse field (R = 4)"] == "not in the paper"
    assert "| Pixel-RR | 2,048 |" in t.to_markdown()


# --------------------------------------------------------------------------- Fig. 5
def test_second_eigenvalues_equal_a_brute_force_eigendecomposition(pairs):
    X = pairs.inputs[:, :4, :4, :1]  # 16 pixel-channels, all sampled
    got = np.sort(paper.second_eigenvalues(X, 0.7, region=None, n_pixels=100))
    x = X.reshape(len(X), -1)
    brute = np.sort([np.linalg.eigvalsh(gaussian_kernel(v[:, None], v[None, :], 0.7))[-2] for v in x.T])
    np.testing.assert_allclose(got, brute, rtol=1e-9, atol=1e-12)


def test_sigma_sweep_collapses_to_the_mean_smile_at_large_sigma(split):
    train, test = split
    sweep = paper.sigma_sweep(train, test, sigmas=[0.5, 1.0, 100.0], lam=0.4)
    wide, mid, mean = sweep.row(100.0), sweep.row(1.0), sweep.result.row("mean training smile")
    assert mean["to_mean"] == 0 and mean["spread"] == pytest.approx(0, abs=1e-12)
    assert wide["spread"] < 0.05 < mid["spread"]          # every face nearly the same at σ = 100
    assert wide["to_mean"] < mid["to_mean"]
    assert wide["kept"] < 1e-3 < mid["kept"]               # e2 far below λ: the ridge erases the direction
    for s in sweep.sigmas:
        r = sweep.row(s)
        assert r["kept"] == pytest.approx(r["e2"] / (r["e2"] + 0.4))
        np.testing.assert_allclose(sweep.outputs[s], pfe.PixelKernelRidge(0.4, s).fit(train.inputs, train.targets)
                                   .predict(test.inputs), atol=1e-9)
    assert {"Fig. 5: σ ≈ 1 looks like Pixel-RR", "Fig. 5: large σ (100) blurs"} <= {r.what for r in sweep.rows}
    nearest = min(sweep.sigmas, key=lambda s: sweep.row(s)["to_rr"])
    assert f"σ = {nearest:g}" in sweep.rows[0].here


# --------------------------------------------------------------------------- leave-one-out
def test_loo_choice_reports_validation_curves(pairs):
    loo = paper.loo_choice(pairs, minmax=False)
    vc = validation_curves(pairs)
    assert loo.curves.best_lam_rr == vc.best_lam_rr and loo.minmax is None
    lam_row = loo.rows[0]
    assert lam_row.here.startswith(f"{vc.best_lam_rr:.3g} ")
    assert lam_row.verdict == ("agrees" if abs(np.log10(vc.best_lam_rr / 0.4)) <= np.log10(3) else "differs")
    assert len(loo.rows) == 2 and "intensities in [0, 1]" in loo.to_markdown()


# --------------------------------------------------------------------------- Table III and the gallery
@pytest.fixture(scope="module")
def network(expression_network):
    return expression_network


def test_table3_rows_are_the_recognition_rates(network):
    pairs = pfe.load_pairs("synthetic", n=12, size=64, seed=1)
    models = {"Pixel-RR": pfe.PixelRidge(0.4), "MR": pfe.MaskedRidge(0.4, 3)}
    t3 = paper.table3(pairs, models=models, alphas=[1.0, 2.0], folds=2)
    rec = t3.recognition
    rows = {r.what: r for r in t3.rows}
    for name, key in [("Pixel-RR", "Table III: Pixel-RR smiles called happy"),
                      ("real smiles", "Table III: real smiles called happy")]:
        assert rows[key].here.startswith(f"{100 * rec.happy_rate(name):.0f}% (")
    order = rows["Table III: Pixel-RR vs MR"].verdict
    assert order == ("same order" if rec.happy_rate("Pixel-RR") >= rec.happy_rate("MR") else "reversed")
    assert rows["Table III: Pixel-RR smiles called happy"].paper == "85%"
    with pytest.raises(ValueError, match="include 1"):
        paper.table3(pairs, models=models, alphas=[2.0], folds=2)


def test_gallery_happy_separates_people_and_animals(network, pairs):
    faces = {"a": pairs.inputs[0], "b": pairs.inputs[1], "chelsea": pairs.inputs[2]}
    rr = pfe.PixelRidge(0.4).fit(pairs.inputs, pairs.targets)
    g = paper.gallery_happy({"Pixel-RR": rr}, faces)
    assert g.groups == {"people": ["a", "b"], "animals": ["chelsea"]}
    p = expression.predict_proba(np.stack([faces["a"], faces["b"]]))
    assert g.rates["inputs as they are"]["people"] == np.mean(p.argmax(1) == expression.HAPPY)
    assert [r.what for r in g.rows] == ["Out of dataset: inputs as they are called happy",
                                       "Out of dataset: Pixel-RR called happy"]


# --------------------------------------------------------------------------- the scorecard
def test_scorecard_collects_rows_and_results(pairs):
    card = paper.Scorecard(paper.Row("λ", "0.4", "0.005", "differs", "LOO"))
    card.add(paper.table1(pairs))
    lines = card.to_markdown().splitlines()
    assert len(lines) == 2 + len(card.rows) == 2 + 1 + 6  # λ, then Table I: RR, MR, sparse, KR (N = 400), 2 GANs
    assert lines[2] == "| λ | 0.4 | 0.005 | **differs** | LOO |"
