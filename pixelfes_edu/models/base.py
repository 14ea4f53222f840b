"""What every model shares: the fit/predict contract, ``update``, ``save`` and :func:`load_model`.

A model maps a batch of neutral faces ``X`` to expressive faces ``T``, both
float arrays ``(N, H, W)`` or ``(N, H, W, C)`` in [0, 1]; channels are
independent models.  Subclasses implement ``fit``, ``predict``, ``n_params``,
``_solve`` (the λ-dependent part, from stored statistics) and
``_state``/``_load_state`` (the arrays saved to ``.npz``).

A model file is an ``.npz`` (never pickled) holding ``format_version``,
``kind`` (the class name), ``input_shape``, one ``hyper_<name>`` per
hyper-parameter, and the learned arrays listed in :data:`FILE_LAYOUTS`.
``save`` writes it atomically; :func:`load_model` checks all of it.
"""
import numpy as np

from ..validation import (ResourceLimitError, atomic_write, check_allocation, check_images, check_output_path,
                          check_values)

#: Version of the ``.npz`` model format written by ``save``.
FORMAT_VERSION = 1

#: The learned arrays of each kind's file, one layout per solver: name -> shape as a string of
#: dimensions: ``I`` the image shape ``(H, W[, C])``, ``H``, ``W``, ``K`` channels (1 for grey),
#: ``D = H*W*K``, ``P = H*W``, ``Q = field**2 + 1``, ``M = n_pixels``, a digit for itself, and
#: ``N`` (training pairs) and ``R`` (the number of kernel basis features), which must agree across the
#: arrays of one file.  Kinds not listed here get the checks every file gets (finite values, a
#: working prediction).
FILE_LAYOUTS = {
    "PixelRidge": [dict(weight="I", bias="I", stats_n="", stats_sx="I", stats_st="I", stats_sxx="I", stats_sxt="I")],
    "PixelKernelRidge": [dict(X="ND", T="ND", primal="DR"), dict(X="ND", T="ND", coef="ND")],
    "MaskedRidge": [dict(gram="HWKQQ", rhs="HWKQ")],
    "GlobalRidge": [dict(X="KNP", T="KNP")],
    "SparseFieldRidge": [dict(weight="IM", bias="I", offset="IM2")],
}
_METADATA = ("format_version", "kind", "input_shape")
#: Learned entries that are text, not arrays.
TEXT_STATE = ("basis",)

#: The paper's hyper-parameters: λ for every model, σ of Pixel-KR by target expression.
PAPER_LAM = 0.4
PAPER_SIGMA = {"happy": 3.0, "other": 10.0}

#: Every model class by name, filled as the classes are defined (``load_model`` looks here).
MODEL_KINDS = {}


class NotFittedError(ValueError):
    """Raised when ``predict``/``update``/``save`` is called before ``fit``."""


def _unchanged_on_failure(model, work):
    """``work()``, with the model's attributes put back when it raises (refused images, a resource limit, Ctrl-C).

    ``work`` replaces learned arrays (binds new arrays to the attributes), never
    modifies them in place, so the saved attributes are the model as it was.
    """
    saved = dict(model.__dict__)
    try:
        return work()
    except BaseException:
        model.__dict__.clear()
        model.__dict__.update(saved)
        raise


def _transactional(fit):
    """``fit`` (or ``partial_fit``) that leaves the model as it was when it fails: never half-fitted."""
    def transactional_fit(self, *args, **kwargs):
        return _unchanged_on_failure(self, lambda: fit(self, *args, **kwargs))

    for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
        setattr(transactional_fit, attr, getattr(fit, attr))
    transactional_fit.__wrapped__ = fit
    return transactional_fit


