"""The ``pixelfes-edu`` command.

``pixelfes-edu demo``    fit Pixel-RR on real faces (London, downloaded once when online) and write
                         a before/after figure of held-out people and one out-of-dataset face
``pixelfes-edu smile``   make the face in your photo smile, at the photo's own resolution
``pixelfes-edu fetch``   download and verify a data source into the cache (``all`` by default)
``pixelfes-edu report``  cross-validated evaluation on the London set, written to docs/
"""
import argparse
import hashlib
import socket
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

DEMO_GALLERY_FACE = "grace_hopper"  # embedded (ships with matplotlib): works offline
MODEL_CHOICES = {"rr": "Pixel-RR", "kr": "Pixel-KR", "mr": "MR", "sparse": "sparse field"}


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


def reachable(url, timeout=5.0):
    """``None`` when the host of ``url`` accepts a connection, else why not (a short sentence)."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 443), timeout=timeout):
            return None
    except OSError as e:
        return f"cannot reach {parts.hostname} ({type(e).__name__}: {e})"


def _download_london(progress=True):
    """Fetch the London set (sha256-checked), printing its licence and citation once, when it arrives.
    Returns None, or why it could not (then nothing is lost: the files fetched so far stay)."""
    from .store import DataUnavailableError, ChecksumError, data_dir, fetch, manifest_source

    src = manifest_source("london")
    why = reachable(src["files"][0]["url"])
    if why is not None:
        return f"offline: {why}"
    print(f"The {src['title']} ({src['licence']}) is not on this machine yet: downloading its "
          f"{len(src['files'])} files once into {data_dir()} (each checked against its sha256; later runs "
          f"use them offline; PIXELFES_EDU_DATA chooses another folder).", flush=True)
    import pooch

    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel("WARNING")  # one progress bar, not a line per file
    try:
        fetch("london", progress=progress)
    except (DataUnavailableError, ChecksumError) as e:
        return f"the download did not complete ({e})"
    finally:
        logger.setLevel(level)
    print(f"Licence: {src['licence']}. Please cite: {src['citation']}")
    return None


def training_pairs(data="auto", size=128, progress=True):
    """The pairs to fit on. ``"auto"``: London when present, else downloaded now when online, else the
    synthetic faces with the reason printed; ``"london"`` (download if needed) or ``"synthetic"``."""
    from .data import load_pairs, london_available
    from .validation import check_choice

    check_choice("data", data, ("auto", "london", "synthetic"))
    if data == "auto" and not london_available():
        why = _download_london(progress)
        if why is not None:
            print(f"Using the built-in synthetic faces instead of real ones ({why}). "
                  "`pixelfes-edu fetch london` gets the real faces when you are online.")
            data = "synthetic"
    return load_pairs(data, size=size, progress=progress)


def gallery_column(model, name=DEMO_GALLERY_FACE):
    """``(aligned crop, result crop, title)`` of an embedded gallery photo after :func:`synthesize`:
    the face mesh places the face when its models are here, else the manifest's eyes (offline)."""
    import numpy as np

    from .data import load_gallery_photos
    from .faces import LandmarkModelUnavailable, detect_landmarks, synthesize
    from .store import load_manifest

    src = load_manifest()[name]
    photo = load_gallery_photos(online=False)[name]
    try:
        placed = {"landmarks": detect_landmarks(photo, fallback=False, download=False)}
    except LandmarkModelUnavailable:
        placed = {"eyes": src["eyes"]}
    s = synthesize(photo, model, return_crops=True, **placed)
    mask = s.mask if s.change.ndim == 2 else s.mask[..., None]
    return s.aligned, np.clip(s.aligned + s.change * mask, 0, 1), f"{name.replace('_', ' ').title()} (out of dataset)"


