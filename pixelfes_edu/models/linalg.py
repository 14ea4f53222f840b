"""Many small linear systems at once: one per pixel (and channel), solved in a few numpy calls."""
import numpy as np


def solve_spd(A, b, overwrite=False):
    """Solve ``A x = b`` for a batch of small symmetric positive definite systems.

    ``A`` is ``(q, q, ...)`` and ``b`` ``(q, ...)``: the batch axes come last, so
    every step of the Cholesky factorisation ``A = L L^T`` (column by column)
    and of the two triangular solves is one vectorised operation over the
    whole batch, about ``q^2 / 2`` numpy calls in all whatever the number of
    pixels.  (``np.linalg.solve`` on ``(pixels, q, q)`` makes one LAPACK call
    per pixel instead.)  Only the lower triangle of ``A`` is read; with
    ``overwrite=True`` (float64 ``A``) it is factorised in place, saving a copy.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> Z = rng.random((5, 20, 3))
    >>> A = Z.transpose(0, 2, 1) @ Z + 0.1 * np.eye(3)   # 5 SPD systems, (5, 3, 3)
    >>> b = rng.random((5, 3))
    >>> x = solve_spd(np.moveaxis(A, 0, -1), b.T)        # batch axis last
    >>> bool(np.allclose(x.T, np.linalg.solve(A, b[..., None])[..., 0]))
    True
    """
    q = A.shape[0]
    L = A if overwrite and A.dtype == np.float64 else np.array(A, dtype=np.float64)
    for j in range(q):  # column j of L from the columns to its left
        if j:
            L[j:, j] -= np.einsum("ik...,k...->i...", L[j:, :j], L[j, :j])
        L[j, j] = np.sqrt(L[j, j])
        L[j + 1:, j] /= L[j, j]
    x = np.array(b, dtype=np.float64)
    for i in range(q):  # L y = b (y overwrites x)
        if i:
            x[i] -= np.einsum("k...,k...->...", L[i, :i], x[:i])
        x[i] /= L[i, i]
    for i in reversed(range(q)):  # L^T x = y
        if i < q - 1:
            x[i] -= np.einsum("k...,k...->...", L[i + 1:, i], x[i + 1:])
        x[i] /= L[i, i]
    return x
