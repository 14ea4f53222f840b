"""The report's experiments beyond the main table, each checked against its target.

* Pixel-RR's levers: λ x per-image normalisation x alignment, against
  :data:`TARGET` (transfer, SSIM over the identity map's, sharpness over MR's);
* the sparse-field sweep: radius x locality x neighbour terms, against
  :data:`SPARSE_TARGET` (transfer, SSIM, speckle relative to Pixel-RR).
"""
import time

import numpy as np

from ..models import PAPER_LAM, MaskedRidge, PixelRidge, SparseFieldRidge
from .crossval import evaluate
from .normalised import Normalised

__all__ = ["TARGET", "SPARSE_TARGET", "SPARSE_RADII", "SPARSE_TERMS", "target_check", "sparse_check", "levers",
           "levers_markdown", "best_variant", "normalisation_effect", "alignment_effect", "sparse_experiment",
           "sparse_markdown", "sparse_name", "yes_no"]


#: The package's target for Pixel-RR at α = 1 on London: transfer ratio, sharpness relative to MR.
TARGET = {"transfer": 0.35, "sharp_vs_mr": 1.5}


#: Targets of the sparse field (default SparseFieldRidge) at α = 1: transfer over the face, speckle vs Pixel-RR.
SPARSE_TARGET = {"transfer": 0.46, "speckle_vs_rr": 1.1}


#: The sparse-field table: radii x (locality, smoothness) — each term alone, both, neither.
SPARSE_RADII = (0, 1, 2, 4)


SPARSE_TERMS = {"alone": (0.0, 0.0), "locality": (0.01, 0.0), "neighbours": (0.0, 2.5), "both": (0.01, 2.5)}


def sparse_name(s):
    extra = (f", {s.n_pixels} px" if s.n_pixels > 1 else "") + (f", locality={s.locality:g}" if s.locality else "")
    return f"Sparse field (R={s.radius}, σ={s.smoothness:g}{extra}, λ={s.lam:g})"


def target_check(result, model, mr, where="face"):
    """Does ``model`` meet the package's target (:data:`TARGET`) in an :class:`EvaluationResult`?

    Transfer ratio >= 0.35, SSIM >= the identity map's, sharpness >= 1.5 x MR's.
    ``where="face"`` measures transfer and SSIM over the face region;
    ``where="crop"`` uses SSIM over the whole crop and transfer over the
    larger ``"head"`` region (hair, ears, background, neck included).
    Sharpness is always over the face.  Returns the numbers and ``ok`` flags.
    """
    if where not in ("face", "crop"):
        raise ValueError(f"where must be 'face' or 'crop', got {where!r}")
    ssim_key, transfer_key = ("ssim_face", "transfer") if where == "face" else ("ssim", "transfer_head")
    r, ident, m = result.row(model), result.row("identity"), result.row(mr)
    sharp = r["sharpness_ratio"] / max(m["sharpness_ratio"], 1e-12)
    out = {"transfer": r[transfer_key], "ssim": r[ssim_key], "ssim_identity": ident[ssim_key],
           "sharp_vs_mr": sharp}
    out["transfer_ok"] = out["transfer"] >= TARGET["transfer"]
    out["ssim_ok"] = out["ssim"] >= out["ssim_identity"]
    out["sharp_ok"] = sharp >= TARGET["sharp_vs_mr"]
    out["ok"] = out["transfer_ok"] and out["ssim_ok"] and out["sharp_ok"]
    return out


def yes_no(ok):
    return "yes" if ok else "**no**"


def levers(pairs, best_lam, folds, seed, progress):
    """Pixel-RR under each normalisation and λ, with MR as the sharpness reference."""
    models = {}
    for norm in ("none", "minmax", "meanstd"):
        for lam in sorted({round(best_lam, 4), 0.1, PAPER_LAM, 1.0, 2.0}):
            models[f"Pixel-RR λ={lam:g}, {norm}"] = Normalised(PixelRidge(lam), norm)
    models["MR"] = MaskedRidge(PAPER_LAM, 3)
    keep = [name for name in models if name.startswith(f"Pixel-RR λ={PAPER_LAM:g},")]  # for the figure only
    return evaluate(models, pairs, folds=folds, seed=seed, progress=progress, keep=keep)


def levers_markdown(res):
    lines = ["| Pixel-RR variant | SSIM (face) | SSIM (crop) | sharpness / target | sharper than MR | "
             "transfer (face) | transfer (head) | cosine (face) | transfer (mouth) | tone shift | "
             "meets target: face | crop + head |", "|---|" + "---:|" * 9 + "---|---|"]

    def cells(r):
        return (f"{r['ssim_face']:.3f} | {r['ssim']:.3f} | {r['sharpness_ratio']:.3f} | ")

    for r in res.table:
        if r["model"] in ("MR", "identity", "mean target"):
            continue
        c, cc = target_check(res, r["model"], "MR"), target_check(res, r["model"], "MR", where="crop")
        lines.append(f"| {r['model']} | {cells(r)}{c['sharp_vs_mr']:.2f}x | {r['transfer']:.3f} | "
                     f"{r['transfer_head']:.3f} | {r['cosine']:.3f} | {r['transfer_mouth']:.3f} | "
                     f"{r['tone_shift']:.4f} | {yes_no(c['ok'])} | {yes_no(cc['ok'])} |")
    for name in ("MR", "identity", "mean target"):
        r = res.row(name)
        lines.append(f"| *{name}* | {cells(r)} | {r['transfer']:.3f} | {r['transfer_head']:.3f} | "
                     f"{r['cosine']:.3f} | {r['transfer_mouth']:.3f} | {r['tone_shift']:.4f} | | |")
    return lines


