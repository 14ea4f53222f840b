"""Trained models on out-of-dataset faces and your own photo (the paper's Figs. 1 and 4).

The grid shows the aligned gallery crops and every model's output on them. An uploaded photo
goes through the whole path a user expects: EXIF-upright decoding, face landmarks, and the
model's change pasted back into the full-resolution photo (``faces.synthesize``); when no face
is found, type the eye (and mouth) positions, read off the coordinate grid drawn on the photo.
"""
import base64
import time

import numpy as np

from .. import pictures
from ..evaluation.metrics import apply_intensity
from ..faces import FaceNotFoundError, Landmarks, align_face, detect_landmarks, draw_landmarks, synthesize
from ..faces.image import CorruptFileError, read_photo
from ..validation import parse_points
from .controls import Explorer, alpha_slider, image_widget, ipywidgets, lam_slider

__all__ = ['GalleryExplorer', 'decode_upload', 'parse_eyes', 'parse_mouth', 'coordinate_grid', 'preview', 'before_after']


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
    return parse_points(text, 2, "the eyes field", "x_left, y_left, x_right, y_right")


def parse_mouth(text):
    """``"x, y"`` -> ``[x, y]`` (None for an empty string).

    >>> parse_mouth("25, 40")
    [25.0, 40.0]
    """
    points = parse_points(text, 1, "the mouth field", "x, y")
    return None if points is None else points[0]


def preview(image, max_side=640):
    """A uint8 copy of ``image`` shrunk (area-averaged) so its longer side is at most ``max_side``."""
    from PIL import Image

    a = pictures.to_uint8(image)  # 16-bit photos scaled, not clipped
    h, w = a.shape[:2]
    s = max_side / max(h, w)
    if s >= 1:
        return a
    return np.asarray(Image.fromarray(a).resize((max(1, round(w * s)), max(1, round(h * s))), Image.BOX))


def coordinate_grid(image, max_side=640):
    """:func:`preview` of ``image`` with grid lines labelled in pixels of the ORIGINAL photo.

    What to read eye and mouth positions off when the face detector misses.
    """
    from PIL import Image, ImageDraw

    h, w = np.asarray(image).shape[:2]
    small = Image.fromarray(preview(image, max_side)).convert("RGB")
    s = small.size[0] / w
    base = 10 ** np.floor(np.log10(max(h, w) / 10))  # a round step giving 5 to 10 lines along the longer side
    step = max(next(base * f for f in (1, 2, 5, 10) if max(h, w) / (base * f) <= 10), 1)
    draw = ImageDraw.Draw(small)
    for v in np.arange(step, w, step):
        draw.line([(v * s, 0), (v * s, small.size[1])], fill=(255, 255, 0), width=1)
        draw.text((v * s + 2, 2), f"{v:.0f}", fill=(255, 255, 0))
    for v in np.arange(step, h, step):
        draw.line([(0, v * s), (small.size[0], v * s)], fill=(0, 255, 255), width=1)
        draw.text((2, v * s + 2), f"{v:.0f}", fill=(0, 255, 255))
    return np.asarray(small)


def before_after(before, after, max_side=640, gap=6):
    """JPEG of two photos side by side, each a :func:`preview` (grey shown as RGB), a white gap between."""
    a, b = preview(before, max_side), preview(after, max_side)
    if a.ndim == 2:
        a, b = np.repeat(a[..., None], 3, 2), np.repeat(b[..., None], 3, 2)
    white = np.full((a.shape[0], gap, 3), 255, np.uint8)
    return pictures.to_jpeg(np.concatenate([a[..., :3], white, b[..., :3]], axis=1))


