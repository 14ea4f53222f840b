"""The whole benchmark table in one command (timings and ratios are printed, never asserted).

    python benchmarks/run.py                  # every section
    python benchmarks/run.py eval lut         # only some sections

Sections: ``core`` (benchmarks/core.py: the numpy core's targets, MR against its
authors' loop), ``stream`` (benchmarks/streaming.py: Pixel-RR on 10,000 pairs from
memory-mapped files), ``widgets`` (benchmarks/widget_latency.py: every notebook
control), ``data`` (benchmarks/data_speed.py: London preparation and cached load),
``eval`` (evaluate on London end to end, closed-form LOO vs refitting) and ``lut``
(Pixel-KR's lookup table vs exact prediction).  London is used when
``PIXELFES_EDU_DATA`` points at the data (or it is cached), else synthetic pairs, and
every row says which.  The table starts with the machine (cores, load, numpy's BLAS):
timings are only comparable on the same quiet machine.  A section that cannot run
here says why (e.g. no ipywidgets, no London photos, no disk space) and the others
still run.
"""
import importlib
import sys
import time
import traceback
from pathlib import Path

import numpy as np

import pixelfes_edu as pfe
from pixelfes_edu.evaluation import loo_pixel_kernel_ridge, loo_pixel_ridge, validation_curves

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the sibling benchmark scripts and table.py
from table import Skip, add_row, best_of, machine, print_table  # noqa: E402


def _pairs():
    """London 128x128 if its files are available (never downloads), else 102 synthetic pairs."""
    from pixelfes_edu.data import london_available

    t0 = time.perf_counter()
    if london_available():
        p = pfe.load_pairs("london", size=128, progress=False, download=False)
    else:
        p = pfe.load_pairs("synthetic", size=128, n=102, seed=0)
    return p, time.perf_counter() - t0


def eval_rows():
    """``evaluate`` end to end and the closed-form leave-one-out against refitting."""
    out = []
    pairs, t_load = _pairs()
    data = f"{pairs.name} N={len(pairs)} 128x128x3"
    add_row(out, f"load_pairs ({data}, prepared cache)", t_load, "s", "seconds once cached", t_load < 60)
    models = {"Pixel-RR": pfe.PixelRidge(0.4), "Pixel-KR σ=3": pfe.PixelKernelRidge(0.4, 3.0),
              "MR r=3": pfe.MaskedRidge(0.4, 3), "Ridge": pfe.GlobalRidge(0.4)}
    t0 = time.perf_counter()
    res = pfe.evaluate(models, pairs, folds=5, progress=False)
    t_eval = time.perf_counter() - t0
    fit = sum(r["fit_s"] + r["predict_s"] for r in res.table) * 5
    add_row(out, f"evaluate 4 models + 2 baselines, 5 folds ({data})", t_eval, "s", "<= 60 s (report: minutes)",
         t_eval <= 60, f"fitting+predicting {fit:.1f} s, the rest is metrics (SSIM per image)")
    X, T = pairs.inputs, pairs.targets
    lams = np.logspace(-3, 2, 16)
    t0 = time.perf_counter()
    loo_pixel_ridge(X, T, lams, region="face")
    t_loo = time.perf_counter() - t0
    t0 = time.perf_counter()
    for n in range(10):  # 10 of the N refits a brute-force LOO needs per λ
        keep = np.arange(len(X)) != n
        pfe.PixelRidge(0.4).fit(X[keep], T[keep]).predict(X[n])
    t_refit = (time.perf_counter() - t0) / 10 * len(X) * len(lams)
    add_row(out, f"Pixel-RR LOO, 16 λ, closed form vs N refits per λ ({data})", t_refit / t_loo, "x faster", ">= 10x",
         t_refit / t_loo >= 10, f"closed form {t_loo:.2f} s, refitting ~{t_refit:.0f} s (extrapolated from 10)")
    t0 = time.perf_counter()
    loo_pixel_kernel_ridge(X, T, [3.0], [0.01, 0.1, 0.4, 1.0], region="face", max_pixels=2000)
    t_kloo = time.perf_counter() - t0
    sub, subt = X[:, 60:70, 54:74, :1], T[:, 60:70, 54:74, :1]  # 200 face pixels amortise per-fit overhead
    t0 = time.perf_counter()
    for n in range(3):
        keep = np.arange(len(X)) != n
        pfe.PixelKernelRidge(0.4, 3.0, solver="direct").fit(sub[keep], subt[keep]).predict(sub[n])
    per_pixel = (time.perf_counter() - t0) / 3 / sub[0].size  # one direct refit, per pixel-channel
    t_kbrute = per_pixel * len(X) * 2000 * 4
    add_row(out, f"Pixel-KR LOO σ=3, 4 λ, 2000 pixels: smoother diagonal vs refits ({data})", t_kbrute / t_kloo,
         "x faster", ">= 10x", t_kbrute / t_kloo >= 10,
         f"closed form {t_kloo:.2f} s, direct refits ~{t_kbrute:.0f} s (extrapolated)")
    t0 = time.perf_counter()
    vc = validation_curves(pairs)
    t_vc = time.perf_counter() - t0
    add_row(out, f"validation_curves (16 λ; 9 σ x 4 λ; 4000 pixels) ({data})", t_vc, "s", "<= 30 s", t_vc <= 30,
         f"chosen: Pixel-RR λ={vc.best_lam_rr:.3g}; Pixel-KR σ={vc.best_sigma:.3g}, λ={vc.best_lam_kr:.3g}")
    return out


