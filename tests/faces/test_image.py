"""Reading photos: damaged files, ranges, EXIF orientation, 16-bit, oversized images."""
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from pixelfes_edu import faces


def test_truncated_jpeg_names_file_and_refetch(real_data, tmp_path):
    bad = tmp_path / "001_03.jpg"
    data = (real_data / "london/neutral_front/001_03.jpg").read_bytes()
    bad.write_bytes(data[: len(data) // 3])
    with pytest.raises(faces.CorruptFileError) as err:
        faces.read_image(bad, source="london")
    assert str(bad) in str(err.value) and "pixelfes-edu fetch london" in str(err.value)


def test_read_image_range_and_garbage(tmp_path):
    p = tmp_path / "x.png"
    Image.fromarray(np.array([[[0, 128, 255]] * 9] * 8, np.uint8)).save(p)
    img = faces.read_image(p)
    assert img.dtype == np.float64 and img.shape == (8, 9, 3) and img.min() == 0 and img.max() == 1
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"hello")
    with pytest.raises(faces.CorruptFileError, match="junk.jpg"):
        faces.read_image(junk)


def _png_declaring(width, height):
    """A few bytes of PNG whose header declares ``width`` x ``height`` RGB pixels (a decompression bomb)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))


@pytest.mark.parametrize("width, height", [(20000, 20000), (12000, 9000)])
def test_oversized_images_are_refused_from_their_header(width, height, tmp_path):
    bomb = _png_declaring(width, height)
    assert len(bomb) < 100
    with pytest.raises(faces.CorruptFileError, match="too large to decode|MP, more than the 100 MP"):
        faces.read_photo(bomb, name="upload.png")
    (tmp_path / "big.png").write_bytes(bomb)
    with pytest.raises(faces.CorruptFileError, match="big.png"):
        faces.read_photo(tmp_path / "big.png")


def test_an_oversized_upload_is_a_corrupt_file_error_for_the_gallery():
    from pixelfes_edu.explore.gallery import decode_upload

    with pytest.raises(faces.CorruptFileError, match="me.png"):
        decode_upload([{"name": "me.png", "content": memoryview(_png_declaring(20000, 20000))}])


def test_16_bit_grey_png_keeps_its_levels(tmp_path):
    levels = np.array([[0, 1000, 30000, 65535]] * 8, np.uint16)
    path = tmp_path / "grey16.png"
    Image.fromarray(levels).save(path)
    a = faces.read_photo(path)
    assert a.dtype == np.uint16 and a.shape == (8, 4, 3)
    np.testing.assert_array_equal(a[..., 0], levels)
    np.testing.assert_allclose(faces.read_image(path)[0, :, 1], levels[0] / 65535)


def test_exif_orientation_is_applied(tmp_path):
    img = np.zeros((10, 20, 3), np.uint8)
    img[:, :10] = 255  # left half white in the stored pixels
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: rotate 90° clockwise to view
    path = tmp_path / "phone.jpg"
    Image.fromarray(img).save(path, exif=exif, quality=95)
    a = faces.read_photo(path)
    assert a.shape == (20, 10, 3)  # upright: portrait
    assert a[:8].mean() > 200 and a[12:].mean() < 50  # the stored left half is now on top


def test_float_images_and_folders_are_refused_with_a_message(tmp_path):
    path = tmp_path / "float.tif"
    Image.fromarray(np.full((9, 9), 0.5, np.float32)).save(path)
    with pytest.raises(faces.CorruptFileError, match="32-bit floating-point image"):
        faces.read_photo(path)
    with pytest.raises(IsADirectoryError, match="is a folder"):
        faces.read_photo(tmp_path)
