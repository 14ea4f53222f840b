"""Drawing synthetic faces: numpy distance fields and smooth masks over the pixel grid, a batch at a time."""
import numpy as np

from ...validation import check_int
from .identities import REF_MID, check_expression, expression_controls, reference_frame
from .identities import SYNTHETIC_EXPRESSIONS, random_identities  # noqa: F401 (named in docstrings and examples)

_FACES_PER_BATCH = 16  # 16 x 128 x 128 x 3 float64 = 6 MB per layer: cache-friendly, little memory
_LASH = 0.0085      # thickness of the upper lash line (about 1 px at 128)


# --------------------------------------------------------------------------- drawing helpers
def _inside(d, aa):
    """Coverage of a shape from its signed distance ``d`` (> 0 inside), a 1-pixel ramp."""
    return np.clip(d / aa + 0.5, 0.0, 1.0)


def _bump(dx, dy, rx, ry):
    """Smooth bump with compact support: 1 at the centre, 0 outside the ellipse (rx, ry)."""
    return np.clip(1.0 - (dx / rx) ** 2 - (dy / ry) ** 2, 0.0, 1.0) ** 2


def _segment_dist(x, y, x0, y0, x1, y1):
    """Distance to the segment (x0, y0)-(x1, y1) and the position ``s`` in [0, 1] along it."""
    vx, vy = x1 - x0, y1 - y0
    s = np.clip(((x - x0) * vx + (y - y0) * vy) / (vx * vx + vy * vy), 0.0, 1.0)
    return np.hypot(x - x0 - s * vx, y - y0 - s * vy), s


