"""The London report: cross-validated tables, validation curves, Table I, levers.

``pixelfes-edu report`` calls :func:`write_report`: :func:`measure` runs every
experiment, :func:`report_values` turns the results into numbers, tables and
figures, and ``report_template.md`` (beside this module) holds the prose they
fill in.  One markdown file and its PNG figures are written, every number
measured in that run.

>>> from pixelfes_edu.evaluation.report import write_report     # doctest: +SKIP
>>> write_report("docs/report.md")                               # doctest: +SKIP
PosixPath('docs/report.md')
"""
import time
from pathlib import Path
from string import Template

import numpy as np

from ..faces.geometry import region_mask
from ..models import PAPER_LAM, PAPER_SIGMA, GlobalRidge, MaskedRidge, PixelKernelRidge, PixelRidge, SparseFieldRidge
from ..plotting import new_figure, offset_field
from ..store import atomic_write
from . import metrics
from .crossval import evaluate
from .loo import validation_curves
from .experiments import (SPARSE_RADII, SPARSE_TARGET, TARGET, alignment_effect, best_variant, levers, levers_markdown,
                          normalisation_effect, sparse_check, sparse_experiment, sparse_markdown, sparse_name,
                          target_check, yes_no)
from .paper import PAPER_TABLE1

__all__ = ["write_report", "measure", "report_values", "target_check", "TARGET", "sparse_check", "SPARSE_TARGET"]

#: The rows of the main table, by role (the name of each row is made from its hyper-parameters).
ROLES = ("rr_paper", "rr_loo", "kr_paper", "kr_loo", "mr", "global", "sparse")
def _evaluation_models(vc):
    """``{role: (row name, unfitted model)}`` for the main table."""
    kr_sigma = PAPER_SIGMA["happy"]
    return {
        "rr_paper": (f"Pixel-RR (λ={PAPER_LAM:g})", PixelRidge(PAPER_LAM)),
        "rr_loo": (f"Pixel-RR (LOO λ={vc.best_lam_rr:.3g})", PixelRidge(vc.best_lam_rr)),
        "kr_paper": (f"Pixel-KR (λ={PAPER_LAM:g}, σ={kr_sigma:g})", PixelKernelRidge(PAPER_LAM, kr_sigma)),
        "kr_loo": (f"Pixel-KR (LOO λ={vc.best_lam_kr:.3g}, σ={vc.best_sigma:.3g})",
                   PixelKernelRidge(vc.best_lam_kr, vc.best_sigma)),
        "mr": (f"MR (r=3, λ={PAPER_LAM:g})", MaskedRidge(PAPER_LAM, 3)),
        "global": (f"Ridge, all pixels (λ={PAPER_LAM:g})", GlobalRidge(PAPER_LAM)),
        "sparse": (sparse_name(SparseFieldRidge(PAPER_LAM)), SparseFieldRidge(PAPER_LAM)),
    }


def _timed(f, *args, **kwargs):
    t0 = time.perf_counter()
    out = f(*args, **kwargs)
    return out, time.perf_counter() - t0


