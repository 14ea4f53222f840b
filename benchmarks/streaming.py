"""Streaming fits: Pixel-RR on 10,000 synthetic pairs 128x128x3 read from memory-mapped .npy files.

    python benchmarks/streaming.py [N [DTYPE]]   # benchmarks/run.py includes it as the "stream" section

The pairs are written once to ``.npy`` files in ``$PIXELFES_EDU_BENCH_DIR`` (default:
``benchmarks/`` under the prepared cache, :func:`pixelfes_edu.store.cache_dir`) and
reused.  DTYPE is float64 by default, the dtype the models compute in, so the file is
the data as ``fit`` would get it (7.9 GB for 10,000 pairs); float32 halves the file
(exact for images from 8-bit photos) but every chunk is then converted, and a float32
file is read twice as fast: the harder case for the target.

Rows: one plain pass over both files through the same memory maps (each chunk
summed: the least work that reads every byte), the streamed fit (``partial_fit``
chunk by chunk) as a fraction of that speed, the fit's traced peak memory over
1,000 and over all pairs (it must not grow with N), and the same fit as a reduce
over processes (``concurrent.futures``) merged with ``sum()``.
"""
import os
import shutil
import sys
import time
import tracemalloc
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

import pixelfes_edu as pfe
from pixelfes_edu.store import cache_dir
from table import Skip, add_row, print_table

SHAPE = (128, 128, 3)
CHUNK = 256  # pairs per partial_fit


def folder():
    root = os.environ.get("PIXELFES_EDU_BENCH_DIR")
    return Path(root) if root else cache_dir() / "benchmarks"


def files(n, dtype="float64"):
    """Paths of the X and T files of ``n`` pairs, written first if needed (raises Skip without the disk space)."""
    where = folder()
    paths = where / f"stream_X_{n}_{dtype}.npy", where / f"stream_T_{n}_{dtype}.npy"
    if all(p.is_file() for p in paths):
        return paths
    need = 2 * n * int(np.prod(SHAPE)) * np.dtype(dtype).itemsize
    where.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(where).free
    if free < need + 2**30:
        raise Skip(f"writing the {n:,} pairs needs {need / 1e9:.1f} GB and {where} has {free / 1e9:.1f} GB free: "
                   "set PIXELFES_EDU_BENCH_DIR to a larger disk, or pass a smaller N")
    rng = np.random.default_rng(0)
    w = rng.uniform(0.6, 1.2, SHAPE).astype(np.float32)  # every pixel maps linearly, plus noise: Pixel-RR's world
    b = rng.uniform(-0.1, 0.2, SHAPE).astype(np.float32)
    X = np.lib.format.open_memmap(paths[0], "w+", dtype, (n,) + SHAPE)
    T = np.lib.format.open_memmap(paths[1], "w+", dtype, (n,) + SHAPE)
    for i in range(0, n, 500):
        x = rng.random((min(500, n - i),) + SHAPE, dtype=np.float32)
        X[i:i + len(x)] = x
        T[i:i + len(x)] = np.clip(w * x + b + 0.02 * rng.standard_normal(x.shape, dtype=np.float32), 0, 1)
    X.flush()
    T.flush()
    return paths


def read_pass(paths, n):
    """Every element of both files read once through their memory maps (each chunk summed)."""
    X, T = (np.load(p, mmap_mode="r") for p in paths)
    return sum(float(X[i:i + CHUNK].sum()) + float(T[i:i + CHUNK].sum()) for i in range(0, n, CHUNK))


def fit_range(paths, start, stop):
    """Pixel-RR on pairs start..stop of the files, chunk by chunk."""
    X, T = (np.load(p, mmap_mode="r") for p in paths)
    m = pfe.PixelRidge(0.4)
    for i in range(start, stop, CHUNK):
        m.partial_fit(X[i:min(i + CHUNK, stop)], T[i:min(i + CHUNK, stop)])
    return m


def _timed(f, *args):
    t0 = time.perf_counter()
    r = f(*args)
    return r, time.perf_counter() - t0


def rows(n=10_000, dtype="float64"):
    paths, t_write = _timed(files, n, dtype)
    size = sum(p.stat().st_size for p in paths)
    data = f"{n:,} pairs 128x128x3, {dtype} memmaps {size / 1e9:.1f} GB"
    read_pass(paths, n)  # warm the page cache: both passes below read from memory, not the disk
    t_read = t_fit = np.inf
    for _ in range(2):  # alternate, keep the best of each
        t_read = min(t_read, _timed(read_pass, paths, n)[1])
        model, t = _timed(fit_range, paths, 0, n)
        t_fit = min(t_fit, t)
    out = []
    add_row(out, f"Pixel-RR streamed fit speed / plain read pass ({data})", t_read / t_fit, "", ">= 0.5",
            t_read / t_fit >= 0.5, f"read pass {t_read:.2f} s ({size / t_read / 1e9:.1f} GB/s), fit {t_fit:.2f} s "
            f"in chunks of {CHUNK}" + (f"; files written in {t_write:.0f} s" if t_write > 1 else ""))
    peaks = {}
    for m in (min(1000, n), n):
        tracemalloc.start()
        fit_range(paths, 0, m)
        peaks[m] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    small, big = peaks[min(1000, n)], peaks[n]
    add_row(out, f"Pixel-RR streamed fit memory: traced peak for {n:,} / {min(1000, n):,} pairs", big / small, "x",
            "~1 (independent of N)", big <= 1.1 * small, f"{big / 2**20:.0f} MiB for {size / 2**30:.1f} GiB of data")
    workers = os.cpu_count() or 1
    bounds = np.linspace(0, n, 2 * workers + 1).astype(int)
    with ProcessPoolExecutor(workers) as pool:
        t0 = time.perf_counter()
        merged = sum(pool.map(fit_range, [paths] * (len(bounds) - 1), bounds[:-1], bounds[1:]))
        t_pool = time.perf_counter() - t0
    diff = float(np.abs(merged.weight_ - model.weight_).max())
    add_row(out, f"Pixel-RR fit as a reduce over {workers} processes: one process / {workers}", t_fit / t_pool, "x",
            "merged = sequential", diff < 1e-10, f"{t_pool:.2f} s; sum() of {len(bounds) - 1} chunk models, "
            f"max |Δ weight| vs sequential {diff:.1e}")
    return out


if __name__ == "__main__":
    print_table(rows(*[int(a) if a.isdigit() else a for a in sys.argv[1:3]]))
