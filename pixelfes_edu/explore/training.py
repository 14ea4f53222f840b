"""Pixel-RR trained on one set of people, shown on held-out ones, with λ, target expression and intensity α.
"""
import time


from .. import pictures, plotting
from ..evaluation.metrics import apply_intensity
from ..models import PixelRidge
from .controls import (Explorer, alpha_slider, check_same_expressions, column_labels, expression_dict, image_widget,
                       ipywidgets, lam_slider, mean_psnr)

__all__ = ['TrainingExplorer']


class TrainingExplorer(Explorer):
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
        w = ipywidgets()
        self._init_common()
        self.train, self.test = expression_dict(train, "happy"), expression_dict(test, "happy")
        check_same_expressions(self.train, self.test)
        self.n_show, self.scale = n_show, scale
        self.models = {}
        self.lam, self.alpha = lam_slider(lam), alpha_slider(alpha)
        self.expression = w.Dropdown(options=list(self.train), description="expression")
        self.image, self.maps = image_widget(), image_widget()
        self.metrics = w.HTML("")
        self.lam.observe(lambda ch: self._on_lam(), "value")
        self.alpha.observe(lambda ch: self._draw(), "value")
        self.expression.observe(lambda ch: self._on_lam(), "value")
        self.widget = w.VBox([
            self.style, w.HBox([self.expression, self.lam, self.alpha]),
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
        self._predicted = m.predict(self.test[self.expression.value].inputs)  # α only re-blends these
        self._draw(maps=True)
        self.last_ms["lam"] = 1e3 * (time.perf_counter() - t0)

    def outputs(self):
        """``(x, y_alpha, t)`` for the shown held-out faces."""
        test = self.test[self.expression.value]
        x, t = test.inputs[:self.n_show], test.targets[:self.n_show]
        return x, apply_intensity(x, self._predicted[:self.n_show], self.alpha.value), t

    def _draw(self, maps=False):
        x, y, t = self.outputs()
        test = self.test[self.expression.value]
        a = self.alpha.value
        self.image.value = pictures.grid_png(
            [x, y, t], row_labels=["input", f"Pixel-RR α={a:.2f}", "target"],
            col_labels=column_labels(test, self.n_show), scale=self.scale)
        y_all = apply_intensity(test.inputs, self._predicted, a)
        self.metrics.value = (
            f"held-out: {len(test)} faces · PSNR output {mean_psnr(y_all, test.targets):.2f} dB "
            f"(input as is: {mean_psnr(test.inputs, test.targets):.2f} dB) · λ = {self.lam.value:.3g} · "
            f"data: {test.source}")
        if maps:
            wmap, bmap, dw, db = plotting.weight_bias_arrays(self.model)
            cells = [pictures.colourise(wmap, vmin=1 - dw, vmax=1 + dw),
                     pictures.colourbar("RdBu_r", 1 - dw, 1 + dw, wmap.shape),
                     pictures.colourise(bmap, vmin=-db, vmax=db), pictures.colourbar("RdBu_r", -db, db, wmap.shape)]
            self.maps.value = pictures.grid_png([cells], col_labels=["weight w", "", "bias b", ""],
                                                scale=max(self.scale, 1))