def demo(out="pixelfes_demo.png", data="auto", size=128, lam=0.4, n_show=6):
    """Fit Pixel-RR on ``data`` (see :func:`training_pairs`), predict held-out people and save
    input / Pixel-RR / target rows to ``out`` (a file, or a folder to write ``pixelfes_demo.png``
    into), plus one out-of-dataset column (:func:`gallery_column`).  Returns the path written."""
    import numpy as np

    from .evaluation.metrics import transfer_ratio
    from .models import PixelRidge
    from .plotting import montage

    t0 = time.perf_counter()
    out = figure_path(out, "pixelfes_demo.png")  # before the work: a bad path or λ fails in a second
    model = PixelRidge(lam=lam)
    pairs = training_pairs(data, size=size)
    print(f"data: {pairs.source} — {len(pairs)} pairs, {pairs.expression}, {size}x{size}")
    train, test = pairs.split_by_person(0.2, seed=0)
    model.fit(train.inputs, train.targets)
    shown = test.subset(slice(0, n_show))
    output = np.clip(model.predict(test.inputs), 0, 1)
    transfer = transfer_ratio(test.inputs, output, test.targets, region="face").mean()
    aligned, result, title = gallery_column(model)
    fig = montage(
        [[*shown.inputs, aligned], [*output[:n_show], result], list(shown.targets)],
        row_titles=["input (neutral)", f"Pixel-RR λ={lam}", f"target ({pairs.expression})"],
        col_titles=[*map(str, shown.ids), title],
        suptitle=f"Held-out people, model trained on {len(train)} pairs of {pairs.source}",
    )
    save_figure(fig, out, dpi=80, bbox_inches="tight")
    print(f"Pixel-RR fitted on {len(train)} pairs ({model.n_params} parameters per channel); on "
          f"{len(test)} held-out people it reproduces {transfer:.2f} of the true expression change "
          f"over the face (transfer ratio, 0 = unchanged input, 1 = all of it)")
    print(f"out-of-dataset column: {title}, made to smile by synthesize")
    print(f"wrote {out.resolve()} in {time.perf_counter() - t0:.1f} s")
    return out


def new_model(kind, lam):
    """An unfitted model for ``--model``: rr (Pixel-RR), kr (Pixel-KR, the paper's σ for happy), mr
    (masked regression, 3x3), sparse (sparse receptive fields)."""
    from .models import PAPER_SIGMA, MaskedRidge, PixelKernelRidge, PixelRidge, SparseFieldRidge
    from .validation import check_choice

    check_choice("model", kind, tuple(MODEL_CHOICES))
    return {"rr": lambda: PixelRidge(lam=lam), "kr": lambda: PixelKernelRidge(lam=lam, sigma=PAPER_SIGMA["happy"]),
            "mr": lambda: MaskedRidge(lam=lam, field=3), "sparse": lambda: SparseFieldRidge(lam=lam)}[kind]()


def fitted_model(kind, lam, pairs):
    """``(model, path, reused)``: the model fitted on all of ``pairs``, kept in the cache under a key of
    the model, its hyper-parameters, its source file and the pairs' bytes (so it is refitted
    whenever any of them changes)."""
    import inspect
    import warnings

    from .models import FORMAT_VERSION, load_model
    from .store import cache_dir

    model = new_model(kind, lam)
    h = hashlib.sha256(f"{model!r} {FORMAT_VERSION} {pairs.name}".encode())
    h.update(Path(inspect.getsourcefile(type(model))).read_bytes())
    for a in (pairs.inputs, pairs.targets):
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    path = cache_dir() / "models" / f"{kind}_{h.hexdigest()[:20]}.npz"
    if path.is_file():
        try:
            return load_model(path), path, True
        except ValueError as e:
            warnings.warn(f"refitting: the cached model could not be read ({e})", stacklevel=2)
    model.fit(pairs.inputs, pairs.targets)
    try:
        model.save(path)
    except OSError as e:  # a read-only cache costs time, never the result
        warnings.warn(f"the fitted model could not be cached ({e})", stacklevel=2)
    return model, path, False


