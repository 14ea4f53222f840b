"""The web app of ``notebooks/app.ipynb``: a face, the models and their controls, the photo before and after.

For Voilà: no code and no exercises on the page. A gallery photo or an uploaded one
is found (face landmarks), aligned to the training geometry, changed by the chosen
model and pasted back into the photo at its full resolution
(:func:`~pixelfes_edu.faces.synthesize`); below, what the model saw: the aligned
crop, its output and the change, enlarged twice.
"""
import time

import numpy as np

from .. import pictures
from ..evaluation.metrics import apply_intensity
from ..faces import FaceNotFoundError, detect_landmarks, synthesize
from .controls import Explorer, alpha_slider, image_widget, ipywidgets, lam_slider, sigma_slider
from .gallery import before_after, decode_upload

__all__ = ["SmileApp"]


class SmileApp(Explorer):
    """Pick or upload a face; choose the model, λ, σ (Pixel-KR) and the intensity α.

    Parameters
    ----------
    models : dict ``{label: fitted model}``
        A Pixel-KR model among them (any label) gets the σ slider.
    photos : dict ``{name: photo}``
        Full-resolution photos to pick from (:func:`pixelfes_edu.data.load_gallery_photos`).
    eyes : dict ``{name: [[x, y], [x, y]]}``, optional
        Pupils for photos the landmark detector refuses (animals: the manifest's ``eyes``).
    first : str, optional
        The photo shown first (default: the first name).
    lam, sigma, alpha : float
        Starting values; λ applies to the chosen model (``update(lam=...)``), σ to Pixel-KR.
    source : str
        The training data, named in the status line (``pairs.source``).
    preview_side : int
        Longer side of the before/after pictures (the result itself keeps the photo's size: ``image``).

    Attributes
    ----------
    face, upload, model, lam, sigma, alpha : controls;  result : before | after (JPEG);
    crops : aligned crop | output | change, 2x (PNG);  image : the changed photo at full resolution;
    synthesis : what :func:`~pixelfes_edu.faces.synthesize` returned

    Examples
    --------
    >>> import pixelfes_edu as pfe
    >>> pairs = pfe.load_pairs("synthetic", n=8, size=32)
    >>> rr = pfe.PixelRidge().fit(pairs.inputs, pairs.targets)
    >>> photos = pfe.data.load_gallery_photos(online=False)
    >>> app = SmileApp({"Pixel-RR": rr}, photos, first="astronaut")    # doctest: +SKIP
    >>> app.image.shape, app.sigma.disabled                            # doctest: +SKIP
    ((512, 512, 3), True)
    """

    def __init__(self, models, photos, eyes=None, first=None, lam=0.4, sigma=1.0, alpha=1.0, source="",
                 preview_side=420):
        w = ipywidgets()
        self._init_common()
        if not models or not photos:
            raise ValueError("SmileApp needs at least one fitted model and one photo")
        self.models, self.photos, self.eyes = dict(models), dict(photos), dict(eyes or {})
        self.source, self.preview_side = source, preview_side
        self._where, self.synthesis, self.image, self.photo = {}, None, None, None
        first = next(iter(self.photos)) if first is None else first
        self.face = w.Dropdown(options=sorted(self.photos), value=first, description="face")
        self.upload = w.FileUpload(accept="image/*", multiple=False, description="your photo")
        self.model = w.ToggleButtons(options=list(self.models), description="model")
        self.lam = lam_slider(lam, continuous=False)
        self.sigma, self.alpha = sigma_slider(sigma, low=0.1, high=10.0), alpha_slider(alpha)
        self.result, self.crops = image_widget("jpeg", pixels=False), image_widget()
        self.face.observe(lambda ch: self.show(self.photos[ch["new"]], ch["new"]), "value")
        self.upload.observe(lambda ch: self._on_upload(), "value")
        for control in (self.model, self.lam, self.sigma):
            control.observe(lambda ch: self._on_model(), "value")
        self.alpha.observe(lambda ch: self._on_alpha(), "value")
        self.widget = w.VBox([
            self.style, w.HBox([self.face, self.upload]), self.model, w.HBox([self.lam, self.sigma, self.alpha]),
            self.status, self.result,
            w.HTML("<b>what the model sees</b> (aligned crop, 2x): input | output | the change (grey = none)"),
            self.crops])
        self._on_model()
        self.show(self.photos[first], first)

    @property
    def kernel(self):
        """Is the chosen model Pixel-KR (the one σ applies to)?"""
        return hasattr(self.models[self.model.value], "sigma")

    def _find(self, photo, name):
        """Where the face is: detected landmarks (cached by name), else the given eyes."""
        if name not in self._where:
            try:
                self._where[name] = {"landmarks": detect_landmarks(photo)}
            except FaceNotFoundError:
                if name not in self.eyes:
                    raise
                self._where[name] = {"eyes": self.eyes[name]}
        return self._where[name]

    def show(self, photo, name):
        """Use ``photo`` (an upright RGB array) under ``name``: find the face, change it, draw."""
        try:
            where = self._find(photo, name)
        except FaceNotFoundError:
            self.status.value = ("<span style='color:#b00'>No face found in that photo.</span> Try one with a single "
                                 "face, upright and facing the camera (notebook 6 lets you type the eye positions).")
            return
        self.photo, self.where = np.asarray(photo), where
        self._render()

    def _on_upload(self):
        try:
            photo = decode_upload(self.upload.value)
        except ValueError as e:  # CorruptFileError
            self.status.value = f"<span style='color:#b00'>Could not read that file as an image: {e}</span>"
            return
        if photo is not None:
            self._where.pop("your photo", None)
            self.show(photo, "your photo")

    def _on_model(self):
        m = self.models[self.model.value]
        self.sigma.disabled = not self.kernel
        changes = {"lam": self.lam.value, **({"sigma": self.sigma.value} if self.kernel else {})}
        if any(getattr(m, k) != v for k, v in changes.items()):
            t0 = time.perf_counter()
            self.status.value = "working…"
            m.update(**changes)  # from the model's stored statistics: no pass over the images
            self.last_ms["update"] = 1e3 * (time.perf_counter() - t0)
        if self.photo is not None:
            self._render()

    def _render(self):
        t0 = time.perf_counter()
        self.synthesis = synthesize(self.photo, self.models[self.model.value], alpha=self.alpha.value,
                                    return_crops=True, **self.where)
        self.image = self.synthesis.image
        self._draw()
        self.last_ms["synthesize"] = 1e3 * (time.perf_counter() - t0)

    def _on_alpha(self):
        if self.synthesis is not None:
            self.image = self.synthesis.at_alpha(self.alpha.value)  # re-blend only: no alignment, no prediction
            self._draw()

    def _draw(self):
        s, a = self.synthesis, self.alpha.value
        h, w = self.photo.shape[:2]
        self.status.value = (f"{self.model.value}, λ = {self.lam.value:.3g}"
                             + (f", σ = {self.sigma.value:.3g}" if self.kernel else "")
                             + f", α = {a:.2f} — photo {w}x{h} px" + (f"; trained on {self.source}" if self.source
                                                                       else ""))
        self.result.value = before_after(self.photo, self.image, self.preview_side, gap=8)
        out = np.clip(apply_intensity(s.aligned, s.prediction, a), 0, 1)
        self.crops.value = pictures.grid_png([[s.aligned, out, np.clip(0.5 + out - s.aligned, 0, 1)]], scale=2)
