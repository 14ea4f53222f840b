"""Pixel-KR with σ and λ sliders, next to Pixel-RR and the target.
"""
import time


from .. import pictures
from ..models import PixelKernelRidge, PixelRidge
from .controls import Explorer, column_labels, image_widget, ipywidgets, lam_slider, mean_psnr, sigma_slider

__all__ = ['KernelExplorer']


#: A move that may take longer than this shows the busy note (and disables the sliders) while it works.
BUSY_SECONDS = 0.3


class KernelExplorer(Explorer):
    """Pixel-KR with σ and λ sliders, next to Pixel-RR and the target.

    A σ change rebuilds the kernel model from its stored training values
    (``update(sigma=...)``, no new pass over the images) while a busy note is
    shown and the sliders are disabled; a λ change is a small solve per pixel
    (with the note too if the last one took longer than ``BUSY_SECONDS``).

    Parameters
    ----------
    train, test : Pairs
    sigma, lam : float
    n_show : int
    sigma_range : (low, high)
        Slider range (default: the paper's Fig. 5 sweep, 0.1 and up).  The
        rebuild costs more as σ shrinks (the kernel's basis size grows like
        1/σ): see benchmarks/widget_latency.py for the times at 128x128x3.

    Attributes
    ----------
    sigma, lam : controls;  image : grid PNG;  kr, rr : the models;  busy : HTML busy note
    """

    def __init__(self, train, test, sigma=1.0, lam=0.4, n_show=4, scale=1, sigma_range=(0.1, 20.0)):
        w = ipywidgets()
        self._init_common()
        self.train, self.test, self.n_show, self.scale = train, test, n_show, scale
        self.sigma = sigma_slider(sigma, low=sigma_range[0], high=sigma_range[1])
        self.lam = lam_slider(lam, continuous=False)
        self.image = image_widget()
        self.busy = w.HTML("")
        self.info = w.HTML("")
        t0 = time.perf_counter()
        self.rr = PixelRidge(lam=lam).fit(train.inputs, train.targets)
        self.kr = PixelKernelRidge(lam=lam, sigma=sigma).fit(train.inputs, train.targets)
        self.n_fits += 1
        self.last_ms["fit"] = 1e3 * (time.perf_counter() - t0)
        self.sigma.observe(lambda ch: self._update(sigma=ch["new"]), "value")
        self.lam.observe(lambda ch: self._update(lam=ch["new"]), "value")
        self.widget = w.VBox([self.style, w.HBox([self.sigma, self.lam, self.busy]), self.image, self.info])
        self._draw()

    def _update(self, lam=None, sigma=None):
        t0 = time.perf_counter()
        what = f"σ = {sigma:.3g}" if sigma is not None else f"λ = {lam:.3g}"
        if sigma is not None or self.last_ms.get("lam", 0) > 1e3 * BUSY_SECONDS:  # a σ rebuild may take seconds
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
        X, T, n = self.test.inputs, self.test.targets, self.n_show
        yk, yr = self.kr.predict(X), self.rr.predict(X)  # every held-out face: the scores below use them all
        self.image.value = pictures.grid_png(
            [X[:n], yk[:n], yr[:n], T[:n]],
            row_labels=["input", f"Pixel-KR σ={self.kr.sigma:.3g}", "Pixel-RR", "target"],
            col_labels=column_labels(self.test, n), scale=self.scale)
        self.info.value = (
            f"λ = {self.kr.lam:.3g} · parameters per channel: Pixel-KR {self.kr.n_params:,} "
            f"(N = {len(self.kr.X_)} per pixel) vs Pixel-RR {self.rr.n_params:,} · "
            f"held-out PSNR over all {len(X)} faces: Pixel-KR {mean_psnr(yk, T):.2f} dB, "
            f"Pixel-RR {mean_psnr(yr, T):.2f} dB")
