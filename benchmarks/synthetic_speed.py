"""Time the synthetic face generator (issue 3 item 5 asks for N=400 at 128x128 in <= 10 s).

Run: python benchmarks/synthetic_speed.py [n] [size]
Prints timings only; nothing is asserted.
"""
import sys
import time

from pixelfes_edu.synthetic import random_identities, render_faces, synthetic_pairs


def main(n=400, size=128, repeats=3):
    t0 = time.perf_counter()
    params = random_identities(n, seed=0)
    t_params = time.perf_counter() - t0
    t0 = time.perf_counter()
    render_faces(params, "neutral", size)
    t_render = time.perf_counter() - t0
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        synthetic_pairs(n=n, expression="happy", seed=0, size=size)
        best = min(best, time.perf_counter() - t0)
    print(f"synthetic faces, n={n}, size={size}")
    print(f"  random_identities            {t_params:8.3f} s")
    print(f"  render_faces (one set)       {t_render:8.3f} s  ({1e3 * t_render / n:.2f} ms/face)")
    print(f"  synthetic_pairs (in + target) {best:7.3f} s  (best of {repeats}; budget 10 s)")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*args)
