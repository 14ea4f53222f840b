"""Sparse receptive fields: every output pixel chooses which input pixels to look at.

Pixel-RR (Eqs. 3-6) predicts output pixel ``p`` from the input pixel at ``p``: it can
brighten or darken a pixel but cannot move a mouth corner.  Here each output pixel (and
channel) *chooses* ``n_pixels`` input pixels ``p + d`` within a (2R+1) x (2R+1) window
and regresses on them by ridge:

    y_p = sum_k w_pk x_{p + d_pk} + b_p

This is the idea of LSRF (Akram & Khan, "LSRF: Localized and Sparse Receptive Fields
for Linear Facial Expression Synthesis based on Global Face Context", Multimedia Tools
and Applications, 2023): choose the input pixels greedily (orthogonal matching pursuit:
pick, refit, pick the next on the residual), near the output pixel (a locality
constraint), with neighbouring output pixels choosing neighbouring inputs.

One pick
--------
For every candidate offset ``d``, fitting the residual ``r`` (the target on the first
pick) by ``[x_{p+d}, 1]`` is Eq. 6 with the sums of the *shifted* input, and the ridge
objective at its optimum is

    J_d(p) = sum r^2 - w_d sum x_{p+d} r - b_d sum r

The choice minimises, over ``d``,

    G_d(p) = sum_q g(p - q) J_d(q) / sum_q g(p - q) J_ref(q) + locality * |d|

* neighbour consistency: ``g`` is a Gaussian of standard deviation ``smoothness``
  pixels, so ``p`` takes the offset that serves its *neighbourhood* best and
  neighbouring outputs take the same or nearby offsets (0: every pixel alone);
* locality: ``J_ref`` is Pixel-RR's error on the first pick (``sum r^2`` on later
  ones), so an offset of length ``|d|`` must cut the error by the fraction
  ``locality * |d|`` to be worth it.

Ties (up to rounding) go to the shorter offset, so ``radius=0`` or a large
``locality`` give Pixel-RR back exactly.

Why it is fast: ``sum x_{p+d}`` and ``sum x_{p+d}^2`` are Pixel-RR's maps shifted by
``d``; only ``sum_n x^n_{p+d} t^n_p`` needs a pass over the N images, one product per
candidate (:func:`shifted_cross_sums`).
"""

import numpy as np

from ..validation import check_allocation, check_int, check_lam, check_nonnegative, check_pair
from .base import PixelModel
from .masked_ridge import solve_masked
from .pixel_ridge import PixelRidge, solve_eq6

#: A longer offset must beat the best shorter one by this relative margin (more than rounding).
TIE_MARGIN = 1e-9


# --------------------------------------------------------------------------- shifted sums
def candidate_offsets(radius):
    """``(K, 2)`` offsets ``(dy, dx)`` of the (2R+1)^2 window, shortest first (row 0 is ``d = 0``).

    >>> candidate_offsets(1)[:5].tolist()
    [[0, 0], [-1, 0], [0, -1], [0, 1], [1, 0]]
    >>> len(candidate_offsets(4))
    81
    """
    r = np.arange(-radius, radius + 1)
    d = np.stack(np.meshgrid(r, r, indexing="ij"), -1).reshape(-1, 2)
    return d[np.lexsort((d[:, 1], d[:, 0], (d**2).sum(1)))]


def _overlap(d, L):
    """Slices ``(out, in)`` along one axis: output index ``i`` reads input index ``i + d``."""
    return slice(max(-d, 0), L - max(d, 0)), slice(max(d, 0), L - max(-d, 0))


def shift_map(a, dy, dx):
    """``out[y, x] = a[y + dy, x + dx]`` over the first two axes, 0 where that is outside the image.

    >>> shift_map(np.arange(3.0)[None, :, None], 0, 1)[0, :, 0].tolist()
    [1.0, 2.0, 0.0]
    """
    H, W = a.shape[:2]
    (yo, yi), (xo, xi) = _overlap(dy, H), _overlap(dx, W)
    out = np.zeros_like(a)
    out[yo, xo] = a[yi, xi]
    return out