class GalleryExplorer(Explorer):
    """Trained models applied to out-of-dataset faces, side by side (the paper's Figs. 1 and 4),
    and to your own photo at its full resolution.

    Parameters
    ----------
    models : dict ``{label: fitted model}``
        E.g. ``{"Pixel-RR": rr, "Pixel-KR": kr, "MR": mr}``; all must take
        the gallery's image shape.
    gallery : dict ``{name: (H, W, 3) image}``
        Aligned faces (``pfe.load_gallery(size)``).
    lam, alpha : float
        λ is applied to every model with ``update(lam=...)``.
    scale : int
        Enlargement of the grid cells.
    preview_side : int
        Longer side of the before/after previews of an uploaded photo (the
        result itself keeps the photo's resolution: ``result``, and the
        "full resolution" link).

    Attributes
    ----------
    show, lam, alpha, upload, eyes, mouth, landmarks_on : controls;  image : the grid PNG;
    photo_view : before | after of your photo (JPEG); download : link to the full-resolution result;
    faces : ``{name: image}`` shown (your upload is added as ``"upload"``);
    photo, landmarks, result : your photo, its landmarks and the changed photo (full resolution).
    """

    def __init__(self, models, gallery, lam=0.4, alpha=1.0, scale=1, preview_side=480):
        w = ipywidgets()
        self._init_common()
        if not models or not gallery:
            raise ValueError("GalleryExplorer needs at least one fitted model and one gallery image")
        self.models, self.faces, self.scale = dict(models), dict(gallery), scale
        self.preview_side = preview_side
        self.photo = self.landmarks = self.result = None
        self._synthesis, self._manual = None, None
        self.show = w.Dropdown(options=["all"] + list(self.models), value="all", description="model")
        self.lam, self.alpha = lam_slider(lam), alpha_slider(alpha)
        self.upload = w.FileUpload(accept="image/*", multiple=False, description="your photo")
        self.eyes = w.Text(placeholder="x_left, y_left, x_right, y_right (if no face is found)", description="eyes",
                           continuous_update=False)
        self.mouth = w.Text(placeholder="x, y (optional, with eyes)", description="mouth", continuous_update=False)
        self.landmarks_on = w.Checkbox(value=False, description="show landmarks")
        self.image = image_widget()
        self.photo_view = image_widget("jpeg", pixels=False)
        self.photo_view.layout.display = "none"  # shown once there is a photo
        self.download = w.HTML("")
        self.full_res = w.Button(description="full-resolution result", disabled=True)
        self.show.observe(lambda ch: self._on_model(), "value")
        self.alpha.observe(lambda ch: self._on_alpha(), "value")
        self.lam.observe(lambda ch: self._on_lam(), "value")
        self.upload.observe(lambda ch: self._on_upload(), "value")
        self.eyes.observe(lambda ch: self._on_upload(), "value")
        self.mouth.observe(lambda ch: self._on_upload(), "value")
        self.landmarks_on.observe(lambda ch: self._draw_photo(), "value")
        self.full_res.on_click(lambda b: self._make_download())
        self.widget = w.VBox([  # your photo's controls and result first, the gallery grid last
            self.style,
            w.HBox([self.show, self.lam, self.alpha]),
            w.HBox([self.upload, self.landmarks_on, self.full_res]),
            w.HBox([self.eyes, self.mouth]),
            self.status, self.photo_view, self.download,
            self.image,
        ])
        self._on_lam()

    # ---- the grid -----------------------------------------------------------
    def _on_lam(self):
        t0 = time.perf_counter()
        for m in self.models.values():
            if m.lam != self.lam.value:
                m.update(lam=self.lam.value)
        self._draw()
        self._synthesize()
        self.last_ms["lam"] = 1e3 * (time.perf_counter() - t0)

    def _on_model(self):
        self._draw()
        self._synthesize()

    def _draw(self):
        names = list(self.faces)
        X = np.stack([self.faces[n] for n in names])
        labels = list(self.models) if self.show.value == "all" else [self.show.value]
        a = self.alpha.value
        rows = [X] + [apply_intensity(X, self.models[k].predict(X), a) for k in labels]
        self.image.value = pictures.grid_png(
            rows, row_labels=["input"] + [f"{k}" + (f" α={a:.2f}" if a != 1 else "") for k in labels],
            col_labels=[n[:12] for n in names], scale=self.scale)

    # ---- your photo ---------------------------------------------------------
    @property
    def model_label(self):
        """The model applied to your photo: the one chosen, or the first with "all"."""
        return next(iter(self.models)) if self.show.value == "all" else self.show.value

    def add_face(self, image, eyes=None, mouth=None, name="upload"):
        """Align a photo (detected landmarks, or ``eyes``/``mouth`` typed in) and add it to the grid."""
        size = next(iter(self.faces.values())).shape[0]
        self.faces[name] = np.asarray(align_face(image, eyes=eyes, mouth=mouth, size=size,
                                                 landmarks=None if eyes is not None else self.landmarks),
                                      dtype=np.float64)
        self._draw()
        return self.faces[name]

    def add_photo(self, photo, eyes=None, mouth=None):
        """Use ``photo`` (an upright RGB array) as your photo: find the face (or take ``eyes``/``mouth``),
        add its crop to the grid and paste the chosen model's change into the full photo."""
        self.photo, self.landmarks, self.result, self._synthesis = np.asarray(photo), None, None, None
        self._manual = (eyes, mouth) if eyes is not None else None
        if eyes is None:
            try:
                self.landmarks = detect_landmarks(self.photo)
            except FaceNotFoundError:
                self._draw_photo()
                raise
        self.add_face(self.photo, eyes=eyes, mouth=mouth)
        self._synthesize()
        return self.result

    def _synthesize(self):
        if self.photo is None or (self.landmarks is None and self._manual is None):
            return
        t0 = time.perf_counter()
        eyes, mouth = self._manual or (None, None)
        self._synthesis = synthesize(self.photo, self.models[self.model_label], alpha=self.alpha.value,
                                     landmarks=self.landmarks, eyes=eyes, mouth=mouth, return_crops=True)
        self.result = self._synthesis.image
        self._draw_photo()
        self.last_ms["synthesize"] = 1e3 * (time.perf_counter() - t0)

    def _on_alpha(self):
        self._draw()
        if self._synthesis is not None:
            self.result = self._synthesis.at_alpha(self.alpha.value)
            self._draw_photo()

    def _draw_photo(self):
        if self.photo is None:
            return
        self.download.value = ""
        self.photo_view.layout.display = None
        if self.landmarks is None and self._manual is None:  # no face found: help typing positions
            self.photo_view.value = pictures.to_jpeg(coordinate_grid(self.photo, 2 * self.preview_side))
            self.full_res.disabled = True
            return
        before = self.photo
        if self.landmarks_on.value:
            lm = self.landmarks or Landmarks(eyes=np.asarray(self._manual[0], float),
                                             mouth=None if self._manual[1] is None else np.asarray(self._manual[1]),
                                             method="typed")
            before = draw_landmarks(before, lm)
        self.photo_view.value = before_after(before, self.result, self.preview_side)
        self.full_res.disabled = False

    def _make_download(self):
        """Put a link to the full-resolution result (JPEG) under the preview."""
        if self.result is None:
            return
        img = pictures.to_uint8(self.result)
        data = base64.b64encode(pictures.to_jpeg(img[..., :3] if img.ndim == 3 else img, quality=92)).decode()
        h, w = img.shape[:2]
        self.download.value = (f"<a download='smile.jpg' href='data:image/jpeg;base64,{data}'>"
                               f"download the result ({w}x{h} px, JPEG)</a>")

    def _on_upload(self):
        try:
            image = decode_upload(self.upload.value)
            if image is None:
                return
            eyes, mouth = parse_eyes(self.eyes.value), parse_mouth(self.mouth.value)
            if mouth is not None and eyes is None:
                raise ValueError("type the eyes too: the mouth alone does not place a face")
            t0 = time.perf_counter()
            self.add_photo(image, eyes=eyes, mouth=mouth)
            how = "your eye coordinates" if eyes else f"detected landmarks ({self.landmarks.method})"
            self.status.value = (f"aligned your photo ({image.shape[1]}x{image.shape[0]} px) with {how}: last "
                                 f"column of the grid; below, {self.model_label} pasted into the whole photo "
                                 f"({1e3 * (time.perf_counter() - t0):.0f} ms)")
        except CorruptFileError as e:
            self.status.value = f"<span style='color:#b00'>could not read that file as an image: {e}</span>"
        except FaceNotFoundError as e:
            self.status.value = (f"<span style='color:#b00'>{e}</span> Read the positions off the grid below "
                                 "(pixels of your photo) and type them into eyes and mouth.")
        except ValueError as e:  # bad coordinates ...
            self.status.value = (f"<span style='color:#b00'>{e}</span> — type the eye centres in pixels "
                                 "of your photo: x_left, y_left, x_right, y_right")