def _support(img, a):
    """``img`` and ``a`` cut to the rows and columns where ``a`` is not zero (views)."""
    a = np.broadcast_to(a, img.shape[:3])
    nz = a != 0
    rows, cols = np.flatnonzero(nz.any(axis=(0, 2))), np.flatnonzero(nz.any(axis=(0, 1)))
    if len(rows) == 0:
        return None, None, None
    box = (slice(None), slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    return img[box], a[box], box


def _paint(img, alpha, colour):
    """Composite ``colour`` (``(B, 3)`` or per pixel) over ``img`` with coverage ``alpha``.

    Only the rows and columns where ``alpha > 0`` are touched (same result, less work).
    """
    if colour.ndim == 2:
        colour = colour[:, None, None, :]
    view, a, box = _support(img, alpha)
    if view is None:
        return img
    if colour.shape[1] > 1 or colour.shape[2] > 1:   # per-pixel colour: cut it too
        colour = np.broadcast_to(colour, img.shape)[box]
    view += a[..., None] * (colour - view)
    return img


def _shade(img, amount):
    """Multiply ``img`` by ``1 + amount`` (darken with negative amounts) where ``amount != 0``."""
    view, a, _ = _support(img, amount)
    if view is not None:
        view *= (1.0 + a)[..., None]
    return img


def _col(p, key):
    return p[key][:, None, None] if p[key].ndim == 1 else p[key]


def _eye_y(p):
    """``(B, 1, 1)`` height of each face's eye line (midpoint of the pupils)."""
    return 0.5 * (p["eye_left"][:, 1] + p["eye_right"][:, 1])[:, None, None]


def _upsample(field, size):
    """Bilinear upsampling of ``(B, g, g)`` fields to ``(B, size, size)``."""
    g = field.shape[-1]
    t = (np.arange(size) + 0.5) / size * (g - 1)
    i0 = np.minimum(t.astype(int), g - 2)
    f = t - i0
    rows = field[:, i0] * (1 - f)[None, :, None] + field[:, i0 + 1] * f[None, :, None]
    return rows[:, :, i0] * (1 - f) + rows[:, :, i0 + 1] * f


# --------------------------------------------------------------------------- layers
def _background_and_body(p, x, y, aa):
    B = len(p["uid"])
    img = np.broadcast_to(p["background"][:, None, None, :], (B, y.shape[1], x.shape[2], 3)).copy()
    # soft vignette/light falloff on the backdrop
    _shade(img, -0.25 * ((x - 0.5) ** 2 + (y - 0.35) ** 2))
    cx = _col(p, "face_cx")
    # hair behind the head: the hair outline, plus a column down to hair_length
    _paint(img, _hair_outline(p, x, y, aa, long=True), p["hair"] * 0.75)
    # neck (in the chin's shadow) and clothes over the shoulders
    neck = _inside(_col(p, "neck_w") - np.abs(x - cx), aa) * (y > 0.55)
    neck_shade = 0.62 + 0.2 * np.clip((y - _col(p, "chin_y")) / 0.08, 0, 1)
    _paint(img, neck, p["skin"][:, None, None, :] * neck_shade[..., None])
    shoulder = _col(p, "shoulder_y") - 0.55 * np.clip(np.abs(x - cx) - _col(p, "neck_w"), 0, None)
    _paint(img, _inside(y - shoulder, aa), p["clothes"])
    # ears at the sides of the face, between the eyes and the nose
    for side in (-1.0, 1.0):
        ex = cx + side * _col(p, "face_w") * 0.97
        ecy = _eye_y(p) + _col(p, "ear_y")
        ear = _inside(1 - np.hypot((x - ex) / 0.032, (y - ecy) / 0.062), aa / 0.04)
        inner = _bump(x - ex + side * 0.004, y - ecy, 0.016, 0.040)
        col = p["skin"][:, None, None, :] * (0.86 - 0.15 * inner)[..., None]
        _paint(img, ear, col)
    return img


def _face_shape(p, x, y, aa):
    """Face coverage and pseudo-normals of an egg-shaped head."""
    cx, top, chin = _col(p, "face_cx"), _col(p, "face_top"), _col(p, "chin_y")
    cy, b = 0.5 * (top + chin), 0.5 * (chin - top)
    ey = _eye_y(p)
    ycheek = np.maximum(ey + 0.05, cy)                      # widest at the cheekbones
    taper = np.clip((y - ycheek) / (chin - ycheek), 0, 1) ** _col(p, "jaw_power")
    a = _col(p, "face_w") * (1 - _col(p, "jaw_taper") * taper)
    X, Y = (x - cx) / a, (y - cy) / b
    r = np.hypot(X, Y)
    cover = _inside((1 - r) * np.minimum(a, b), aa)
    nz = np.sqrt(np.clip(1 - X ** 2 * 0.85 - (0.7 * Y) ** 2, 0.05, 1))
    return cover, X, Y, nz


def _skin(img, p, x, y, aa):
    cover, X, Y, nz = _face_shape(p, x, y, aa)
    lx, ly = _col(p, "light_x"), _col(p, "light_y")
    lz = np.sqrt(np.clip(1 - lx ** 2 - ly ** 2, 0.1, 1))
    diffuse = np.clip(X * 0.9 * lx + 0.7 * Y * ly + nz * lz, 0, 1)
    amb = _col(p, "ambient")
    shade = amb + (1 - amb) * 1.05 * diffuse
    # shadows are warmer than lights (subsurface scattering), a cheap version of it
    skin = p["skin"][:, None, None, :] * shade[..., None] ** np.array([0.8, 1.0, 1.15])
    _paint(img, cover, skin)
    # stubble: a darker, hair-tinted lower face for some people (drawn under the lips)
    st = np.clip(_col(p, "stubble"), 0, 1)
    ny = p["nose"][:, 1][:, None, None]
    edge = ny + 0.035 - 0.09 * np.clip((np.abs(X) - 0.35) / 0.65, 0, 1)  # up to the sideburns
    band = np.clip((y - edge) / 0.05, 0, 1)
    _paint(img, 0.3 * st * band * cover, p["hair"] * 0.9)
    return cover


def _cheeks_and_folds(img, p, x, y, aa, ctrl):
    ey = _eye_y(p)
    raise_ = ctrl["cheek_raise"][:, None, None]
    mx, my = p["mouth"][:, 0][:, None, None], p["mouth"][:, 1][:, None, None]
    mw = (p["mouth_w"] * ctrl["mouth_scale"])[:, None, None]
    smile = ctrl["smile"][:, None, None]
    blush = _col(p, "cheek_blush")
    for side, eye in ((-1, "eye_left"), (1, "eye_right")):
        ex = p[eye][:, 0][:, None, None]
        # the apple of the cheek: brighter and redder, raised by a smile
        ccy = ey + 0.108 - 0.014 * raise_
        b = _bump(x - ex - side * 0.012, y - ccy, 0.055, 0.032)
        amount = b * (0.03 + 0.045 * raise_)
        img *= 1 + amount[..., None] * np.array([1.0, 0.55, 0.5]) * (1 + 0.8 * blush[..., None])
        # nasolabial fold: a curve from the nose wing to just outside the mouth corner,
        # drawn as two segments bending away from the mouth; a smile deepens it
        nx, ny = p["nose"][:, 0][:, None, None], p["nose"][:, 1][:, None, None]
        x0, y0 = nx + side * (p["nose_w"][:, None, None] + 0.008), ny + 0.004
        x2, y2 = mx + side * (mw + 0.016), my - smile + 0.018
        x1, y1 = 0.5 * (x0 + x2) + side * 0.012, 0.5 * (y0 + y2)
        d0, s0 = _segment_dist(x, y, x0, y0, x1, y1)
        d1, s1 = _segment_dist(x, y, x1, y1, x2, y2)
        d = np.minimum(d0, d1)
        s = np.where(d0 < d1, 0.5 * s0, 0.5 + 0.5 * s1)
        depth = 0.03 * _col(p, "fold_depth") + 0.08 * ctrl["fold"][:, None, None]
        fade = np.clip(s / 0.35, 0, 1) * np.clip((1 - s) / 0.15, 0, 1)
        _shade(img, -depth * np.clip(1 - d / 0.007, 0, 1) * fade)


def _nose(img, p, x, y, aa, ctrl):
    nx, ny = p["nose"][:, 0][:, None, None], p["nose"][:, 1][:, None, None]
    nw, strength = _col(p, "nose_w"), _col(p, "nose_shade")
    ey = _eye_y(p)
    lx = _col(p, "light_x")
    t = np.clip((y - ey) / (ny - ey), 0, 1)            # 0 at the eyes, 1 at the tip
    half = 0.016 + (nw * 0.55 - 0.016) * t ** 2         # bridge widens towards the tip
    along = (y > ey + 0.01) * (y < ny + 0.005)
    for side in (-1, 1):
        # shaded flank of the bridge, darker on the side away from the light
        d = np.abs(x - nx - side * half)
        dark = (0.12 + 0.08 * side * -lx) * np.clip(1 - d / 0.014, 0, 1) * along * t
        _shade(img, -strength * dark)
        # nose wing (ala) and nostril
        wing = _bump(x - nx - side * nw * 0.72, y - ny - 0.004, nw * 0.42, 0.019)
        _shade(img, -0.12 * strength * wing * np.clip((np.abs(x - nx) - nw * 0.4) / (nw * 0.2), 0, 1))
        nostril = _bump(x - nx - side * nw * 0.38, y - ny - 0.011, 0.017, 0.0085)
        _shade(img, -0.7 * nostril)
    # highlight along the ridge and on the tip, shadow under the nose
    ridge = np.clip(1 - np.abs(x - nx + 0.004 * lx) / 0.008, 0, 1) * along * (0.4 + 0.6 * t)
    _shade(img, 0.06 * ridge)
    _shade(img, 0.10 * _bump(x - nx + 0.006 * lx, y - ny + 0.006, 0.020, 0.014))
    _shade(img, -0.16 * strength * _bump(x - nx, y - ny - 0.022, nw * 0.9, 0.012))
    # wrinkles across the upper bridge (disgust)
    nwr = ctrl["nose_wrinkle"][:, None, None]
    if np.any(nwr > 0):
        for j, dy in enumerate((0.035, 0.052, 0.069)):
            yw = ey + dy + 0.25 * np.abs(x - nx)
            band = _inside(0.0028 - np.abs(y - yw), aa) * _inside(0.024 - 0.003 * j - np.abs(x - nx), aa)
            _shade(img, -0.12 * nwr * band)
    # philtrum: two faint ridges from the nose base towards the upper lip
    for side in (-1, 1):
        d = _segment_dist(x, y, nx + side * 0.007, ny + 0.026, nx + side * 0.010, ny + 0.12)[0]
        _shade(img, -0.015 * np.clip(1 - d / 0.005, 0, 1))


def _eye(img, p, x, y, aa, ctrl, eye, side):
    ex, ey = p[eye][:, 0][:, None, None], p[eye][:, 1][:, None, None]
    ew, ir = _col(p, "eye_w"), _col(p, "iris_r")
    eo = _col(p, "eye_open") * ctrl["eye_open_scale"][:, None, None]
    el = _col(p, "eye_low") * ctrl["eye_low_scale"][:, None, None]
    tilt = _col(p, "eye_tilt")
    t = side * (x - ex) / ew                      # -1 inner corner ... +1 outer corner
    env = np.clip(1 - t ** 2, 0, 1)
    y_up = ey - 0.003 - eo * env ** 0.55 * (1 + 0.12 * t) - tilt * t
    y_low = ey + el * env ** 0.8 - tilt * t
    in_x = _inside((1 - np.abs(t)) * ew, aa)
    # socket shadow and the lid crease above the eye (fixed bone and skin fold)
    _shade(img, -0.10 * _bump(x - ex - side * 0.004, y - ey + 0.022, ew * 1.45, 0.052))
    y_crease = ey - 0.006 - (_col(p, "eye_open") + 0.014) * env ** 0.45 - tilt * t
    crease = _inside(0.0035 - np.abs(y - y_crease), aa) * _inside((1.05 - np.abs(t)) * ew, aa)
    _shade(img, -0.10 * crease)
    # lower lid line, and the fold under it that a smile pushes up
    lowline = _inside(0.003 - np.abs(y - y_low - 0.006), aa) * in_x
    _shade(img, -0.07 * lowline)
    fold = _inside(0.003 - np.abs(y - y_low - 0.015 - 0.01 * env), aa) * _inside((0.9 - np.abs(t)) * ew, aa)
    _shade(img, -0.10 * ctrl["lower_lid_fold"][:, None, None] * fold)
    # the eyeball: sclera, iris, pupil, highlight, shadow of the upper lid
    eye_cover = in_x * _inside(y - y_up, aa) * _inside(y_low - y, aa)
    r = np.hypot(x - ex, y - ey)
    sclera = np.array([0.94, 0.92, 0.88]) * (1 - 0.28 * t[..., None] ** 2)
    ball = np.broadcast_to(sclera, img.shape).copy()
    ang = np.arctan2(y - ey, x - ex)
    rr = r / ir
    streaks = 1 + 0.10 * np.sin(ang * 19 + p["uid"][:, None, None] % 7)
    iris_col = p["iris"][:, None, None, :] * ((1.25 - 0.45 * rr) * streaks)[..., None]
    iris_col *= (1 - 0.55 * np.clip((rr - 0.82) / 0.18, 0, 1))[..., None]  # limbal ring
    _paint(ball, _inside(ir - r, aa), iris_col)
    _paint(ball, _inside(0.42 * ir - r, aa), np.array([[0.03, 0.03, 0.03]]).repeat(len(ex), 0))
    hl = _inside(0.26 * ir - np.hypot(x - ex + 0.35 * ir, y - ey + 0.4 * ir), aa)
    _paint(ball, 0.9 * hl, np.ones((len(ex), 3)))
    lid_shadow = 0.40 * np.clip(1 - (y - y_up) / 0.012, 0, 1)
    _shade(ball, -lid_shadow)
    _paint(img, eye_cover, ball)
    # upper lash line, thicker at the outer corner
    lash = _LASH
    band = _inside(y - (y_up - lash * (0.6 + 0.8 * np.clip(t, 0, 1))), aa) * _inside(y_up + 0.002 - y, aa)
    _paint(img, 0.85 * band * _inside((1.04 - np.abs(t)) * ew, aa),
           np.array([[0.07, 0.05, 0.05]]).repeat(len(ex), 0))
    # crow's feet at the outer corner (smile)
    cf = ctrl["crows_feet"][:, None, None]
    if np.any(cf > 0):
        ox = ex + side * (ew + 0.010)
        for dy, slope in ((-0.010, -0.5), (0.0, 0.0), (0.011, 0.6)):
            d, s = _segment_dist(x, y, ox, ey + dy, ox + side * 0.022, ey + dy + slope * 0.022)
            _shade(img, -0.09 * cf * _inside(0.0028 - d, aa) * (1 - s))


def _brow(img, p, x, y, aa, ctrl, eye, side):
    ex, ey = p[eye][:, 0][:, None, None], p[eye][:, 1][:, None, None]
    L = _col(p, "brow_len")
    inner_x = ex - side * (0.45 * L - ctrl["brow_inner_dx"][:, None, None])
    length = L - ctrl["brow_inner_dx"][:, None, None]
    s = side * (x - inner_x) / length            # 0 inner end ... 1 outer end
    sc = np.clip(s, 0, 1)
    arch = _col(p, "brow_arch") * ctrl["brow_arch_scale"][:, None, None]
    yc = (ey - _col(p, "brow_h") - arch * np.sin(np.pi * sc ** 0.8)
          + ctrl["brow_lift"][:, None, None]
          + ctrl["brow_inner"][:, None, None] * (1 - sc) ** 2
          + ctrl["brow_outer"][:, None, None] * sc ** 2)
    th = _col(p, "brow_thick") * (1.0 - 0.55 * sc) * (0.75 + 0.25 * np.clip(s / 0.15, 0, 1))
    cover = (_inside(th - np.abs(y - yc), aa) * _inside(s * length, aa)
             * _inside((1 - s) * length, aa))
    density = _col(p, "brow_density") * (1 - 0.35 * sc)
    colour = p["hair"] * 0.7 + 0.3 * p["skin"] * 0.45
    _paint(img, cover * density, colour)


def _forehead_and_frown(img, p, x, y, aa, ctrl):
    ey = _eye_y(p)
    cx = _col(p, "face_cx")
    fl = ctrl["forehead_lines"][:, None, None]
    if np.any(fl > 0):
        for j in range(3):
            yw = ey - _col(p, "brow_h") - 0.048 - 0.026 * j + 0.9 * (x - cx) ** 2
            band = _inside(0.003 - np.abs(y - yw), aa) * _inside(0.12 - j * 0.02 - np.abs(x - cx), aa)
            _shade(img, -0.09 * fl * band)
    fr = ctrl["frown_lines"][:, None, None]
    if np.any(fr > 0):
        for side in (-1, 1):
            d = _segment_dist(x, y, cx + side * 0.010, ey - 0.092, cx + side * 0.007, ey - 0.048)[0]
            _shade(img, -0.13 * fr * _inside(0.0032 - d, aa))


def _mouth(img, p, x, y, aa, ctrl):
    mx, my = p["mouth"][:, 0][:, None, None], p["mouth"][:, 1][:, None, None]
    g = {k: v[:, None, None] for k, v in ctrl.items()}
    my = my + g["mouth_dy"]
    mw = _col(p, "mouth_w") * g["mouth_scale"]
    t = (x - mx) / mw
    env = np.clip(1 - t ** 2, 0, 1)
    # O-shaped mouths open along a circle, smiles along a crescent
    shape = env ** (0.5 + 0.3 * (1 - g["round_mouth"]))
    c = my - g["smile"] * t ** 2
    inner_up = c - g["open_up"] * shape - g["upper_lip_raise"] * env ** 1.5
    inner_low = c + g["open_low"] * shape
    ut = _col(p, "lip_up") * g["lip_up_scale"]
    lt = _col(p, "lip_low") * g["lip_low_scale"]
    bow = _col(p, "lip_bow") * np.clip(1 - (np.abs(t) - 0.22) ** 2 / 0.05, 0, 1) \
        * np.clip(np.abs(t) / 0.22, 0, 1) ** 2
    thick = 0.25 + 0.75 * env ** 0.5
    outer_up = inner_up - ut * thick - bow
    outer_low = inner_low + lt * thick
    in_x = _inside((1 - np.abs(t)) * mw, aa)
    # shadow under the lower lip and at the mouth corners
    under = _inside(0.012 - np.abs(y - outer_low - 0.011), aa) * env
    _shade(img, -0.12 * under)
    for side in (-1, 1):
        corner_y = my - g["smile"]
        _shade(img, -0.16 * _bump(x - mx - side * mw * 1.02, y - corner_y, 0.008, 0.006))
        cs = _segment_dist(x, y, mx + side * mw * 1.0, corner_y + 0.008,
                           mx + side * mw * 1.12, corner_y + 0.038)[0]
        _shade(img, -0.12 * g["corner_shadow"] * _inside(0.004 - cs, aa))
    # lips
    lips = in_x * _inside(y - outer_up, aa) * _inside(outer_low - y, aa)
    upper = y < c
    lip_col = p["lips"][:, None, None, :] * np.where(upper, 0.80, 1.0)[..., None]
    hl = _bump(x - mx, y - (inner_low + 0.6 * lt), mw * 0.45, lt * 0.5)
    lip_col = lip_col * (1 + 0.18 * hl)[..., None]
    _paint(img, lips, lip_col)
    # the line between the lips (closed mouth)
    _shade(img, -0.45 * in_x * _inside(0.0035 - np.abs(y - c), aa) * (0.4 + 0.6 * env))
    # the opening: dark mouth, teeth in the upper part
    hole = _inside((1 - np.abs(t)) * mw - 0.004, aa) * _inside(y - inner_up, aa) * _inside(inner_low - y, aa)
    if np.any(hole > 0):
        inside_col = np.array([0.16, 0.045, 0.05]) * (0.5 + 0.8 * env[..., None])
        tooth_h = 0.018
        teeth = _inside(inner_up + tooth_h * env ** 0.3 - y, aa) * g["teeth"]
        gaps = np.abs(((x - mx) / 0.016 + 0.5) % 1.0 - 0.5)
        tooth_col = np.array([0.94, 0.91, 0.84]) * (1 - 0.45 * t[..., None] ** 2) \
            * (1 - 0.25 * _inside(0.06 - gaps, 0.06))[..., None]
        mouth_col = inside_col * (1 - teeth[..., None]) + tooth_col * teeth[..., None]
        _paint(img, hole, mouth_col)


def _hair_outline(p, x, y, aa, long=False):
    """Coverage of the hair volume around the top of the head (and long hair if ``long``)."""
    cx = _col(p, "face_cx")
    ey = _eye_y(p)
    hw = _col(p, "face_w") + _col(p, "hair_volume")
    top = _col(p, "face_top") - _col(p, "hair_volume")
    hh = ey - top
    cap = _inside(1 - np.hypot((x - cx) / hw, (y - ey) / hh), aa / np.minimum(hw, hh))
    if not long:
        return cap
    length = _col(p, "hair_length")
    corner = 0.06
    column = (_inside(hw - np.abs(x - cx), aa) * _inside(length - y, aa) * (y >= ey)
              * _inside(corner - np.hypot(np.clip(np.abs(x - cx) - hw + corner, 0, None),
                                          np.clip(y - length + corner, 0, None)), aa))
    return np.maximum(cap, column)


def _front_hair(p, x, y, aa):
    """``(coverage, colour)`` of the hair in front of the forehead."""
    cx = _col(p, "face_cx")
    X = (x - cx) / _col(p, "face_w")
    part = _col(p, "hair_part")
    ey = _eye_y(p)
    temple = (ey - 0.05 - _col(p, "hairline")) * np.clip((np.abs(X) - 0.80) / 0.2, 0, 1) ** 1.5
    line = _col(p, "hairline") + 0.04 * X ** 2 + part * X + temple
    cover = _hair_outline(p, x, y, aa) * _inside(line - y, aa)
    # strands: soft bright and dark stripes following the head's curve
    top = _col(p, "face_top") - _col(p, "hair_volume")
    u = (x - cx - part) / (0.25 + y)
    stripes = 1 + 0.05 * np.sin(90 * u + 3 * part) + 0.04 * np.sin(37 * u + 1.0)
    shade = (0.85 + 0.3 * np.clip(0.5 - (y - top) / 0.4, 0, 1)) * stripes
    return cover, p["hair"][:, None, None, :] * shade[..., None]


def _finish(imgs, p, x, y, size):
    """Lighting gradient, skin texture and sensor noise: identical for input and target."""
    ang = _col(p, "gradient_angle")
    grad = _col(p, "gradient") * ((x - 0.5) * np.cos(ang) + (y - 0.5) * np.sin(ang)) * 2
    B = len(p["uid"])
    tex = np.empty((B, 12, 12))
    noise = np.empty((B, size, size, 3))
    for b in range(B):
        rng = np.random.default_rng(int(p["uid"][b]))
        tex[b] = rng.standard_normal((12, 12))
        noise[b] = rng.standard_normal((size, size, 3))
    light = (1.0 + grad) * (1.0 + 0.025 * _upsample(tex, size))
    noise *= _col(p, "noise")[..., None]
    for img in imgs:
        img *= light[..., None]
        img += noise
        np.clip(img, 0.0, 1.0, out=img)
    return imgs


def _window(img, x, y, xr, yr):
    """The part of ``img`` (a view) and of the grids inside reference ranges ``xr``, ``yr``."""
    c0, c1 = np.searchsorted(x.ravel(), xr)
    r0, r1 = np.searchsorted(y.ravel(), yr)
    return img[:, r0:r1, c0:c1], x[:, :, c0:c1], y[:, r0:r1, :]


def _features(img, p, x, y, aa, ctrl):
    """Everything an expression can change, each drawn only over a window around it.

    The windows are bounds on the (compact) support of each feature, so drawing
    them over the whole grid gives the same bytes; they only save time.
    """
    el, er, nose, mouth = p["eye_left"], p["eye_right"], p["nose"], p["mouth"]
    ey0, ey1 = min(el[:, 1].min(), er[:, 1].min()), max(el[:, 1].max(), er[:, 1].max())
    my0, my1 = mouth[:, 1].min(), mouth[:, 1].max()
    win = _window(img, x, y, (el[:, 0].min() - 0.10, er[:, 0].max() + 0.10), (ey0 + 0.05, my1 + 0.07))
    _cheeks_and_folds(win[0], p, win[1], win[2], aa, ctrl)
    win = _window(img, x, y, (nose[:, 0].min() - 0.11, nose[:, 0].max() + 0.11),
                  (ey0 - 0.01, nose[:, 1].max() + 0.13))
    _nose(win[0], p, win[1], win[2], aa, ctrl)
    for side, eye in ((-1, "eye_left"), (1, "eye_right")):
        e = p[eye]
        win = _window(img, x, y, (e[:, 0].min() - 0.15, e[:, 0].max() + 0.15),
                      (e[:, 1].min() - 0.20, e[:, 1].max() + 0.09))
        _eye(win[0], p, win[1], win[2], aa, ctrl, eye, side)
        _brow(win[0], p, win[1], win[2], aa, ctrl, eye, side)
    cx = p["face_cx"]
    win = _window(img, x, y, (cx.min() - 0.14, cx.max() + 0.14), (ey0 - 0.24, ey1))
    _forehead_and_frown(win[0], p, win[1], win[2], aa, ctrl)
    win = _window(img, x, y, (mouth[:, 0].min() - 0.19, mouth[:, 0].max() + 0.19),
                  (my0 - 0.07, my1 + 0.10))
    _mouth(win[0], p, win[1], win[2], aa, ctrl)


def _render_batch(p, ctrls, size):
    """Draw the faces of ``p`` once per expression control set in ``ctrls``."""
    scale, mid = reference_frame()
    grid = (np.arange(size) + 0.5) / size
    x = (grid[None, None, :] - mid[0]) / scale + REF_MID[0]    # reference-frame coordinates
    y = (grid[None, :, None] - mid[1]) / scale + REF_MID[1]
    aa = 1.0 / size / scale
    base = _background_and_body(p, x, y, aa)
    _skin(base, p, x, y, aa)
    hair = _front_hair(p, x, y, aa)
    imgs = []
    for ctrl in ctrls:
        img = base.copy() if len(imgs) < len(ctrls) - 1 else base
        _features(img, p, x, y, aa, ctrl)
        _paint(img, *hair)
        imgs.append(img)
    return _finish(imgs, p, x, y, size)


def render_expressions(params, expressions, size):
    """``{expression: (n, size, size, 3)}`` for the faces in ``params``."""
    for e in expressions:
        check_expression(e)
    size = check_int("size", size, 16)
    ctrls = [expression_controls(params, e) for e in expressions]
    n = len(params["uid"])
    out = {e: np.empty((n, size, size, 3)) for e in expressions}
    for start in range(0, n, _FACES_PER_BATCH):
        idx = slice(start, min(n, start + _FACES_PER_BATCH))
        imgs = _render_batch(select_people(params, idx), [select_people(c, idx) for c in ctrls], size)
        for e, img in zip(expressions, imgs):
            out[e][idx] = img
    return out


def select_people(params, index):
    out = {}
    for k, v in params.items():
        out[k] = {e: a[index] for e, a in v.items()} if isinstance(v, dict) else v[index]
    return out


def render_faces(params, expression="neutral", size=128):
    """Draw the faces described by ``params`` showing ``expression``.

    Parameters
    ----------
    params : dict
        Output of :func:`random_identities`: one row per person.
    expression : str
        One of :data:`SYNTHETIC_EXPRESSIONS`.
    size : int
        Side of the square crop in pixels (>= 16).

    Returns
    -------
    ndarray, float64 ``(n, size, size, 3)`` in [0, 1]

    Examples
    --------
    >>> faces = render_faces(random_identities(2, seed=3), "surprise", size=32)
    >>> faces.shape, float(faces.min()) >= 0, float(faces.max()) <= 1
    ((2, 32, 32, 3), True, True)
    """
    return render_expressions(params, (expression,), size)[expression]
