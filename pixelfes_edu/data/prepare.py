"""Preparing pairs: read and align every pair of photos (in parallel), and report what went wrong.
"""
import os
import threading
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from ..faces import align_pair, mean_face_sharpness_ratio, read_photo, read_tem, residual_shift

__all__ = ['prepare_pairs', 'run_parallel', 'report_failures', 'report_mismatch', 'alignment_measures',
           'MismatchedPairsError']


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


def _watch_parent(parent):
    """Worker side: exit as soon as the process that started the pool is gone (a killed or restarted kernel)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _start_worker(parent):
    """Pool initializer: watch the parent, and run BLAS on one thread (the workers already use every core)."""
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    from threadpoolctl import threadpool_limits

    global _BLAS_LIMIT
    _BLAS_LIMIT = threadpool_limits(limits=1, user_api="blas")  # kept alive for the worker's life


def run_parallel(func, jobs, workers=2, progress=True, desc=None):
    """``[func(job) for job in jobs]`` on ``workers`` processes, in order, with a progress bar.

    The bar is ``tqdm.auto``'s: a widget inside Jupyter and Voilà, text in a
    terminal.  The workers end with the call: an exception or an interrupt
    (the notebook's stop button) cancels the jobs not yet started and returns
    without waiting for the running ones, and a worker whose parent dies (a
    killed or restarted kernel) exits on its own within a second.  ``func``
    must be importable by the workers (a module-level function).
    """
    from tqdm.auto import tqdm

    jobs = list(jobs)
    workers = max(1, min(int(workers), len(jobs)))
    results = []
    with tqdm(total=len(jobs), desc=desc, unit="pair", disable=not progress) as bar:
        if workers == 1:
            from threadpoolctl import threadpool_limits

            with threadpool_limits(limits=1, user_api="blas"):  # as in the workers: see below
                for job in jobs:
                    results.append(func(job))
                    bar.update()
            return results
        # one BLAS thread per worker: with the default (one per core) the workers' BLAS
        # threads busy-wait against each other (seen here: 2 workers 150 s, 1 worker 10 s)
        pool = ProcessPoolExecutor(max_workers=workers, initializer=_start_worker, initargs=(os.getpid(),))
        try:
            for r in pool.map(func, jobs, chunksize=2):
                results.append(r)
                bar.update()
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)  # return now, not when the running jobs end
            raise
        pool.shutdown()
    return results


def prepare_pairs(jobs, workers, progress, desc):
    """Read and align every pair of ``jobs`` (:func:`_prepare_one`) with :func:`run_parallel`.

    Returns ``(inputs, targets, failed, fell_back)``: stacked crops of the
    pairs that aligned, ``{job index: error message}`` for those that did not,
    and the job indices whose registration kept its coarse estimate (a pose
    change between the two shots: aligned, but worth a look).
    """
    results = run_parallel(_prepare_one, jobs, workers, progress, desc)
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
