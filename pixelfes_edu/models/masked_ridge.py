"""Masked regression, MR (Khan et al., IJCV 2020): each output pixel sees an r x r input patch."""
import numbers
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..validation import check_allocation, check_pair, check_lam
from .base import PixelModel
from .linalg import solve_spd
from .streaming import Streaming

#: Positions of the padded grid summed at once by :func:`masked_sums` (every image's rows stay in cache).
BLOCK = 4096
#: Pixels per batched solve in :meth:`MaskedRidge._solve` (small blocks keep the factorisation's copies small).
SOLVE_PIXELS = 2048


def patch_offsets(field):
    """The ``field x field`` offsets ``(di, dj)`` in row-major order: the order of ``weight_[..., i, j]``.

    >>> patch_offsets(3)[:4]
    [(-1, -1), (-1, 0), (-1, 1), (0, -1)]
    """
    h = field // 2
    return [(i, j) for i in range(-h, h + 1) for j in range(-h, h + 1)]


def masked_sums(x, t, field, pool=None, out=None):
    """MR's per-pixel sums for one channel: ``sum_n z z^T`` ``(q, q, H, W)`` and ``sum_n z t`` ``(q, H, W)``.

    ``z = [patch_p(x_n), 1]`` is pixel p's ``field x field`` input patch and a
    bias (q = field^2 + 1), zero outside the image.  With that zero padding
    every entry is a shifted product of whole images:

        G_ab[p] = sum_n x_n[p + a] x_n[p + b] = S_{b-a}[p + a],   S_d[u] = sum_n x_n[u] x_n[u + d]

    so one product image per offset difference d serves every pair of offsets
    with that difference (and d, -d give the same numbers: half of them are
    computed, 13 for r = 3); the right-hand side needs one product
    ``R_a[p] = sum_n x_n[p + a] t_n[p]`` per offset, and the bias row is
    ``sum_n x_n`` and ``N``.  On the flattened padded grid an offset is a
    single shift, and the products are summed ``BLOCK`` positions at a time
    (on the threads of ``pool`` if given).  With ``out=(gram, rhs)`` the sums
    are added to those arrays instead of returned in new ones.

    >>> x, t = np.random.default_rng(0).random((2, 5, 4, 4))
    >>> G, r = masked_sums(x, t, 3)
    >>> z = np.r_[x[:, 0:3, 0:3].reshape(5, 9).T, np.ones((1, 5))]   # pixel (1, 1)'s patches and bias
    >>> bool(np.allclose(G[:, :, 1, 1], z @ z.T)), bool(np.allclose(r[:, 1, 1], z @ t[:, 1, 1]))
    (True, True)
    """
    N, H, W = x.shape
    h = field // 2
    Hp, Wp = H + 2 * h, W + 2 * h
    L, M = Hp * Wp, 2 * h * (Wp + 1)  # positions of the padded grid; the largest shift
    P = _padded(x, h, M)  # (N, M + L + M): x zero-padded by h, flattened, M more zeros at both ends
    Tp = _padded(t, h, 0)
    offsets = patch_offsets(field)
    diffs = [(i, j) for i in range(2 * h + 1) for j in range(-2 * h, 2 * h + 1) if i > 0 or j >= 0]
    S, R = np.empty((len(diffs), L)), np.empty((len(offsets), L))

    def products(k):  # S_d and R_a at the positions k (a slice)
        here = P[:, M + k.start:M + k.stop]
        for i, (di, dj) in enumerate(diffs):
            s = M + di * Wp + dj
            np.einsum("nk,nk->k", here, P[:, s + k.start:s + k.stop], out=S[i, k])
        for i, (ai, aj) in enumerate(offsets):
            s = M + ai * Wp + aj
            np.einsum("nk,nk->k", P[:, s + k.start:s + k.stop], Tp[:, k], out=R[i, k])

    n_blocks = max(-(-L // BLOCK), (os.cpu_count() or 1) if pool else 1)  # equal blocks, at least one per thread
    edges = np.linspace(0, L, n_blocks + 1).astype(int)
    list((pool.map if pool else map)(products, [slice(a, b) for a, b in zip(edges[:-1], edges[1:])]))
    S, R = S.reshape(-1, Hp, Wp), R.reshape(-1, Hp, Wp)
    sx = P[:, M:M + L].sum(0).reshape(Hp, Wp)

    def at(image, u):  # image[p + u] for every pixel p of the H x W image (image on the padded grid)
        return image[h + u[0]:h + u[0] + H, h + u[1]:h + u[1] + W]

    q = len(offsets) + 1
    gram, rhs = (np.zeros((q, q, H, W)), np.zeros((q, H, W))) if out is None else out
    which = {d: i for i, d in enumerate(diffs)}
    for ka, a in enumerate(offsets):
        for kb, b in enumerate(offsets[ka:], ka):
            d = (b[0] - a[0], b[1] - a[1])
            gram[ka, kb] += at(S[which[d]], a) if d in which else at(S[which[(-d[0], -d[1])]], b)
            if kb != ka:
                gram[kb, ka] = gram[ka, kb]
        gram[ka, -1] += at(sx, a)
        gram[-1, ka] = gram[ka, -1]
        rhs[ka] += at(R[ka], (0, 0))
    gram[-1, -1] += N
    rhs[-1] += t.sum(0)
    return gram, rhs


def solve_masked(gram, rhs, lam):
    """MR's ridge solution per pixel: ``w_p = (sum_n z z^T + λI)^-1 sum_n z t`` (weights of the patch, bias last).

    ``gram`` ``(q, q, ...)`` and ``rhs`` ``(q, ...)`` are the sums of :func:`masked_sums` for any
    number of pixels (batch axes last); every pixel's ``q x q`` system, ``q = field² + 1``, is
    solved at once (:func:`~pixelfes_edu.models.linalg.solve_spd`).  With ``field = 1``,
    ``z = [x, 1]`` and this is Eq. 6.

    >>> z = np.array([[0.2, 1.0], [0.6, 1.0], [0.9, 1.0]]); t = np.array([0.3, 0.5, 0.8])
    >>> w = solve_masked((z.T @ z)[:, :, None], (z.T @ t)[:, None], 0.4)[:, 0]
    >>> bool(np.allclose(w, np.linalg.solve(z.T @ z + 0.4 * np.eye(2), z.T @ t)))
    True
    """
    q = len(gram)
    return solve_spd(gram + lam * np.eye(q).reshape((q, q) + (1,) * (gram.ndim - 2)), rhs, overwrite=True)


def _padded(x, h, margin):
    """``(N, margin + (H+2h)(W+2h) + margin)``: each image zero-padded by ``h``, flattened, between zero margins."""
    N, H, W = x.shape
    P = np.empty((N, (H + 2 * h) * (W + 2 * h) + 2 * margin))  # zeroed where x does not go (cheaper than np.zeros)
    P[:, :margin] = P[:, P.shape[1] - margin:] = 0
    grid = P[:, margin:P.shape[1] - margin].reshape(N, H + 2 * h, W + 2 * h)
    grid[:, :h] = grid[:, H + h:] = grid[:, :, :h] = grid[:, :, W + h:] = 0
    grid[:, h:h + H, h:h + W] = x
    return P


class MaskedRidge(Streaming, PixelModel):
    """Masked regression, MR (Khan et al., IJCV 2020): the baseline Pixel-RR shrinks.

    Each output pixel regresses on the ``field x field`` input patch centred on
    it plus a bias, with its own ridge problem:

        min_w  sum_n (t_p^n - w_p . z_p^n)^2 + lam ||w_p||^2,   z_p^n = [patch_p(x^n), 1]

    Neighbours outside the image are not used (they enter as zeros, which
    ridge gives weight exactly 0, and are not counted in ``n_params``).
    ``field=1`` is exactly Pixel-RR.

    The normal equations ``(sum_n z z^T + lam I) w = sum_n z t`` of every pixel
    are built from shifted products of whole images (:func:`masked_sums`) and
    solved all at once (:func:`~pixelfes_edu.models.linalg.solve_spd`).  The
    sums are kept (``gram_``, ``rhs_``): a new λ is one batched solve, more
    pairs stream in with :meth:`partial_fit`, and models fitted on separate
    chunks add up (``a + b``).

    Parameters
    ----------
    lam : float > 0
    field : odd int >= 1
        Receptive field r (paper's MR: 3).

    Attributes
    ----------
    weight_ : ``(H, W, C, field, field)``
    bias_ : ``(H, W, C)`` (``C`` dropped for grey input)
    gram_, rhs_ : ``(H, W, C, q, q)`` and ``(H, W, C, q)``
        The per-pixel sums, ``q = field**2 + 1`` (bias last).

    Examples
    --------
    >>> from pixelfes_edu.models import PixelRidge
    >>> X = np.random.default_rng(0).random((20, 8, 8))
    >>> m = MaskedRidge(lam=0.4, field=1).fit(X, X)
    >>> bool(np.allclose(m.predict(X), PixelRidge(lam=0.4).fit(X, X).predict(X)))
    True
    >>> a, b = MaskedRidge(field=3).fit(X[:12], X[:12]), MaskedRidge(field=3).fit(X[12:], X[12:])
    >>> bool(np.allclose((a + b).predict(X), MaskedRidge(field=3).fit(X, X).predict(X)))
    True
    """

    _hyper = ("lam", "field")

    def __init__(self, lam=0.4, field=3):
        self.lam = check_lam(lam)
        if not (isinstance(field, numbers.Integral) and not isinstance(field, bool) and field >= 1 and field % 2):
            raise ValueError(f"field must be an odd integer >= 1 (1 = Pixel-RR, 3 = the paper's MR), got {field!r}")
        self.field = int(field)

    @staticmethod
    def _as4d(X):
        return X if X.ndim == 4 else X[..., None]

    def partial_fit(self, X, T):
        """Add a chunk of pairs to every pixel's sums and re-solve; returns self."""
        X, T = check_pair(X, T)
        X4, T4 = self._as4d(X), self._as4d(T)
        N, H, W, C = X4.shape
        if self.field > min(H, W):
            raise ValueError(f"field {self.field} is larger than the images ({H}x{W}): use field <= {min(H, W)}")
        q, grid = self.field**2 + 1, (H + self.field) * (W + self.field)  # grid: the padded image and margin
        n_products = ((2 * self.field - 1) ** 2 + 1) // 2 + self.field**2
        floats = C * q * (q + 1) * H * W + (2 * N + n_products) * grid + 3 * q * q * H * W  # sums + one channel's work
        check_allocation(8 * floats, f"MaskedRidge(field={self.field}) on {N} images of {H}x{W}x{C}",
                         "use a smaller field, or fewer images per partial_fit chunk")
        first = not self._fitted
        self._start_stream(X)
        # the first chunk sums into the new statistics; later ones into their own, added at the end
        gram, rhs = (self._gram, self._rhs) if first else (np.zeros_like(self._gram), np.zeros_like(self._rhs))
        with ThreadPoolExecutor(os.cpu_count() or 1) as pool:  # numpy releases the GIL in the products
            for c in range(C):  # channels are independent models
                masked_sums(X4[..., c], T4[..., c], self.field, pool, out=(gram[c], rhs[c]))
        if not first:
            gram += self._gram
            rhs += self._rhs
            self._gram, self._rhs = gram, rhs
        return self._solve()

    def _init_stats(self):
        H, W = self.input_shape_[:2]
        C, q = self.n_channels, self.field**2 + 1
        self._gram, self._rhs = np.zeros((C, q, q, H, W)), np.zeros((C, q, H, W))  # pixels last: batched solves

    def _merge_stats(self, a, b):
        if a.field != b.field:
            raise ValueError(f"cannot merge MR models with different receptive fields ({a.field}, {b.field}): "
                             "their per-pixel sums have different sizes")
        self._gram, self._rhs = a._gram + b._gram, a._rhs + b._rhs

    _caches = ("_gram", "_rhs")

    @property
    def gram_(self):
        """``sum_n z z^T`` of every pixel and channel, ``(H, W, C, q, q)`` (a view)."""
        self._require_fit()
        return np.moveaxis(self._gram, (0, 1, 2), (2, 3, 4))

    @property
    def rhs_(self):
        """``sum_n z t`` of every pixel and channel, ``(H, W, C, q)`` (a view)."""
        self._require_fit()
        return np.moveaxis(self._rhs, (0, 1), (2, 3))

    def _solve(self):
        C, q, _, H, W = self._gram.shape
        sol = np.empty_like(self._rhs)  # (C, q, H, W)

        def solve(part):  # one channel's rows i0:i1
            c, rows = part
            sol[c, :, rows] = solve_masked(self._gram[c, :, :, rows], self._rhs[c, :, rows], self.lam)

        step = max(1, SOLVE_PIXELS // W)  # rows per block
        with ThreadPoolExecutor(os.cpu_count() or 1) as pool:  # numpy releases the GIL
            list(pool.map(solve, [(c, slice(i, i + step)) for c in range(C) for i in range(0, H, step)]))
        weight = np.moveaxis(sol[:, :-1], (0, 1), (2, 3)).reshape(H, W, C, self.field, self.field)
        bias = np.moveaxis(sol[:, -1], 0, -1)
        grey = len(self.input_shape_) == 2
        self.weight_, self.bias_ = (weight[:, :, 0], bias[:, :, 0]) if grey else (weight, bias)
        return self

    def predict(self, X):
        X, single = self._prepare_predict(X)
        X4 = self._as4d(X)
        w = self.weight_ if X.ndim == 4 else self.weight_[:, :, None]
        b = self.bias_ if X.ndim == 4 else self.bias_[:, :, None]
        H, W, C = w.shape[:3]
        wf = w.reshape(H, W, C, -1)
        h = self.field // 2
        P = np.pad(X4, ((0, 0), (h, h), (h, h), (0, 0)))
        Y = np.broadcast_to(b, X4.shape).copy()
        for k in range(self.field**2):  # a sum over the few patch offsets, vectorised over pixels
            i, j = divmod(k, self.field)
            Y += wf[..., k] * P[:, i:i + H, j:j + W]
        Y = Y.reshape(X.shape)
        return Y[0] if single else Y

    @property
    def n_params(self):
        """In-bounds patch weights + 1 bias per pixel, per channel (Table I: 16.2e4 at 128x128, r=3)."""
        self._require_fit()
        H, W = self.input_shape_[:2]
        h = self.field // 2

        def inbounds(L):  # sum over positions of in-bounds neighbours along one axis
            i = np.arange(L)
            return int((np.minimum(i + h, L - 1) - np.maximum(i - h, 0) + 1).sum())

        return inbounds(H) * inbounds(W) + H * W

    def _state(self):
        return {"gram": self.gram_, "rhs": self.rhs_}

    def _load_state(self, f):
        self._gram = np.ascontiguousarray(np.moveaxis(f["gram"], (2, 3, 4), (0, 1, 2)))
        self._rhs = np.ascontiguousarray(np.moveaxis(f["rhs"], (2, 3), (0, 1)))
        self._solve()

