"""ipywidgets explorers used by the notebooks (JupyterLab 4 and Voilà, ipywidgets 8).

Each explorer holds an ``ipywidgets.VBox`` (``.widget``) and displays as it:
put the explorer on the last line of a cell.  It takes its data and models as arguments (no global state), keeps
its controls as attributes (``.lam``, ``.sigma``, ``.alpha`` ...) and draws
into ``ipywidgets.Image`` widgets (``.image``) as PNG bytes, so a test or a
script can drive it: set ``explorer.lam.value = 0.1`` and read
``explorer.image.value``.

Sliders are fast because nothing is refitted from the images: λ re-solves
from stored statistics (``model.update(lam=...)``), α only re-blends, and σ
(Pixel-KR) rebuilds from the stored training values while a busy note shows.
``n_fits`` counts full fits, so you can check that moving a slider did not
trigger one.

================================  =========================================================
:class:`PixelInspector`           one pixel's N training pairs, Pixel-RR line, Pixel-KR curve
:class:`TrainingExplorer`         Pixel-RR: λ, target expression, intensity α; weight/bias maps
:class:`KernelExplorer`           Pixel-KR: σ and λ next to Pixel-RR
:class:`GalleryExplorer`          trained models on out-of-dataset faces and your own photo
:class:`ReceptiveFieldExplorer`   masked regression: receptive field r (r = 1 is Pixel-RR)
================================  =========================================================

>>> import numpy as np
>>> X = np.random.default_rng(0).random((12, 16, 16, 3))
>>> ex = TrainingExplorer(pairs_like(X, X ** 2), pairs_like(X[:3], X[:3] ** 2))
>>> before = ex.image.value; ex.lam.value = 5.0
>>> ex.image.value != before, ex.n_fits
(True, 1)
"""
import io
import time

import numpy as np

from . import plotting
from .metrics import apply_intensity
from .models import MaskedRidge, PixelKernelRidge, PixelRidge
from .pairs import Pairs

__all__ = [
    "PixelInspector",
    "TrainingExplorer",
    "KernelExplorer",
    "GalleryExplorer",
    "ReceptiveFieldExplorer",
    "pairs_like",
    "parse_eyes",
    "decode_upload",
    "lam_slider",
    "sigma_slider",
    "alpha_slider",
]


def _w():
    import ipywidgets

    return ipywidgets


def pairs_like(inputs, targets, expression="happy", source="arrays", ids=None):
    """Wrap plain arrays as :class:`~pixelfes_edu.pairs.Pairs` (for quick experiments and tests)."""
    ids = np.arange(len(inputs)).astype(str) if ids is None else ids
    return Pairs(np.asarray(inputs, float), np.asarray(targets, float), ids, expression, source, "arrays")


def _log_grid(value, low, high, step):
    """``(min, max)`` exponents near ``log10(low/high)`` on a grid through ``log10(value)``.

    The browser snaps a log slider to ``min + k * step``; putting the start
    value on that grid keeps λ = 0.4 at 0.4 instead of 0.398.
    """
    v = np.log10(value)
    return v - np.floor((v - np.log10(low)) / step + 1e-9) * step, v + np.floor((np.log10(high) - v) / step + 1e-9) * step


def lam_slider(value=0.4, description="λ", continuous=True):
    """Log-scale slider for λ from about 1e-3 to 1e3."""
    if not value > 0:
        raise ValueError(f"λ must be > 0, got {value!r}")
    lo, hi = _log_grid(value, 1e-3, 1e3, 0.05)
    return _w().FloatLogSlider(value=value, base=10, min=lo, max=hi, step=0.05, description=description,
                               continuous_update=continuous, readout_format=".3g")


def sigma_slider(value=1.0, description="σ", low=0.05, high=20.0):
    """Log-scale slider for the kernel width σ in [low, high] (updates on release: σ costs a rebuild)."""
    if not 0 < low <= value <= high:
        raise ValueError(f"σ slider needs 0 < low <= value <= high, got low={low}, value={value}, high={high}")
    lo, hi = _log_grid(value, low, high, 0.02)
    return _w().FloatLogSlider(value=value, base=10, min=lo, max=hi, step=0.02,
                               description=description, continuous_update=False, readout_format=".3g")


