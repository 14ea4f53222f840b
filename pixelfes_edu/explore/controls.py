"""What every explorer shares: the sliders for λ, σ and α, the explorer base class, small helpers.
"""
import numpy as np

from ..data.pairs import Pairs
from ..evaluation.metrics import psnr

__all__ = ['ipywidgets', 'lam_slider', 'sigma_slider', 'log_range', 'image_widget', 'PIXEL_CSS', 'alpha_slider',
           'pairs_like', 'Explorer', 'expression_dict', 'check_same_expressions', 'column_labels', 'mean_psnr']


def ipywidgets():
    import ipywidgets

    return ipywidgets


def pairs_like(inputs, targets, expression="happy", source="arrays", ids=None):
    """Wrap plain arrays as :class:`~pixelfes_edu.data.pairs.Pairs` (for quick experiments and tests)."""
    ids = np.arange(len(inputs)).astype(str) if ids is None else ids
    return Pairs(np.asarray(inputs, float), np.asarray(targets, float), ids, expression, source, "arrays")


def log_range(value, low, high, step):
    """``(min, max, step)`` exponents of a log slider from exactly ``low`` to ``high`` with ``value`` on its grid.

    The browser snaps a log slider to ``min + k * step`` (on load too), so the
    step is adjusted (to within a few percent of ``step``) until ``log10(value)``
    is a grid point: λ = 0.4 stays 0.4 (to rounding) instead of becoming 0.398,
    and the ends stay exactly ``low`` and ``high``. A ``value`` outside
    ``[low, high]`` widens the range to it.

    >>> lo, hi, step = log_range(0.4, 1e-3, 1e3, 0.05)
    >>> float(lo), float(hi), round(float((np.log10(0.4) - lo) / step), 9)
    (-3.0, 3.0, 52.0)
    """
    lo, hi, v = np.log10(min(low, value)), np.log10(max(high, value)), np.log10(value)
    k = round((v - lo) / step)
    return lo, hi, (v - lo) / k if k > 0 else step


def lam_slider(value=0.4, description="λ", continuous=True):
    """Log-scale slider for λ from 1e-3 to 1e3 (both reachable), starting exactly at ``value``."""
    if not value > 0:
        raise ValueError(f"λ must be > 0, got {value!r}")
    lo, hi, step = log_range(value, 1e-3, 1e3, 0.05)
    return ipywidgets().FloatLogSlider(value=value, base=10, min=lo, max=hi, step=step, description=description,
                                       continuous_update=continuous, readout_format=".3g")


def sigma_slider(value=1.0, description="σ", low=0.05, high=20.0):
    """Log-scale slider for the kernel width σ from ``low`` to ``high`` (updates on release: σ costs a rebuild)."""
    if not 0 < low <= value <= high:
        raise ValueError(f"σ slider needs 0 < low <= value <= high, got low={low}, value={value}, high={high}")
    lo, hi, step = log_range(value, low, high, 0.02)
    return ipywidgets().FloatLogSlider(value=value, base=10, min=lo, max=hi, step=step,
                                       description=description, continuous_update=False, readout_format=".3g")


#: Style sheet of the explorers: grids of pixels are enlarged without smoothing (HiDPI screens, narrow cells).
PIXEL_CSS = "<style>.pixelfes-pixels { image-rendering: pixelated; }</style>"


def image_widget(fmt="png", pixels=True):
    """An ``ipywidgets.Image`` shown at its own size (not stretched to the cell's width).

    ``pixels``: the picture is a grid of face pixels (enlarged by an integer
    factor at most): the browser keeps them crisp (:data:`PIXEL_CSS`, which
    the explorer's layout must include once).
    """
    image = ipywidgets().Image(format=fmt, layout=ipywidgets().Layout(align_self="flex-start"))
    if pixels:
        image.add_class("pixelfes-pixels")
    return image


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
        self.style = ipywidgets().HTML(PIXEL_CSS)  # put once in the explorer's layout

    def _repr_mimebundle_(self, **kwargs):  # display the explorer like its widget
        return self.widget._repr_mimebundle_(**kwargs)
