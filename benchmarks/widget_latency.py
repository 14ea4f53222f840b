"""Slider latency of the notebook explorers (what a student feels when dragging a slider).

Each row is the wall time of one control change, from setting the widget value to
the new PNG being in the ``Image`` widget (model update + predictions + drawing +
encoding; the browser round trip is not included).  Targets:
λ for Pixel-RR on 102 London pairs at 128x128x3 <= 150 ms (re-solve from stored
sums, no refit), σ for Pixel-KR <= 2 s (with a busy note while it works).

Uses the London set when ``PIXELFES_EDU_DATA`` is set (or London is cached), else
102 synthetic pairs, and says which.

    python benchmarks/widget_latency.py
"""
import os
import statistics
import time

import numpy as np

import pixelfes_edu as pfe
from pixelfes_edu import explore

N_PAIRS = 102
SIZE = 128
LAMS = [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 0.05, 0.4, 12.0]
SIGMAS = [5.0, 3.0, 1.0, 0.5, 0.3, 0.1]  # down to the bottom of the explorer's default range (0.1-20)
ALPHAS = [0.0, 0.5, 1.0, 1.5, 2.0]


def _data():
    pairs = pfe.load_pairs("auto", size=SIZE, n=N_PAIRS, seed=0, progress=False)
    return pairs.subset(slice(0, N_PAIRS))


def _time_moves(control, values):
    out = []
    for v in values:
        t0 = time.perf_counter()
        control.value = v
        out.append(1e3 * (time.perf_counter() - t0))
    return out


def rows():
    """One dict per measured control: name, data, n moves, median/max ms, target, refits during the moves."""
    pairs = _data()
    show = pairs.subset(slice(0, 5))
    data = f"{pairs.name} ({len(pairs)} pairs, {pairs.inputs.shape[1:]})"
    out = []

    ex = explore.TrainingExplorer(pairs, show, lam=0.4, n_show=5)
    ms = _time_moves(ex.lam, LAMS)
    t0 = time.perf_counter()
    for v in LAMS:
        ex.model.update(lam=v)
    solve_ms = 1e3 * (time.perf_counter() - t0) / len(LAMS)
    out.append({"control": "λ slider, Pixel-RR (TrainingExplorer)", "data": data, "moves": len(ms),
                "median_ms": statistics.median(ms), "max_ms": max(ms), "target_ms": 150, "refits": ex.n_fits - 1,
                "note": f"model.update alone {solve_ms:.2f} ms"})
    train, test = pairs.split(pairs.ids[-20:])  # notebook 02's setup: PSNR over 20 held-out faces on every move
    ex2 = explore.TrainingExplorer(train, test, lam=0.4, n_show=5)
    ms = _time_moves(ex2.lam, LAMS)
    out.append({"control": "λ slider, notebook 02 setup (20 held-out)", "data": data, "moves": len(ms),
                "median_ms": statistics.median(ms), "max_ms": max(ms), "target_ms": 150, "refits": ex2.n_fits - 1,
                "note": f"{len(train)} training pairs"})
    ms = _time_moves(ex.alpha, ALPHAS)
    out.append({"control": "α slider (TrainingExplorer)", "data": data, "moves": len(ms),
                "median_ms": statistics.median(ms), "max_ms": max(ms), "target_ms": 150, "refits": ex.n_fits - 1,
                "note": "re-blend only"})

    ke = explore.KernelExplorer(pairs, show, sigma=3.0, lam=0.4, n_show=4)  # default range: σ from 0.1
    for s in SIGMAS:
        ms = _time_moves(ke.sigma, [s])
        out.append({"control": f"σ slider -> {s:g}, Pixel-KR (KernelExplorer)", "data": data, "moves": 1,
                    "median_ms": ms[0], "max_ms": ms[0], "target_ms": 2000, "refits": ke.n_fits - 1,
                    "note": f"basis rank {ke.kr.basis_.rank}; busy note shown"})
    ke.sigma.value = 3.0
    ms = _time_moves(ke.lam, LAMS[:5])
    out.append({"control": "λ slider, Pixel-KR σ=3 (KernelExplorer)", "data": data, "moves": len(ms),
                "median_ms": statistics.median(ms), "max_ms": max(ms), "target_ms": 2000, "refits": ke.n_fits - 1,
                "note": "r x r solve per pixel"})

    gallery = pfe.load_gallery(size=SIZE, online=False)
    models = {"Pixel-RR": ex.model, "Pixel-KR": ke.kr,
              "MR": pfe.MaskedRidge(lam=0.4, field=3).fit(pairs.inputs, pairs.targets)}
    ge = explore.GalleryExplorer(models, gallery, lam=0.4)
    ms = _time_moves(ge.lam, LAMS[:5])
    out.append({"control": "λ slider, all three models (GalleryExplorer)", "data": data, "moves": len(ms),
                "median_ms": statistics.median(ms), "max_ms": max(ms), "target_ms": None, "refits": 0,
                "note": f"{len(gallery)} gallery faces"})
    for r in out:  # readable in benchmarks/run.py's markdown table
        r["median_ms"], r["max_ms"] = round(r["median_ms"], 1), round(r["max_ms"], 1)
        r["within_target"] = "-" if r["target_ms"] is None else ("yes" if r["max_ms"] <= r["target_ms"] else "NO")
    return out


def main():
    print(f"widget latency; PIXELFES_EDU_DATA={os.environ.get('PIXELFES_EDU_DATA', '(unset)')}; "
          f"{os.cpu_count()} CPUs; numpy {np.__version__}")
    rs = rows()
    print(f"data: {rs[0]['data']}")
    print(f"{'control':48s} {'moves':>5s} {'median ms':>10s} {'max ms':>8s} {'target':>7s} {'refits':>6s}  note")
    for r in rs:
        target = f"{r['target_ms']}" if r["target_ms"] else "-"
        ok = "" if r["target_ms"] is None else ("  ok" if r["max_ms"] <= r["target_ms"] else "  OVER")
        print(f"{r['control']:48s} {r['moves']:5d} {r['median_ms']:10.1f} {r['max_ms']:8.1f} {target:>7s} "
              f"{r['refits']:6d}  {r['note']}{ok}")


if __name__ == "__main__":
    main()
