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


def _figure(figsize):
    """A figure NOT registered with pyplot: Jupyter shows it once (as the cell's value), no leaks."""
    from matplotlib.figure import Figure

    return Figure(figsize=figsize)


def to_display(image):
    """Clip to [0, 1] as float64 (predictions are not clipped by the models)."""
    return np.clip(np.asarray(image, dtype=np.float64), 0.0, 1.0)


def to_uint8(image):
    """``(H, W[, C])`` float in [0, 1] -> uint8, clipped and rounded."""
    return np.round(to_display(image) * 255).astype(np.uint8)


def to_png(image, scale=1):
    """PNG bytes of one image (clipped), optionally enlarged ``scale`` times (nearest).

    >>> to_png(np.zeros((4, 4)))[:4]
    b'\\x89PNG'
    """
    from PIL import Image

    a = to_uint8(image)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if scale != 1:
        a = np.repeat(np.repeat(a, int(scale), axis=0), int(scale), axis=1)
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="PNG")
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
    fig = _figure((cell * ncol + (0.4 if row_titles else 0), cell * nrow + 0.3))
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
