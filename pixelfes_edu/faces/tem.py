"""WebMorph ``.tem`` landmark files (the London and gallery landmarks).
"""
import os

import numpy as np

__all__ = ['read_tem', 'TEM_PUPILS']


#: Pupil point indices of the WebMorph templates in the gallery, by point
#: count: FRL 189 (London, Canada) and 106 (lisa): points 0 and 1; the 83-point
#: template of the zoom set: points 63 and 81 (checked on the images).
TEM_PUPILS = {189: (0, 1), 106: (0, 1), 83: (63, 81)}


def read_tem(path_or_text):
    """Read the landmark points of a WebMorph ``.tem`` file.

    The format: first line the number of points ``K``, then ``K`` lines
    ``x y`` (pixels, x to the right, y down). Later lines (the template's
    line connections) are ignored.

    Parameters
    ----------
    path_or_text : str or os.PathLike
        A file path, or the text of a ``.tem`` file (any string containing a
        newline is taken as text).

    Returns
    -------
    points : ndarray, shape (K, 2)
        ``[x, y]`` of every point, float64. For the 189-point FRL template
        points 0 and 1 are the two pupils.

    Raises
    ------
    FileNotFoundError
        If the path does not exist.
    ValueError
        If the file is truncated or corrupt (the message names the file).

    Examples
    --------
    >>> read_tem("3\\n10 20\\n30 20.5\\n20 40\\n1\\n0 1\\n")
    array([[10. , 20. ],
           [30. , 20.5],
           [20. , 40. ]])
    """
    if isinstance(path_or_text, str) and "\n" in path_or_text:
        text, where = path_or_text, "<tem text>"
    else:
        where = os.fspath(path_or_text)
        if not os.path.exists(where):
            raise FileNotFoundError(f"landmark file {where!r} does not exist; "
                                    "check the path or re-fetch the data set.")
        with open(where, "rb") as fh:
            raw = fh.read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"landmark file {where!r} is not a text .tem file "
                             "(corrupt?); delete it and re-fetch the data set.") from None
    hint = "delete it and re-fetch the data set (e.g. `pixelfes-edu fetch london`)."
    lines = [ln for ln in text.splitlines() if ln.strip()]
    try:
        k = int(lines[0].split()[0])
    except (IndexError, ValueError):
        raise ValueError(f"landmark file {where!r} is empty or does not start with the "
                         f"number of points; it is corrupt: {hint}") from None
    if k < 1:
        raise ValueError(f"landmark file {where!r} declares {k} points; it is corrupt: {hint}")
    if len(lines) < k + 1:
        raise ValueError(f"landmark file {where!r} is truncated: it declares {k} points "
                         f"but has only {len(lines) - 1} lines after the count; {hint}")
    try:
        pts = np.array([[float(v) for v in ln.split()[:2]] for ln in lines[1:k + 1]])
    except ValueError:
        raise ValueError(f"landmark file {where!r} has a non-numeric point line; "
                         f"it is corrupt: {hint}") from None
    if pts.shape != (k, 2) or not np.all(np.isfinite(pts)):
        raise ValueError(f"landmark file {where!r} has malformed point lines (each must "
                         f"be 'x y'); it is corrupt: {hint}")
    return pts