def alpha_slider(value=1.0):
    """Expression intensity α from 0 (input) through 1 (the model) to 2 (exaggerated)."""
    return _w().FloatSlider(value=value, min=0.0, max=2.0, step=0.05, description="intensity α",
                            continuous_update=True, style={"description_width": "initial"})


def _as_dict(data, default_key):
    if isinstance(data, dict):
        if not data:
            raise ValueError("got an empty dict of datasets: pass at least one {expression: Pairs}")
        return dict(data)
    return {getattr(data, "expression", default_key): data}


def _check_test(train, test):
    if set(train) != set(test):
        raise ValueError(f"train and test must have the same expressions; got {sorted(train)} and {sorted(test)}")


def _labels(pairs, n):
    return [str(i) for i in pairs.ids[:n]]


def _psnr(y, t):
    mse = float(np.mean((np.clip(y, 0, 1) - t) ** 2))
    return 10 * np.log10(1.0 / mse) if mse > 0 else np.inf


class _Explorer:
    """Mixin: timing of the last redraw (``last_ms``), fit counter, status HTML."""

    def _init_common(self):
        self.n_fits = 0
        self.last_ms = {}
        self.status = _w().HTML("")

    def _repr_mimebundle_(self, **kwargs):  # display the explorer like its widget
        return self.widget._repr_mimebundle_(**kwargs)


