"""run_parallel: ordered results, and worker processes that do not outlive the call or their parent."""
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pixelfes_edu.data.prepare import run_parallel

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the job helpers are found by forked workers")

REPO = Path(__file__).resolve().parents[2]


def square(x):
    return x * x


def logged(job):
    """Record that the job started, then fail on the job marked to fail."""
    log, i, fail = job
    with open(log, "a") as f:
        f.write(f"{i}\n")
    time.sleep(0.2)
    if i == fail:
        raise RuntimeError(f"job {i} failed")
    return i


def test_results_in_order_on_one_or_several_workers():
    assert run_parallel(square, range(9), workers=2, progress=False) == [x * x for x in range(9)]
    assert run_parallel(square, range(3), workers=1, progress=False) == [0, 1, 4]


def test_an_error_cancels_the_jobs_not_started(tmp_path):
    log = tmp_path / "started.txt"
    jobs = [(str(log), i, 1) for i in range(40)]
    with pytest.raises(RuntimeError, match="job 1 failed"):
        run_parallel(logged, jobs, workers=2, progress=False)
    time.sleep(1.0)  # let the jobs already handed to a worker finish
    started = log.read_text().split()
    assert len(started) < len(jobs)  # the queued rest never ran


def test_workers_exit_when_their_parent_is_killed(tmp_path):
    pids = tmp_path / "pids"
    pids.mkdir()
    (tmp_path / "slowjob.py").write_text(textwrap.dedent("""
        import os, time
        def job(folder):
            open(os.path.join(folder, str(os.getpid())), "w").close()
            time.sleep(60)
    """))
    script = textwrap.dedent(f"""
        import sys
        sys.path[:0] = [{str(tmp_path)!r}, {str(REPO)!r}]
        from pixelfes_edu.data.prepare import run_parallel
        from slowjob import job
        run_parallel(job, [{str(pids)!r}] * 4, workers=2, progress=False)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script])
    try:
        for _ in range(300):  # wait until both workers are running a job
            if len(list(pids.iterdir())) >= 2:
                break
            time.sleep(0.1)
        workers = [int(p.name) for p in pids.iterdir()]
        assert len(workers) >= 2
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    alive = set(workers)
    for _ in range(100):  # the workers notice within about a second
        alive = {w for w in alive if _running(w)}
        if not alive:
            break
        time.sleep(0.1)
    for w in alive:
        os.kill(w, signal.SIGKILL)
    assert not alive, f"workers {sorted(alive)} outlived their killed parent"


def _running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped by init) counts as gone
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return True
