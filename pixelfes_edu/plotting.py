"""Figures for teaching: image montages, weight/bias maps, one pixel's fit, the σ sweep.

Every function returns a matplotlib ``Figure`` (nothing is shown or saved
for you: ``fig.savefig(...)`` or let Jupyter display it).  Images are float
in [0, 1], ``(H, W)`` or ``(H, W, C)``; model outputs are clipped to [0, 1]
for display only (:func:`to_display`).  :func:`to_png` turns one image into PNG
bytes for ``ipywidgets.Image``.

>>> import numpy as np
>>> fig = montage([np.zeros((3, 8, 8)), np.ones((3, 8, 8))], row_titles=["in", "out"])
>>> len(fig.axes)
6
"""
import io

import numpy as np


def new_figure(figsize):
    """A figure NOT registered with pyplot: Jupyter shows it once (as the cell's value), no leaks."""
    from matplotlib.figure import Figure

    return Figure(figsize=figsize)


def to_display(image):
    """Clip to [0, 1] as float64 (predictions are not clipped by the models)."""
    return np.clip(np.asarray(image, dtype=np.float64), 0.0, 1.0)


def to_uint8(image):
    """``(H, W[, C])`` image -> uint8: float in [0, 1] clipped and rounded, uint8 as it is, 16-bit scaled.

    >>> to_uint8(np.array([0.0, 0.5, 2.0])).tolist(), to_uint8(np.array([0, 65535], np.uint16)).tolist()
    ([0, 128, 255], [0, 255])
    """
    a = np.asarray(image)
    if a.dtype == np.uint8:
        return a
    if a.dtype == np.uint16:
        return (a * (255.0 / 65535.0) + 0.5).astype(np.uint8)
    return np.round(to_display(a) * 255).astype(np.uint8)


def to_png(image, scale=1, compress_level=1):
    """PNG bytes of one image (float, clipped; or uint8), optionally enlarged ``scale`` times (nearest).

    ``compress_level=1`` encodes several times faster than PIL's default 6
    for slightly larger bytes: what a slider wants.

    >>> to_png(np.zeros((4, 4)))[:4]
    b'\\x89PNG'
    """
    from PIL import Image

    a = np.asarray(image)
    a = to_uint8(a)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if scale != 1:
        a = np.repeat(np.repeat(a, int(scale), axis=0), int(scale), axis=1)
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="PNG", compress_level=compress_level)
    return buf.getvalue()


def to_jpeg(image, quality=90):
    """JPEG bytes of one image (float, clipped; or uint8): for photos, where a PNG would be large.

    >>> to_jpeg(np.zeros((4, 4, 3)))[:2]
    b'\\xff\\xd8'
    """
    from PIL import Image

    a = np.asarray(image)
    a = to_uint8(a)
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(a)).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def image_row(images, gap=2, fill=1.0):
    """Concatenate images side by side with a ``gap``-pixel white border: one ``(H, W', C)`` array."""
    images = [to_display(im) for im in images]
    if not images:
        raise ValueError("image_row needs at least one image")
    h = images[0].shape[0]
    pad_shape = (h, gap) + images[0].shape[2:]
    parts = []
    for i, im in enumerate(images):
        if im.shape != images[0].shape:
            raise ValueError(f"image {i} has shape {im.shape}, expected {images[0].shape}: resize first")
        if i:
            parts.append(np.full(pad_shape, fill))
        parts.append(im)
    return np.concatenate(parts, axis=1)


def _as_rows(rows):
    """Each row as a list of images: arrays are batches (a 2-D array is one grey image)."""
    out = []
    for r in rows:
        if isinstance(r, np.ndarray):
            r = r[None] if r.ndim == 2 else r
        out.append(list(r))
    ncol = max((len(r) for r in out), default=0)
    if ncol == 0:
        raise ValueError("montage needs at least one image")
    return out, ncol


