"""Speed of the numpy core, measured as ratios in one run (never asserted in tests).

    python benchmarks/core.py        # prints the table; benchmarks/run.py includes it

Data are random images of the paper's size (speed does not depend on content;
Pixel-KR's basis rank depends on σ, so σ is the paper's 3 for neutral→happy).
"""
import time

import numpy as np

import pixelfes_edu as pfe
from table import add_row, print_table


def best_of(f, repeat=3):
    """Best wall-clock time of ``repeat`` calls (seconds)."""
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def masked_ridge_loop(X, T, lam, field):
    """The same MR maths as a straightforward Python loop over pixels (the reference)."""
    N, H, W = X.shape
    h = field // 2
    P = np.pad(X, ((0, 0), (h, h), (h, h)))  # zero outside the image
    Z = np.stack([P[:, i:i + H, j:j + W] for i in range(field) for j in range(field)] + [np.ones((N, H, W))], -1)
    w = np.empty((H, W, Z.shape[-1]))
    for i in range(H):
        for j in range(W):
            z = Z[:, i, j]
            w[i, j] = np.linalg.solve(z.T @ z + lam * np.eye(z.shape[1]), z.T @ T[:, i, j])
    return (Z * w).sum(-1)


def rows():
    rng = np.random.default_rng(0)
    out = []

    def row(*args, **kw):
        add_row(out, *args, **kw)

    # Pixel-RR fit vs one plain pass over X and T
    X = rng.random((400, 128, 128, 3))
    T = rng.random((400, 128, 128, 3))
    base = best_of(lambda: (X.sum(0), T.sum(0)), 5)
    fit = best_of(lambda: pfe.PixelRidge(0.4).fit(X, T), 5)
    row("Pixel-RR fit N=400 128x128x3 / (X.sum(0); T.sum(0))", fit / base, "x", "<= 3x", fit / base <= 3,
        f"fit {fit * 1e3:.0f} ms, pass {base * 1e3:.0f} ms")
    m = pfe.PixelRidge(0.4).fit(X, T)
    one = best_of(lambda: m.predict(X[0]), 50)
    row("Pixel-RR predict one 128x128x3 image", one * 1e3, "ms", "<= 1 ms", one <= 1e-3)
    lam = best_of(lambda: m.update(lam=0.3), 20)
    row("Pixel-RR λ update (update(lam=...)) / refit", fit / lam, "x faster", "(slider)", True,
        f"update {lam * 1e3:.2f} ms")

    # MR(3) one channel N=102 vs the per-pixel loop
    X = rng.random((102, 128, 128))
    T = rng.random((102, 128, 128))
    mr = pfe.MaskedRidge(0.4, 3)
    t_mr = best_of(lambda: mr.fit(X, T), 3)
    t0 = time.perf_counter()
    Y_loop = masked_ridge_loop(X, T, 0.4, 3)
    t_loop = time.perf_counter() - t0
    same = np.abs(mr.predict(X) - Y_loop).max()
    row("MR(r=3) fit 128x128x1 N=102", t_mr, "s", "<= 0.17 s (100x the authors' ~17 s)", t_mr <= 0.17,
        f"per-pixel Python loop {t_loop:.2f} s ({t_loop / t_mr:.0f}x slower); max |Δ prediction| {same:.1e}")

    # Pixel-KR at 128x128x3, sigma=3
    for n, target in ((102, 5), (400, 60)):
        X = rng.random((n, 128, 128, 3))
        T = rng.random((n, 128, 128, 3))
        t0 = time.perf_counter()
        k = pfe.PixelKernelRidge(0.4, 3.0).fit(X, T)
        k.predict(X[:1])
        t_kr = time.perf_counter() - t0
        row(f"Pixel-KR fit+predict 128x128x3 N={n} σ=3", t_kr, "s", f"<= {target} s", t_kr <= target,
            f"basis rank {k.basis_.rank}")
        if n == 102:
            refit = best_of(lambda: pfe.PixelKernelRidge(0.4, 3.0).fit(X, T), 3)
            t_lam = best_of(lambda: k.update(lam=0.2), 5)
            row("Pixel-KR refit / λ-only update, N=102", refit / t_lam, "x", ">= 10x", refit / t_lam >= 10,
                f"refit {refit:.2f} s, update {t_lam * 1e3:.0f} ms")
            for sigma in (1.0, 0.3):  # each a real change of σ (timed once: a repeat would be a no-op)
                before = k.sigma
                t0 = time.perf_counter()
                k.update(sigma=sigma)
                t_sig = time.perf_counter() - t0
                row(f"Pixel-KR σ update ({before:g} -> {sigma:g}), N=102", t_sig, "s", "<= 2 s (slider)",
                    t_sig <= 2, f"basis rank {k.basis_.rank}")

    X = rng.random((400, 128, 128, 3))
    t_g = best_of(lambda: pfe.GlobalRidge(0.4).fit(X, X), 1)
    row("GlobalRidge (dual) fit 128x128x3 N=400", t_g, "s", "seconds, no D x D matrix", t_g < 30)
    return out


if __name__ == "__main__":
    print_table(rows())
