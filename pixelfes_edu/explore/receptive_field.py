"""Masked regression with a receptive-field slider: r x r input patch per output pixel (r = 1 is Pixel-RR).
"""
import time

import numpy as np

from .. import pictures
from ..models import MaskedRidge, PixelRidge
from .controls import Explorer, column_labels, image_widget, ipywidgets, lam_slider

__all__ = ['ReceptiveFieldExplorer']


class ReceptiveFieldExplorer(Explorer):
    """Masked regression with a receptive-field slider: r x r input patch per output pixel.

    ``r = 1`` is Pixel-RR exactly (the info line shows the largest difference).
    Models are fitted once per r on first use and cached; λ re-solves the
    shown one from its stored Gram matrices (the others when they are shown).

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
        w = ipywidgets()
        self._init_common()
        self.train, self.test, self.n_show, self.scale = train, test, n_show, scale
        self.models, self.fit_seconds = {}, {}
        t0 = time.perf_counter()
        self.rr = PixelRidge(lam=lam).fit(train.inputs, train.targets)
        self.fit_seconds["Pixel-RR"] = time.perf_counter() - t0
        self.field = w.SelectionSlider(options=[int(f) for f in fields], value=field, description="field r",
                                       continuous_update=False)
        self.lam = lam_slider(lam, continuous=False)
        self.image, self.info = image_widget(), w.HTML("")
        self.field.observe(lambda ch: self._draw(), "value")
        self.lam.observe(lambda ch: self._on_lam(), "value")
        self.widget = w.VBox([self.style, w.HBox([self.field, self.lam]), self.status, self.image, self.info])
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
        elif self.models[r].lam != self.lam.value:  # λ moved while another field was shown
            self.models[r].update(lam=self.lam.value)
        return self.models[r]

    def _on_lam(self):
        self.rr.update(lam=self.lam.value)
        self._draw()  # re-solves the shown model only

    def _draw(self):
        r = self.field.value
        m = self.model(r)
        x, t = self.test.inputs[:self.n_show], self.test.targets[:self.n_show]
        ym, yr = m.predict(x), self.rr.predict(x)
        diff = np.abs(ym - yr)
        diff_img = diff.mean(-1) if diff.ndim == 4 else diff
        self.max_diff = float(diff.max())  # largest |MR - Pixel-RR| on the shown faces
        dmax = max(float(diff_img.max()), 1e-12)
        self.image.value = pictures.grid_png(
            [x, ym, yr, t, [pictures.colourise(d, "magma", 0, dmax) for d in diff_img]
             + [pictures.colourbar("magma", 0, dmax, diff_img.shape[1:])]],
            row_labels=["input", f"MR r={r}", "Pixel-RR", "target", "|MR - RR|"],
            col_labels=column_labels(self.test, self.n_show), scale=self.scale)
        self.info.value = (
            f"max |MR(r={r}) - Pixel-RR| on the shown faces: {self.max_diff:.2e} "
            f"(the difference row's colour bar goes from 0 to the largest difference shown) · "
            f"parameters per channel: MR {m.n_params:,} vs Pixel-RR "
            f"{self.rr.n_params:,} · fit time: MR {self.fit_seconds[r]:.2f} s, "
            f"Pixel-RR {self.fit_seconds['Pixel-RR']:.2f} s")
