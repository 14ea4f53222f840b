"""Make docs/synthesize_gallery.jpg: Pixel-RR (London, lambda 0.4) pasted into out-of-dataset photos.

    PIXELFES_EDU_DATA=../shared/data python docs/make_synthesize_figure.py

Top row: the photos (face region, full resolution, shrunk for the page); bottom row: the same
after ``faces.synthesize``. Photos and licences (data_manifest.yaml): Grace Hopper (U.S. Navy,
public domain), Eileen Collins (NASA, public domain), lisa1 (webmorphR.stim, CC0), canada 095m
and 003f (DeBruine & Jones 2017, Young Adult White Faces, CC BY 4.0).
"""
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

import pixelfes_edu as pfe
from pixelfes_edu import faces

NAMES = ["grace_hopper", "astronaut", "lisa1", "canada_095m", "canada_003f"]
HEIGHT = 230  # px per panel
OUT = Path(__file__).with_name("synthesize_gallery.jpg")


def face_region(lm, shape, margin=1.25):
    """Rows/columns around the face: the mesh's box widened by ``margin``, 4:5, inside the photo."""
    lo, hi = lm.points.min(0), lm.points.max(0)
    c, half = (lo + hi) / 2, (hi - lo).max() / 2 * margin
    x0, x1 = int(max(c[0] - 0.8 * half, 0)), int(min(c[0] + 0.8 * half, shape[1]))
    y0, y1 = int(max(c[1] - half, 0)), int(min(c[1] + half, shape[0]))
    return slice(y0, y1), slice(x0, x1)


def main():
    pairs = pfe.load_pairs("london", size=128, progress=False)
    model = pfe.PixelRidge(lam=0.4).fit(pairs.inputs, pairs.targets)
    photos = pfe.data.load_gallery_photos()
    panels = []
    for name in NAMES:
        if name not in photos:
            print(f"{name} is not cached: run `pixelfes-edu fetch all`")
            continue
        photo = photos[name]
        lm = faces.detect_landmarks(photo)
        out = faces.synthesize(photo, model, landmarks=lm)
        rows, cols = face_region(lm, photo.shape)
        pair = []
        for img in (photo, out):
            im = Image.fromarray(img[rows, cols])
            pair.append(im.resize((round(im.size[0] * HEIGHT / im.size[1]), HEIGHT), Image.LANCZOS))
        panels.append(pair)
    gap = 6
    width = sum(p[0].size[0] for p in panels) + gap * (len(panels) - 1)
    sheet = Image.new("RGB", (width, 2 * HEIGHT + gap), "white")
    x = 0
    for before, after in panels:
        sheet.paste(before, (x, 0))
        sheet.paste(after, (x, HEIGHT + gap))
        x += before.size[0] + gap
    draw = ImageDraw.Draw(sheet)
    draw.text((4, 4), "photo", fill="white")
    draw.text((4, HEIGHT + gap + 4), "synthesize (Pixel-RR)", fill="white")
    sheet.save(OUT, quality=88)
    print(f"wrote {OUT} ({sheet.size[0]}x{sheet.size[1]})")


if __name__ == "__main__":
    main()