class PixelModel:
    """Shared plumbing of the models: shapes, prediction-input checks, update, save.

    ``fit``, ``partial_fit`` and ``update`` are transactional: when they fail,
    the model is exactly as it was before the call.

    ``_hyper`` names the hyper-parameters: they are the ``__init__``
    arguments, validated there, saved with the model and accepted by
    :meth:`update`.
    """

    _hyper = ("lam",)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        MODEL_KINDS[cls.__name__] = cls
        for name in ("fit", "partial_fit"):  # defined here or inherited (Streaming.fit)
            method = getattr(cls, name, None)
            if method is not None and not hasattr(method, "__wrapped__"):
                setattr(cls, name, _transactional(method))

    def _set_shape(self, X):
        self.input_shape_ = X.shape[1:]  # (H, W) or (H, W, C)

    @property
    def _fitted(self):
        return hasattr(self, "input_shape_")

    def _require_fit(self):
        if not self._fitted:
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit(X, T) first")

    @property
    def n_channels(self):
        self._require_fit()
        return self.input_shape_[2] if len(self.input_shape_) == 3 else 1

    def _prepare_predict(self, X):
        """Return (batch as float64 (M, H, W[, C]), was_single_image)."""
        self._require_fit()
        X = np.asarray(X)
        single = X.shape == self.input_shape_
        X = check_images(X[None] if single else X, "X")
        if X.shape[1:] != self.input_shape_:
            raise ValueError(
                f"this model was fitted on images of shape {self.input_shape_} "
                f"(H, W[, C]); got {X.shape[1:]}: resize/align images to the training size"
            )
        return X, single

    def update(self, **params):
        """Re-solve a fitted model for new hyper-parameters from its stored statistics.

        No pass over the images: Pixel-RR keeps the five sums of Eq. 6, MR the
        per-pixel Gram matrices, GlobalRidge the eigendecomposition of
        ``X X^T``, Pixel-KR its per-pixel M x M systems (and its training
        values for a new σ).  All values are checked before anything changes,
        and a failed update leaves the model exactly as it was.

        >>> X = np.random.default_rng(0).random((6, 4, 4))
        >>> from pixelfes_edu.models import PixelRidge
        >>> m = PixelRidge(lam=0.4).fit(X, X)
        >>> m.update(lam=-1)
        Traceback (most recent call last):
        ...
        ValueError: lam must be a finite real number > 0, got -1
        >>> m.lam
        0.4
        """
        self._require_fit()
        unknown = set(params) - set(self._hyper)
        if unknown:
            raise ValueError(f"{type(self).__name__}.update accepts {', '.join(self._hyper)}; "
                             f"got {', '.join(sorted(unknown))}")
        params = {k: v for k, v in params.items() if v is not None}
        checked = type(self)(**{**self.get_params(), **params}).get_params()  # __init__ validates
        changed = {k for k in params if checked[k] != getattr(self, k)}
        def apply():
            for k in changed:
                setattr(self, k, checked[k])
            self._refresh(changed)

        try:
            _unchanged_on_failure(self, apply)
        except ArithmeticError as e:  # overflow in a re-solve: a bad value, said as one
            raise ValueError(f"{type(self).__name__}.update({', '.join(f'{k}={v!r}' for k, v in params.items())}) "
                             f"failed ({type(e).__name__}: {e}); the model is unchanged") from e
        return self

    def _refresh(self, changed):
        """Bring the learned arrays up to date after the hyper-parameters in ``changed`` moved."""
        self._solve()

    def get_params(self):
        return {k: getattr(self, k) for k in self._hyper}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # persistence --------------------------------------------------------
    def _state(self):
        """Learned arrays to save (name -> ndarray)."""
        raise NotImplementedError

    def save(self, path):
        """Save to ``.npz`` with the format version, kind and hyper-parameters; returns the path written.

        ``.npz`` is appended when ``path`` lacks it (as ``numpy.savez`` does); a
        folder is refused.  The file is written atomically: until the new file
        is complete, readers (and a crash or ``kill``) see the previous one.

        >>> import tempfile, os
        >>> from pixelfes_edu.models import PixelRidge
        >>> m = PixelRidge().fit(np.zeros((2, 4, 4)), np.ones((2, 4, 4)))
        >>> folder = tempfile.mkdtemp()
        >>> m.save(os.path.join(folder, "smile")) == os.path.join(folder, "smile.npz")
        True
        """
        self._require_fit()
        target = check_output_path(path, ".npz")
        arrays = {
            "format_version": FORMAT_VERSION,
            "kind": type(self).__name__,
            "input_shape": np.array(self.input_shape_),
            **{f"hyper_{k}": v for k, v in self.get_params().items()},
            **self._state(),
        }

        def write(tmp):
            with open(tmp, "wb") as fh:
                np.savez_compressed(fh, **arrays)

        atomic_write(target, write)
        return target


