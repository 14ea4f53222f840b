"""Reading photos: damaged files, ranges, EXIF orientation, 16-bit, oversized images."""
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
