"""Masked regression, MR (Khan et al., IJCV 2020): each output pixel sees an r x r input patch."""
import numbers

import numpy as np

from ..validation import check_allocation, check_pair, check_positive
from .base import PixelModel


def _patches(X, field):
    """``(N, H, W, C, field*field)`` r x r neighbourhoods, zero outside the image."""
    h = field // 2
    P = np.pad(X, ((0, 0), (h, h), (h, h), (0, 0)))
    H, W = X.shape[1:3]
    return np.stack([P[:, i:i + H, j:j + W] for i in range(field) for j in range(field)], axis=-1)


class MaskedRidge(PixelModel):
    """Masked regression, MR (Khan et al., IJCV 2020): the baseline Pixel-RR shrinks.

    Each output pixel regresses on the ``field x field`` input patch centred on
    it plus a bias, with its own ridge problem:

        min_w  sum_n (t_p^n - w_p . z_p^n)^2 + lam ||w_p||^2,   z_p^n = [patch_p(x^n), 1]

    Neighbours outside the image are not used (they enter as zeros, which
    ridge gives weight exactly 0, and are not counted in ``n_params``).
    ``field=1`` is exactly Pixel-RR.

    Parameters
    ----------
    lam : float > 0
    field : odd int >= 1
        Receptive field r (paper's MR: 3).

    Attributes
    ----------
    weight_ : ``(H, W, C, field, field)``
    bias_ : ``(H, W, C)`` (``C`` dropped for grey input)

    Examples
    --------
    >>> from pixelfes_edu.models import PixelRidge
    >>> X = np.random.default_rng(0).random((20, 8, 8))
    >>> m = MaskedRidge(lam=0.4, field=1).fit(X, X)
    >>> bool(np.allclose(m.predict(X), PixelRidge(lam=0.4).fit(X, X).predict(X)))
    True
    """

    _hyper = ("lam", "field")

    def __init__(self, lam=0.4, field=3):
        self.lam = check_positive("lam", lam)
        if not (isinstance(field, numbers.Integral) and not isinstance(field, bool) and field >= 1 and field % 2):
            raise ValueError(f"field must be an odd integer >= 1 (1 = Pixel-RR, 3 = the paper's MR), got {field!r}")
        self.field = int(field)

    @staticmethod
    def _as4d(X):
        return X if X.ndim == 4 else X[..., None]

    def fit(self, X, T):
        X, T = check_pair(X, T)
        X4, T4 = self._as4d(X), self._as4d(T)
        N, H, W, C = X4.shape
        if self.field > min(H, W):
            raise ValueError(f"field {self.field} is larger than the images ({H}x{W}): use field <= {min(H, W)}")
        q = self.field**2 + 1
        check_allocation(8 * H * W * (C * q * (q + 1) + 2 * N * q), f"MaskedRidge(field={self.field}) on {N} "
                         f"images of {H}x{W}x{C}", "use a smaller field or fewer images")
        self._set_shape(X)
        self.gram_ = np.empty((H, W, C, q, q))  # sum_n z z^T per pixel
        self.rhs_ = np.empty((H, W, C, q))  # sum_n z t per pixel
        for c in range(C):  # one channel at a time bounds memory
            Z = _patches(X4[..., c:c + 1], self.field)[..., 0, :]  # (N, H, W, q-1)
            Z = np.concatenate([Z, np.ones((N, H, W, 1))], axis=-1).reshape(N, H * W, q)
            Zp = Z.transpose(1, 2, 0)  # (HW, q, N)
            self.gram_[:, :, c] = np.matmul(Zp, Z.transpose(1, 0, 2)).reshape(H, W, q, q)
            self.rhs_[:, :, c] = np.matmul(Zp, T4[..., c].reshape(N, H * W).T[:, :, None]).reshape(H, W, q)
        return self._solve()

    def _solve(self):
        q = self.gram_.shape[-1]
        A = self.gram_ + self.lam * np.eye(q)
        sol = np.linalg.solve(A, self.rhs_[..., None])[..., 0]
        H, W, C = sol.shape[:3]
        weight = sol[..., :-1].reshape(H, W, C, self.field, self.field)
        bias = sol[..., -1]
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
        self.gram_, self.rhs_ = f["gram"], f["rhs"]
        self._solve()


# --------------------------------------------------------------------------- global ridge