def measure(pairs, syn, folds=5, seed=0, progress=True, affine_pairs=None):
    """Run every experiment of the report; returns a dict of results and their timings.

    ``pairs``: the evaluated data (London); ``syn``: synthetic pairs for the
    σ/λ comparison and Pixel-KR's Table I row; ``affine_pairs``: the same
    people aligned with ``warp="affine"`` for the alignment lever (optional).
    """
    m = {"pairs": pairs, "syn": syn, "folds": folds, "seed": seed, "affine_pairs": affine_pairs}
    m["vc"], m["vc_s"] = _timed(validation_curves, pairs, seed=seed)
    m["vc_mm"], m["vc_mm_s"] = _timed(validation_curves, pairs, seed=seed, normalise="minmax")
    m["vc_syn"], m["vc_syn_s"] = _timed(validation_curves, syn, sigmas=[0.2, 0.3, 0.5, 1, 2, 3, 5, 10],
                                        max_pixels=1000, seed=seed)
    roles = _evaluation_models(m["vc"])
    m["names"] = {role: name for role, (name, _) in roles.items()}
    m["res"], m["eval_s"] = _timed(evaluate, dict(roles.values()), pairs, folds=folds, seed=seed, progress=progress)
    rr, mr = m["names"]["rr_paper"], m["names"]["mr"]
    m["check"], m["check_crop"] = target_check(m["res"], rr, mr), target_check(m["res"], rr, mr, where="crop")
    t0 = time.perf_counter()
    m["lev"] = levers(pairs, m["vc"].best_lam_rr, folds, seed, progress)
    m["lev_affine"] = (levers(affine_pairs, m["vc"].best_lam_rr, folds, seed, progress)
                       if affine_pairs is not None else None)
    m["levers_s"] = time.perf_counter() - t0
    m["best"] = {where: best_variant(m["lev"], m["lev_affine"], where) for where in ("face", "crop")}
    m["curve"] = metrics.transfer_curve(pairs.inputs, m["res"].predictions[rr], pairs.targets,
                                        alphas=np.round(np.linspace(0, 2.5, 11), 3))
    m["table1"], m["table1_s"] = _timed(_table1, pairs, syn, PAPER_SIGMA["happy"])
    m["sparse"], m["sparse_s"] = _timed(sparse_experiment, pairs, folds, seed, progress)
    m["table1"].insert(2, m["sparse"]["table1_row"])
    return m


