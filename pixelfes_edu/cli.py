"""The ``pixelfes-edu`` command.

``pixelfes-edu demo``    fit Pixel-RR on the best data available and write a before/after figure
``pixelfes-edu fetch``   download and verify a data source into the cache (``all`` by default)
``pixelfes-edu report``  cross-validated evaluation on the London set, written to docs/
"""
import argparse
import sys
import time
from pathlib import Path


def figure_path(out, default_name):
    """Where a figure goes: ``out``, ``default_name`` inside ``out`` if it is a folder, ``.png`` added
    when there is no extension; its format must be one matplotlib writes and its folder writable."""
    from matplotlib.backend_bases import FigureCanvasBase

    from .validation import check_output_path

    target = Path(check_output_path(out, default_name=default_name))
    if not target.suffix:
        target = Path(check_output_path(target, ".png"))
    formats = FigureCanvasBase.get_supported_filetypes()
    if target.suffix[1:].lower() not in formats:
        raise ValueError(f"cannot write a figure as {target.name}: use one of the extensions "
                         f"{', '.join('.' + f for f in sorted(formats))}")
    return target


def save_figure(fig, path, **kwargs):
    """``fig.savefig`` atomically (the old file stays until the new one is complete)."""
    from .validation import atomic_write

    return atomic_write(path, lambda tmp: fig.savefig(tmp, format=Path(path).suffix[1:].lower(), **kwargs))


def demo(out="pixelfes_demo.png", data="auto", size=128, lam=0.4, n_show=6):
    """Fit Pixel-RR on ``data`` ("auto": London set if present, else synthetic faces),
    predict held-out people and save input / Pixel-RR / target rows to ``out``
    (a file, or a folder to write ``pixelfes_demo.png`` into).  Returns the path written."""
    import numpy as np

    from .data import load_pairs
    from .evaluation.metrics import transfer_ratio
    from .models import PixelRidge
    from .plotting import montage

    t0 = time.perf_counter()
    out = figure_path(out, "pixelfes_demo.png")  # before the work: a bad path or λ fails in a second
    model = PixelRidge(lam=lam)
    pairs = load_pairs(data, size=size)
    print(f"data: {pairs.source} — {len(pairs)} pairs, {pairs.expression}, {size}x{size}")
    train, test = pairs.split_by_person(0.2, seed=0)
    model.fit(train.inputs, train.targets)
    shown = test.subset(slice(0, n_show))
    output = np.clip(model.predict(test.inputs), 0, 1)
    transfer = transfer_ratio(test.inputs, output, test.targets, region="face").mean()
    fig = montage(
        [shown.inputs, output[:n_show], shown.targets],
        row_titles=["input (neutral)", f"Pixel-RR λ={lam}", f"target ({pairs.expression})"],
        suptitle=f"Held-out people, model trained on {len(train)} pairs of {pairs.source}",
    )
    save_figure(fig, out, dpi=80, bbox_inches="tight")
    print(f"Pixel-RR fitted on {len(train)} pairs ({model.n_params} parameters per channel); on "
          f"{len(test)} held-out people it reproduces {transfer:.2f} of the true expression change "
          f"over the face (transfer ratio, 0 = unchanged input, 1 = all of it)")
    print(f"wrote {out.resolve()} in {time.perf_counter() - t0:.1f} s")
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(prog="pixelfes-edu", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="fit Pixel-RR and write a before/after figure")
    p.add_argument("--out", default="pixelfes_demo.png",
                   help="figure to write, or a folder to write pixelfes_demo.png into (default: %(default)s)")
    p.add_argument("--data", default="auto",
                   help="auto (London set if present, else synthetic), london or synthetic")
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--lam", type=float, default=0.4, help="ridge penalty λ (paper: 0.4)")

    p = sub.add_parser("fetch", help="download + verify data into the cache ($PIXELFES_EDU_DATA)")
    p.add_argument("name", nargs="?", default="all", help="a data_manifest.yaml entry, or all")

    p = sub.add_parser("report", help="cross-validated evaluation report on the London set")
    p.add_argument("--out", default="docs/report.md")
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--folds", type=int, default=5)

    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            demo(out=args.out, data=args.data, size=args.size, lam=args.lam)
        elif args.command == "fetch":
            from .store import fetch

            paths = fetch(args.name, progress=True)
            print(f"{len(paths)} files present and verified")
        elif args.command == "report":
            from .evaluation.report import write_report
            from .validation import check_output_path

            out = check_output_path(args.out, default_name="report.md")  # before the work
            print(f"wrote {write_report(out=out, size=args.size, folds=args.folds, progress=True)}")
    except (ValueError, FileNotFoundError, OSError) as e:  # user-facing errors: message, no traceback
        print(f"pixelfes-edu {args.command}: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
