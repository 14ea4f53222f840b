"""Pictures for widgets and files: images as PNG/JPEG bytes, fast labelled grids, colour maps and bars.

Drawn with PIL in a few milliseconds (a matplotlib figure takes tens), which is
what lets a slider redraw at once; :mod:`~pixelfes_edu.plotting` holds the
matplotlib figures.  Images are float in [0, 1] (clipped for display only),
uint8, or 16-bit, ``(H, W)`` or ``(H, W, C)``.

>>> png = grid_png([np.zeros((2, 8, 8)), np.ones((2, 8, 8))], row_labels=["in", "out"])
>>> png[:4]
b'\\x89PNG'
"""
import io

import numpy as np

__all__ = ["to_display", "to_uint8", "to_png", "to_jpeg", "as_rows", "grid_image", "grid_png", "colourise",
           "colourbar", "colour_wheel"]


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


def as_rows(rows):
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

    rows, ncol = as_rows(rows)
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
    """The key of :func:`~pixelfes_edu.plotting.offset_colours`: float RGB ``(size, size, 3)``, white outside the disc.

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