def report_values(m, out, n_fig=6):
    """The template's values: numbers as text, markdown tables, and the figures (written beside ``out``)."""
    pairs, syn, res, vc, vc_syn, vc_mm = m["pairs"], m["syn"], m["res"], m["vc"], m["vc_syn"], m["vc_mm"]
    stem, folder = out.stem, out.parent
    check, crop = m["check"], m["check_crop"]
    rr = m["names"]["rr_paper"]
    lev = m["lev"]
    paper_rows = [r["model"] for r in lev.table if r["model"].startswith(f"Pixel-RR λ={PAPER_LAM:g},")]
    true_tone = metrics.tone_shift(pairs.inputs, pairs.targets).mean()
    v = {
        "size": pairs.inputs.shape[1], "folds": m["folds"], "seed": m["seed"], "source": pairs.source,
        "n_people": len(pairs), "expression": pairs.expression, "name": pairs.name, "n_syn": len(syn),
        "alignment_sentence": _alignment_sentence(pairs),
        "main_table": res.to_markdown(), "eval_s": f"{m['eval_s']:.1f}",
        "n_train": len(pairs) * (m["folds"] - 1) // m["folds"], "n_test": len(pairs) // m["folds"],
        "n_fig": n_fig,
        "heldout_png": _savefig(res.figure(n=n_fig, seed=m["seed"]), folder / f"{stem}_heldout.png", dpi=72),
        "curves_data": _curves_section(pairs.name, "data", vc, folder, stem, m["vc_s"]),
        "curves_synthetic": _curves_section(f"synthetic (N={len(syn)})", "synthetic", vc_syn, folder, stem,
                                            m["vc_syn_s"]),
        "mm_lam_rr": f"{vc_mm.best_lam_rr:.3g}", "mm_sigma": f"{vc_mm.best_sigma:.3g}",
        "mm_lam_kr": f"{vc_mm.best_lam_kr:.3g}", "mm_s": f"{m['vc_mm_s']:.1f}",
        "lam_rr": f"{vc.best_lam_rr:.3g}", "syn_lam_rr": f"{vc_syn.best_lam_rr:.3g}",
        "paper_lam_cost": f"{100 * (vc.at(lam=PAPER_LAM) / vc.rr.min() - 1):.1f}",
        "sigma": f"{vc.best_sigma:.3g}", "lam_kr": f"{vc.best_lam_kr:.3g}",
        "syn_sigma": f"{vc_syn.best_sigma:.3g}", "syn_lam_kr": f"{vc_syn.best_lam_kr:.3g}",
        "paper_kr_cost": f"{100 * (vc.at(lam=PAPER_LAM, sigma=3.0) / vc.kr.min() - 1):.0f}",
        "target_transfer": TARGET["transfer"], "target_sharp": TARGET["sharp_vs_mr"],
        "face_frac": f"{_frac(pairs, 'face'):.0%}", "head_frac": f"{_frac(pairs, 'head'):.0%}",
        "face_transfer": f"{check['transfer']:.3f}", "face_transfer_ok": yes_no(check["transfer_ok"]),
        "face_ssim": f"{check['ssim']:.3f}", "face_ssim_identity": f"{check['ssim_identity']:.3f}",
        "face_ssim_ok": yes_no(check["ssim_ok"]), "face_sharp": f"{check['sharp_vs_mr']:.2f}",
        "face_sharp_ok": yes_no(check["sharp_ok"]), "face_verdict": "met" if check["ok"] else "not met",
        "crop_transfer": f"{crop['transfer']:.3f}", "crop_transfer_ok": yes_no(crop["transfer_ok"]),
        "crop_ssim": f"{crop['ssim']:.3f}", "crop_ssim_identity": f"{crop['ssim_identity']:.3f}",
        "crop_ssim_ok": yes_no(crop["ssim_ok"]), "crop_verdict": "met" if crop["ok"] else "not met",
        "regions_png": _regions_figure(pairs, folder, stem),
        "true_tone": f"{true_tone:.4f}", "levers_table": "\n".join(levers_markdown(lev)),
        "normalisation_png": _savefig(lev.figure(n=6, names=paper_rows, seed=m["seed"]),
                                      folder / f"{stem}_normalisation.png", dpi=72),
        "tone_none": f"{lev.row(paper_rows[0])['tone_shift']:.4f}",
        "tone_ratio": f"{lev.row(paper_rows[0])['tone_shift'] / max(true_tone, 1e-12):.1f}",
        "tone_meanstd": f"{lev.row(paper_rows[-1])['tone_shift']:.4f}", "clipped": f"{_clipped(pairs):.1%}",
        "alignment_lever": _alignment_lever(m), "levers_s": f"{m['levers_s']:.1f}",
        "rr_paper": rr, "alpha_table": _alpha_table(m["curve"]),
        "alpha_png": _alpha_figure(m["curve"], res.row("identity")["ssim_face"], rr, folder, stem),
        "table1": "\n".join(_table1_markdown(m["table1"])), "table1_s": f"{m['table1_s']:.1f}",
        "closing": _closing(res, rr, m["names"]["mr"], check, crop, m["best"], vc, vc_syn, pairs, lev,
                            m["lev_affine"]),
        **_sparse_values(m["sparse"], m["sparse_s"], folder, stem),
    }
    return v


