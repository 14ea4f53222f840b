"""One pixel's N training pairs with the Pixel-RR line and the Pixel-KR curve: everything a pixel model sees.
"""
import numpy as np

from .. import pictures, plotting
from ..faces.geometry import canonical_points
from ..models import PixelKernelRidge, PixelRidge
from .controls import Explorer, image_widget, ipywidgets, lam_slider, sigma_slider

__all__ = ['PixelInspector']


class PixelInspector(Explorer):
    """Pick a pixel; see its N training pairs with the Pixel-RR line and the Pixel-KR curve.

    Both models are fitted on that one pixel's values only (it is all a
    pixel-based model ever sees), so every slider move is instant.  The
    figure is drawn once; a move redraws only what changed (points, curves,
    title and legend) over the saved background, then encodes the PNG.

    Parameters
    ----------
    pairs : Pairs (or anything with ``inputs``/``targets`` ``(N, H, W[, C])``)
    pixel : (row, col), optional
        Start position; default the left mouth corner of the canonical face.
    lam, sigma : float
    scale : int
        Enlargement of the face thumbnail.

    Attributes
    ----------
    row, col, channel, lam, sigma : the controls;  face, plot : ``ipywidgets.Image``
    widget : the ``VBox`` to display (the explorer also displays itself).
    """

    def __init__(self, pairs, pixel=None, channel=0, lam=0.4, sigma=1.0, scale=2):
        w = ipywidgets()
        self._init_common()
        self.X, self.T = np.asarray(pairs.inputs, float), np.asarray(pairs.targets, float)
        H, W = self.X.shape[1:3]
        if pixel is None:
            mx, my = canonical_points(H)["mouth_left"]
            pixel = (int(round(my)), int(round(mx)))
        self.scale = scale
        self._mean = self.X.mean(0)
        self.row = w.IntSlider(value=int(pixel[0]), min=0, max=H - 1, description="row (y)")
        self.col = w.IntSlider(value=int(pixel[1]), min=0, max=W - 1, description="column (x)")
        nc = self.X.shape[3] if self.X.ndim == 4 else 1
        self.channel = w.Dropdown(options=[(n, i) for i, n in enumerate(["red", "green", "blue", "alpha"][:nc])]
                                  if nc > 1 else [("grey", 0)], value=channel, description="channel")
        self.lam, self.sigma = lam_slider(lam), sigma_slider(sigma)
        self.face = image_widget()
        self.plot = image_widget(pixels=False)  # a matplotlib figure
        self.image = self.plot
        for c in (self.row, self.col, self.channel):
            c.observe(lambda ch: self._refit(), "value")
        self.lam.observe(lambda ch: self._update(lam=ch["new"]), "value")
        self.sigma.observe(lambda ch: self._update(sigma=ch["new"]), "value")
        controls = w.VBox([self.row, self.col, self.channel, self.lam, self.sigma, self.status])
        self.widget = w.VBox([self.style, w.HBox([self.face, controls]), self.plot])
        self._refit()

    def values(self):
        """``(x, t)``: the pixel's N input and target values (current row, col, channel)."""
        r, c, ch = self.row.value, self.col.value, self.channel.value
        sel = (slice(None), r, c, ch) if self.X.ndim == 4 else (slice(None), r, c)
        return self.X[sel], self.T[sel]

    def _refit(self):
        x, t = self.values()
        self.rr = PixelRidge(lam=self.lam.value).fit(x[:, None, None], t[:, None, None])
        self.kr = PixelKernelRidge(lam=self.lam.value, sigma=self.sigma.value).fit(x[:, None, None], t[:, None, None])
        self.n_fits += 1
        self._draw_face()
        self._draw()

    def _update(self, lam=None, sigma=None):
        if lam is not None:
            self.rr.update(lam=lam)
        self.kr.update(lam=lam, sigma=sigma)
        self._draw()

    def _draw_face(self):
        img = pictures.to_display(self._mean)
        img = np.repeat(img[..., None], 3, 2) if img.ndim == 2 else img[..., :3].copy()
        r, c = self.row.value, self.col.value
        img[r, :] = img[r, :] * 0.5 + np.array([0.5, 0, 0])  # crosshair
        img[:, c] = img[:, c] * 0.5 + np.array([0.5, 0, 0])
        img[r, c] = (1, 1, 0)
        self.face.value = pictures.to_png(img, scale=self.scale)

    def _draw(self):
        x, t = self.values()
        w, b = float(self.rr.weight_.ravel()[0]), float(self.rr.bias_.ravel()[0])
        curves = {"Pixel-RR": lambda g: w * g + b, "Pixel-KR": lambda g: self.kr.predict(g[:, None, None]).ravel()}
        title = (f"pixel {self.row.value}, {self.col.value}, {self.channel.value}: RR y = {w:.2f} x + {b:.2f}\n"
                 f"λ = {self.lam.value:.3g}, σ = {self.sigma.value:.3g}")
        if not hasattr(self, "_figure"):
            self._figure = _LiveFigure(plotting.pixel_fit(x, t, curves, title=title))
        self._figure.update(x, t, curves.values(), title)
        self.plot.value = self._figure.png()


class _LiveFigure:
    """A :func:`~pixelfes_edu.plotting.pixel_fit` figure drawn once, then updated in place.

    Axes, ticks, labels and legend are drawn once and saved; an update
    restores that background, draws the points and curves, puts the saved
    legend back on top and draws the title (blitting): a fraction of the
    cost of a new figure, most of which is laying out text.
    """

    def __init__(self, fig, dpi=90):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        fig.set_dpi(dpi)
        self.canvas = FigureCanvasAgg(fig)
        ax = fig.axes[0]
        self.points, self.curves, self.title = ax.collections[0], ax.lines[1:], ax.title  # lines[0]: y = x
        for artist in (self.points, *self.curves, self.title):
            artist.set_animated(True)  # left out of canvas.draw(): not in the saved background
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(fig.bbox)
        self.legend = self.canvas.copy_from_bbox(ax.get_legend().get_window_extent())

    def update(self, x, t, functions, title):
        self.points.set_offsets(np.column_stack([x, t]))
        for line, f in zip(self.curves, functions):
            line.set_ydata(f(line.get_xdata()))
        self.title.set_text(title)

    def png(self):
        self.canvas.restore_region(self.background)
        for artist in (self.points, *self.curves):
            self.canvas.figure.draw_artist(artist)
        self.canvas.restore_region(self.legend)  # the legend stays on top of points and curves
        self.canvas.figure.draw_artist(self.title)
        return pictures.to_png(np.asarray(self.canvas.buffer_rgba())[..., :3])