def montage(rows, row_titles=None, col_titles=None, titles=None, cell=1.6, suptitle=None, fontsize=9):
    """A grid of images: one row per entry of ``rows`` (e.g. inputs / outputs / targets).

    Parameters
    ----------
    rows : list of image batches
        Each entry is an ``(N, H, W)`` / ``(N, H, W, C)`` array or a list of
        images; row ``i`` shows its images left to right (a 3-D array is a
        batch of grey images: wrap a single colour image in a list).  Rows may differ in
        length (missing cells stay blank).  Images are clipped to [0, 1].
    row_titles : list of str, optional
        Label at the left of each row (e.g. ``["input", "Pixel-RR", "target"]``).
    col_titles : list of str, optional
        Title above each column (e.g. person ids or gallery names).
    titles : list of list of str, optional
        A title for every cell (``titles[i][j]``), overriding ``col_titles``.
    cell : float
        Size of one cell in inches.
    suptitle : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> X = np.random.default_rng(0).random((4, 16, 16, 3))
    >>> fig = montage([X, X[::-1]], row_titles=["a", "b"], col_titles=list("pqrs"))
    >>> fig.axes[0].get_ylabel(), fig.axes[1].get_title()
    ('a', 'q')
    """
    rows, ncol = _as_rows(rows)
    nrow = len(rows)
    if row_titles is not None and len(row_titles) != nrow:
        raise ValueError(f"row_titles has {len(row_titles)} entries for {nrow} rows")
    fig = new_figure((cell * ncol + (0.4 if row_titles else 0), cell * nrow + 0.3))
    axes = fig.subplots(nrow, ncol, squeeze=False)
    for i, row in enumerate(rows):
        for j in range(ncol):
            ax = axes[i, j]
            ax.set_xticks([])
            ax.set_yticks([])
            if j >= len(row):
                ax.axis("off")
                continue
            im = to_display(row[j])
            ax.imshow(im, cmap="gray" if im.ndim == 2 else None, vmin=0, vmax=1, interpolation="nearest")
            for s in ax.spines.values():
                s.set_visible(False)
            if titles is not None and i < len(titles) and j < len(titles[i]) and titles[i][j]:
                ax.set_title(titles[i][j], fontsize=fontsize)
            elif col_titles is not None and i == 0 and j < len(col_titles):
                ax.set_title(str(col_titles[j]), fontsize=fontsize)
            if row_titles is not None and j == 0:
                ax.set_ylabel(row_titles[i], fontsize=fontsize)
    if suptitle:
        fig.suptitle(suptitle, fontsize=fontsize + 1)
    fig.tight_layout(pad=0.3)
    return fig


def figure_png(fig, dpi=80):
    """PNG bytes of a matplotlib figure (for ``ipywidgets.Image``)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


# --------------------------------------------------------------------------- fast labelled grids
def _font(px):
    """DejaVu Sans from matplotlib (has Greek letters: λ, σ, α), else PIL's default font."""
    from PIL import ImageFont

    try:
        from matplotlib import font_manager

        return ImageFont.truetype(font_manager.findfont("DejaVu Sans"), px)
    except (OSError, ValueError, ImportError):
        try:
            return ImageFont.load_default(size=px)
        except TypeError:  # Pillow < 10.1: fixed-size bitmap font
            return ImageFont.load_default()