def load_model(path):
    """Load a model written by ``save``, checking everything it reads.

    The format version, the kind, every expected array and hyper-parameter,
    shapes consistent with ``input_shape`` (:data:`FILE_LAYOUTS`), finite
    values and a working prediction are checked; any problem — a damaged,
    truncated or foreign file included — is one ``ValueError`` that names the
    file and what is wrong.  Nothing is unpickled.

    >>> import tempfile, os
    >>> from pixelfes_edu.models import PixelRidge
    >>> X = np.random.default_rng(0).random((5, 4, 4))
    >>> m = PixelRidge(lam=0.4).fit(X, X)
    >>> p = m.save(os.path.join(tempfile.mkdtemp(), "m.npz"))
    >>> np.allclose(load_model(p).predict(X), m.predict(X))
    True
    >>> with open(p, "r+b") as f:
    ...     _ = f.truncate(100)
    >>> load_model(p)
    Traceback (most recent call last):
    ...
    ValueError: cannot load a model from ...m.npz: it is not a pixelfes_edu model file: not a complete .npz (...)
    """
    try:
        return _load(path)
    except _FileProblem as e:
        raise ValueError(f"cannot load a model from {path}: {e}") from None
    except ResourceLimitError as e:
        raise ResourceLimitError(f"cannot load a model from {path}: {e}") from None


class _FileProblem(Exception):
    """What is wrong with a model file (turned into one ValueError by :func:`load_model`)."""


def _load(path):
    arrays = _read_npz(path)
    for key in _METADATA:
        if key not in arrays:
            raise _FileProblem(f"it is not a pixelfes_edu model file: it has no {key!r} "
                               f"(it holds {', '.join(sorted(arrays)) or 'nothing'})")
    version = _scalar(arrays, "format_version", "iuf")
    if not (np.isfinite(version) and version == int(version)):
        raise _FileProblem(f"format_version must be an integer, got {version!r}")
    if int(version) != FORMAT_VERSION:
        raise _FileProblem(f"it has model format version {int(version)}; this pixelfes_edu reads version "
                           f"{FORMAT_VERSION}: refit the model and save it again")
    kind = _scalar(arrays, "kind", "U")
    if kind not in MODEL_KINDS:
        raise _FileProblem(f"it holds a model of unknown kind {kind!r}; known: {sorted(MODEL_KINDS)}")
    cls = MODEL_KINDS[kind]
    shape = arrays["input_shape"]
    if not (shape.dtype.kind in "iu" and shape.ndim == 1 and len(shape) in (2, 3) and (shape >= 1).all()):
        raise _FileProblem(f"input_shape must be 2 or 3 positive integers (H, W[, C]), got {shape.tolist()!r}")
    input_shape = tuple(int(s) for s in shape)
    params = {k: _scalar(arrays, f"hyper_{k}", "biufU") for k in cls._hyper}
    try:
        model = cls(**params)
    except ValueError as e:
        raise _FileProblem(f"its hyper-parameters are invalid: {e}") from None
    state = {k: v for k, v in arrays.items() if k not in _METADATA and not k.startswith("hyper_")}
    _check_state(kind, state, input_shape, params)
    model.input_shape_ = input_shape
    check_allocation(64 * int(np.prod(input_shape)), f"a test prediction at input_shape {input_shape}")
    try:
        model._load_state(state)
        probe = np.broadcast_to(np.linspace(0, 1, 2).reshape((2,) + (1,) * len(input_shape)), (2,) + input_shape)
        out = model.predict(probe)
    except (ValueError, ArithmeticError, IndexError, KeyError, TypeError) as e:
        raise _FileProblem(f"its arrays do not make a working {kind} ({type(e).__name__}: {e})") from None
    if out.shape != probe.shape or not np.isfinite(out).all():
        raise _FileProblem(f"its arrays do not make a working {kind}: a prediction is "
                           f"{'not finite' if out.shape == probe.shape else f'of shape {out.shape}'}")
    return model