def _inside(dy, dx, H, W):
    """``(H, W, 1)`` bool: ``p + d`` lies inside the image."""
    m = np.zeros((H, W, 1), bool)
    (yo, _), (xo, _) = _overlap(dy, H), _overlap(dx, W)
    m[yo, xo] = True
    return m


def gaussian_smooth(a, sigma):
    """Separable Gaussian over the first two axes (radius ``ceil(3 sigma)``, edges repeated).

    >>> a = np.zeros((9, 9, 1)); a[4, 4] = 1
    >>> s = gaussian_smooth(a, 1.0); round(float(s.sum()), 6), round(float(s[4, 4, 0]), 3)
    (1.0, 0.159)
    """
    if sigma <= 0:
        return a
    h = int(np.ceil(3 * sigma))
    k = np.exp(-0.5 * (np.arange(-h, h + 1) / sigma) ** 2)
    k /= k.sum()
    for axis in (0, 1):
        L = a.shape[axis]
        p = np.moveaxis(np.pad(a, [(h, h) if i == axis else (0, 0) for i in range(a.ndim)], mode="edge"), axis, 0)
        out = k[0] * p[:L]
        for i in range(1, len(k)):
            out += k[i] * p[i:i + L]
        a = np.moveaxis(out, 0, axis)
    return a


def _pixel_major(A):
    """``(N, H, W, C)`` -> contiguous ``(H, W, C, N)``: each pixel's N values side by side."""
    return np.ascontiguousarray(np.moveaxis(A, 0, -1))


def _dot(a, b):
    """Per pixel ``sum_n a^n b^n`` of pixel-major arrays."""
    return np.einsum("hwcn,hwcn->hwc", a, b)


def shifted_cross_sums(Xp, Rp, offsets, first=None):
    """``S[k, p] = sum_n x^n_{p + d_k} r^n_p`` for every offset: ``(K, H, W, C)``, 0 outside the image.

    ``Xp``, ``Rp``: pixel-major ``(H, W, C, N)`` inputs and residuals (targets on
    the first pick).  The one pass over the images of a pick.  ``first``
    replaces ``S[0]`` (``d = 0``) when it is known already (Pixel-RR's ``sxt``).
    """
    H, W = Rp.shape[:2]
    S = np.zeros((len(offsets),) + Rp.shape[:3])
    for k, (dy, dx) in enumerate(offsets):
        if k == 0 and first is not None:
            S[0] = first
            continue
        (yo, yi), (xo, xi) = _overlap(dy, H), _overlap(dx, W)
        S[k, yo, xo] = _dot(Xp[yi, xi], Rp[yo, xo])
    return S