def best_variant(lev, lev_affine, where):
    """Highest transfer among Pixel-RR variants that keep SSIM >= identity and the sharpness margin."""
    checks = [(r["model"], "shape-warp alignment (default)", target_check(lev, r["model"], "MR", where))
              for r in lev.table if r["model"].startswith("Pixel-RR")]
    if lev_affine is not None:
        checks += [(r["model"], "affine alignment", target_check(lev_affine, r["model"], "MR", where))
                   for r in lev_affine.table if r["model"].startswith("Pixel-RR")]
    ok = [c for c in checks if c[2]["ssim_ok"] and c[2]["sharp_ok"]]
    return max(ok, key=lambda c: c[2]["transfer"]) if ok else None


def normalisation_effect(lev):
    """Mean change of (transfer, face SSIM) from each normalisation vs none, over the λ values."""
    out = {}
    for method in ("minmax", "meanstd"):
        rows = [r for r in lev.table if r["model"].endswith(", " + method)]
        base = [lev.row(r["model"].rsplit(",", 1)[0] + ", none") for r in rows]
        out[method] = (np.mean([r["transfer"] - b["transfer"] for r, b in zip(rows, base)]),
                       np.mean([r["ssim_face"] - b["ssim_face"] for r, b in zip(rows, base)]))
    return out


def alignment_effect(lev, lev_affine):
    """Mean change of face SSIM and transfer over the Pixel-RR variants: shape warp minus affine."""
    names = [r["model"] for r in lev.table if r["model"].startswith("Pixel-RR")]
    d = {k: np.mean([lev.row(n)[k] - lev_affine.row(n)[k] for n in names]) for k in ("ssim_face", "transfer")}
    d["identity_ssim"] = lev.row("identity")["ssim_face"] - lev_affine.row("identity")["ssim_face"]
    return d


def sparse_experiment(pairs, folds, seed, progress):
    """The sparse-field table (radius x locality x neighbour terms, and two pixels), the offset field, Table I."""
    models = {"Pixel-RR": PixelRidge(PAPER_LAM)}
    for radius in SPARSE_RADII:
        for terms, (locality, smoothness) in SPARSE_TERMS.items():
            if radius > 0 or terms == "alone":  # at radius 0 every variant is Pixel-RR
                models[f"R={radius}, {terms}"] = SparseFieldRidge(PAPER_LAM, radius, 1, locality, smoothness)
    two = SparseFieldRidge(PAPER_LAM, n_pixels=2, smoothness=2.0)
    models[f"R={two.radius}, 2 pixels, σ={two.smoothness:g}"] = two
    default = SparseFieldRidge(PAPER_LAM)
    same = [k for k, v in models.items() if isinstance(v, SparseFieldRidge) and v.get_params() == default.get_params()]
    if same:  # the default is one of the rows: mark it rather than fit it twice
        models = {(f"{k} (default)" if k == same[0] else k): v for k, v in models.items()}
        name = f"{same[0]} (default)"
    else:
        name = sparse_name(default)
        models[name] = default
    res = evaluate(models, pairs, folds=folds, seed=seed, progress=progress, keep=[])
    t0 = time.perf_counter()
    fitted = SparseFieldRidge(PAPER_LAM).fit(pairs.inputs, pairs.targets)
    fit_s = time.perf_counter() - t0
    size = pairs.inputs.shape[1]
    row = (f"Sparse field (R = {fitted.radius}, 1 pixel; offsets not counted)", fitted.n_params, None,
           f"{fit_s:.2f}", f"{size}x{size}")
    return {"res": res, "default": name, "fitted": fitted, "table1_row": row,
            "mean_input": pairs.inputs.mean(axis=0), "name": pairs.name, "n": len(pairs)}


def sparse_check(result, model, rr="Pixel-RR"):
    """Does ``model`` meet :data:`SPARSE_TARGET` in an :class:`EvaluationResult` (with a Pixel-RR row ``rr``)?

    Transfer over the face >= 0.46, face SSIM >= the identity map's, speckle
    <= 1.1 x Pixel-RR's.  Returns the numbers and ``ok`` flags.
    """
    r, ident, ref = result.row(model), result.row("identity"), result.row(rr)
    out = {"transfer": r["transfer"], "ssim": r["ssim_face"], "ssim_identity": ident["ssim_face"],
           "speckle_vs_rr": r["speckle"] / max(ref["speckle"], 1e-12)}
    out["transfer_ok"] = out["transfer"] >= SPARSE_TARGET["transfer"]
    out["ssim_ok"] = out["ssim"] >= out["ssim_identity"]
    out["speckle_ok"] = out["speckle_vs_rr"] <= SPARSE_TARGET["speckle_vs_rr"]
    out["ok"] = out["transfer_ok"] and out["ssim_ok"] and out["speckle_ok"]
    return out


def sparse_markdown(res):
    lines = ["| model | transfer (face) | transfer (mouth) | SSIM (face) | sharpness / target | speckle vs Pixel-RR | "
             "fit s | meets the targets |", "|---|" + "---:|" * 6 + "---|"]
    for r in res.table:
        if r["model"] == "mean target":
            continue
        c = sparse_check(res, r["model"])
        meets = "" if r["model"] == "identity" else yes_no(c["ok"])
        lines.append(f"| {r['model']} | {r['transfer']:.3f} | {r['transfer_mouth']:.3f} | {r['ssim_face']:.3f} | "
                     f"{r['sharpness_ratio']:.3f} | {c['speckle_vs_rr']:.3f} | {r['fit_s']:.2f} | {meets} |")
    return "\n".join(lines)
