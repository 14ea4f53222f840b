"""Figures for teaching: image montages, weight/bias maps, one pixel's fit, the σ sweep.

Every function returns a matplotlib ``Figure`` (nothing is shown or saved
for you: ``fig.savefig(...)`` or let Jupyter display it).  Images are float
in [0, 1], ``(H, W)`` or ``(H, W, C)``; model outputs are clipped to [0, 1]
for display only (:func:`~pixelfes_edu.pictures.to_display`).  The fast PIL
pictures the widgets redraw (PNG bytes, labelled grids, colour bars) are in
:mod:`~pixelfes_edu.pictures`.

>>> import numpy as np
>>> fig = montage([np.zeros((3, 8, 8)), np.ones((3, 8, 8))], row_titles=["in", "out"])
>>> len(fig.axes)
6
"""
import io

import numpy as np

from .pictures import as_rows, colour_wheel, to_display


def new_figure(figsize):
    """A figure NOT registered with pyplot: Jupyter shows it once (as the cell's value), no leaks."""
    from matplotlib.figure import Figure

    return Figure(figsize=figsize)


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
    rows, ncol = as_rows(rows)
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
