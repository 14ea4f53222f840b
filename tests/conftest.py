"""Shared test fixtures: a private prepared-data cache, the real-data mirror, no network."""
import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    """Every test session writes prepared arrays to its own tmp PIXELFES_EDU_CACHE."""
    mp = pytest.MonkeyPatch()
    mp.setenv("PIXELFES_EDU_CACHE", str(tmp_path_factory.mktemp("pixelfes_cache")))
    yield
    mp.undo()


@pytest.fixture(scope="session")
def real_data():
    """The read-only real-data mirror named by PIXELFES_EDU_DATA (skip when unset)."""
    env = os.environ.get("PIXELFES_EDU_DATA")
    if not env or not (Path(env) / "london").is_dir():
        pytest.skip("PIXELFES_EDU_DATA is not set to the real-data mirror (e.g. ../shared/data)")
    return Path(env)


@pytest.fixture
def no_network(monkeypatch):
    """Make every pooch download fail as if offline; returns the list of attempted URLs."""
    import pooch

    attempts = []

    def offline(self, url, output_file, pooch_obj, check_only=False):
        attempts.append(url)
        raise ConnectionError(f"network disabled in tests (tried {url})")

    monkeypatch.setattr(pooch.HTTPDownloader, "__call__", offline)
    return attempts


@pytest.fixture
def data_root(tmp_path, monkeypatch):
    """An empty raw-data directory as PIXELFES_EDU_DATA, and a private prepared cache."""
    root = tmp_path / "raw"
    root.mkdir()
    monkeypatch.setenv("PIXELFES_EDU_DATA", str(root))
    monkeypatch.setenv("PIXELFES_EDU_CACHE", str(tmp_path / "cache"))
    return root


@pytest.fixture
def copy_real(real_data, data_root):
    """``copy_real(["london/...", ...])`` copies files of the real-data mirror into ``data_root``."""
    import shutil

    def copy(rels):
        for rel in rels:
            (data_root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(real_data / rel, data_root / rel)

    return copy


@pytest.fixture
def read_only_folder(tmp_path_factory):
    """A folder this process cannot create files in (as root too: /proc takes no new files)."""
    folder = tmp_path_factory.mktemp("read-only")
    folder.chmod(0o555)
    if not os.access(folder, os.W_OK):
        yield str(folder)
        folder.chmod(0o755)
        return
    try:
        os.close(os.open("/proc/pixelfes-edu-write-test", os.O_CREAT | os.O_WRONLY))
    except OSError:
        yield "/proc"
        return
    os.unlink("/proc/pixelfes-edu-write-test")
    pytest.skip("no folder here refuses to take new files from this process")


@pytest.fixture(scope="session")
def expression_network():
    """The cached expression classifier; skipped only when it is genuinely unavailable (offline, not cached)."""
    from pixelfes_edu.evaluation import expression
    from pixelfes_edu.store import DataUnavailableError

    try:
        return expression.model_path()
    except DataUnavailableError as e:
        pytest.skip(f"expression classifier unavailable: {e}")
