"""The benchmark table: one row per measurement, printed as markdown, and the machine it ran on."""
import os
import platform
import sys
import time


class Skip(Exception):
    """Raised by a section that cannot run here; the message says why and what would make it run."""


def best_of(f, repeat=3):
    """Best wall-clock time of ``repeat`` calls (seconds)."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def add_row(out, name, value, unit, target, ok, note=""):
    """Append a row: what was measured, the value with its unit, the target and whether it is met."""
    out.append({"benchmark": name, "measured": f"{value:.3g} {unit}", "target": target,
                "meets": "yes" if ok else "NO", "note": note})


def print_table(rows):
    """Markdown table of a list of dicts (columns from the first row)."""
    cols = list(rows[0])
    cells = [[str(r.get(c, "")) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    print("| " + " | ".join(c.ljust(w) for c, w in zip(cols, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells:
        print("| " + " | ".join(v.ljust(w) for v, w in zip(row, widths)) + " |")


def machine():
    """One line: cores, load, CPU, Python, numpy and the BLAS numpy calls (with its threads)."""
    import numpy as np

    blas = "BLAS unknown"
    try:
        from threadpoolctl import threadpool_info

        info = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        if info:
            i = info[0]
            blas = f"{i.get('internal_api', 'blas')} {i.get('version') or ''} ({i.get('num_threads')} threads)".strip()
    except ImportError:
        pass
    load = f"load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "load unknown"
    return (f"{os.cpu_count()} cores ({load}), {_cpu_name()}, Python {sys.version.split()[0]}, "
            f"numpy {np.__version__} with {blas}")


def _cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()
