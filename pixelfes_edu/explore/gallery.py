"""Trained models on out-of-dataset faces and your own photo (the paper's Figs. 1 and 4).
"""
import time

import numpy as np

from .. import plotting
from ..evaluation.metrics import apply_intensity
from ..faces.align import align_face
from ..faces.image import CorruptFileError, read_photo
from .controls import Explorer, alpha_slider, ipywidgets, lam_slider

__all__ = ['GalleryExplorer', 'decode_upload', 'parse_eyes']


def decode_upload(value):
    """The image in an ``ipywidgets.FileUpload`` value as an upright uint8 RGB array (None if empty).

    Decoded by :func:`pixelfes_edu.faces.image.read_photo`: EXIF orientation
    is applied, damaged files raise ``CorruptFileError`` (a ``ValueError``).
    """
    if not value:
        return None
    item = value[0] if isinstance(value, (tuple, list)) else next(iter(value.values()))
    return read_photo(bytes(item["content"]), name=item.get("name", "the uploaded file"))


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


class GalleryExplorer(Explorer):
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
        w = ipywidgets()
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
        except CorruptFileError as e:
            self.status.value = f"<span style='color:#b00'>could not read that file as an image: {e}</span>"
        except ValueError as e:  # no face found, bad coordinates ...
            self.status.value = (f"<span style='color:#b00'>{e}</span> — type the eye centres in pixels "
                                 "of your photo: x_left, y_left, x_right, y_right")

    def _draw(self):
        names = list(self.faces)
        X = np.stack([self.faces[n] for n in names])
        labels = list(self.models) if self.show.value == "all" else [self.show.value]
        a = self.alpha.value
        rows = [X] + [apply_intensity(X, self.models[k].predict(X), a) for k in labels]
        self.image.value = plotting.grid_png(
            rows, row_labels=["input"] + [f"{k}" + (f" α={a:.2f}" if a != 1 else "") for k in labels],
            col_labels=[n[:12] for n in names], scale=self.scale)
