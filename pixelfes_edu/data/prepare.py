"""Preparing pairs: read and align every pair of photos (in parallel), and report what went wrong.
"""
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from ..faces import align_pair, mean_face_sharpness_ratio, read_photo, read_tem, residual_shift

__all__ = ['prepare_pairs', 'report_failures', 'report_mismatch', 'alignment_measures', 'MismatchedPairsError']


class MismatchedPairsError(ValueError):
    """Some people have only one photo of the pair; ``.ids`` lists them."""

    def __init__(self, message, ids=()):
        super().__init__(message)
        self.ids = list(ids)


def _prepare_one(job):
    """Worker: read one pair and align it. ``job`` = (input, target, tem|None, size, source, target_shape|None).

    Returns ``(input, target, registration_fell_back)``, or the alignment error
    message (e.g. no face detected) as a string; unreadable files raise
    :class:`CorruptFileError`.
    """
    inp, tgt, tem, size, source, target_shape = job
    neutral, expressive = read_photo(inp, data_source=source), read_photo(tgt, data_source=source)
    try:
        landmarks = read_tem(tem) if tem else None
        x, y, info = align_pair(neutral, expressive, landmarks=landmarks, size=size, target_shape=target_shape)
    except (ValueError, RuntimeError) as e:
        return f"{Path(inp).name} / {Path(tgt).name}: {e}"
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64), bool(info.get("reg_reverted"))


def _one_blas_thread():
    """Pool initializer: this worker's BLAS runs on one thread (workers already use every core)."""
    from threadpoolctl import threadpool_limits

    global _BLAS_LIMIT
    _BLAS_LIMIT = threadpool_limits(limits=1, user_api="blas")  # kept alive for the worker's life


def prepare_pairs(jobs, workers, progress, desc):
    """Run :func:`_prepare_one` on every job, on ``workers`` processes, with a progress bar.

    Returns ``(inputs, targets, failed, fell_back)``: stacked crops of the
    pairs that aligned, ``{job index: error message}`` for those that did not,
    and the job indices whose registration kept its coarse estimate (a pose
    change between the two shots: aligned, but worth a look).
    """
    from tqdm.auto import tqdm

    workers = max(1, min(int(workers), len(jobs)))
    results = []
    with tqdm(total=len(jobs), desc=desc, unit="pair", disable=not progress) as bar:
        if workers == 1:
            for job in jobs:
                results.append(_prepare_one(job))
                bar.update()
        else:
            # one BLAS thread per worker: with the default (one per core) the workers' BLAS
            # threads busy-wait against each other (seen here: 2 workers 150 s, 1 worker 10 s)
            with ProcessPoolExecutor(max_workers=workers, initializer=_one_blas_thread) as pool:
                for r in pool.map(_prepare_one, jobs, chunksize=2):
                    results.append(r)
                    bar.update()
    failed = {i: r for i, r in enumerate(results) if isinstance(r, str)}
    ok = [r for r in results if not isinstance(r, str)]
    if not ok:
        raise ValueError("no pair could be aligned: " + "; ".join(failed.values()))
    fell_back = [i for i, r in enumerate(results) if not isinstance(r, str) and r[2]]
    return np.stack([r[0] for r in ok]), np.stack([r[1] for r in ok]), failed, fell_back


def report_failures(name, failed, ids, strict):
    """Alignment failures: raise (strict) or warn; returns the ids that were kept."""
    if failed:
        msg = (f"{name}: {len(failed)} pair(s) could not be aligned: "
               + "; ".join(f"{ids[i]} ({m})" for i, m in sorted(failed.items())))
        if strict:
            raise ValueError(msg + ". Pass strict=False to leave them out, or crop those photos "
                             "so that the face is frontal and clearly visible.")
        warnings.warn(msg + "; left out (strict=False).", stacklevel=3)
    return [x for i, x in enumerate(ids) if i not in failed]


def alignment_measures(inputs, targets):
    """Residual shift within pairs (median, p90, px) and the mean-face sharpness ratio of the inputs."""
    shift = np.asarray(residual_shift(inputs, targets), dtype=float)
    return {
        "residual_shift_median_px": float(np.median(shift)),
        "residual_shift_p90_px": float(np.percentile(shift, 90)),
        "mean_face_sharpness_ratio": float(mean_face_sharpness_ratio(inputs)),
    }


def report_mismatch(name, only_input, only_target, strict, input_label, target_label):
    if not (only_input or only_target):
        return
    parts = []
    if only_input:
        parts.append(f"{len(only_input)} with a {input_label} photo but no {target_label} one: "
                     f"{', '.join(only_input)}")
    if only_target:
        parts.append(f"{len(only_target)} with a {target_label} photo but no {input_label} one: "
                     f"{', '.join(only_target)}")
    msg = f"{name}: incomplete pairs, " + "; ".join(parts)
    if strict:
        raise MismatchedPairsError(
            msg + ". Restore the missing files, or pass strict=False to keep only complete pairs.",
            ids=list(only_input) + list(only_target))
    warnings.warn(msg + "; these people are left out (strict=False).", stacklevel=3)
