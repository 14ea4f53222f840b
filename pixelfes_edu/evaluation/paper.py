"""The paper beside this package: the rows of notebook 07's scorecard, each measured live.

Akram & Khan report model sizes (Table I), a sweep of the kernel width σ (Fig. 5),
λ = 0.4 and σ = 3 for neutral → happy, and how often an expression recogniser calls
the synthesised smiles happy (Table III). Each function below measures one of them on
this machine and returns a result with

* ``rows``: scorecard :class:`Row` s — what is compared, the paper's number, this
  package's number, a verdict and the protocol that produced it;
* ``to_markdown()``: its own, more detailed table.

:class:`Scorecard` puts the rows of several results into one table.

=========================  ==================================================================
function                   what it measures
=========================  ==================================================================
:func:`table1`             parameters per channel of every model (Table I), GANs counted from
                           their published generator architectures (:func:`generator_params`)
:func:`sigma_sweep`        Fig. 5: Pixel-KR over σ on held-out faces, and why a large σ
                           collapses every face towards the mean training smile
:func:`loo_choice`         λ and σ by exact leave-one-out against the paper's 0.4 and 3
:func:`table3`             Table III analogue: happy rate of an independent classifier
                           (:mod:`~pixelfes_edu.evaluation.expression`), 5 folds by person
:func:`gallery_happy`      the same classifier on out-of-dataset faces (Figs. 1 and 4)
=========================  ==================================================================

>>> import pixelfes_edu as pfe
>>> pairs = pfe.load_pairs("synthetic", n=12, size=128, seed=0)
>>> card = Scorecard(table1(pairs))
>>> [(r.what, r.verdict) for r in card.rows][:2]
[('Table I: Pixel-RR parameters per channel', 'agrees'), ('Table I: MR (r = 3) parameters per channel', 'agrees')]
"""
import time

import numpy as np

from ..faces.geometry import DEFAULT_REGION, region_mask
from ..models import PAPER_LAM, PAPER_SIGMA, MaskedRidge, MercerBasis, PixelKernelRidge, PixelRidge, SparseFieldRidge
from .crossval import score_predictions
from .loo import validation_curves
from .recognition import PAPER_TABLE3, GalleryHappy, Table3, gallery_happy, table3
from .scorecard import MarkdownResult, Row, Scorecard, markdown_table, ten_thousands

__all__ = ["Row", "Scorecard", "PAPER_TABLE1", "PAPER_TABLE3", "PAPER_N", "PAPER_SIGMAS", "generator_params",
           "table1", "Table1", "sigma_sweep", "SigmaSweep", "loo_choice", "LooChoice", "table3", "Table3",
           "gallery_happy", "GalleryHappy", "second_eigenvalues"]

#: Table I of the paper: parameters per channel at 128 x 128, in units of 10^4.
PAPER_TABLE1 = {"StarGAN": 850, "GANimation": 850, "MR": 16.2, "Pixel-KR": 655, "Pixel-RR": 3.28}
#: Training pairs behind Table I's Pixel-KR count (655e4 = 400 x 128 x 128).
PAPER_N = 400
#: The σ values of Fig. 5 (the paper sweeps 0.1 to 5).
PAPER_SIGMAS = (0.1, 0.3, 1.0, 3.0, 5.0)


