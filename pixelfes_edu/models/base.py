"""What every model shares: the fit/predict contract, ``update``, ``save`` and :func:`load_model`.

A model maps a batch of neutral faces ``X`` to expressive faces ``T``, both
float arrays ``(N, H, W)`` or ``(N, H, W, C)`` in [0, 1]; channels are
independent models.  Subclasses implement ``fit``, ``predict``, ``n_params``,
``_solve`` (the λ-dependent part, from stored statistics) and
``_state``/``_load_state`` (the arrays saved to ``.npz``).
"""
import numpy as np

from ..validation import check_images

#: Version of the ``.npz`` model format written by ``save``.
FORMAT_VERSION = 1

#: The paper's hyper-parameters: λ for every model, σ of Pixel-KR by target expression.
PAPER_LAM = 0.4
PAPER_SIGMA = {"happy": 3.0, "other": 10.0}

#: Every model class by name, filled as the classes are defined (``load_model`` looks here).
MODEL_KINDS = {}


class NotFittedError(ValueError):
    """Raised when ``predict``/``update``/``save`` is called before ``fit``."""


class PixelModel:
    """Shared plumbing of the models: shapes, prediction-input checks, update, save.

    ``_hyper`` names the hyper-parameters: they are the ``__init__``
    arguments, validated there, saved with the model and accepted by
    :meth:`update`.
    """

    _hyper = ("lam",)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        MODEL_KINDS[cls.__name__] = cls

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
        ``X X^T``, Pixel-KR its per-pixel r x r systems (and its training
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
        saved = dict(self.__dict__)
        try:
            for k in changed:
                setattr(self, k, checked[k])
            self._refresh(changed)
        except BaseException:  # keep the model as it was: its arrays were replaced, never modified
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise
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
        """Save to ``.npz`` with the format version, kind and hyper-parameters."""
        self._require_fit()
        np.savez_compressed(
            path,
            format_version=FORMAT_VERSION,
            kind=type(self).__name__,
            input_shape=np.array(self.input_shape_),
            **{f"hyper_{k}": v for k, v in self.get_params().items()},
            **self._state(),
        )
        return path


def load_model(path):
    """Load a model written by ``save``.

    Raises ``ValueError`` for files of another format version or kind.

    >>> import tempfile, os
    >>> from pixelfes_edu.models import PixelRidge
    >>> X = np.random.default_rng(0).random((5, 4, 4))
    >>> m = PixelRidge(lam=0.4).fit(X, X)
    >>> p = m.save(os.path.join(tempfile.mkdtemp(), "m.npz"))
    >>> np.allclose(load_model(p).predict(X), m.predict(X))
    True
    """
    try:
        f = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise ValueError(f"{path} is not a pixelfes_edu model file (.npz): {e}") from e
    with f:
        if "format_version" not in f or "kind" not in f:
            raise ValueError(f"{path} is not a pixelfes_edu model file (no format_version/kind)")
        version = int(f["format_version"])
        if version != FORMAT_VERSION:
            raise ValueError(
                f"{path} has model format version {version}; this pixelfes_edu reads version "
                f"{FORMAT_VERSION}: refit the model and save it again"
            )
        kind = str(f["kind"])
        if kind not in MODEL_KINDS:
            raise ValueError(f"{path} holds a model of unknown kind {kind!r}; known: {sorted(MODEL_KINDS)}")
        cls = MODEL_KINDS[kind]
        params = {k: f[f"hyper_{k}"].item() for k in cls._hyper}
        model = cls(**params)
        model.input_shape_ = tuple(int(s) for s in f["input_shape"])
        model._load_state({k: f[k] for k in f.files})
    return model
