"""One loader for every paired source: :func:`load_pairs`."""
from ..validation import check_choice, check_int, check_size
from .london import load_london, london_available
from .manual import MANUAL_SOURCES, load_manual
from .synthetic import synthetic_pairs
from .expressions import normalise_expression

__all__ = ["load_pairs", "PAIRED_SOURCES", "SOURCE_OPTIONS"]

PAIRED_SOURCES = ("london", "synthetic", *MANUAL_SOURCES)

#: Keywords each source takes besides the common ones (``size``, ``n``, ``seed``, ``progress``).
SOURCE_OPTIONS = {
    "london": ("expression", "warp", "strict", "workers", "download"),
    "synthetic": ("expression",),
    **{name: ("root", "expression", "strict", "workers") for name in MANUAL_SOURCES},
}


def load_pairs(name="auto", size=128, n=None, seed=0, progress=True, **options):
    """Aligned (neutral, expressive) face pairs from one source, as :class:`~pixelfes_edu.data.pairs.Pairs`.

    Parameters
    ----------
    name : str
        ``"london"`` (102 neutral/smiling pairs, CC BY 4.0; downloaded and
        verified on first use, then prepared once and cached),
        ``"synthetic"`` (generated, offline), ``"kdef"``, ``"rafd"``,
        ``"cfee"``, ``"bosphorus"`` (your own copy: pass ``root=``), or
        ``"auto"``: London when its raw files are present locally (never
        downloads), else synthetic. ``Pairs.source`` says which.
    size : int
        Side of the square aligned crops.
    n : int, optional
        Number of people: synthetic generates ``n`` (default 400); the other
        sources keep a random ``n`` of their people (default all).
    seed : int
        Synthetic faces, and which people ``n`` keeps.
    progress : bool
        Show a progress bar while a source is downloaded or prepared (once; later loads read the cache).
    **options
        ``expression`` (default ``"happy"``; synthetic: any of
        ``pfe.data.synthetic.SYNTHETIC_EXPRESSIONS``). London: ``warp="shape"``
        (every face warped piecewise-affinely onto the mean landmark shape, so
        eyes, nose, mouth and jaw share pixels; ``"affine"``: one affine fit of
        eyes and mouth per face), ``strict=True`` (raise on incomplete pairs;
        False warns and keeps complete ones), ``workers=2``, ``download=True``.
        Manual sources: ``root`` (required), ``strict``, ``workers``.
        :data:`SOURCE_OPTIONS` lists them; any other keyword is refused.

    Returns
    -------
    Pairs
        ``inputs``/``targets`` float64 ``(N, size, size, 3)`` in [0, 1];
        London's ``meta`` holds the alignment measures
        (``residual_shift_median_px``, ``residual_shift_p90_px``,
        ``mean_face_sharpness_ratio``).

    Examples
    --------
    >>> p = load_pairs("synthetic", n=8, size=32, seed=0, expression="surprised")
    >>> p.inputs.shape, p.expression, p.source
    ((8, 32, 32, 3), 'surprise', 'synthetic faces (generated, seed=0)')
    >>> load_pairs("synthetic", n=8, size=32, warp="shape")
    Traceback (most recent call last):
    ...
    TypeError: load_pairs('synthetic') got unexpected keyword(s) warp; it accepts size, n, seed, progress, expression
    """
    check_choice("name", name, ("auto", *PAIRED_SOURCES))
    size = check_size(size)
    seed = check_int("seed", seed, 0)
    n = None if n is None else check_int("n", n, 1)
    if name == "auto":
        _check_options("auto", options, tuple(dict.fromkeys(SOURCE_OPTIONS["london"] + SOURCE_OPTIONS["synthetic"])))
        name = "london" if london_available() else "synthetic"
        options = {k: v for k, v in options.items() if k in SOURCE_OPTIONS[name]}
    _check_options(name, options, SOURCE_OPTIONS[name])
    if name == "synthetic":
        expression = normalise_expression(options.get("expression", "happy"))
        return synthetic_pairs(n=400 if n is None else n, expression=expression, seed=seed, size=size)
    if name == "london":
        pairs = load_london(size=size, progress=progress, **options)
    else:
        pairs = load_manual(name, size=size, progress=progress, **options)
    return pairs.sample(n, seed)


def _check_options(name, options, accepted):
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise TypeError(f"load_pairs({name!r}) got unexpected keyword(s) {', '.join(unknown)}; it accepts "
                        f"size, n, seed, progress, {', '.join(accepted)}")