# --------------------------------------------------------------------------- Table I
def generator_params(c_dim, attention=False, conv_dim=64, repeat_num=6):
    """Parameters of the StarGAN generator (Choi et al., CVPR 2018), or GANimation's with ``attention``.

    The architecture both papers publish: a 7x7 convolution from the image and the
    ``c_dim`` target labels (tiled over the image) to ``conv_dim`` channels, two 4x4
    stride-2 down-samplings, ``repeat_num`` residual blocks of two 3x3 convolutions, two
    4x4 transposed up-samplings and a 7x7 convolution to RGB. Convolutions have no bias;
    each is followed by an affine instance norm (a scale and a shift per channel) except
    the last. GANimation (Pumarola et al., ECCV 2018) adds a second 7x7 head for its
    one-channel attention mask. Discriminators are not counted (they are not needed to
    synthesise).

    >>> generator_params(c_dim=5)          # StarGAN on CelebA's 5 attributes
    8430528
    >>> generator_params(c_dim=17, attention=True)   # GANimation: 17 action units
    8471296
    """
    convs = [(3 + c_dim, conv_dim, 7)]
    d = conv_dim
    for _ in range(2):  # down-sampling
        convs.append((d, 2 * d, 4))
        d *= 2
    convs += [(d, d, 3)] * (2 * repeat_num)  # residual blocks
    for _ in range(2):  # up-sampling
        convs.append((d, d // 2, 4))
        d //= 2
    n = sum(c_in * c_out * k * k + 2 * c_out for c_in, c_out, k in convs)  # weights + instance norms
    heads = [(d, 3, 7)] + ([(d, 1, 7)] if attention else [])
    return n + sum(c_in * c_out * k * k for c_in, c_out, k in heads)


class Table1(MarkdownResult):
    """What :func:`table1` returns: ``models`` (fitted), ``counts`` ``{name: parameters per channel}``,
    ``fit_s`` and ``rows``."""

    def __init__(self, counts, fit_s, size, n_train, rows, models):
        self.counts, self.fit_s, self.size, self.n_train, self.rows, self.models = (counts, fit_s, size, n_train,
                                                                                     rows, models)

    def to_markdown(self):
        lines = []
        for name, n in self.counts.items():
            paper = PAPER_TABLE1.get(name.split(" ")[0])
            fit = self.fit_s.get(name)
            lines.append((name, f"{n:,}", ten_thousands(n), "—" if paper is None else f"{paper:g}×10⁴",
                          "—" if fit is None else f"{fit:.2f}"))
        return markdown_table(["model", "parameters per channel", "", "paper", "fit s (here)"], lines)


def table1(pairs, sigma=PAPER_SIGMA["happy"], lam=PAPER_LAM, n_kernel=PAPER_N):
    """Table I: parameters per channel of each model, fitted on ``pairs`` (one colour channel).

    Pixel-RR, MR (r = 3) and Pixel-KR are fitted here and counted by their
    ``n_params``. Pixel-KR keeps N numbers per pixel, so its count grows with the
    training set: it is given for ``len(pairs)`` and for the paper's ``n_kernel``
    training pairs. StarGAN and GANimation are counted from their published
    generator architectures (:func:`generator_params`; StarGAN with the 8
    expressions of RaFD as target labels, GANimation with 17 action units).

    Parameters
    ----------
    pairs : Pairs
        Training faces; the paper's counts are for 128 x 128.
    sigma, lam : Pixel-KR's and every model's hyper-parameters (the counts do not depend on them).
    n_kernel : int
        Training pairs for Pixel-KR's count in the paper's setting.

    Returns
    -------
    Table1
    """
    X, T = pairs.inputs[..., :1], pairs.targets[..., :1]  # counts are per channel: one channel is enough
    h, w = X.shape[1:3]
    models = {"Pixel-RR": PixelRidge(lam), "MR (r = 3)": MaskedRidge(lam, 3), "Pixel-KR": PixelKernelRidge(lam, sigma),
              "Sparse field (R = 4)": SparseFieldRidge(lam, radius=4)}
    counts, fit_s = {}, {}
    for name, m in models.items():
        t0 = time.perf_counter()
        m.fit(X, T)
        fit_s[name] = time.perf_counter() - t0
        counts[name] = m.n_params
    per_pixel = counts["Pixel-KR"] // (h * w)  # the N training values of every pixel
    counts[f"Pixel-KR (N = {len(pairs)})"] = counts.pop("Pixel-KR")
    fit_s[f"Pixel-KR (N = {len(pairs)})"] = fit_s.pop("Pixel-KR")
    counts[f"Pixel-KR (N = {n_kernel})"] = counts[f"Pixel-KR (N = {len(pairs)})"] // per_pixel * n_kernel
    gans = {"StarGAN": generator_params(c_dim=8), "GANimation": generator_params(c_dim=17, attention=True)}
    counts.update(gans)
    where = f"{pairs.name} {h}x{w}"
    rows = []
    for name, n in counts.items():
        paper = PAPER_TABLE1.get(name.split(" ")[0])
        if name.startswith("Pixel-KR") and f"N = {n_kernel}" not in name:
            continue  # the paper's count is for its N; the count at this N is in the detailed table
        if paper is None:  # the authors' follow-up (LSRF), not in this paper's table
            rows.append(Row(f"Table I: {name} parameters per channel", "— (LSRF, the authors' follow-up)",
                            ten_thousands(n), "not in the paper",
                            f"`n_params` of the model fitted on {where}: a weight and a bias per pixel "
                            "(the chosen offsets are indices, not counted)"))
            continue
        close = abs(n / 1e4 - paper) <= 0.01 * paper
        verdict = "agrees" if close else ("other image size" if (h, w) != (128, 128) and name not in gans
                                          else "differs")
        if name in gans:
            protocol = "generator only, counted layer by layer from the published architecture (`generator_params`)"
        elif name.startswith("Pixel-KR"):
            protocol = (f"`n_params` of Pixel-KR fitted on {where} (N = {len(pairs)}: {per_pixel} per pixel), "
                        f"times {n_kernel}/{len(pairs)}: N numbers per pixel")
        else:
            protocol = f"`n_params` of the model fitted on {where}"
        rows.append(Row(f"Table I: {name} parameters per channel", f"{paper:g}×10⁴", ten_thousands(n),
                        verdict, protocol))
    return Table1(counts, fit_s, (h, w), len(pairs), rows, models)


# --------------------------------------------------------------------------- Fig. 5
def second_eigenvalues(X, sigma, region=DEFAULT_REGION, n_pixels=2000, seed=0):
    """The second largest eigenvalue of the kernel matrix ``K_p`` of each sampled pixel-channel.

    The largest eigenvalue belongs to the (nearly) constant direction, the mean; the second
    to the first direction along which the inputs of different faces differ. Kernel ridge
    keeps the share ``e / (e + λ)`` of each direction: when the second eigenvalue is far
    below λ, every face gets nearly the same output.

    Parameters
    ----------
    X : training inputs ``(N, H, W[, C])``
    sigma : kernel width
    region : pixels to sample from (a region name, a mask or None for all)
    n_pixels : pixel-channels sampled (all of them when there are fewer); ``seed`` picks them

    Returns
    -------
    ndarray ``(min(n_pixels, pixel-channels),)``

    Examples
    --------
    >>> x = np.linspace(0.4, 0.6, 50)[:, None, None]          # one pixel, 50 faces
    >>> [round(float(second_eigenvalues(x, s, region=None)[0]), 4) for s in (1.0, 10.0)]
    [0.1724, 0.0017]
    """
    X = np.asarray(X, dtype=np.float64)
    x = X[:, region_mask(region, X.shape)].reshape(len(X), -1)
    keep = np.random.default_rng(seed).choice(x.shape[1], min(n_pixels, x.shape[1]), replace=False)
    Phi = MercerBasis(sigma)(x[:, keep].T)  # (P, N, M): K_p = Phi Phi^T exactly
    e = np.linalg.eigvalsh(Phi.transpose(0, 2, 1) @ Phi)  # the non-zero eigenvalues of K_p
    return e[:, -2]


class SigmaSweep(MarkdownResult):
    """What :func:`sigma_sweep` returns.

    Attributes
    ----------
    sigmas : the σ values;  lam : λ
    result : :class:`~pixelfes_edu.evaluation.EvaluationResult` with one row per σ and
        ``Pixel-RR``, ``mean training smile``; extra columns ``to_rr`` and ``to_mean`` (RMS
        distance of the outputs to Pixel-RR's and to the mean training smile), ``spread``
        (how much the outputs differ between people, relative to the real smiles: 0 = every
        face the same), ``e2`` (median second eigenvalue of the pixels' kernel matrices),
        ``kept`` (``e2 / (e2 + λ)``: the share of that direction the ridge keeps), ``update_s``.
    outputs : dict σ -> held-out outputs;  names : dict σ -> row name
    rows : scorecard rows
    """

    def __init__(self, sigmas, lam, result, outputs, names, rows):
        self.sigmas, self.lam, self.result, self.outputs, self.names, self.rows = (sigmas, lam, result, outputs,
                                                                                    names, rows)

    def row(self, sigma):
        return self.result.row(self.names[sigma])

    def to_markdown(self):
        return self.result.to_markdown(["psnr", "sharpness_ratio", "speckle", "transfer", "to_rr", "to_mean",
                                        "spread", "e2", "kept", "update_s"])


def _spread(Y, region):
    """Standard deviation across faces, averaged over the pixels of ``region``."""
    return float(Y.std(axis=0)[region_mask(region, Y.shape)].mean())


def sigma_sweep(train, test, sigmas=PAPER_SIGMAS, lam=PAPER_LAM, region=DEFAULT_REGION):
    """Fig. 5: Pixel-KR at every σ on held-out faces, beside Pixel-RR and the mean training smile.

    One model is fitted and re-solved for each σ with ``update(sigma=...)``. For every σ:
    the held-out metrics of :func:`~pixelfes_edu.evaluation.score_predictions`, the RMS
    distance of the outputs to Pixel-RR's (``to_rr``) and to the mean training smile
    (``to_mean``), how much the outputs still differ between people (``spread``, relative to
    the real smiles), and the reason: ``e2``, the median second eigenvalue of the pixels'
    kernel matrices, and ``kept = e2 / (e2 + λ)``. On [0, 1] a wide Gaussian is nearly
    constant, ``K_p ≈ 1 1ᵀ``: its one large eigenvalue (≈ N) carries the mean, the others
    are far below λ and the ridge removes them, so every face gets the mean training smile.

    Parameters
    ----------
    train, test : Pairs split by person
    sigmas : kernel widths (default: Fig. 5's)
    lam : λ (default: the paper's 0.4)
    region : where ``spread`` and the eigenvalues are measured (default: the face)

    Returns
    -------
    SigmaSweep
    """
    sigmas = [float(s) for s in sigmas]
    X, T, Xt = train.inputs, train.targets, test.inputs
    rr = PixelRidge(lam).fit(X, T).predict(Xt)
    mean = np.broadcast_to(T.mean(axis=0), Xt.shape)
    kr = PixelKernelRidge(lam, sigmas[0]).fit(X, T)
    outputs, names, preds, extra = {}, {}, {}, {}
    mask = region_mask(region, X.shape)
    truth_spread = _spread(test.targets, region)
    for s in sigmas:
        t0 = time.perf_counter()
        kr.update(sigma=s)
        update_s = time.perf_counter() - t0
        Y = kr.predict(Xt)
        outputs[s], names[s] = Y, f"Pixel-KR σ={s:g}"
        preds[names[s]] = Y
        e2 = float(np.median(second_eigenvalues(X, s, mask)))
        extra[names[s]] = {"update_s": update_s, "e2": e2, "kept": e2 / (e2 + lam)}
    preds["Pixel-RR"], preds["mean training smile"] = rr, mean
    res = score_predictions(preds, test)
    for r in res.table:
        Y = preds[r["model"]]
        r.update(to_rr=float(np.sqrt(np.mean((np.clip(Y, 0, 1) - np.clip(rr, 0, 1)) ** 2))),
                 to_mean=float(np.sqrt(np.mean((np.clip(Y, 0, 1) - mean) ** 2))),
                 spread=_spread(np.clip(Y, 0, 1), region) / truth_spread,
                 **extra.get(r["model"], {"update_s": float("nan"), "e2": float("nan"), "kept": float("nan")}))
    return SigmaSweep(sigmas, lam, res, outputs, names, _sweep_rows(res, names, sigmas, lam, train, test))


def _sweep_rows(res, names, sigmas, lam, train, test):
    split = f"{train.name}, {len(train)} training / {len(test)} held-out people, λ = {lam:g}"
    row = {s: res.row(names[s]) for s in sigmas}
    rr = res.row("Pixel-RR")
    lo, hi = min(sigmas), max(sigmas)
    rows = []
    nearest = min(sigmas, key=lambda s: row[s]["to_rr"])
    rows.append(Row("Fig. 5: σ ≈ 1 looks like Pixel-RR", "σ ≈ 1",
                    f"nearest Pixel-RR: σ = {nearest:g} (RMS {row[nearest]['to_rr']:.3f})",
                    "agrees" if 0.5 <= nearest <= 2 else "differs",
                    f"RMS distance of held-out outputs to Pixel-RR's over σ = {', '.join(f'{s:g}' for s in sigmas)}; "
                    + split))
    ratio = row[lo]["speckle"] / rr["speckle"]
    rows.append(Row(f"Fig. 5: small σ ({lo:g}) gives artefacts", "artefacts",
                    f"speckle {ratio:.2f}x Pixel-RR's, sharpness {row[lo]['sharpness_ratio']:.2f} of the target",
                    "agrees" if ratio > 1.1 else "differs",
                    "`metrics.speckle` (fine detail outside the face relative to the input's) and sharpness; " + split))
    mean_row = res.row("mean training smile")
    rows.append(Row(f"Fig. 5: large σ ({hi:g}) blurs", "blur towards the average",
                    f"faces differ {row[hi]['spread']:.2f} as much as real smiles (σ = {nearest:g}: "
                    f"{row[nearest]['spread']:.2f}); RMS to the mean smile {row[hi]['to_mean']:.3f} "
                    f"(Pixel-RR {rr['to_mean']:.3f})",
                    "agrees" if row[hi]["spread"] < row[nearest]["spread"] else "differs",
                    "`spread`: std across held-out faces over the face, relative to the real smiles'; " + split))
    paper = PAPER_SIGMA["happy"]
    if paper in row:
        r = row[paper]
        closer = "the mean smile" if r["to_mean"] < r["to_rr"] else "Pixel-RR"
        rows.append(Row(f"σ = {paper:g} (the paper's choice for happy)", "good synthesis",
                        f"PSNR {r['psnr']:.2f} dB vs Pixel-RR {rr['psnr']:.2f} (mean smile {mean_row['psnr']:.2f}); "
                        f"closer to {closer}; the ridge keeps {r['kept']:.0%} of the first non-constant kernel "
                        "direction", "agrees" if r["psnr"] >= rr["psnr"] - 0.5 else "differs",
                        "held-out PSNR (per image, averaged), RMS distances, median e₂/(e₂+λ) of the pixels' "
                        "kernel matrices; " + split))
    return rows


# --------------------------------------------------------------------------- λ and σ by leave-one-out
class LooChoice(MarkdownResult):
    """What :func:`loo_choice` returns: ``curves`` (:class:`~pixelfes_edu.evaluation.ValidationCurves`),
    ``minmax`` (the same on min-max scaled images, or None), ``seconds`` and ``rows``."""

    def __init__(self, curves, minmax, seconds, rows):
        self.curves, self.minmax, self.seconds, self.rows = curves, minmax, seconds, rows

    def to_markdown(self):
        lines = []
        for label, vc in [("intensities in [0, 1]", self.curves), ("per-image min-max (the authors' code)",
                                                                  self.minmax)]:
            if vc is None:
                continue
            lines.append((label, f"{vc.best_lam_rr:.3g}", f"{vc.rr.min():.5f}", f"{vc.at(lam=PAPER_LAM):.5f}",
                          f"σ = {vc.best_sigma:.3g}, λ = {vc.best_lam_kr:.3g}", f"{vc.kr.min():.5f}",
                          f"{vc.at(lam=PAPER_LAM, sigma=PAPER_SIGMA['happy']):.5f}"))
        return markdown_table(["images", "Pixel-RR LOO λ", "LOO MSE", "at λ = 0.4", "Pixel-KR LOO σ, λ", "LOO MSE",
                          "at σ = 3, λ = 0.4"], lines)


def loo_choice(pairs, minmax=True, seed=0):
    """λ for Pixel-RR and (σ, λ) for Pixel-KR by exact leave-one-out, against the paper's 0.4 and 3.

    :func:`~pixelfes_edu.evaluation.validation_curves` with its default grids (16 λ
    from 1e-3 to 100; σ from 0.1 to 10 with λ in {0.01, 0.1, 0.4, 1}), on the images as they
    are and, with ``minmax``, after the authors' per-image min-max scaling.

    Returns
    -------
    LooChoice
    """
    t0 = time.perf_counter()
    vc = validation_curves(pairs, seed=seed)
    mm = validation_curves(pairs, seed=seed, normalise="minmax") if minmax else None
    seconds = time.perf_counter() - t0
    sigma = PAPER_SIGMA["happy"]
    proto = (f"exact leave-one-out MSE over {len(pairs)} {pairs.name} faces (`validation_curves`, "
             f"{len(vc.lams)} λ; σ x λ grid {len(vc.sigmas)} x {len(vc.kr_lams)}; 4000 face pixel-channels)")
    rows = [Row("λ for Pixel-RR", f"{PAPER_LAM:g}", f"{vc.best_lam_rr:.3g} (λ = {PAPER_LAM:g} costs "
                f"+{100 * (vc.at(lam=PAPER_LAM) / vc.rr.min() - 1):.0f}% LOO error)",
                _same_decade(vc.best_lam_rr, PAPER_LAM), proto),
            Row("σ, λ for Pixel-KR", f"σ = {sigma:g}, λ = {PAPER_LAM:g}",
                f"σ = {vc.best_sigma:.3g}, λ = {vc.best_lam_kr:.3g} (the paper's pair costs "
                f"+{100 * (vc.at(lam=PAPER_LAM, sigma=sigma) / vc.kr.min() - 1):.0f}% LOO error)",
                "agrees" if _same_decade(vc.best_lam_kr, PAPER_LAM) == "agrees"
                and _same_decade(vc.best_sigma, sigma) == "agrees" else "differs", proto)]
    if mm is not None:
        rows.append(Row("… with the authors' min-max scaling", f"λ = {PAPER_LAM:g}; σ = {sigma:g}",
                        f"Pixel-RR λ = {mm.best_lam_rr:.3g}; Pixel-KR σ = {mm.best_sigma:.3g}, "
                        f"λ = {mm.best_lam_kr:.3g}",
                        "agrees" if _same_decade(mm.best_lam_rr, PAPER_LAM) == "agrees" else "differs",
                        "the same, every image scaled to [0, 1] by its own min and max first"))
    return LooChoice(vc, mm, seconds, rows)


def _same_decade(here, paper):
    """'agrees' when ``here`` is within a factor of 3 of ``paper``."""
    return "agrees" if abs(np.log10(here / paper)) <= np.log10(3) else "differs"
