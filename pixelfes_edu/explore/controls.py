"""What every explorer shares: the sliders for λ, σ and α, the explorer base class, small helpers.
"""
import numpy as np

from ..data.pairs import Pairs
from ..evaluation.metrics import psnr

__all__ = ['ipywidgets', 'lam_slider', 'sigma_slider', 'alpha_slider', 'pairs_like', 'Explorer', 'expression_dict', 'check_same_expressions', 'column_labels', 'mean_psnr']


def ipywidgets():
    import ipywidgets

    return ipywidgets


def pairs_like(inputs, targets, expression="happy", source="arrays", ids=None):
    """Wrap plain arrays as :class:`~pixelfes_edu.data.pairs.Pairs` (for quick experiments and tests)."""
    ids = np.arange(len(inputs)).astype(str) if ids is None else ids
    return Pairs(np.asarray(inputs, float), np.asarray(targets, float), ids, expression, source, "arrays")


def _log_grid(value, low, high, step):
    """``(min, max)`` exponents near ``log10(low/high)`` on a grid through ``log10(value)``.

    The browser snaps a log slider to ``min + k * step``; putting the start
    value on that grid keeps λ = 0.4 at 0.4 instead of 0.398.
    """
    v = np.log10(value)
    return v - np.floor((v - np.log10(low)) / step + 1e-9) * step, v + np.floor((np.log10(high) - v) / step + 1e-9) * step


def lam_slider(value=0.4, description="λ", continuous=True):
    """Log-scale slider for λ from about 1e-3 to 1e3."""
    if not value > 0:
        raise ValueError(f"λ must be > 0, got {value!r}")
    lo, hi = _log_grid(value, 1e-3, 1e3, 0.05)
    return ipywidgets().FloatLogSlider(value=value, base=10, min=lo, max=hi, step=0.05, description=description,
                               continuous_update=continuous, readout_format=".3g")


def sigma_slider(value=1.0, description="σ", low=0.05, high=20.0):
    """Log-scale slider for the kernel width σ in [low, high] (updates on release: σ costs a rebuild)."""
    if not 0 < low <= value <= high:
        raise ValueError(f"σ slider needs 0 < low <= value <= high, got low={low}, value={value}, high={high}")
    lo, hi = _log_grid(value, low, high, 0.02)
    return ipywidgets().FloatLogSlider(value=value, base=10, min=lo, max=hi, step=0.02,
                               description=description, continuous_update=False, readout_format=".3g")


def alpha_slider(value=1.0):
    """Expression intensity α from 0 (input) through 1 (the model) to 2 (exaggerated)."""
    return ipywidgets().FloatSlider(value=value, min=0.0, max=2.0, step=0.05, description="intensity α",
                            continuous_update=True, style={"description_width": "initial"})


def expression_dict(data, default_key):
    if isinstance(data, dict):
        if not data:
            raise ValueError("got an empty dict of datasets: pass at least one {expression: Pairs}")
        return dict(data)
    return {getattr(data, "expression", default_key): data}


def check_same_expressions(train, test):
    if set(train) != set(test):
        raise ValueError(f"train and test must have the same expressions; got {sorted(train)} and {sorted(test)}")


def column_labels(pairs, n):
    return [str(i) for i in pairs.ids[:n]]


def mean_psnr(y, t):
    """PSNR of the clipped predictions, averaged over the faces (as in every table of the package)."""
    return float(np.mean(psnr(np.clip(y, 0, 1), t)))


class Explorer:
    """Mixin: timing of the last redraw (``last_ms``), fit counter, status HTML."""

    def _init_common(self):
        self.n_fits = 0
        self.last_ms = {}
        self.status = ipywidgets().HTML("")

    def _repr_mimebundle_(self, **kwargs):  # display the explorer like its widget
        return self.widget._repr_mimebundle_(**kwargs)
