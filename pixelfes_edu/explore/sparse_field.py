"""Sparse receptive fields with sliders: radius, λ, locality, smoothness and intensity α, next to Pixel-RR.
"""
import time

import numpy as np

from .. import pictures, plotting
from ..evaluation.metrics import apply_intensity
from ..models import PixelRidge, SparseFieldRidge
from .controls import Explorer, alpha_slider, column_labels, image_widget, ipywidgets, lam_slider, mean_psnr

__all__ = ["SparseFieldExplorer"]


class SparseFieldExplorer(Explorer):
    """Where should a pixel look?  A :class:`~pixelfes_edu.models.SparseFieldRidge` with its controls.

    The model is fitted once, at the largest radius; every slider then chooses
    again from its stored per-candidate sums (``model.update``: no pass over
    the images), so ``n_fits`` stays 1.  Radius 0 is Pixel-RR exactly (the info
    line prints the largest difference).

    Parameters
    ----------
    train, test : Pairs (split by person)
    radius : int
        Largest radius offered (the slider runs from 0 to it); the model starts there.
    lam, locality, smoothness : the model's hyper-parameters to start with
    alpha : float
        Expression intensity ``x + α (ŷ - x)`` for both models.
    n_show : int
        Held-out faces shown.

    Attributes
    ----------
    radius, lam, locality, smoothness, alpha : controls;  image : input / sparse field / Pixel-RR /
    target grid (PNG);  field : the chosen offsets on a colour wheel (PNG);  info : numbers line;
    model : the SparseFieldRidge;  rr : Pixel-RR at the same λ;  max_diff : largest
    ``|sparse field - Pixel-RR|`` on the shown faces;  moved : share of output pixels with ``d != 0``.

    Examples
    --------
    >>> from pixelfes_edu.explore import pairs_like
    >>> X = np.random.default_rng(0).random((12, 16, 16, 3)); T = np.roll(X, 1, axis=2)
    >>> ex = SparseFieldExplorer(pairs_like(X[:9], T[:9]), pairs_like(X[9:], T[9:]), radius=2, n_show=2)
    >>> ex.radius.value = 0; f"{ex.max_diff:.0e}", ex.n_fits
    ('0e+00', 1)
    """

    def __init__(self, train, test, radius=4, lam=0.4, locality=0.0, smoothness=2.5, alpha=1.0, n_show=4,
                 scale=1):
        w = ipywidgets()
        self._init_common()
        self.train, self.test, self.n_show, self.scale = train, test, n_show, scale
        self.status.value = f"fitting the sparse field (radius {radius}) on {len(train)} pairs…"
        t0 = time.perf_counter()
        self.model = SparseFieldRidge(lam=lam, radius=radius, locality=locality, smoothness=smoothness)
        self.model.fit(train.inputs, train.targets)
        self.fit_seconds = time.perf_counter() - t0
        self.n_fits += 1
        self.rr = PixelRidge(lam=lam).fit(train.inputs, train.targets)
        self.status.value = ""
        slow = {"continuous_update": False, "style": {"description_width": "initial"}}
        self.radius = w.IntSlider(value=radius, min=0, max=radius, description="radius R", **slow)
        self.lam = lam_slider(lam, continuous=False)
        self.locality = w.FloatSlider(value=locality, min=0.0, max=0.05, step=0.0025, readout_format=".4f",
                                      description="locality", **slow)
        self.smoothness = w.FloatSlider(value=smoothness, min=0.0, max=5.0, step=0.25,
                                        description="smoothness σ", **slow)
        self.alpha = alpha_slider(alpha)
        self.image, self.field, self.info = image_widget(), image_widget(), w.HTML("")
        for control in (self.radius, self.lam, self.locality, self.smoothness):
            control.observe(lambda ch: self._on_model(), "value")
        self.alpha.observe(lambda ch: self._draw(), "value")
        self.widget = w.VBox([
            self.style, w.HBox([self.radius, self.lam]), w.HBox([self.locality, self.smoothness, self.alpha]),
            self.status, w.HBox([self.image, w.VBox([
                w.HTML("<b>where each pixel looks</b><br>hue: direction the content moved<br>"
                       "(→ red, ↑ green, ← cyan, ↓ violet;<br>the key on the right)<br>white: stays put (Pixel-RR)"),
                self.field])]),
            self.info,
        ])
        self._predict()
        self._draw()

    def _on_model(self):
        t0 = time.perf_counter()
        self.model.update(lam=self.lam.value, radius=self.radius.value, locality=self.locality.value,
                          smoothness=self.smoothness.value)  # chosen again from the stored sums
        if self.rr.lam != self.lam.value:
            self.rr.update(lam=self.lam.value)
        self.last_ms["update"] = 1e3 * (time.perf_counter() - t0)
        self._predict()
        self._draw()

    def _predict(self):
        """What α does not change: both models' predictions of every held-out face, and the offset field."""
        m = self.model
        self._predictions = m.predict(self.test.inputs), self.rr.predict(self.test.inputs)
        self.moved = float(np.any(m.offset_ != 0, axis=-1).mean())
        colours = plotting.offset_colours(m)
        self.field.value = pictures.grid_png([[colours, pictures.colour_wheel(colours.shape[0])]], scale=2 * self.scale)

    def outputs(self):
        """``(x, sparse field, Pixel-RR, t)`` for the shown held-out faces, at intensity α (not clipped)."""
        n, a = self.n_show, self.alpha.value
        x, t = self.test.inputs[:n], self.test.targets[:n]
        ys, yr = self._predictions
        return x, apply_intensity(x, ys[:n], a), apply_intensity(x, yr[:n], a), t

    def _draw(self):
        t0 = time.perf_counter()
        x, ys, yr, t = self.outputs()
        m, a = self.model, self.alpha.value
        self.max_diff = float(np.abs(ys - yr).max())
        self.image.value = pictures.grid_png(
            [x, ys, yr, t], row_labels=["input", f"sparse R={m.radius} α={a:.2f}", f"Pixel-RR α={a:.2f}", "target"],
            col_labels=column_labels(self.test, self.n_show), scale=self.scale)
        test = self.test
        y_all, r_all = (apply_intensity(test.inputs, y, a) for y in self._predictions)
        self.info.value = (
            f"held-out: {len(test)} faces · PSNR sparse {mean_psnr(y_all, test.targets):.2f} dB, Pixel-RR "
            f"{mean_psnr(r_all, test.targets):.2f} dB · {self.moved:.0%} of output pixels read another pixel "
            f"(mean |d| {np.hypot(*np.moveaxis(m.offset_, -1, 0)).mean():.2f} px) · "
            f"max |sparse − Pixel-RR| on the shown faces {self.max_diff:.2e} · parameters per channel "
            f"{m.n_params:,} (Pixel-RR {self.rr.n_params:,}) · fit {self.fit_seconds:.2f} s once, last slider "
            f"{self.last_ms.get('update', 0):.0f} ms · data: {test.source}")
        self.last_ms["draw"] = 1e3 * (time.perf_counter() - t0)