def lut_rows():
    """Pixel-KR compiled to a 256-level lookup table vs exact prediction."""
    out = []
    pairs, _ = _pairs()
    data = f"{pairs.name} N={len(pairs)} 128x128x3"
    k = pfe.PixelKernelRidge(0.4, 3.0).fit(pairs.inputs, pairs.targets)
    t0 = time.perf_counter()
    lut = k.to_lut()
    t_compile = time.perf_counter() - t0
    x8 = np.round(pairs.inputs[:20] * 255) / 255  # inputs on the 8-bit grid
    for m, label in ((1, "one image"), (20, "20 images")):
        xs = x8[0] if m == 1 else x8
        t_exact = best_of(lambda: k.predict(xs), 3)
        t_lut = best_of(lambda: lut.predict(xs), 3)
        add_row(out, f"Pixel-KR σ=3 predict {label}: exact / LUT ({data})", t_exact / t_lut, "x", "LUT faster",
             t_exact > t_lut, f"exact {t_exact * 1e3:.1f} ms, LUT {t_lut * 1e3:.1f} ms")
    err = float(np.abs(lut.predict(x8) - k.predict(x8)).max())
    add_row(out, "Pixel-KR LUT max abs(LUT - exact) on 8-bit inputs", err, "", "< 1e-9 (exact)", err < 1e-9,
         f"compile {t_compile:.2f} s; {lut.nbytes / 2**20:.0f} MiB; {lut.n_params / 1e4:.4g}e4 params/channel vs "
         f"{k.n_params / 1e4:.4g}e4 (N={len(pairs)})")
    for sigma in (1.0, 0.3):
        k.update(sigma=sigma)
        t_exact = best_of(lambda: k.predict(x8[0]), 3)
        lut = k.to_lut()
        t_lut = best_of(lambda: lut.predict(x8[0]), 3)
        add_row(out, f"Pixel-KR σ={sigma:g} predict one image: exact / LUT", t_exact / t_lut, "x", "LUT faster",
             t_exact > t_lut,
             f"exact {t_exact * 1e3:.1f} ms (basis size {k.basis_.n_features}), LUT {t_lut * 1e3:.1f} ms")
    return out


def _external(module):
    return importlib.import_module(module).rows()


SECTIONS = {
    "core": ("the numpy core (benchmarks/core.py)", lambda: _external("core")),
    "stream": ("streaming fits from memory-mapped files (benchmarks/streaming.py)", lambda: _external("streaming")),
    "widgets": ("notebook widget latency (benchmarks/widget_latency.py)", lambda: _external("widget_latency")),
    "data": ("London preparation and cache (benchmarks/data_speed.py)", lambda: _external("data_speed")),
    "eval": ("evaluation on real faces (benchmarks/run.py)", eval_rows),
    "lut": ("Pixel-KR lookup table vs exact (benchmarks/run.py)", lut_rows),
}


def main(names=None):
    names = names or list(SECTIONS)
    unknown = set(names) - set(SECTIONS)
    if unknown:
        raise SystemExit(f"unknown section(s) {sorted(unknown)}; choose from {list(SECTIONS)}")
    print(f"machine: {machine()}")
    for name in names:
        title, rows = SECTIONS[name]
        t0 = time.perf_counter()
        try:
            table = rows()
        except Skip as e:
            print(f"\n## {title}\n\nskipped: {e}")
            continue
        except Exception:  # noqa: BLE001 - one failing section must not hide the others
            print(f"\n## {title}\n\nFAILED (a bug: please report it):\n{traceback.format_exc()}")
            continue
        print(f"\n## {title}  ({time.perf_counter() - t0:.0f} s)\n")
        print_table(table)


if __name__ == "__main__":
    main(sys.argv[1:])