# --------------------------------------------------------------------------- pixel inspector
class PixelInspector(_Explorer):
    """Pick a pixel; see its N training pairs with the Pixel-RR line and the Pixel-KR curve.

    Both models are fitted on that one pixel's values only (it is all a
    pixel-based model ever sees), so every slider move is instant.

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
        w = _w()
        self._init_common()
        self.X, self.T = np.asarray(pairs.inputs, float), np.asarray(pairs.targets, float)
        H, W = self.X.shape[1:3]
        if pixel is None:
            from .geometry import canonical_points

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
        self.face = w.Image(format="png")
        self.plot = w.Image(format="png")
        self.image = self.plot
        for c in (self.row, self.col, self.channel):
            c.observe(lambda ch: self._refit(), "value")
        self.lam.observe(lambda ch: self._update(lam=ch["new"]), "value")
        self.sigma.observe(lambda ch: self._update(sigma=ch["new"]), "value")
        controls = w.VBox([self.row, self.col, self.channel, self.lam, self.sigma, self.status])
        self.widget = w.VBox([w.HBox([self.face, controls]), self.plot])
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
        img = plotting.to_display(self._mean)
        img = np.repeat(img[..., None], 3, 2) if img.ndim == 2 else img[..., :3].copy()
        r, c = self.row.value, self.col.value
        img[r, :] = img[r, :] * 0.5 + np.array([0.5, 0, 0])  # crosshair
        img[:, c] = img[:, c] * 0.5 + np.array([0.5, 0, 0])
        img[r, c] = (1, 1, 0)
        self.face.value = plotting.to_png(img, scale=self.scale)

    def _draw(self):
        x, t = self.values()
        w, b = float(self.rr.weight_.ravel()[0]), float(self.rr.bias_.ravel()[0])
        curves = {
            f"Pixel-RR  y = {w:.2f} x + {b:.2f}": lambda g: w * g + b,
            f"Pixel-KR (σ={self.sigma.value:.3g})": lambda g: self.kr.predict(g[:, None, None]).ravel(),
        }
        fig = plotting.pixel_fit(x, t, curves, pixel=(self.row.value, self.col.value, self.channel.value),
                                 lam=self.lam.value, sigma=self.sigma.value)
        self.plot.value = plotting.figure_png(fig, dpi=90)


# --------------------------------------------------------------------------- training explorer
class TrainingExplorer(_Explorer):
    """Pixel-RR trained on ``train``, shown on held-out ``test`` faces, with λ, expression and α.

    Parameters
    ----------
    train, test : Pairs or dict ``{expression: Pairs}``
        Training and held-out pairs (split by person!).  A dict offers a
        target-expression menu; one model per expression is fitted on first use.
    lam : float
    alpha : float
        Expression intensity (``x + α (ŷ - x)``).
    n_show : int
        Held-out faces shown.

    Attributes
    ----------
    lam, alpha, expression : controls;  image : the input/output/target grid (PNG);
    maps : weight and bias maps (PNG);  models : ``{expression: PixelRidge}``;
    n_fits : number of full fits so far.
    """

    def __init__(self, train, test, lam=0.4, alpha=1.0, n_show=5, scale=1):
        w = _w()
        self._init_common()
        self.train, self.test = _as_dict(train, "happy"), _as_dict(test, "happy")
        _check_test(self.train, self.test)
        self.n_show, self.scale = n_show, scale
        self.models = {}
        self.lam, self.alpha = lam_slider(lam), alpha_slider(alpha)
        self.expression = w.Dropdown(options=list(self.train), description="expression")
        self.image, self.maps = w.Image(format="png"), w.Image(format="png")
        self.metrics = w.HTML("")
        self.lam.observe(lambda ch: self._on_lam(), "value")
        self.alpha.observe(lambda ch: self._draw(), "value")
        self.expression.observe(lambda ch: self._on_lam(), "value")
        self.widget = w.VBox([
            w.HBox([self.expression, self.lam, self.alpha]),
            self.status, self.image, self.metrics,
            w.HTML("<b>Pixel-RR weight and bias maps</b> (red: w &gt; 1 / b &gt; 0, blue: w &lt; 1 / b &lt; 0, "
                   "white: identity)"),
            self.maps,
        ])
        self._on_lam()

    @property
    def model(self):
        """The Pixel-RR model for the current expression (fitted once, then only updated)."""
        e = self.expression.value
        if e not in self.models:
            p = self.train[e]
            self.status.value = f"fitting Pixel-RR on {len(p)} pairs ({e})…"
            self.models[e] = PixelRidge(lam=self.lam.value).fit(p.inputs, p.targets)
            self.n_fits += 1
            self.status.value = ""
        return self.models[e]

    def _on_lam(self):
        t0 = time.perf_counter()
        m = self.model
        if m.lam != self.lam.value:
            m.update(lam=self.lam.value)  # Eq. 6 from stored sums: no pass over the images
        self._draw(maps=True)
        self.last_ms["lam"] = 1e3 * (time.perf_counter() - t0)

    def outputs(self):
        """``(x, y_alpha, t)`` for the shown held-out faces."""
        test = self.test[self.expression.value]
        x, t = test.inputs[:self.n_show], test.targets[:self.n_show]
        return x, apply_intensity(x, self.model.predict(x), self.alpha.value), t

    def _draw(self, maps=False):
        x, y, t = self.outputs()
        test = self.test[self.expression.value]
        a = self.alpha.value
        self.image.value = plotting.grid_png(
            [x, y, t], row_labels=["input", f"Pixel-RR α={a:.2f}", "target"],
            col_labels=_labels(test, self.n_show), scale=self.scale)
        y_all = apply_intensity(test.inputs, self.model.predict(test.inputs), a)
        self.metrics.value = (
            f"held-out: {len(test)} faces · PSNR output {_psnr(y_all, test.targets):.2f} dB "
            f"(input as is: {_psnr(test.inputs, test.targets):.2f} dB) · λ = {self.lam.value:.3g} · "
            f"data: {test.source}")
        if maps:
            wmap, bmap, dw, db = plotting._weight_bias(self.model)
            self.maps.value = plotting.grid_png(
                [[plotting.colourise(wmap, vmin=1 - dw, vmax=1 + dw), plotting.colourise(bmap, vmin=-db, vmax=db)]],
                col_labels=[f"w: {1 - dw:.2f}..{1 + dw:.2f}", f"b: {-db:.2f}..{db:.2f}"], scale=max(self.scale, 1))


# --------------------------------------------------------------------------- kernel explorer
class KernelExplorer(_Explorer):
    """Pixel-KR with σ and λ sliders, next to Pixel-RR and the target.

    A σ change rebuilds the kernel model from its stored training values
    (``update(sigma=...)``, no new pass over the images) while a busy note is
    shown and the sliders are disabled; a λ change is a small solve per pixel.

    Parameters
    ----------
    train, test : Pairs
    sigma, lam : float
    n_show : int
    sigma_range : (low, high)
        Slider range (default: the paper's Fig. 5 sweep, 0.1 and up).  The
        rebuild costs more as σ shrinks (the kernel's basis rank grows like
        1/σ): at 128x128x3 and N = 102 about 0.25 s at σ = 3, 0.5 s at
        σ = 0.3 and 1.6 s at σ = 0.1 (benchmarks/widget_latency.py).

    Attributes
    ----------
    sigma, lam : controls;  image : grid PNG;  kr, rr : the models;  busy : HTML busy note
    """

    def __init__(self, train, test, sigma=1.0, lam=0.4, n_show=4, scale=1, sigma_range=(0.1, 20.0)):
        w = _w()
        self._init_common()
        self.train, self.test, self.n_show, self.scale = train, test, n_show, scale
        self.sigma = sigma_slider(sigma, low=sigma_range[0], high=sigma_range[1])
        self.lam = lam_slider(lam, continuous=False)
        self.image = w.Image(format="png")
        self.busy = w.HTML("")
        self.info = w.HTML("")
        t0 = time.perf_counter()
        self.rr = PixelRidge(lam=lam).fit(train.inputs, train.targets)
        self.kr = PixelKernelRidge(lam=lam, sigma=sigma).fit(train.inputs, train.targets)
        self.n_fits += 1
        self.last_ms["fit"] = 1e3 * (time.perf_counter() - t0)
        self.sigma.observe(lambda ch: self._update(sigma=ch["new"]), "value")
        self.lam.observe(lambda ch: self._update(lam=ch["new"]), "value")
        self.widget = w.VBox([w.HBox([self.sigma, self.lam, self.busy]), self.image, self.info])
        self._draw()

    def _update(self, lam=None, sigma=None):
        t0 = time.perf_counter()
        what = f"σ = {sigma:.3g}" if sigma is not None else f"λ = {lam:.3g}"
        self.busy.value = f"<span style='color:#b35900'>⏳ computing Pixel-KR for {what}…</span>"
        self.sigma.disabled = self.lam.disabled = True
        try:
            self.kr.update(lam=lam, sigma=sigma)
            if lam is not None:
                self.rr.update(lam=lam)
            self._draw()
        finally:
            self.sigma.disabled = self.lam.disabled = False
            self.busy.value = ""
        self.last_ms["sigma" if sigma is not None else "lam"] = 1e3 * (time.perf_counter() - t0)

    def _draw(self):
        x, t = self.test.inputs[:self.n_show], self.test.targets[:self.n_show]
        yk, yr = self.kr.predict(x), self.rr.predict(x)
        self.image.value = plotting.grid_png(
            [x, yk, yr, t], row_labels=["input", f"Pixel-KR σ={self.kr.sigma:.3g}", "Pixel-RR", "target"],
            col_labels=_labels(self.test, self.n_show), scale=self.scale)
        self.info.value = (
            f"λ = {self.kr.lam:.3g} · parameters per channel: Pixel-KR {self.kr.n_params:,} "
            f"(N = {len(self.kr.X_)} per pixel) vs Pixel-RR {self.rr.n_params:,} · "
            f"held-out PSNR: Pixel-KR {_psnr(yk, t):.2f} dB, Pixel-RR {_psnr(yr, t):.2f} dB")


# --------------------------------------------------------------------------- gallery explorer
def decode_upload(value):
    """The image in an ``ipywidgets.FileUpload`` value as a uint8 RGB array (None if empty)."""
    from PIL import Image

    if not value:
        return None
    item = value[0] if isinstance(value, (tuple, list)) else next(iter(value.values()))
    content = item["content"]
    with Image.open(io.BytesIO(bytes(content))) as im:
        return np.asarray(im.convert("RGB"))


def parse_eyes(text):
    """``"x1, y1, x2, y2"`` -> ``[[x1, y1], [x2, y2]]`` (None for an empty string).

    >>> parse_eyes("10, 20, 30, 21")
    [[10.0, 20.0], [30.0, 21.0]]
    """
    text = (text or "").replace(";", ",").strip()
    if not text:
        return None
    v = [float(s) for s in text.replace(",", " ").split()]
    if len(v) != 4:
        raise ValueError(f"eye coordinates need 4 numbers 'x_left, y_left, x_right, y_right' in pixels, got {text!r}")
    return [[v[0], v[1]], [v[2], v[3]]]


class GalleryExplorer(_Explorer):
    """Trained models applied to out-of-dataset faces, side by side (the paper's Figs. 1 and 4).

    Parameters
    ----------
    models : dict ``{label: fitted model}``
        E.g. ``{"Pixel-RR": rr, "Pixel-KR": kr, "MR": mr}``; all must take
        the gallery's image shape.
    gallery : dict ``{name: (H, W, 3) image}``
        Aligned faces (``pfe.load_gallery(size)``).
    lam, alpha : float
        λ is applied to every model with ``update(lam=...)``.

    Attributes
    ----------
    show, lam, alpha, upload, eyes : controls;  image : the grid PNG;
    faces : ``{name: image}`` shown (your upload is added as ``"upload"``).
    """

    def __init__(self, models, gallery, lam=0.4, alpha=1.0, scale=1):
        w = _w()
        self._init_common()
        if not models or not gallery:
            raise ValueError("GalleryExplorer needs at least one fitted model and one gallery image")
        self.models, self.faces, self.scale = dict(models), dict(gallery), scale
        self.show = w.Dropdown(options=["all"] + list(self.models), value="all", description="model")
        self.lam, self.alpha = lam_slider(lam), alpha_slider(alpha)
        self.upload = w.FileUpload(accept="image/*", multiple=False, description="your photo")
        self.eyes = w.Text(placeholder="x_left, y_left, x_right, y_right (optional)", description="eyes",
                           continuous_update=False)
        self.image = w.Image(format="png")
        self.show.observe(lambda ch: self._draw(), "value")
        self.alpha.observe(lambda ch: self._draw(), "value")
        self.lam.observe(lambda ch: self._on_lam(), "value")
        self.upload.observe(lambda ch: self._on_upload(), "value")
        self.eyes.observe(lambda ch: self._on_upload(), "value")
        self.widget = w.VBox([
            w.HBox([self.show, self.lam, self.alpha]),
            w.HBox([self.upload, self.eyes]),
            self.status, self.image,
        ])
        self._on_lam()

    def _on_lam(self):
        t0 = time.perf_counter()
        for m in self.models.values():
            if m.lam != self.lam.value:
                m.update(lam=self.lam.value)
        self._draw()
        self.last_ms["lam"] = 1e3 * (time.perf_counter() - t0)

    def add_face(self, image, eyes=None, name="upload"):
        """Align a photo (``align_face``; eyes ``[[x, y], [x, y]]`` when detection fails) and show it."""
        from .align import align_face

        size = next(iter(self.faces.values())).shape[0]
        self.faces[name] = np.asarray(align_face(image, eyes=eyes, size=size), dtype=np.float64)
        self._draw()
        return self.faces[name]

    def _on_upload(self):
        try:
            image = decode_upload(self.upload.value)
            if image is None:
                return
            eyes = parse_eyes(self.eyes.value)
            self.add_face(image, eyes=eyes)
            how = "your eye coordinates" if eyes else "detected eyes"
            self.status.value = f"aligned your photo ({image.shape[1]}x{image.shape[0]} px) with {how}: last column"
        except ValueError as e:  # no face found, bad coordinates ...
            self.status.value = (f"<span style='color:#b00'>{e}</span> — type the eye centres in pixels "
                                 "of your photo: x_left, y_left, x_right, y_right")
        except OSError as e:
            self.status.value = f"<span style='color:#b00'>could not read that file as an image: {e}</span>"

    def _draw(self):
        names = list(self.faces)
        X = np.stack([self.faces[n] for n in names])
        labels = list(self.models) if self.show.value == "all" else [self.show.value]
        a = self.alpha.value
        rows = [X] + [apply_intensity(X, self.models[k].predict(X), a) for k in labels]
        self.image.value = plotting.grid_png(
            rows, row_labels=["input"] + [f"{k}" + (f" α={a:.2f}" if a != 1 else "") for k in labels],
            col_labels=[n[:12] for n in names], scale=self.scale)


# --------------------------------------------------------------------------- masked regression
class ReceptiveFieldExplorer(_Explorer):
    """Masked regression with a receptive-field slider: r x r input patch per output pixel.

    ``r = 1`` is Pixel-RR exactly (the info line shows the largest difference).
    Models are fitted once per r on first use and cached; λ re-solves all
    of them from their stored Gram matrices.

    Parameters
    ----------
    train, test : Pairs
    fields : tuple of odd ints
    lam : float
    n_show : int

    Attributes
    ----------
    field, lam : controls;  image : grid PNG;  models : ``{r: MaskedRidge}``;  rr : Pixel-RR;
    fit_seconds : ``{r: seconds}`` (Pixel-RR under key ``"Pixel-RR"``);
    max_diff : largest ``|MR - Pixel-RR|`` on the shown faces (rounding noise at r = 1)
    """

    def __init__(self, train, test, fields=(1, 3, 5), lam=0.4, field=3, n_show=4, scale=1):
        w = _w()
        self._init_common()
        self.train, self.test, self.n_show, self.scale = train, test, n_show, scale
        self.models, self.fit_seconds = {}, {}
        t0 = time.perf_counter()
        self.rr = PixelRidge(lam=lam).fit(train.inputs, train.targets)
        self.fit_seconds["Pixel-RR"] = time.perf_counter() - t0
        self.field = w.SelectionSlider(options=[int(f) for f in fields], value=field, description="field r",
                                       continuous_update=False)
        self.lam = lam_slider(lam, continuous=False)
        self.image, self.info = w.Image(format="png"), w.HTML("")
        self.field.observe(lambda ch: self._draw(), "value")
        self.lam.observe(lambda ch: self._on_lam(), "value")
        self.widget = w.VBox([w.HBox([self.field, self.lam]), self.status, self.image, self.info])
        self._draw()

    def model(self, r=None):
        """The MR model for field ``r`` (default: the slider's), fitted on first use."""
        r = self.field.value if r is None else r
        if r not in self.models:
            self.status.value = f"fitting MR with a {r}x{r} field on {len(self.train)} pairs…"
            t0 = time.perf_counter()
            self.models[r] = MaskedRidge(lam=self.lam.value, field=r).fit(self.train.inputs, self.train.targets)
            self.fit_seconds[r] = time.perf_counter() - t0
            self.n_fits += 1
            self.status.value = ""
        return self.models[r]

    def _on_lam(self):
        self.rr.update(lam=self.lam.value)
        for m in self.models.values():
            m.update(lam=self.lam.value)
        self._draw()

    def _draw(self):
        r = self.field.value
        m = self.model(r)
        x, t = self.test.inputs[:self.n_show], self.test.targets[:self.n_show]
        ym, yr = m.predict(x), self.rr.predict(x)
        diff = np.abs(ym - yr)
        diff_img = diff.mean(-1) if diff.ndim == 4 else diff
        self.max_diff = float(diff.max())  # largest |MR - Pixel-RR| on the shown faces
        dmax = max(float(diff_img.max()), 1e-12)
        self.image.value = plotting.grid_png(
            [x, ym, yr, t, [plotting.colourise(d, "magma", 0, dmax) for d in diff_img]],
            row_labels=["input", f"MR r={r}", "Pixel-RR", "target", "|MR - RR|"],
            col_labels=_labels(self.test, self.n_show), scale=self.scale)
        self.info.value = (
            f"max |MR(r={r}) - Pixel-RR| on the shown faces: {self.max_diff:.2e} "
            f"(difference row scaled to that max) · parameters per channel: MR {m.n_params:,} vs Pixel-RR "
            f"{self.rr.n_params:,} · fit time: MR {self.fit_seconds[r]:.2f} s, "
            f"Pixel-RR {self.fit_seconds['Pixel-RR']:.2f} s")
