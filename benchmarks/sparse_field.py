"""Sparse receptive fields: speed as ratios in one run, and the quality targets on London (never asserted in tests).

    python benchmarks/sparse_field.py          # prints the table

London 128x128x3 (N = 102) when its files are available (never downloads), else
102 synthetic pairs; every row says which.  Speed: fit at R = 4 against Pixel-RR
and MR on the same data, one prediction, a slider update from the stored sums,
and the vectorised choice against the per-pixel search it replaces.  Quality:
5-fold cross-validation by person at α = 1, λ = 0.4 (the paper's).
"""
import time

import numpy as np

import pixelfes_edu as pfe
from pixelfes_edu.evaluation.report import SPARSE_TARGET, sparse_check
from pixelfes_edu.models.sparse_field import candidate_offsets
from table import add_row, best_of, print_table


def _pairs():
    from pixelfes_edu.data import london_available

    if london_available():
        return pfe.load_pairs("london", size=128, progress=False, download=False)
    return pfe.load_pairs("synthetic", size=128, n=102, seed=0)


def per_pixel_search(X, T, lam, radius, box):
    """The first pick without smoothing or locality, one pixel and one candidate at a time (the reference)."""
    (y0, y1), (x0, x1) = box
    N, H, W, C = X.shape
    out = np.zeros((y1 - y0, x1 - x0, C, 2), int)
    for y in range(y0, y1):
        for x in range(x0, x1):
            for c in range(C):
                best = np.inf
                for dy, dx in candidate_offsets(radius):
                    if not (0 <= y + dy < H and 0 <= x + dx < W):
                        continue
                    Z = np.stack([X[:, y + dy, x + dx, c], np.ones(N)], 1)
                    theta = np.linalg.solve(Z.T @ Z + lam * np.eye(2), Z.T @ T[:, y, x, c])
                    J = ((T[:, y, x, c] - Z @ theta) ** 2).sum() + lam * theta @ theta
                    if J < best * (1 - 1e-9):
                        best, out[y - y0, x - x0, c] = J, (dy, dx)
    return out


def rows(quality=True):
    out = []
    pairs = _pairs()
    X, T = pairs.inputs, pairs.targets
    data = f"{pairs.name} N={len(pairs)} 128x128x3"

    def row(*args, **kw):
        add_row(out, *args, **kw)

    t_rr = best_of(lambda: pfe.PixelRidge(0.4).fit(X, T))
    t_mr = best_of(lambda: pfe.MaskedRidge(0.4, 3).fit(X, T), 1)
    for radius in (1, 2, 4):
        t = best_of(lambda: pfe.SparseFieldRidge(0.4, radius=radius).fit(X, T), 2)
        if radius == 4:
            t_sf = t
        row(f"SparseFieldRidge fit R={radius} ({(2 * radius + 1) ** 2} candidates), {data}", t, "s",
            "<= 2 s at R=4" if radius == 4 else "(scaling)", t <= 2 if radius == 4 else True,
            f"{t / t_rr:.0f}x Pixel-RR's fit ({t_rr * 1e3:.0f} ms), {t / t_mr:.2f}x MR(r=3)'s ({t_mr:.2f} s)")
    t2 = best_of(lambda: pfe.SparseFieldRidge(0.4, n_pixels=2, smoothness=2.0).fit(X, T), 1)
    row(f"SparseFieldRidge fit R=4, 2 pixels (OMP), {data}", t2, "s", "(a second pass)", True,
        f"{t2 / t_sf:.1f}x one pixel")
    m, rr = pfe.SparseFieldRidge(0.4).fit(X, T), pfe.PixelRidge(0.4).fit(X, T)
    one = best_of(lambda: m.predict(X[0]), 50)
    row("SparseFieldRidge predict one 128x128x3 image", one * 1e3, "ms", "<= 2 ms", one <= 2e-3,
        f"Pixel-RR {best_of(lambda: rr.predict(X[0]), 50) * 1e3:.2f} ms")
    up = best_of(lambda: m.update(lam=0.3, smoothness=2.0))
    row("SparseFieldRidge update(lam, smoothness) from stored sums / refit", t_sf / up, "x faster", "(slider)",
        up < t_sf, f"update {up * 1e3:.0f} ms")
    box = ((80, 88), (40, 48))  # 8x8 pixels at the left mouth corner
    t0 = time.perf_counter()
    ref = per_pixel_search(X, T, 0.4, 4, box)
    t_loop = (time.perf_counter() - t0) / 64 * 128 * 128  # extrapolated to the whole image
    alone = pfe.SparseFieldRidge(0.4, radius=4, smoothness=0).fit(X, T)
    same = np.array_equal(alone.offset_[80:88, 40:48, :, 0], ref)
    t_alone = best_of(lambda: pfe.SparseFieldRidge(0.4, radius=4, smoothness=0).fit(X, T), 2)
    row("first pick (R=4, alone): per-pixel search / vectorised", t_loop / t_alone, "x faster", ">= 100x",
        t_loop / t_alone >= 100, f"search ~{t_loop:.0f} s extrapolated from 64 pixels; same offsets there: {same}")
    if quality:
        models = {"Pixel-RR": pfe.PixelRidge(0.4), "sparse": pfe.SparseFieldRidge(0.4),
                  "sparse, 2 pixels": pfe.SparseFieldRidge(0.4, n_pixels=2, smoothness=2.0),
                  "sparse alone": pfe.SparseFieldRidge(0.4, smoothness=0)}
        res = pfe.evaluate(models, pairs, folds=5, seed=0, progress=False, keep=[])
        for name, model in list(models.items())[1:]:
            c = sparse_check(res, name)
            label = f"{name} ({model!r})"
            row(f"transfer (face), 5-fold, {label}, {data}", c["transfer"], "", f">= {SPARSE_TARGET['transfer']}",
                c["transfer_ok"], f"Pixel-RR {res.row('Pixel-RR')['transfer']:.3f}")
            row(f"SSIM (face) vs identity's, {label}", c["ssim"], "", f">= {c['ssim_identity']:.3f}", c["ssim_ok"])
            row(f"speckle outside the face / Pixel-RR's, {label}", c["speckle_vs_rr"], "x",
                f"<= {SPARSE_TARGET['speckle_vs_rr']}x", c["speckle_ok"])
    return out


if __name__ == "__main__":
    print_table(rows())
