"""Reading photos: one decoder for files, uploads and bytes, and the luminance of RGB images.

Every photo the package reads goes through :func:`read_photo`: EXIF
orientation applied (phone photos arrive upright), 16-bit kept as uint16,
palette/alpha/CMYK/grey converted to RGB, and oversized or damaged files
turned into a :class:`CorruptFileError` that names the file and says what to do.
Only the header is read before the size is checked, so a small file that
declares a huge image (a decompression bomb) costs nothing.
"""
import io
import warnings
from pathlib import Path

import numpy as np

from ..store import manifest_source, refetch_hint

__all__ = ["CorruptFileError", "read_photo", "read_image", "luminance", "MAX_PIXELS"]

#: Largest photo decoded, in pixels (a 12 MP phone photo is 12e6; PIL's own bomb limit is 89e6).
MAX_PIXELS = 100_000_000


class CorruptFileError(ValueError):
    """A photo or data file cannot be decoded (truncated, corrupt, not an image, too large)."""


def read_photo(source, name=None, data_source=None):
    """Decode a photo into an upright ``(H, W, 3)`` uint8 (or uint16) RGB array.

    Parameters
    ----------
    source : str, os.PathLike, bytes or file object
        The image file, or its bytes (e.g. an upload).
    name : str, optional
        What to call it in error messages (default: the path, or "the image").
    data_source : str, optional
        Manifest source the file belongs to (its error says how to re-fetch it).

    Raises
    ------
    FileNotFoundError
        If a path does not exist.
    CorruptFileError
        If the data is not a decodable image or has more than :data:`MAX_PIXELS` pixels.

    Examples
    --------
    >>> from PIL import Image
    >>> buf = io.BytesIO(); Image.new("L", (20, 10), 128).save(buf, "PNG")
    >>> a = read_photo(buf.getvalue()); a.shape, a.dtype, int(a[0, 0, 0])
    ((10, 20, 3), dtype('uint8'), 128)
    >>> read_photo(b"not an image")
    Traceback (most recent call last):
    ...
    pixelfes_edu.faces.image.CorruptFileError: cannot read the image: ...
    """
    from PIL import Image, ImageOps

    if isinstance(source, (bytes, bytearray, memoryview)):
        fp, label = io.BytesIO(bytes(source)), name or "the image"
    elif hasattr(source, "read"):
        fp, label = source, name or "the image"
    else:
        fp = label = str(Path(source))
        if Path(source).is_dir():
            raise IsADirectoryError(f"{label} is a folder, not an image file")
        if not Path(source).is_file():
            raise FileNotFoundError(f"image file {label} does not exist")
        label = name or label
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # MAX_PIXELS decides, below
            with Image.open(fp) as im:
                _check_pixels(label, *im.size)
                im = ImageOps.exif_transpose(im)  # phone photos: rotate as the camera meant
                return _rgb_array(im, label)
    except CorruptFileError:
        raise
    except Image.DecompressionBombError as e:  # refused by PIL's own limit while reading the header
        raise CorruptFileError(f"{label} is too large to decode ({e}): shrink it first (a face needs about "
                               "0.1 MP)") from None
    except Exception as e:  # PIL: OSError (truncated), UnidentifiedImageError, SyntaxError ...
        hint = "replace it with a good copy"
        if data_source and manifest_source(data_source)["kind"] == "download":
            hint = refetch_hint(data_source, label)
        raise CorruptFileError(f"cannot read {label}: {e}. The file is truncated, corrupt or not an image; "
                               f"{hint}.") from None


def _check_pixels(label, w, h):
    if w * h > MAX_PIXELS:
        raise CorruptFileError(f"{label} has {w}x{h} = {w * h / 1e6:.0f} MP, more than the {MAX_PIXELS / 1e6:.0f} "
                               "MP this package decodes: shrink it first (a face needs about 0.1 MP)")


def _rgb_array(im, label):
    """PIL image -> ``(H, W, 3)`` uint8, or uint16 for 16-bit images."""
    from PIL import Image

    if im.mode == "F":
        raise CorruptFileError(f"{label} is a 32-bit floating-point image: save it as an 8- or 16-bit PNG")
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        a = np.asarray(im)
        if a.dtype.kind == "i" and (a.min() < 0 or a.max() > 65535):
            raise CorruptFileError(f"{label} is a 32-bit integer image with values in [{a.min()}, {a.max()}]: "
                                   "save it as an 8- or 16-bit PNG")
        a = a.astype(np.uint16)
        return np.repeat(a[..., None], 3, axis=2)
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA")
        background = Image.new("RGB", im.size, (255, 255, 255))
        background.paste(im, mask=im.getchannel("A"))  # transparent parts become white, not black
        im = background
    return np.asarray(im.convert("RGB"))


def read_image(path, source=None):
    """Read an image file as float64 RGB ``(H, W, 3)`` in [0, 1] (see :func:`read_photo`)."""
    a = read_photo(path, data_source=source)
    return a / float(np.iinfo(a.dtype).max)


def luminance(rgb):
    """Luminance of RGB values (ITU-R 709 weights, as ``skimage.color.rgb2gray``), over the last axis.

    >>> float(luminance(np.array([1.0, 1.0, 1.0])))
    1.0
    """
    return np.asarray(rgb)[..., :3] @ np.array([0.2125, 0.7154, 0.0721])


def block_luminance(img, white, k):
    """Luminance in [0, 1] of ``img`` (``(H, W, 3)`` with white value ``white``) shrunk by k x k block means."""
    h, w = img.shape[:2]
    return luminance(img[: h // k * k, : w // k * k].reshape(h // k, k, w // k, k, 3).mean(axis=(1, 3)) / white)