#: The photo files ``smile`` writes: suffix -> PIL format.
PHOTO_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".tif": "TIFF", ".tiff": "TIFF", ".webp": "WEBP"}


def _photo_out(photo_path, out):
    from .validation import check_output_path

    src = Path(photo_path)
    default = f"{src.stem}_smile{src.suffix.lower() if src.suffix.lower() in ('.jpg', '.jpeg', '.png') else '.png'}"
    target = Path(check_output_path(default if out is None else out, default_name=default))
    if target.suffix.lower() not in PHOTO_FORMATS:
        raise ValueError(f"cannot write a photo as {target.name}: use .jpg, .png, .tif or .webp")
    return target


def write_photo(path, image):
    """Write an RGB photo atomically (JPEG at quality 95; 16-bit kept in PNG/TIFF)."""
    import numpy as np

    from .validation import atomic_write

    path = Path(path)
    fmt = PHOTO_FORMATS[path.suffix.lower()]
    if image.dtype == np.uint16 and fmt in ("PNG", "TIFF"):
        import imageio.v3 as iio

        return atomic_write(path, lambda tmp: iio.imwrite(tmp, image, extension=path.suffix.lower()))
    from PIL import Image

    from .pictures import to_uint8

    image = to_uint8(image)
    options = {"quality": 95} if fmt in ("JPEG", "WEBP") else {}
    return atomic_write(path, lambda tmp: Image.fromarray(image).save(tmp, format=fmt, **options))


def _where(synthesis, photo, eyes, mouth):
    """Where the face was found (or placed), in photo pixels, for the user to check."""
    h, w = photo.shape[:2]
    pt = "({:.0f}, {:.0f})".format
    if eyes is not None:
        return (f"face placed by the positions you gave in the {w}x{h} photo: pupils at {pt(*eyes[0])} and "
                f"{pt(*eyes[1])}" + (f", mouth at {pt(*mouth)}" if mouth is not None else "")
                + f" ({synthesis.warp.method})")
    lm = synthesis.warp.landmarks
    many = f" ({lm.n_faces} faces: the largest)" if lm.n_faces > 1 else ""
    box = f" in the box x {lm.box[0]:.0f}-{lm.box[2]:.0f}, y {lm.box[1]:.0f}-{lm.box[3]:.0f}" if lm.box is not None else ""
    mouth_at = f", mouth at {pt(*lm.mouth)}" if lm.mouth is not None else ""
    return (f"face found{many} in the {w}x{h} photo{box}: pupils at {pt(*lm.eyes[0])} and {pt(*lm.eyes[1])}"
            f"{mouth_at} ({synthesis.warp.method})")


def grid_figure(photo, synthesis, label):
    """Before/after with the aligned crops behind it: photo, aligned crop, model output, result."""
    import numpy as np
    from PIL import Image

    from .pictures import to_uint8
    from .plotting import montage

    def thumb(img, side=512):
        im = Image.fromarray(to_uint8(img))
        im.thumbnail((side, side))
        return np.asarray(im) / 255.0

    return montage([[thumb(photo), synthesis.aligned, synthesis.prediction, thumb(synthesis.image)]],
                   titles=[["your photo", "aligned crop (what the model sees)", f"{label} output",
                            f"result (α = {synthesis.alpha:g})"]], cell=2.6)