# --------------------------------------------------------------------------- the model
class SparseFieldRidge(PixelModel):
    """Sparse receptive fields: each output pixel regresses on ``n_pixels`` input pixels it chooses.

    Per output pixel ``p`` and channel: ``y_p = sum_k w_pk x_{p + d_pk} + b_p``,
    the offsets ``d_pk`` chosen greedily inside the (2R+1)^2 window (see the
    module docstring for the cost), the weights and bias by ridge (Eq. 3 with
    the chosen pixels).  ``radius=0`` is exactly :class:`PixelRidge`.

    Parameters
    ----------
    lam : float > 0
        Ridge penalty λ on weights and bias (paper: 0.4).
    radius : int >= 0
        Offsets with ``|dy|, |dx| <= radius`` are candidates ((2R+1)^2 of them:
        81 at R=4).
    n_pixels : int >= 1
        Input pixels per output pixel (LSRF's F).  Each pick after the first is
        made on the residual of a ridge refit on the picks so far (OMP).
    locality : float >= 0
        Penalty per pixel of offset length, as a fraction of the error: an offset
        of length 3 must cut the error by ``3 * locality`` to beat ``d = 0``.
    smoothness : float >= 0
        Standard deviation (pixels) of the Gaussian over which each output
        pixel's candidate errors are summed with its neighbours' before the
        choice, so that neighbouring outputs choose consistent offsets.  0 = every
        pixel alone.

    Attributes
    ----------
    offset_ : int ndarray ``(H, W[, C], n_pixels, 2)``
        Chosen ``(dy, dx)``: output pixel ``(y, x)`` reads input ``(y + dy, x + dx)``.
    weight_ : ndarray ``(H, W[, C], n_pixels)``
    bias_ : ndarray ``(H, W[, C])``
    candidates_ : ``(K, 2)`` candidate offsets, shortest first
    stats_ : dict
        Pixel-RR's sums ``n, sx, st, sxx, sxt`` plus ``stt`` as ``(H, W, C)`` maps
        (``C = 1`` for grey), and, when ``n_pixels = 1``, ``cross`` ``(K, H, W, C)``:
        ``sum_n x^n_{p+d} t^n_p`` for every candidate, from which :meth:`update`
        chooses again without the images.  Not saved by :meth:`save`.

    Examples
    --------
    A target that is the input moved one pixel to the right: every output pixel
    learns to read its left neighbour.

    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((40, 8, 8)); T = np.roll(X, 1, axis=2)
    >>> m = SparseFieldRidge(lam=0.01, radius=1, smoothness=0).fit(X, T)
    >>> m.offset_[4, 4, 0].tolist(), round(float(m.weight_[4, 4, 0]), 2), m.n_params
    ([0, -1], 1.0, 128)
    >>> bool(np.array_equal(SparseFieldRidge(radius=0).fit(X, T).predict(X), PixelRidge().fit(X, T).predict(X)))
    True
    """

    _hyper = ("lam", "radius", "n_pixels", "locality", "smoothness")

    def __init__(self, lam=0.4, radius=4, n_pixels=1, locality=0.0, smoothness=2.5):
        self.lam = check_lam(lam)
        self.radius = check_int("radius", radius, 0)
        self.n_pixels = check_int("n_pixels", n_pixels, 1)
        if self.n_pixels > (2 * self.radius + 1) ** 2:
            raise ValueError(f"n_pixels={n_pixels} exceeds the {(2 * self.radius + 1) ** 2} candidate pixels of "
                             f"radius {radius}: raise radius or lower n_pixels")
        self.locality = check_nonnegative("locality", locality, "0 = no preference for short offsets")
        self.smoothness = check_nonnegative("smoothness", smoothness, "Gaussian σ in pixels, 0 = off")

    # -- fit ---------------------------------------------------------------
    def fit(self, X, T):
        X, T = check_pair(X, T, values=False)  # values: checked by the Pixel-RR sums below, in the same pass
        N, H, W = X.shape[:3]
        C = X.shape[3] if X.ndim == 4 else 1
        if self.radius >= max(H, W):
            raise ValueError(f"radius {self.radius} reaches beyond {H}x{W} images: use radius < {max(H, W)}")
        K = (2 * self.radius + 1) ** 2
        check_allocation(8 * H * W * C * (K + 3 * N + 2 * N * self.n_pixels),
                         f"SparseFieldRidge(radius={self.radius}) on {N} images of {H}x{W}x{C}",
                         "use a smaller radius, smaller images or fewer images")
        self._set_shape(X)
        base = PixelRidge(self.lam).fit(X, T).stats_  # Eq. 6 sums at d = 0, bit for bit Pixel-RR's
        X4, T4 = (X, T) if X.ndim == 4 else (X[..., None], T[..., None])
        Xp, Tp = _pixel_major(X4), _pixel_major(T4)
        per_pixel = (lambda a: a) if X.ndim == 4 else (lambda a: a[..., None])
        self.candidates_ = candidate_offsets(self.radius)
        self.stats_ = {"n": base["n"], **{k: per_pixel(base[k]) for k in ("sx", "st", "sxx", "sxt")},
                       "stt": _dot(Tp, Tp)}
        self.stats_["cross"] = shifted_cross_sums(Xp, Tp, self.candidates_, first=self.stats_["sxt"])
        self.fit_radius_ = self.radius
        self._choose(Xp, Tp)
        if self.n_pixels > 1:  # later picks were made on residuals: update could not repeat them
            del self.stats_["cross"]
        return self

    # -- choosing ------------------------------------------------------------
    def _shifted_stats(self, dy, dx, sr, sxr):
        """Eq. 6's sums for the input shifted by ``(dy, dx)`` against the residual (sums ``sr``, ``sxr``)."""
        s = self.stats_
        return {"n": s["n"], "sx": shift_map(s["sx"], dy, dx), "sxx": shift_map(s["sxx"], dy, dx),
                "st": sr, "sxt": sxr}

    def _pick(self, cross, sr, srr, ref, taken):
        """Index into ``candidates_`` of the cheapest candidate of every pixel, ``(H, W, C)``."""
        H, W = sr.shape[:2]
        best = np.full(sr.shape, np.inf)
        choice = np.zeros(sr.shape, np.intp)
        ref_near = gaussian_smooth(ref, self.smoothness)
        for k, (dy, dx) in enumerate(self.candidates_):
            if max(abs(dy), abs(dx)) > self.radius:  # after update(radius=...) below the fitted radius
                continue
            w, b, _ = solve_eq6(self._shifted_stats(dy, dx, sr, cross[k]), self.lam)
            J = srr - w * cross[k] - b * sr  # the ridge objective at its optimum
            usable = _inside(dy, dx, H, W)
            for t in taken:  # an input pixel is chosen at most once
                usable = usable & (t != k)
            J_near = gaussian_smooth(np.where(usable, J, ref), self.smoothness)  # unusable: no gain
            G = np.where(usable, J_near / ref_near + self.locality * np.hypot(dy, dx), np.inf)
            better = G < best * (1 - TIE_MARGIN)  # in order of length: ties keep the shorter offset
            best[better], choice[better] = G[better], k
        return choice

    def _choose(self, Xp=None, Tp=None):
        s = self.stats_
        w0, b0, _ = solve_eq6(s, self.lam)  # Pixel-RR
        ref = np.maximum(s["stt"] - w0 * s["sxt"] - b0 * s["st"], 1e-300)
        taken = [self._pick(s["cross"], s["st"], s["stt"], ref, [])]
        self._set_offsets(self.candidates_[taken[0]][..., None, :])
        chosen = {k: self._gather_map(s[k])[..., 0] for k in ("sx", "sxx")}
        sxt = np.take_along_axis(s["cross"], taken[0][None], 0)[0]
        w, b, _ = solve_eq6({"n": s["n"], "st": s["st"], "sxt": sxt, **chosen}, self.lam)  # Eq. 6, chosen d
        weight, bias = w[..., None], b
        if self.n_pixels > 1:  # every image's chosen input pixels, pick by pick (pixel-major)
            Zp = np.empty(Xp.shape[:3] + (self.n_pixels, Xp.shape[-1]))
            Zp[..., 0, :] = self._gather_images(Xp, 0)
        for j in range(1, self.n_pixels):  # OMP: residual, a pick on it, a ridge refit on all picks
            Rp = Tp - np.einsum("hwcpn,hwcp->hwcn", Zp[..., :j, :], weight) - bias[..., None]
            srr = _dot(Rp, Rp)
            cross = shifted_cross_sums(Xp, Rp, self.candidates_)
            taken.append(self._pick(cross, Rp.sum(-1), srr, np.maximum(srr, 1e-300), taken))
            self._set_offsets(self.candidates_[np.stack(taken, -1)])
            Zp[..., j, :] = self._gather_images(Xp, j)
            weight, bias = self._refit(Zp[..., :j + 1, :], Tp)
        grey = len(self.input_shape_) == 2
        squeeze = (lambda a: a[:, :, 0]) if grey else (lambda a: a)
        self.weight_, self.bias_, self.offset_ = squeeze(weight), squeeze(bias), squeeze(self._offsets)
        return self

    def _set_offsets(self, d):
        """Keep ``(H, W, C, P, 2)`` offsets and the flat index of every chosen input pixel in an image."""
        H, W, C = d.shape[:3]
        yy, xx, cc = np.meshgrid(np.arange(H), np.arange(W), np.arange(C), indexing="ij")
        self._offsets = d
        self._index = ((yy[..., None] + d[..., 0]) * W + xx[..., None] + d[..., 1]) * C + cc[..., None]

    def _gather_map(self, a):
        """``(H, W, C, P)``: the per-pixel map ``a`` read at every chosen input pixel."""
        return a.reshape(-1)[self._index]

    def _gather_images(self, Xp, pick):
        """``(H, W, C, N)``: every image's input pixel chosen by ``pick`` (pixel-major)."""
        return Xp.reshape(-1, Xp.shape[-1])[self._index[..., pick]]

    def _refit(self, Zp, Tp):
        """Ridge on the P chosen pixels and a bias: the (P+1) x (P+1) form of Eq. 6 for every pixel (MR's solve)."""
        P = Zp.shape[-2]
        A = np.empty(Zp.shape[:-2] + (P + 1, P + 1))
        rhs = np.empty(Zp.shape[:-2] + (P + 1,))
        for i in range(P):
            for j in range(i + 1):
                A[..., i, j] = A[..., j, i] = _dot(Zp[..., i, :], Zp[..., j, :])
            A[..., i, P] = A[..., P, i] = Zp[..., i, :].sum(-1)
            rhs[..., i] = _dot(Zp[..., i, :], Tp)
        A[..., P, P] = Zp.shape[-1]
        rhs[..., P] = Tp.sum(-1)
        theta = np.moveaxis(solve_masked(np.moveaxis(A, (-2, -1), (0, 1)), np.moveaxis(rhs, -1, 0), self.lam), 0, -1)
        return theta[..., :P], theta[..., P]

    def _refresh(self, changed):
        """``update``: choose again from the stored sums (``n_pixels = 1`` fits, radius up to the fitted one)."""
        if "n_pixels" in changed:
            raise ValueError("n_pixels cannot be updated (each pick needs the images): fit a new model")
        if "cross" not in getattr(self, "stats_", {}):
            raise ValueError("this model keeps no per-candidate sums (n_pixels > 1, or loaded from a file): "
                             "call fit(X, T) with the new hyper-parameters")
        if self.radius > self.fit_radius_:
            raise ValueError(f"the sums were collected for radius <= {self.fit_radius_}: "
                             f"fit with radius={self.radius} instead")
        self._choose()

    # -- predict -------------------------------------------------------------
    def predict(self, X):
        """``y_p = sum_k w_pk x_{p + d_pk} + b_p`` for every pixel; output is not clipped."""
        X, single = self._prepare_predict(X)
        Xf = X.reshape(len(X), -1)
        w = self.weight_ if X.ndim == 4 else self.weight_[:, :, None]
        b = self.bias_ if X.ndim == 4 else self.bias_[:, :, None]
        Z = Xf[:, self._index]  # (M, H, W, C, P): the chosen input pixels of every image
        Y = Z[..., 0] * w[..., 0] + b if self.n_pixels == 1 else np.einsum("mhwcp,hwcp->mhwc", Z, w) + b
        Y = Y.reshape(X.shape)
        return Y[0] if single else Y

    @property
    def n_params(self):
        """``n_pixels`` weights + 1 bias per pixel, per channel (Table I convention: 3.28e4 at 128x128, n_pixels=1).

        The offsets are not counted: they are chosen indices, not fitted real
        numbers (as MR's mask is not counted); each is one of (2R+1)^2 choices,
        log2(81) = 6.3 bits at R=4.
        """
        self._require_fit()
        return (self.n_pixels + 1) * self.input_shape_[0] * self.input_shape_[1]

    # -- persistence ---------------------------------------------------------
    def _state(self):
        return {"weight": self.weight_, "bias": self.bias_, "offset": self.offset_}

    def _load_state(self, f):
        self.weight_, self.bias_ = f["weight"], f["bias"]
        self.offset_ = f["offset"].astype(np.intp)
        self.candidates_ = candidate_offsets(self.radius)
        self.fit_radius_ = self.radius
        self.stats_ = {}
        d = self.offset_ if len(self.input_shape_) == 3 else self.offset_[:, :, None]
        H, W = self.input_shape_[:2]
        yy, xx = np.mgrid[0:H, 0:W].reshape(2, H, W, 1, 1)
        ty, tx = yy + d[..., 0], xx + d[..., 1]  # the chosen input pixels
        if (np.abs(d) > self.radius).any() or (ty < 0).any() or (ty >= H).any() or (tx < 0).any() or (tx >= W).any():
            raise ValueError(f"offsets must lie within radius {self.radius} and point inside the {H}x{W} image")
        self._set_offsets(d)
