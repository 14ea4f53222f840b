"""Latency of every notebook control (what a student feels when dragging a slider).

Each row is the wall time of control changes, from setting the widget value to the
new PNG being in the ``Image`` widget (model update + predictions + drawing +
encoding; the browser round trip is not included), as the median of the moves and
their maximum.  Targets: every control <= 150 ms (median) on 102 pairs at
128x128x3; TrainingExplorer λ and α <= 100 ms; ReceptiveFieldExplorer any field
<= 1.5 s the first time (then cached); KernelExplorer σ -> 0.3 <= 1 s and σ -> 0.1
<= 2 s, with the busy note shown while a σ rebuild works.

Uses the London set when ``PIXELFES_EDU_DATA`` is set (or London is cached), else
102 synthetic pairs, and says which.  Raises ``table.Skip`` without ipywidgets.

    python benchmarks/widget_latency.py
"""
import statistics
import time

import pixelfes_edu as pfe
from table import Skip, add_row, print_table

N_PAIRS = 102
SIZE = 128
LAMS = [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 0.05, 0.4, 12.0]
ALPHAS = [0.0, 0.5, 1.0, 1.5, 2.0]


def _explore():
    try:
        import ipywidgets  # noqa: F401 - the explorers import it when they are built
    except ImportError as e:
        raise Skip(f"the explorers need ipywidgets ({e}): pip install '.[notebooks]'") from e
    from pixelfes_edu import explore

    return explore


def _moves(control, values):
    """Milliseconds of each ``control.value = v``."""
    out = []
    for v in values:
        t0 = time.perf_counter()
        control.value = v
        out.append(1e3 * (time.perf_counter() - t0))
    return out


def rows():
    explore = _explore()
    pairs = pfe.load_pairs("auto", size=SIZE, n=N_PAIRS, seed=0, progress=False).subset(slice(0, N_PAIRS))
    show = pairs.subset(slice(0, 5))
    data = f"{pairs.name}, {len(pairs)} pairs {'x'.join(map(str, pairs.inputs.shape[1:]))}"
    out = []

    def row(name, ms, target, note="", first=False):
        value = ms[0] if first else statistics.median(ms)
        add_row(out, f"{name} ({data})", value, "ms" + ("" if first else " median"), f"<= {target:g} ms",
                value <= target, (f"{len(ms)} moves, max {max(ms):.0f} ms; " if len(ms) > 1 else "") + note)

    pi = explore.PixelInspector(pairs, lam=0.4, sigma=1.0)
    r0, c0 = pi.row.value, pi.col.value
    row("PixelInspector row", _moves(pi.row, [r0 + 1, r0 + 2, r0 + 3, r0 - 1, r0]), 150, "refits one pixel's models")
    row("PixelInspector column", _moves(pi.col, [c0 + 1, c0 + 2, c0 - 2, c0]), 150)
    row("PixelInspector channel", _moves(pi.channel, [1, 2, 0]), 150)
    row("PixelInspector λ", _moves(pi.lam, LAMS[:6]), 150)
    row("PixelInspector σ", _moves(pi.sigma, [3.0, 0.3, 0.1, 2.0, 1.0]), 150)

    ex = explore.TrainingExplorer(pairs, show, lam=0.4, n_show=5)
    row("TrainingExplorer λ (5 held-out)", _moves(ex.lam, LAMS), 100, f"refits {ex.n_fits - 1}")
    train, test = pairs.split(pairs.ids[-20:])  # notebook 02's setup: PSNR over 20 held-out faces on every move
    ex2 = explore.TrainingExplorer(train, test, lam=0.4, n_show=5)
    row("TrainingExplorer λ (notebook 02: 20 held-out)", _moves(ex2.lam, LAMS), 100, f"refits {ex2.n_fits - 1}")
    row("TrainingExplorer α (20 held-out)", _moves(ex2.alpha, ALPHAS), 100, "re-blends stored predictions")

    rf = explore.ReceptiveFieldExplorer(pairs, show, fields=(1, 3, 5), field=3, n_show=4)
    row("ReceptiveFieldExplorer r 3 -> 5, first time", _moves(rf.field, [5]), 1500,
        f"fits MR(r=5) on {len(pairs)} pairs", first=True)
    row("ReceptiveFieldExplorer r 5 -> 1, first time", _moves(rf.field, [1]), 1500, first=True)
    row("ReceptiveFieldExplorer r, fitted fields", _moves(rf.field, [3, 5, 1, 3]), 150)
    row("ReceptiveFieldExplorer λ", _moves(rf.lam, LAMS[:5]), 150, "re-solves the shown field")

    ke = explore.KernelExplorer(pairs, show, sigma=3.0, lam=0.4, n_show=4)  # default range: σ from 0.1
    notes = []
    original = pfe.PixelKernelRidge.update

    def spy(model, *a, **k):  # was the busy note up while the model worked?
        notes.append(bool(ke.busy.value))
        return original(model, *a, **k)

    pfe.PixelKernelRidge.update = spy
    try:
        for s, target in ((1.0, 1000), (0.3, 1000), (0.1, 2000), (3.0, 1000)):
            ms = _moves(ke.sigma, [s])
            row(f"KernelExplorer σ -> {s:g}", ms, target, f"basis size {ke.kr.basis_.n_features}; busy note "
                f"{'shown' if notes[-1] else 'NOT shown'}", first=True)
        row("KernelExplorer λ (σ = 3)", _moves(ke.lam, LAMS[:5]), 150, f"refits {ke.n_fits - 1}")
    finally:
        pfe.PixelKernelRidge.update = original
    return out


if __name__ == "__main__":
    print_table(rows())
