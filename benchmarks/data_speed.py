"""Speed of the data layer: London preparation (1 and 2 workers) and the cached reload.

    PIXELFES_EDU_DATA=../shared/data python benchmarks/data_speed.py

Each preparation runs against a fresh, empty prepared-array cache. Skipped (with the
reason) when the London files are not in PIXELFES_EDU_DATA.
"""
import os
import tempfile
import time

from pixelfes_edu.data import load_pairs, london_available
from table import Skip, add_row, print_table


def rows():
    if not london_available():
        raise Skip("the London photos are not in PIXELFES_EDU_DATA (or the raw-data cache): "
                   "run `pixelfes-edu fetch london` or point PIXELFES_EDU_DATA at a copy")
    out = []
    old = os.environ.get("PIXELFES_EDU_CACHE")
    try:
        for workers in (1, 2):
            with tempfile.TemporaryDirectory() as cache:
                os.environ["PIXELFES_EDU_CACHE"] = cache
                t0 = time.perf_counter()
                pairs = load_pairs("london", size=128, workers=workers, progress=False)
                prep = time.perf_counter() - t0
                add_row(out, f"London first preparation, {len(pairs)} pairs 128px, {workers} worker(s)", prep, "s",
                        "<= 30 s" if workers == 2 else "(for comparison)", prep <= 30 or workers == 1)
                if workers == 2:
                    t0 = time.perf_counter()
                    load_pairs("london", size=128, progress=False)
                    load = time.perf_counter() - t0
                    m = pairs.meta
                    add_row(out, "London load from the prepared cache", load, "s", "<= 2 s", load <= 2,
                            f"residual shift median {m['residual_shift_median_px']:.2f} px, "
                            f"p90 {m['residual_shift_p90_px']:.2f} px; mean-face sharpness "
                            f"ratio {m['mean_face_sharpness_ratio']:.3f}")
    finally:
        if old is None:
            os.environ.pop("PIXELFES_EDU_CACHE", None)
        else:
            os.environ["PIXELFES_EDU_CACHE"] = old
    return out


if __name__ == "__main__":
    print_table(rows())
