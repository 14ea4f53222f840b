"""Time the synthetic face generator (target: N=400 pairs at 128x128 in <= 10 s).

Run: python benchmarks/synthetic_speed.py [n] [size]
Prints wall-clock and CPU time (CPU time is what the generator costs when other
jobs share the machine); nothing is asserted.
"""
import sys
import time

from pixelfes_edu.data.synthetic import random_identities, render_faces, synthetic_pairs


def _timed(fn, repeats=1):
    best_wall = best_cpu = float("inf")
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        fn()
        best_wall = min(best_wall, time.perf_counter() - w)
        best_cpu = min(best_cpu, time.process_time() - c)
    return best_wall, best_cpu


def main(n=400, size=128, repeats=3):
    params = random_identities(n, seed=0)
    rows = [
        ("random_identities", _timed(lambda: random_identities(n, seed=0))),
        ("render_faces (one expression)", _timed(lambda: render_faces(params, "happy", size))),
        (f"synthetic_pairs (best of {repeats})",
         _timed(lambda: synthetic_pairs(n=n, expression="happy", seed=0, size=size), repeats)),
    ]
    print(f"synthetic faces, n={n}, size={size} (budget for synthetic_pairs: 10 s)")
    print(f"  {'step':34s} {'wall s':>8s} {'cpu s':>8s} {'ms/face':>8s}")
    for name, (wall, cpu) in rows:
        print(f"  {name:34s} {wall:8.3f} {cpu:8.3f} {1e3 * wall / n:8.2f}")


if __name__ == "__main__":
    main(*[int(a) for a in sys.argv[1:3]])
