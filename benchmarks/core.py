"""Speed of the numpy core, measured as ratios in one run (never asserted in tests).

    python benchmarks/core.py        # prints the table; benchmarks/run.py includes it

Data are random images of the paper's size (speed does not depend on content;
Pixel-KR's basis size depends on σ, so σ is the paper's 3 for neutral→happy).
The MR row times the MR authors' own training loop (re-implemented in
benchmarks/mr_authors.py) on the same data in the same run.
"""
import time
import tracemalloc

import numpy as np

import mr_authors
import pixelfes_edu as pfe
from table import add_row, best_of, print_table


def available_bytes():
    """Memory the system can still give (Linux: MemAvailable), 0 when unknown."""
    try:
        with open("/proc/meminfo") as f:
            return next(int(line.split()[1]) * 1024 for line in f if line.startswith("MemAvailable:"))
    except (OSError, StopIteration, ValueError):
        return 0


def peak_bytes(f):
    """Peak memory numpy and Python allocate while ``f()`` runs (tracemalloc)."""
    tracemalloc.start()
    try:
        f()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


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

    # MR(3), one channel, N=102: ours against the authors' training loop on the same data
    X = rng.random((102, 128, 128))
    T = rng.random((102, 128, 128))
    t_mr = best_of(lambda: pfe.MaskedRidge(0.4, 3).fit(X, T), 5)
    cpu0 = time.process_time()
    pfe.MaskedRidge(0.4, 3).fit(X, T)
    cpu_mr = time.process_time() - cpu0
    mask = mr_authors.mask(128, 128, 3)
    dense = available_bytes() > 6 * 2**30  # their two dense 16384 x 16385 arrays need 4.3 GB
    t0 = time.perf_counter()
    indices, weights = mr_authors.train(X, T, 0.4, mask, dense=dense)
    t_authors = time.perf_counter() - t0
    mr = pfe.MaskedRidge(0.4, 3).fit(X, T)
    same = float(np.abs(mr.predict(X[:8]) - mr_authors.predict(X[:8], indices, weights)).max())
    how = "with their dense arrays" if dense else "per-pixel loop only, a lower bound: < 6 GB of memory free"
    row("MR(r=3) fit 128x128x1 N=102: authors' algorithm / ours (same run)", t_authors / t_mr, "x", ">= 300x",
        t_authors / t_mr >= 300, f"authors' {t_authors:.1f} s (benchmarks/mr_authors.py, {how}), ours "
        f"{t_mr * 1e3:.1f} ms; max |Δ prediction| {same:.1e}")
    row("MR(r=3) fit 128x128x1 N=102", t_mr * 1e3, "ms", "<= 57 ms", t_mr <= 0.057,
        f"CPU time {cpu_mr * 1e3:.0f} ms (all threads)")
    peak = peak_bytes(lambda: pfe.MaskedRidge(0.4, 3).fit(X, T))
    row("MR(r=3) fit memory: traced peak / input (X and T)", peak / (X.nbytes + T.nbytes), "x", "<= 4x",
        peak <= 4 * (X.nbytes + T.nbytes), f"{peak / 2**20:.0f} MiB for {(X.nbytes + T.nbytes) / 2**20:.0f} MiB")
    X3, T3 = rng.random((102, 128, 128, 3)), rng.random((102, 128, 128, 3))
    t5 = best_of(lambda: pfe.MaskedRidge(0.4, 5).fit(X3, T3), 2)
    row("MR(r=5) fit 128x128x3 N=102", t5, "s", "<= 1.5 s (first move to r=5)", t5 <= 1.5)

    # Pixel-KR at 128x128x3, sigma=3
    for n, target in ((102, 5), (400, 60)):
        X = rng.random((n, 128, 128, 3))
        T = rng.random((n, 128, 128, 3))
        t0 = time.perf_counter()
        k = pfe.PixelKernelRidge(0.4, 3.0).fit(X, T)
        k.predict(X[:1])
        t_kr = time.perf_counter() - t0
        row(f"Pixel-KR fit+predict 128x128x3 N={n} σ=3", t_kr, "s", f"<= {target} s", t_kr <= target,
            f"basis size {k.basis_.n_features}")
        if n == 102:
            refit = best_of(lambda: pfe.PixelKernelRidge(0.4, 3.0).fit(X, T), 3)
            t_lam = best_of(lambda: k.update(lam=0.2), 5)
            row("Pixel-KR refit / λ-only update, N=102", refit / t_lam, "x", ">= 10x", refit / t_lam >= 10,
                f"refit {refit:.2f} s, update {t_lam * 1e3:.0f} ms")
            for sigma, goal in ((0.3, 1.0), (0.1, 2.0)):  # each a real change of σ (a repeat would be a no-op)
                before = k.sigma
                t0 = time.perf_counter()
                k.update(sigma=sigma)
                t_sig = time.perf_counter() - t0
                row(f"Pixel-KR σ update ({before:g} -> {sigma:g}), N=102", t_sig, "s", f"<= {goal:g} s (slider)",
                    t_sig <= goal, f"basis size {k.basis_.n_features}")

    X = rng.random((400, 128, 128, 3))
    t_g = best_of(lambda: pfe.GlobalRidge(0.4).fit(X, X), 1)
    row("GlobalRidge (dual) fit 128x128x3 N=400", t_g, "s", "seconds, no D x D matrix", t_g < 30)
    return out


if __name__ == "__main__":
    print_table(rows())