def write_report(out="docs/report.md", size=128, folds=5, progress=True, pairs=None, synthetic_n=400, seed=0,
                 compare_alignment=True):
    """Evaluate every model on the London set and write a markdown report with figures.

    Parameters
    ----------
    out : path of the markdown file; PNG figures are written beside it
        (``<stem>_heldout.png``, ``<stem>_validation_*.png``, ``<stem>_alpha.png`` ...).
    size : crop side (paper: 128).
    folds : cross-validation folds, split by person.
    progress : show progress bars.
    pairs : :class:`~pixelfes_edu.data.pairs.Pairs`, optional
        Evaluate these instead of London (tests use tiny synthetic pairs).
    synthetic_n : synthetic pairs for the σ/λ comparison and Pixel-KR's Table I row (paper: N = 400).
    seed : fold assignment and synthetic faces.
    compare_alignment : also evaluate London aligned with one affine fit of eyes and mouth per face
        (``warp="affine"``) against the default piecewise-affine warp onto the mean landmark shape.

    Returns
    -------
    pathlib.Path of the markdown file.
    """
    from ..data import load_pairs

    t_start = time.perf_counter()
    out = Path(out)
    if pairs is None:
        pairs = load_pairs("london", size=size, progress=progress)
    syn = load_pairs("synthetic", size=pairs.inputs.shape[1], n=synthetic_n, seed=seed)
    affine = None
    if compare_alignment and pairs.name == "london" and pairs.meta.get("warp") == "shape":
        affine = load_pairs("london", size=pairs.inputs.shape[1], progress=progress, warp="affine")
    out.parent.mkdir(parents=True, exist_ok=True)
    values = report_values(measure(pairs, syn, folds, seed, progress, affine), out)
    values["total_s"] = f"{time.perf_counter() - t_start:.0f}"
    template = Template(Path(__file__).with_name("report_template.md").read_text(encoding="utf-8"))
    text = template.substitute(values)
    return atomic_write(out, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def _curves_section(name, slug, vc, folder, stem, seconds):
    fig = _savefig(vc.figure(), folder / f"{stem}_validation_{slug}.png")
    return (f"**{name}** (LOO over {len(vc.lams)} λ and {len(vc.sigmas)} x {len(vc.kr_lams)} (σ, λ); "
            f"{seconds:.1f} s): Pixel-RR best λ = **{vc.best_lam_rr:.3g}** (LOO MSE {vc.rr.min():.5f}; at the "
            f"paper's λ = 0.4: {vc.at(lam=PAPER_LAM):.5f}); Pixel-KR best σ = **{vc.best_sigma:.3g}**, λ = "
            f"**{vc.best_lam_kr:.3g}** (LOO MSE {vc.kr.min():.5f}; at the paper's σ = 3, λ = 0.4: "
            f"{vc.at(lam=PAPER_LAM, sigma=3.0):.5f}; σ = 10: {vc.at(lam=PAPER_LAM, sigma=10.0):.5f}).\n\n"
            f"![validation curves, {name}]({fig})")


def _alignment_lever(m):
    if m["lev_affine"] is None:
        return ""
    return (f"**Lever 2: alignment.** The package warps every London face piecewise-affinely onto the mean "
            f"189-landmark shape (`load_pairs(\"london\")`, `warp=\"shape\"`: one warp per pair from the neutral "
            f"face's landmarks, sampled once from the photos), so eyes, noses, mouths and jaws land on the same "
            f"pixels for everybody (mean face sharpness ratio {_fmt_meta(m['pairs'], 'mean_face_sharpness_ratio')}). "
            f"The tables above use it. With one affine fit of the eye and mouth landmarks per face instead "
            f"(`warp=\"affine\"`, mean face sharpness ratio "
            f"{_fmt_meta(m['affine_pairs'], 'mean_face_sharpness_ratio')}), same protocol:\n\n"
            + "\n".join(levers_markdown(m["lev_affine"])))


def _alpha_table(curve):
    lines = ["| α | " + " | ".join(f"{a:g}" for a in curve["alpha"]) + " |",
             "|---|" + "---:|" * len(curve["alpha"])]
    for key, label in (("transfer", "transfer (face)"), ("ssim_face", "SSIM (face)"), ("ssim", "SSIM (crop)"),
                       ("sharpness_ratio", "sharpness / target")):
        lines.append(f"| {label} | " + " | ".join(f"{v:.3f}" for v in curve[key]) + " |")
    return "\n".join(lines)


def _alpha_figure(curve, identity_ssim, name, folder, stem):
    fig = new_figure((8, 3))
    ax = fig.subplots(1, 2)
    ax[0].plot(curve["alpha"], curve["transfer"], "o-", ms=3)
    ax[0].axhline(TARGET["transfer"], color="grey", ls=":")
    ax[0].set(xlabel="intensity α", ylabel="transfer ratio (face)", title=f"{name}, held-out")
    ax[1].plot(curve["alpha"], curve["ssim_face"], "o-", ms=3, label="SSIM to target (face)")
    ax[1].axhline(identity_ssim, color="grey", ls=":", label="identity SSIM (face)")
    ax[1].plot(curve["alpha"], curve["sharpness_ratio"], "s-", ms=3, label="sharpness / target")
    ax[1].set(xlabel="intensity α")
    ax[1].legend(fontsize=7)
    fig.tight_layout()
    return _savefig(fig, folder / f"{stem}_alpha.png")


def _savefig(fig, path, dpi=80, max_bytes=280_000):
    """Save a PNG (atomically); photos larger than ``max_bytes`` are re-saved with a 256-colour palette."""
    from PIL import Image

    def write(tmp):
        fig.savefig(tmp, dpi=dpi, format="png")
        if Path(tmp).stat().st_size > max_bytes:
            with Image.open(tmp) as im:
                small = im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
            small.save(tmp, format="PNG", optimize=True)

    atomic_write(path, write)
    return path.name


def _table1(pairs, kr_pairs, kr_sigma):
    """Fit each model on all pairs and count its parameters (paper's Table I), plus Pixel-KR's lookup table."""
    rows = []
    X, T = pairs.inputs, pairs.targets
    for label, model, data in [
        ("Pixel-RR", PixelRidge(PAPER_LAM), (X, T)),
        ("MR (r = 3)", MaskedRidge(PAPER_LAM, 3), (X, T)),
        (f"Pixel-KR (N = {len(kr_pairs)}, {kr_pairs.name})", PixelKernelRidge(PAPER_LAM, kr_sigma),
         (kr_pairs.inputs, kr_pairs.targets)),
    ]:
        t0 = time.perf_counter()
        model.fit(*data)
        fit = time.perf_counter() - t0
        paper = PAPER_TABLE1[label.split(" ")[0]]
        rows.append((label, model.n_params, paper, f"{fit:.2f}", f"{data[0].shape[1]}x{data[0].shape[2]}"))
    kr = model  # the Pixel-KR row, fitted last
    t0 = time.perf_counter()
    table = kr.to_lut()
    lut_s = time.perf_counter() - t0
    x8 = np.round(kr_pairs.inputs[:8] * 255) / 255
    err = float(np.abs(table.predict(x8) - kr.predict(x8)).max())
    rows.append((f"Pixel-KR as a lookup table (256 levels), max err {err:.1e}", table.n_params, None,
                 f"{lut_s:.2f} (compile)", f"{table.nbytes / 2**20:.1f} MiB"))
    return rows


def _table1_markdown(rows):
    lines = ["| model | parameters per channel (x10^4), measured | paper (x10^4) | fit s | image size / storage |",
             "|---|---:|---:|---:|---|"]
    for label, n, paper, fit, size in rows:
        lines.append(f"| {label} | {n / 1e4:.4g} | {'' if paper is None else paper} | {fit} | {size} |")
    for name in ("StarGAN", "GANimation"):
        lines.append(f"| {name} (quoted from the paper) | — | {PAPER_TABLE1[name]} | — | — |")
    return lines


def _fmt_meta(pairs, key):
    v = pairs.meta.get(key)
    return "n/a" if v is None else f"{v:.3f}"


def _alignment_sentence(pairs):
    m = pairs.meta
    if "residual_shift_median_px" not in m:
        return ""
    return (f"Alignment measures from the loader: residual shift within pairs (upper face) median "
            f"{m['residual_shift_median_px']:.2f} px, 90th percentile {m['residual_shift_p90_px']:.2f} px; "
            f"mean face sharpness ratio {m['mean_face_sharpness_ratio']:.3f} (sharpness of the mean face over "
            "the mean sharpness of the faces: 1 = features land on the same pixels for everybody)."
            + (f" Registration kept its coarse estimate for pair(s) {', '.join(m['registration_fell_back'])} "
               "(the head turned between the two shots); they are included."
               if m.get("registration_fell_back") else ""))


def _clipped(pairs):
    """Fraction of pixels that mean/std normalisation pushes outside [0, 1] (and clips)."""
    _, params = metrics.normalise_images(pairs.inputs, "meanstd")
    z = (pairs.inputs - params["offset"]) / params["scale"]
    return float(np.mean((z < 0) | (z > 1)))


def _frac(pairs, region):
    return float(region_mask(region, pairs.inputs.shape).mean())


def _regions_figure(pairs, folder, stem):
    """The two face regions drawn on the mean input face."""
    mean = pairs.inputs.mean(axis=0)
    fig = new_figure((5, 2.6))
    ax = fig.subplots(1, 2)
    for a, (name, region) in zip(ax, [("'face' region (the default)", "face"), ("'head' region", "head")]):
        a.imshow(np.clip(mean, 0, 1), cmap="gray" if mean.ndim == 2 else None)
        a.contour(region_mask(region, pairs.inputs.shape), [0.5], colors="c", linewidths=1)
        a.contour(region_mask("mouth", pairs.inputs.shape), [0.5], colors="y", linewidths=0.8)
        a.set_title(name, fontsize=8)
        a.axis("off")
    fig.tight_layout()
    return _savefig(fig, folder / f"{stem}_regions.png")


def _closing(res, rr, mr, check, check_crop, best, vc, vc_syn, pairs, lev, lev_affine):
    r, m, ident = res.row(rr), res.row(mr), res.row("identity")
    alpha_needed = TARGET["transfer"] / max(check_crop["transfer"], 1e-12)
    parts = [
        f"On {len(pairs)} held-out {pairs.name} faces ({len(res.folds)}-fold CV by person), Pixel-RR (λ = 0.4) "
        f"reproduces {r['transfer']:.2f} of the true expression change over the face ({r['transfer_mouth']:.2f} in "
        f"the mouth region) with face SSIM {r['ssim_face']:.3f} (identity {ident['ssim_face']:.3f}) and "
        f"{r['sharpness_ratio']:.2f} of the target's sharpness; MR reproduces {m['transfer']:.2f} "
        f"({m['transfer_mouth']:.2f}) with face SSIM {m['ssim_face']:.3f} but keeps only {m['sharpness_ratio']:.2f} "
        f"of the sharpness, so Pixel-RR is {check['sharp_vs_mr']:.2f}x as sharp with "
        f"{r['n_params'] / max(m['n_params'], 1):.2f}x MR's parameters.",
        f"The target (transfer ≥ {TARGET['transfer']}, SSIM ≥ identity, ≥ {TARGET['sharp_vs_mr']}x MR's "
        f"sharpness) is **{'met' if check['ok'] else 'not met'}** over the face at the paper's settings, and "
        f"**{'met' if check_crop['ok'] else 'not met'}** when SSIM is taken over the whole crop and transfer over the "
        f"larger head region (transfer {check_crop['transfer']:.3f}, SSIM {check_crop['ssim']:.3f} vs identity "
        f"{check_crop['ssim_identity']:.3f}).",
    ]
    for where, label in (("face", "over the face"), ("crop", "over crop + head")):
        b = best[where]
        if b is None:
            parts.append(f"No variant tried keeps SSIM ≥ identity and the sharpness margin {label}.")
        else:
            name, kind, c = b
            parts.append(f"Best variant {label} (λ x normalisation x alignment, keeping SSIM ≥ identity and "
                         f"≥ {TARGET['sharp_vs_mr']}x MR's sharpness): transfer {c['transfer']:.3f} ({name}, {kind})"
                         f" — target {'met' if c['transfer_ok'] else 'not met'}.")
    ne = normalisation_effect(lev)
    parts.append(f"Larger λ raises transfer by pulling every face towards the mean smile, at the cost of SSIM and "
                 f"sharpness (section 3); on average over λ, min-max scaling changes transfer by "
                 f"{ne['minmax'][0]:+.3f} and face SSIM by {ne['minmax'][1]:+.3f}, mean/std matching by "
                 f"{ne['meanstd'][0]:+.3f} and {ne['meanstd'][1]:+.3f}.")
    tone = [r["tone_shift"] for r in lev.table if r["model"].startswith(f"Pixel-RR λ={PAPER_LAM:g},")]
    parts.append(f"Without normalisation Pixel-RR (λ = 0.4) also relights faces towards the average skin tone "
                 f"(mean tone shift {tone[0]:.4f} vs {metrics.tone_shift(pairs.inputs, pairs.targets).mean():.4f} for the "
                 f"true smiles); mean/std matching removes that ({tone[-1]:.4f}).")
    if lev_affine is not None:
        d = alignment_effect(lev, lev_affine)
        parts.append(f"Warping faces onto the mean landmark shape, rather than one affine fit per face, changes "
                     f"Pixel-RR's face SSIM by {d['ssim_face']:+.3f} and its transfer by {d['transfer']:+.3f} on "
                     f"average (identity's face SSIM {d['identity_ssim']:+.3f}).")
    parts.append(f"Raising the intensity α raises the ratio linearly (α ≈ {alpha_needed:.2f} would reach "
                 f"{TARGET['transfer']} over the head) while SSIM falls (section 4).")
    parts.append(f"Leave-one-out picks λ = {vc.best_lam_rr:.3g} ({pairs.name}) / {vc_syn.best_lam_rr:.3g} "
                 f"(synthetic) for Pixel-RR and σ = {vc.best_sigma:.3g} / {vc_syn.best_sigma:.3g} for Pixel-KR, "
                 "below the paper's λ = 0.4 and σ = 3 on these [0, 1] intensities.")
    return " ".join(parts)


# --------------------------------------------------------------------------- sparse receptive fields
def _sparse_values(sp, seconds, folder, stem):
    res, name = sp["res"], sp["default"]
    c = sparse_check(res, name)
    two = next(r["model"] for r in res.table if "2 pixels" in r["model"])
    c2 = sparse_check(res, two)
    alone = sparse_check(res, f"R={max(SPARSE_RADII)}, alone")
    fig = offset_field(sp["fitted"], background=sp["mean_input"], step=4, cell=3.6)
    rr = res.row("Pixel-RR")
    closing = (f"Letting each pixel choose where to look (`{SparseFieldRidge(PAPER_LAM)!r}`) raises the "
               f"transfer over the face from Pixel-RR's {rr['transfer']:.3f} to {c['transfer']:.3f} at the same "
               f"2 numbers per pixel, with face SSIM {c['ssim']:.3f} (identity {c['ssim_identity']:.3f}) and "
               f"speckle {c['speckle_vs_rr']:.2f}x Pixel-RR's — its target (transfer ≥ {SPARSE_TARGET['transfer']}, "
               f"SSIM ≥ identity, speckle ≤ {SPARSE_TARGET['speckle_vs_rr']}x) is "
               f"**{'met' if c['ok'] else 'not met'}**; with two chosen pixels ({two}) transfer "
               f"{c2['transfer']:.3f}, speckle {c2['speckle_vs_rr']:.2f}x: **{'met' if c2['ok'] else 'not met'}**. "
               f"Choosing alone (R = {max(SPARSE_RADII)}) speckles the hair ({alone['speckle_vs_rr']:.2f}x).")
    return {"sparse_table": sparse_markdown(res), "sparse_s": f"{seconds:.0f}",
            "sparse_png": _savefig(fig, folder / f"{stem}_sparse_field.png", dpi=72),
            "sparse_lam": f"{PAPER_LAM:g}", "sparse_closing": closing,
            "sparse_target_transfer": SPARSE_TARGET["transfer"],
            "sparse_target_speckle": SPARSE_TARGET["speckle_vs_rr"]}