def smile(photo, out=None, model="rr", alpha=1.0, lam=0.4, data="auto", grid=False, eyes=None, mouth=None,
          size=128):
    """Make the face in ``photo`` (a file) smile with a fitted ``model`` and write the whole photo, at
    its own resolution, to ``out`` (default ``<name>_smile.<ext>`` here).  Returns the path written."""
    from .faces import FaceNotFoundError, detect_landmarks, read_photo, synthesize
    from .validation import parse_points

    t0 = time.perf_counter()
    new_model(model, lam)  # a bad --model or --lam fails before the work
    eyes = parse_points(eyes, 2, "--eyes", "--eyes 410,520,590,515")
    mouth = parse_points(mouth, 1, "--mouth", "--mouth 500,760")
    mouth = None if mouth is None else mouth[0]
    if mouth is not None and eyes is None:
        raise ValueError("--mouth needs --eyes as well")
    target = _photo_out(photo, out)
    image = read_photo(photo)
    landmarks = None
    if eyes is None:  # find the face before any fitting: no face fails in a second
        try:
            landmarks = detect_landmarks(image)
        except FaceNotFoundError:
            raise ValueError(f"no face found in {photo}. Give the positions yourself, in pixels of the upright "
                             "photo (x to the right, y down): --eyes XL,YL,XR,YR (pupil centres, left then "
                             "right) and optionally --mouth X,Y (centre of the mouth).") from None
    pairs = training_pairs(data, size=size)
    fitted, path, reused = fitted_model(model, lam, pairs)
    label = MODEL_CHOICES[model]
    print(f"model: {label} {fitted!r} fitted on {len(pairs)} pairs of {pairs.source} "
          f"({'cached' if reused else 'fitted now, cached'} in {path})")
    s = synthesize(image, fitted, alpha=alpha, landmarks=landmarks, eyes=eyes, mouth=mouth, return_crops=True)
    print(_where(s, image, eyes, mouth))
    write_photo(target, s.image)
    print(f"wrote {target.resolve()} ({image.shape[1]}x{image.shape[0]}, α = {alpha:g}) "
          f"in {time.perf_counter() - t0:.1f} s")
    if grid:
        grid_path = target.with_name(f"{target.stem}_grid.png")
        save_figure(grid_figure(image, s, label), grid_path, dpi=100, bbox_inches="tight")
        print(f"wrote {grid_path.resolve()} (photo, aligned crop, {label} output, result)")
    return target


def main(argv=None):
    parser = argparse.ArgumentParser(prog="pixelfes-edu", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="fit Pixel-RR and write a before/after figure")
    p.add_argument("--out", default="pixelfes_demo.png",
                   help="figure to write, or a folder to write pixelfes_demo.png into (default: %(default)s)")
    p.add_argument("--data", default="auto", choices=("auto", "london", "synthetic"),
                   help="auto (default): the London set, downloaded first when it is not here and the "
                        "network is; offline, the synthetic faces, saying why")
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--lam", type=float, default=0.4, help="ridge penalty λ (paper: 0.4)")

    p = sub.add_parser("smile", help="make the face in your photo smile, at full resolution")
    p.add_argument("photo", help="a photo file (JPEG, PNG, ...; a phone's EXIF rotation is applied)")
    p.add_argument("--out", default=None, help="file to write, or a folder (default: PHOTO's name + _smile, here)")
    p.add_argument("--model", default="rr", choices=tuple(MODEL_CHOICES),
                   help="rr Pixel-RR (default), kr Pixel-KR, mr masked regression, sparse sparse fields")
    p.add_argument("--alpha", type=float, default=1.0, help="intensity: 0 unchanged, 1 the model's smile, 2 twice")
    p.add_argument("--lam", type=float, default=0.4, help="ridge penalty λ (paper: 0.4)")
    p.add_argument("--data", default="auto", choices=("auto", "london", "synthetic"),
                   help="training data, as for demo (default: the London set)")
    p.add_argument("--grid", action="store_true",
                   help="also write NAME_grid.png: photo, aligned crop, model output and result")
    p.add_argument("--eyes", help="XL,YL,XR,YR pupil centres in photo pixels, when no face is found")
    p.add_argument("--mouth", help="X,Y mouth centre in photo pixels (with --eyes)")

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
        elif args.command == "smile":
            smile(args.photo, out=args.out, model=args.model, alpha=args.alpha, lam=args.lam, data=args.data,
                  grid=args.grid, eyes=args.eyes, mouth=args.mouth)
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