def _read_npz(path):
    """``{name: array}`` of an ``.npz`` file; its declared sizes are checked before anything is read."""
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        raise _FileProblem("the file does not exist") from None
    except IsADirectoryError:
        raise _FileProblem("it is a folder, not a file") from None
    except OSError as e:
        raise _FileProblem(f"it cannot be read ({e})") from None
    with fh:
        try:
            f = np.load(fh, allow_pickle=False)
        except Exception as e:  # not a zip, empty, truncated, would need unpickling ...
            why = "numpy would have to unpickle it" if "pickle" in str(e) else f"{type(e).__name__}: {e}"
            raise _FileProblem(f"it is not a pixelfes_edu model file: not a complete .npz ({why})") from None
        if not isinstance(f, np.lib.npyio.NpzFile):
            raise _FileProblem("it is not a pixelfes_edu model file: a single .npy array, not an .npz written by "
                               "save()")
        return _read_members(f)


def _read_members(f):
    with f:
        try:
            nbytes = sum(_declared_bytes(f.zip, name) for name in f.zip.namelist())
            check_allocation(nbytes, "its arrays")
            return {k: f[k] for k in f.files}
        except ResourceLimitError:
            raise
        except Exception as e:  # bad CRC, truncated member, object arrays, unreadable headers ...
            raise _FileProblem(f"it is damaged ({type(e).__name__}: {e})") from None


def _declared_bytes(zf, member):
    """Bytes the ``.npy`` member ``member`` of the zip ``zf`` says it holds (read from its header only)."""
    with zf.open(member) as fp:
        version = np.lib.format.read_magic(fp)
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read(fp)
    return int(np.prod(shape, dtype=np.float64)) * dtype.itemsize


def _scalar(arrays, key, kinds):
    """The single value stored under ``key``, if its dtype kind is one of ``kinds``."""
    if key not in arrays:
        raise _FileProblem(f"it has no {key!r}")
    a = arrays[key]
    if a.ndim != 0 or a.dtype.kind not in kinds:
        got = repr(a.item()) if a.ndim == 0 else f"an array of shape {a.shape}"
        raise _FileProblem(f"{key} must be a single {'text' if kinds == 'U' else 'number'}, got {got}")
    return a.item()


def _check_state(kind, state, input_shape, params):
    """Every learned array present, real and finite, with the shape :data:`FILE_LAYOUTS` gives."""
    for name, a in state.items():
        if name in TEXT_STATE:
            _scalar(state, name, "U")  # a label saved beside the arrays (e.g. which basis Pixel-KR's coefficients use)
            continue
        if a.dtype.kind not in "iuf":
            raise _FileProblem(f"{name} must be a real number array, got dtype {a.dtype}")
        if name in ("X", "T"):  # stored training images
            try:
                check_values(a, name)
            except ValueError as e:
                raise _FileProblem(str(e)) from None
        elif not np.isfinite(a).all():
            raise _FileProblem(f"{name} contains NaN or inf")
    layouts = FILE_LAYOUTS.get(kind)
    if layouts is None:
        return
    H, W = input_shape[:2]
    K = input_shape[2] if len(input_shape) == 3 else 1
    known = {"H": H, "W": W, "K": K, "D": H * W * K, "P": H * W}
    if "field" in params:
        known["Q"] = params["field"] ** 2 + 1
    if "n_pixels" in params:
        known["M"] = params["n_pixels"]
    arrays = set(state) - set(TEXT_STATE)
    fits = [layout for layout in layouts if set(layout) == arrays]
    if not fits:
        want = " or ".join(", ".join(sorted(layout)) for layout in layouts)
        raise _FileProblem(f"a {kind} file holds the arrays {want}; this one holds {', '.join(sorted(arrays))}")
    free = {}
    for name, dims in fits[0].items():
        want = []
        for d in dims:
            if d == "I":
                want += list(input_shape)
            elif d.isdigit():
                want.append(int(d))
            elif d in known:
                want.append(known[d])
            else:
                want.append(free.setdefault(d, state[name].shape[len(want)] if state[name].ndim > len(want) else -1))
        if list(state[name].shape) != want:
            raise _FileProblem(f"{name} has shape {state[name].shape}, but input_shape {input_shape} and the other "
                               f"arrays need {tuple(want)}")