def grid_image(rows, row_labels=None, col_labels=None, scale=1, gap=3, label_px=12):
    """One uint8 RGB picture of a grid of images, with text labels drawn by PIL.

    Much faster than a matplotlib figure (a few ms at 128x128), which is what
    makes widget sliders feel instant.  ``rows`` is as in :func:`montage`;
    grey images are shown grey; missing cells stay white.

    Returns
    -------
    ndarray ``(H', W', 3)`` uint8

    Examples
    --------
    >>> g = grid_image([np.zeros((2, 8, 8)), np.ones((2, 8, 8, 3))], row_labels=["a", "b"], scale=2)
    >>> g.dtype, g.shape[2]
    (dtype('uint8'), 3)
    """
    from PIL import Image, ImageDraw

    rows, ncol = _as_rows(rows)
    imgs = [[to_display(im) for im in r] for r in rows]
    h, w = imgs[0][0].shape[:2]
    h, w = h * scale, w * scale
    font = _font(label_px)
    left = 0
    if row_labels:
        left = max(int(ImageDraw.Draw(Image.new("RGB", (1, 1))).textlength(str(s), font=font)) for s in row_labels) + 6
    top = label_px + 6 if col_labels else 0
    H = top + len(imgs) * (h + gap)
    W = left + ncol * (w + gap)
    canvas = np.full((H, W, 3), 255, np.uint8)
    for i, r in enumerate(imgs):
        for j, im in enumerate(r):
            if im.ndim == 2:
                im = np.repeat(im[..., None], 3, axis=2)
            im = to_uint8(im[..., :3])
            if scale != 1:
                im = np.repeat(np.repeat(im, scale, axis=0), scale, axis=1)
            if im.shape[:2] != (h, w):
                raise ValueError(f"row {i} image {j} has shape {im.shape[:2]}, expected {(h // scale, w // scale)}")
            y0, x0 = top + i * (h + gap), left + j * (w + gap)
            canvas[y0:y0 + h, x0:x0 + w] = im
    if row_labels or col_labels:
        pil = Image.fromarray(canvas)
        draw = ImageDraw.Draw(pil)
        for i, s in enumerate(row_labels or []):
            draw.text((2, top + i * (h + gap) + h // 2 - label_px // 2), str(s), fill=(0, 0, 0), font=font)
        for j, s in enumerate(col_labels or []):
            draw.text((left + j * (w + gap) + 2, 2), str(s), fill=(0, 0, 0), font=font)
        canvas = np.asarray(pil)
    return canvas


def grid_png(rows, row_labels=None, col_labels=None, scale=1, gap=3):
    """PNG bytes of :func:`grid_image`."""
    return to_png(grid_image(rows, row_labels, col_labels, scale, gap))


def colourise(a, cmap="RdBu_r", vmin=None, vmax=None):
    """Map a 2-D array to an RGB float image through a matplotlib colormap.

    ``vmin``/``vmax`` default to a range symmetric about the centre of the data
    for diverging maps (use them to compare maps on one scale).
    """
    import matplotlib

    a = np.asarray(a, dtype=np.float64)
    lo = np.nanmin(a) if vmin is None else vmin
    hi = np.nanmax(a) if vmax is None else vmax
    z = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
    return matplotlib.colormaps[cmap](np.clip(z, 0, 1))[..., :3]


def colourbar(cmap, vmin, vmax, size, label_px=11):
    """A colour bar as a grid cell: float RGB ``size = (h, w)``, the bar on the left, its ends and middle labelled.

    Put it beside a :func:`colourise` map in :func:`grid_image`, so the colours
    of a map in a widget can be read as numbers.

    >>> cell = colourbar("magma", 0.0, 0.5, (64, 64))
    >>> top = colourise(np.array([[0.5]]), "magma", 0, 0.5)[0, 0]     # the colour of vmax
    >>> cell.shape, bool(np.allclose(cell[0, 3], top, atol=0.003))
    ((64, 64, 3), True)
    """
    from PIL import Image, ImageDraw

    h, w = size
    bar = max(6, w // 8)
    ramp = np.repeat(np.linspace(vmax, vmin, h)[:, None], bar, axis=1)
    canvas = np.full((h, w, 3), 255, np.uint8)
    canvas[:, 2:2 + bar] = to_uint8(colourise(ramp, cmap, vmin, vmax))
    pil = Image.fromarray(canvas)
    draw, font = ImageDraw.Draw(pil), _font(label_px)
    for frac, v in ((0.0, vmax), (0.5, (vmin + vmax) / 2), (1.0, vmin)):
        y = round(frac * (h - 1))
        draw.line([(2 + bar, y), (5 + bar, y)], fill=(0, 0, 0))
        draw.text((7 + bar, int(np.clip(y - label_px / 2, 0, h - label_px - 2))), f"{v:.3g}", fill=(0, 0, 0), font=font)
    return np.asarray(pil) / 255.0


def colour_wheel(size):
    """The key of :func:`offset_colours`: float RGB ``(size, size, 3)``, white outside the disc.

    >>> key = colour_wheel(41)
    >>> key[20, 40].round(2).tolist(), key[20, 20].tolist(), key[0, 0].tolist()
    ([1.0, 0.0, 0.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0])
    """
    from matplotlib.colors import hsv_to_rgb

    r = np.linspace(-1, 1, size)
    ky, kx = np.meshgrid(r, r, indexing="ij")
    wheel = hsv_to_rgb(np.stack([(np.arctan2(-ky, kx) / (2 * np.pi)) % 1, np.clip(np.hypot(ky, kx), 0, 1),
                                 np.ones_like(kx)], axis=-1))
    return np.where((np.hypot(ky, kx) <= 1)[..., None], wheel, 1.0)


# --------------------------------------------------------------------------- model pictures
def channel_mean(a):
    a = np.asarray(a, dtype=np.float64)
    return a.mean(axis=-1) if a.ndim == 3 else a


def weight_bias_arrays(model, channel=None):
    """``(w, b, dw, db)``: grey weight and bias maps and their colour half-ranges about 1 and 0."""
    w, b = np.asarray(model.weight_), np.asarray(model.bias_)
    if channel is not None:
        w, b = w[..., channel], b[..., channel]
    w, b = channel_mean(w), channel_mean(b)
    return w, b, max(np.abs(w - 1).max(), 1e-6), max(np.abs(b).max(), 1e-6)


def weight_bias_maps(model, channel=None, cell=2.6):
    """Pixel-RR's learned maps: ``w_p`` and ``b_p`` of every pixel as images, with colour bars.

    Where the expression does not change a face, ``w ≈ 1`` and ``b ≈ 0``
    (the identity); the mouth and cheeks, where a smile moves pixels, stand out.

    Parameters
    ----------
    model : fitted PixelRidge (or anything with ``weight_``, ``bias_`` of shape ``(H, W[, C])``)
    channel : int, optional
        Show one channel; default averages the channels.

    Examples
    --------
    >>> from pixelfes_edu import PixelRidge
    >>> X = np.random.default_rng(0).random((10, 8, 8, 3))
    >>> len(weight_bias_maps(PixelRidge().fit(X, X)).axes)
    4
    """
    w, b, dw, db = weight_bias_arrays(model, channel)
    fig = new_figure((2 * cell + 1.0, cell))
    axes = fig.subplots(1, 2)
    for ax, a, title, lo, hi in ((axes[0], w, "weight $w_p$", 1 - dw, 1 + dw), (axes[1], b, "bias $b_p$", -db, db)):
        im = ax.imshow(a, cmap="RdBu_r", vmin=lo, vmax=hi)
        ax.set_title(title, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout(pad=0.4)
    return fig


def pixel_fit(x, t, models=None, pixel=None, lam=None, sigma=None, ax=None, title=None):
    """Scatter of one pixel's N training pairs ``(x_p^n, t_p^n)`` with fitted curves.

    Parameters
    ----------
    x, t : ndarray ``(N,)``
        The pixel's input and target values over the training set.
    models : dict, optional
        ``{label: callable}`` mapping an ``(M,)`` array of inputs to outputs,
        drawn as curves on [0, 1] (e.g. the Pixel-RR line and Pixel-KR curve).
    pixel : tuple, optional
        ``(row, col[, channel])`` for the title.

    Examples
    --------
    >>> x = np.linspace(0, 1, 20)
    >>> fig = pixel_fit(x, x ** 2, {"identity": lambda v: v})
    >>> len(fig.axes[0].lines)
    2
    """
    x, t = np.ravel(x), np.ravel(t)
    fig = None
    if ax is None:
        fig = new_figure((4.2, 3.4))
        ax = fig.subplots()
    ax.scatter(x, t, s=14, c="0.35", alpha=0.7, label=f"training pairs (N={len(x)})")
    grid = np.linspace(0, 1, 201)
    ax.plot(grid, grid, ":", c="0.6", lw=1, label="no change ($y = x$)")
    styles = ["C0", "C3", "C2", "C1", "C4"]
    for i, (label, f) in enumerate((models or {}).items()):
        ax.plot(grid, f(grid), c=styles[i % len(styles)], lw=2, label=label)
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.05, 1.05)
    ax.set_xlabel("input (neutral) $x_p$")
    ax.set_ylabel("target (expressive) $t_p$")
    if title is None and pixel is not None:
        title = "pixel " + ", ".join(str(int(v)) for v in pixel)
        extra = ", ".join(s for s in (f"λ={lam:g}" if lam else "", f"σ={sigma:g}" if sigma else "") if s)
        title += f"  ({extra})" if extra else ""
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="upper left")
    if fig is not None:
        fig.tight_layout(pad=0.4)
        return fig
    return ax.figure


def sigma_sweep(inputs, outputs, targets=None, reference=None, reference_label="Pixel-RR", cell=1.5):
    """The paper's Fig. 5: Pixel-KR outputs for a range of σ, one row per face.

    Parameters
    ----------
    inputs : ndarray ``(M, H, W[, C])``
    outputs : dict ``{sigma: ndarray (M, H, W[, C])}``
        Pixel-KR predictions for each σ (ascending order is kept).
    targets, reference : ndarray ``(M, ...)``, optional
        Ground truth and a reference model's outputs (Pixel-RR) as extra columns.

    Examples
    --------
    >>> X = np.random.default_rng(0).random((2, 8, 8))
    >>> fig = sigma_sweep(X, {0.1: X, 1.0: X}, targets=X)
    >>> len(fig.axes)
    8
    """
    cols = [("input", np.asarray(inputs))]
    cols += [(f"σ = {s:g}", np.asarray(outputs[s])) for s in sorted(outputs)]
    if reference is not None:
        cols.append((reference_label, np.asarray(reference)))
    if targets is not None:
        cols.append(("target", np.asarray(targets)))
    rows = [[c[1][i] for c in cols] for i in range(len(inputs))]
    return montage(rows, col_titles=[c[0] for c in cols], cell=cell)


# --------------------------------------------------------------------------- evaluation pictures
def heldout_figure(result, n=6, names=None, seed=0):
    """Held-out faces of an :class:`~pixelfes_edu.evaluation.crossval.EvaluationResult`.

    Rows: input, target and each model (default: every model whose
    predictions were kept); ``n`` people chosen with ``seed`` as columns.
    """
    names = list(names or [r["model"] for r in result.table
                           if r["model"] != "identity" and r["model"] in result.predictions])
    missing = [k for k in names if k not in result.predictions]
    if missing:
        raise ValueError(f"no held-out predictions kept for {missing}: pass keep=... to evaluate")
    pairs = result.pairs
    idx = np.sort(np.random.default_rng(seed).choice(len(pairs), min(n, len(pairs)), replace=False))
    rows = [pairs.inputs[idx], pairs.targets[idx]] + [result.predictions[k][idx] for k in names]
    labels = [s.replace(" (", "\n(").replace(", ", ",\n") for s in ["input (neutral)", "target", *names]]
    return montage(rows, row_titles=labels, col_titles=[str(i) for i in pairs.ids[idx]], cell=1.3, fontsize=7,
                   suptitle=f"held-out faces ({len(result.folds)}-fold CV by person, α = {result.alpha:g})")


def validation_figure(curves):
    """Leave-one-out errors: Pixel-RR against λ; Pixel-KR against σ, one line per λ (a ``ValidationCurves``)."""
    from .models import PAPER_LAM, PAPER_SIGMA

    fig = new_figure((8, 3))
    a, b = fig.subplots(1, 2)
    a.loglog(curves.lams, curves.rr, "o-", ms=3)
    a.axvline(PAPER_LAM, color="grey", ls=":", label=f"paper λ={PAPER_LAM:g}")
    a.axvline(curves.best_lam_rr, color="C3", ls="--", label=f"LOO best λ={curves.best_lam_rr:.3g}")
    a.set(xlabel="λ", ylabel="LOO mean squared error", title=f"Pixel-RR {curves.label}")
    a.legend(fontsize=7)
    for j, lam in enumerate(curves.kr_lams):
        b.loglog(curves.sigmas, curves.kr[:, j], "o-", ms=3, label=f"λ={lam:.3g}")
    for s in PAPER_SIGMA.values():
        b.axvline(s, color="grey", ls=":")
    b.axvline(curves.best_sigma, color="C3", ls="--")
    b.set(xlabel="σ", title=f"Pixel-KR {curves.label} (best σ={curves.best_sigma:.3g}, λ={curves.best_lam_kr:.3g})")
    b.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- sparse fields
def _motion(model, channel=None, pick=0):
    """``(H, W, 2)`` float ``(dy, dx)`` each output pixel's content came along: minus its chosen offset."""
    off = np.asarray(model.offset_, dtype=np.float64)[..., pick, :]  # (H, W[, C], 2)
    if off.ndim == 4:
        off = off.mean(axis=2) if channel is None else off[:, :, channel]
    return -off


def offset_colours(model, channel=None, pick=0):
    """RGB ``(H, W, 3)`` picture of a sparse field's chosen offsets on a colour wheel.

    Hue is the direction the content moved (input pixel ``p + d`` → output pixel
    ``p``: right = red, up = yellow-green, left = cyan, down = violet), saturation
    its length relative to the model's ``radius``; white = the pixel stayed put
    (``d = 0``, Pixel-RR).  Channels are averaged unless ``channel`` is given.

    >>> from pixelfes_edu.models import SparseFieldRidge
    >>> X = np.random.default_rng(0).random((20, 8, 8)); T = np.roll(X, 1, axis=2)
    >>> rgb = offset_colours(SparseFieldRidge(lam=0.01, radius=1, smoothness=0).fit(X, T))
    >>> rgb.shape, rgb[4, 4].round(2).tolist()
    ((8, 8, 3), [1.0, 0.0, 0.0])
    """
    from matplotlib.colors import hsv_to_rgb

    m = _motion(model, channel, pick)
    hue = (np.arctan2(-m[..., 0], m[..., 1]) / (2 * np.pi)) % 1.0  # image y points down
    sat = np.clip(np.hypot(m[..., 0], m[..., 1]) / max(getattr(model, "radius", 1), 1), 0, 1)
    return hsv_to_rgb(np.stack([hue, sat, np.ones_like(hue)], axis=-1))


def offset_field(model, background=None, channel=None, pick=0, step=4, cell=3.4):
    """Where each output pixel of a sparse field looks: colour wheel and arrows.

    Left: :func:`offset_colours` with a key.  Right: arrows from the input pixel
    ``p + d`` to the output pixel ``p`` it feeds, every ``step`` pixels, over
    ``background`` (e.g. the mean training face).  A smile pulls the mouth
    corners outward and up.

    Parameters
    ----------
    model : fitted :class:`~pixelfes_edu.models.SparseFieldRidge` (anything with ``offset_`` and ``radius``)
    background : image ``(H, W[, C])``, optional
    channel : int, optional (default: offsets averaged over channels)
    pick : which of the ``n_pixels`` picks to show (0 = the first)
    step : arrow spacing in pixels

    Examples
    --------
    >>> from pixelfes_edu.models import SparseFieldRidge
    >>> X = np.random.default_rng(0).random((20, 8, 8, 3)); T = np.roll(X, 1, axis=2)
    >>> fig = offset_field(SparseFieldRidge(radius=1).fit(X, T), background=X.mean(0), step=2)
    >>> len(fig.axes), len(fig.axes[0].child_axes)  # two panels, the colour key inset
    (2, 1)
    """
    m = _motion(model, channel, pick)
    H, W = m.shape[:2]
    fig = new_figure((2 * cell + 0.6, cell))
    a, b = fig.subplots(1, 2)
    a.imshow(offset_colours(model, channel, pick))
    a.set_title("direction the content moved", fontsize=9)
    key = a.inset_axes([0.78, 0.0, 0.22, 0.22])  # the colour wheel itself, as a legend
    key.imshow(colour_wheel(41))
    key.set_xticks([])
    key.set_yticks([])
    if background is not None:
        b.imshow(to_display(background), cmap="gray" if np.ndim(background) == 2 else None, alpha=0.7)
    else:
        b.imshow(np.ones((H, W)), cmap="gray", vmin=0, vmax=1)
    yy, xx = np.mgrid[step // 2:H:step, step // 2:W:step]
    d = -m[yy, xx]  # the chosen offsets: the arrow starts at the input pixel p + d and ends at p
    b.quiver(xx + d[..., 1], yy + d[..., 0], -d[..., 1], -d[..., 0], angles="xy", scale_units="xy", scale=1,
             color="C3", width=0.004, headwidth=4)
    b.set_title(f"input pixel → output pixel (every {step} px)", fontsize=9)
    for ax in (a, b):
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout(pad=0.4)
    return fig
