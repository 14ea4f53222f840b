"""The MR authors' training loop, re-implemented for a same-run speed comparison (benchmarks only).

Khan, Akram, Mahmood, Ashraf, Murtaza, "Masked Linear Regression for Learning Local
Receptive Fields for Facial Expression Synthesis", IJCV 2020.  Their public code
(github.com/arbishakram/masked_regression_code, read at commit de9dac5) trains one
channel like this:

* ``f_create_mask.create_mask``: a sparse (CSR) mask with one row per output pixel
  marking its in-bounds r x r neighbours, plus a last column for the bias;
* ``f_load_data.create_design_response_matrices``: the images as rows of a design
  matrix with a ones column, the targets as rows of a response matrix;
* ``f_mr.mr``: for every pixel, its mask row is sliced out of the CSR matrix, each
  cross term ``sum_n t_n[p] z_n[j]`` is a Python ``sum`` over the N images, then the
  Gram matrix of the selected design columns is inverted with the ridge term added
  (``np.linalg.inv``) and multiplied by the cross terms.

:func:`train` does the same per-pixel work in the same order (CSR row slicing,
Python ``sum``, ``np.linalg.inv``).  With ``dense=True`` it also keeps the
original's data structures: the cross terms go into a dense d x (d+1) array of ones,
the weights into a dense d x (d+1) array of zeros that is converted to CSR at the end
(2.1 GB each at 128x128).  Without them (``dense=False``) it is a lower bound of the
original's time that needs no extra memory.

How it was checked (scripts in the project's scratch notes, not shipped): the
original ``create_mask`` and ``mr`` were run unchanged on random data at 12x12 to
64x64 (r = 1, 3, 5, 7; N up to 102): the masks are identical to :func:`mask`, the
predictions of the original and of this re-implementation agree to 6e-16 and those
of ``pixelfes_edu.MaskedRidge`` to 4e-14.  At 128x128, N = 102, r = 3 on a loaded
2-core machine, the original's ``mr`` took 33 s (plus 24-39 s for ``create_mask``,
4.1 GB peak memory) where :func:`train` took 14 s, with predictions equal to 2e-16.
"""
import numpy as np


def mask(H, W, field):
    """The authors' receptive-field mask: CSR ``(H*W, H*W + 1)``, row p = p's in-bounds neighbours + bias column."""
    from scipy import sparse

    d, h = H * W, field // 2
    indices, indptr = [], [0]
    for i in range(H):
        for j in range(W):
            indices += [m * W + n for m in range(i - h, i + h + 1) for n in range(j - h, j + h + 1)
                        if 0 <= m < H and 0 <= n < W]
            indices.append(d)
            indptr.append(len(indices))
    return sparse.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(d, d + 1))


def train(X, T, lam, M, dense=False):
    """Their ``mr`` on one channel: ``X, T (N, H, W)``, mask ``M``; returns per-pixel (indices, weights)."""
    from scipy import sparse

    N, H, W = X.shape
    d = H * W
    design = np.ones((N, d + 1))  # one image per row and a ones column for the bias
    design[:, :d] = X.reshape(N, d)
    response = T.reshape(N, d)
    cross = np.ones((d, d + 1)) if dense else []
    for i in range(d):
        ind = M[i].indices
        c = cross[i] if dense else np.ones(ind.size)
        for k in range(ind.size):
            c[ind[k] if dense else k] = sum(response[:, i] * design[:, ind[k]])
        if not dense:
            cross.append(c)
    indices = [M[i].indices for i in range(d)]
    weights = np.zeros((d, d + 1)) if dense else []
    for i in range(d):
        ind = indices[i]
        gram = np.dot(design[:, ind].T, design[:, ind])
        w = np.dot(np.linalg.inv(gram + lam * np.eye(ind.size)), cross[i, ind] if dense else cross[i])
        if dense:
            weights[i, ind] = w
        else:
            weights.append(w)
    if dense:
        weights = sparse.csr_matrix(weights)  # what they save: the d x (d+1) weight matrix
    return indices, weights


def predict(X, indices, weights):
    """``y_p = w_p . [x_neighbours, 1]`` for every pixel (their test step, ``Wt @ [x, 1]``)."""
    N, H, W = X.shape
    d = H * W
    Z = np.ones((N, d + 1))
    Z[:, :d] = X.reshape(N, d)
    if not isinstance(weights, list):  # the CSR matrix of train(dense=True)
        return np.asarray(weights @ Z.T).T.reshape(N, H, W)
    return np.stack([Z[:, indices[i]] @ weights[i] for i in range(d)], axis=1).reshape(N, H, W)
