"""The raw-data store: directories, verified downloads, sha256 records (no network is used)."""
import hashlib
import json
import os
import warnings
import shutil
from pathlib import Path

import pytest

from pixelfes_edu import store
from pixelfes_edu.store import files
from pixelfes_edu.store.manifest import load_manifest

pytestmark = pytest.mark.usefixtures("no_network")


def _entry(name, rel):
    return next(e for e in load_manifest()[name]["files"] if e["path"] == rel)


def test_dirs_follow_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PIXELFES_EDU_DATA", str(tmp_path / "d"))
    monkeypatch.setenv("PIXELFES_EDU_CACHE", str(tmp_path / "c"))
    assert store.data_dir() == tmp_path / "d" and store.cache_dir() == tmp_path / "c"
    monkeypatch.delenv("PIXELFES_EDU_DATA")
    monkeypatch.delenv("PIXELFES_EDU_CACHE")
    assert store.data_dir().name == "raw" and store.cache_dir().name == "prepared"
    assert store.data_dir().parent == store.cache_dir().parent


FOX = "gallery/animals/fox-715588_640.jpg"


def test_offline_with_empty_cache_names_env_var_and_url(data_root, no_network):
    with pytest.raises(store.DataUnavailableError) as err:
        store.fetch("fox", progress=False)
    msg = str(err.value)
    assert "PIXELFES_EDU_DATA" in msg and _entry("fox", FOX)["url"] in msg
    assert "pixelfes-edu fetch fox" in msg
    assert no_network == [_entry("fox", FOX)["url"]]
    assert isinstance(err.value, FileNotFoundError)


def test_fetch_uses_present_verified_files_without_network(copy_real, data_root, no_network):
    copy_real([FOX])
    assert store.fetch("fox", progress=False) == [data_root / FOX]
    assert no_network == []


def test_fetch_downloads_missing_files_with_pooch(real_data, copy_real, data_root, monkeypatch):
    import pooch

    served = []

    def serve(self, url, output_file, pooch_obj, check_only=False):
        rel = next(e["path"] for s in load_manifest().values() if s["kind"] == "download"
                   for e in s["files"] if e["url"] == url)
        served.append(rel)
        shutil.copyfile(real_data / rel, output_file)

    monkeypatch.setattr(pooch.HTTPDownloader, "__call__", serve)
    copy_real(["gallery/lisa/lisa1.jpg"])
    got = store.fetch("lisa", progress=False)
    assert len(got) == 8 and all(p.is_file() for p in got)
    assert "gallery/lisa/lisa1.jpg" not in served and len(served) == 7
    assert all(p.is_relative_to(data_root) for p in got)


def test_download_with_wrong_bytes_is_a_checksum_error(data_root, monkeypatch):
    import pooch

    def serve_garbage(self, url, output_file, pooch_obj, check_only=False):
        Path(output_file).write_bytes(b"not the fox")

    monkeypatch.setattr(pooch.HTTPDownloader, "__call__", serve_garbage)
    with pytest.raises(store.ChecksumError, match="fox"):
        store.fetch("fox", progress=False)


def test_checksum_mismatch_names_file_hashes_and_refetch(real_data, copy_real, data_root):
    rel = "london/neutral_front/001_03.jpg"
    copy_real([rel])
    with open(data_root / rel, "ab") as f:
        f.write(b"\0")
    with pytest.raises(store.ChecksumError) as err:
        store.verify("london")
    msg = str(err.value)
    actual = hashlib.sha256((data_root / rel).read_bytes()).hexdigest()
    assert str(data_root / rel) in msg and _entry("london", rel)["sha256"] in msg and actual in msg
    assert "delete" in msg and "pixelfes-edu fetch london" in msg


def test_verification_is_recorded_and_redone_only_on_change(real_data, copy_real, data_root, monkeypatch):
    rels = ["gallery/zoom/15cm.jpg", "gallery/zoom/15cm.tem"]
    copy_real(rels)
    present, missing = store.verify("zoom")
    assert sorted(present) == sorted(data_root / r for r in rels) and len(missing) == 6
    calls = []
    real_sha = files._sha256
    monkeypatch.setattr(files, "_sha256", lambda p: calls.append(p) or real_sha(p))
    store.verify("zoom")
    assert calls == []  # size and mtime unchanged: nothing re-hashed
    st = os.stat(data_root / rels[0])
    os.utime(data_root / rels[0], ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    store.verify("zoom")
    assert calls == [data_root / rels[0]]


def test_fetch_rejects_non_downloadable_sources():
    with pytest.raises(ValueError, match="kdef.se"):
        store.fetch("kdef")
    with pytest.raises(ValueError, match="unknown"):
        store.fetch("imagenet")


ZOOM = ["gallery/zoom/15cm.jpg", "gallery/zoom/15cm.tem"]


@pytest.mark.parametrize("bad", ["[1, 2, 3]", "{not json", '"text"', ""])
def test_a_verified_record_of_the_wrong_type_is_ignored_with_a_warning(bad, real_data, copy_real, data_root):
    copy_real(ZOOM)
    store.cache_dir().mkdir(parents=True, exist_ok=True)
    record = store.cache_dir() / "verified.json"
    record.write_text(bad)
    with pytest.warns(UserWarning, match="ignoring the damaged record of verified files"):
        present, _ = store.verify("zoom", ZOOM)
    assert len(present) == 2
    assert len(json.loads(record.read_text())) == 2  # rewritten whole


def test_malformed_entries_of_the_record_are_hashed_again(real_data, copy_real, data_root):
    copy_real(ZOOM)
    store.cache_dir().mkdir(parents=True, exist_ok=True)
    record = store.cache_dir() / "verified.json"
    record.write_text(json.dumps({str((data_root / ZOOM[0]).resolve()): [1, 2, "abc"], "x": None}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        present, _ = store.verify("zoom", ZOOM)
    assert len(present) == 2 and len(json.loads(record.read_text())) == 2


def test_an_in_place_edit_restoring_size_and_mtime_is_hashed_again(real_data, copy_real, data_root):
    copy_real(ZOOM)
    store.verify("zoom", ZOOM)
    path = data_root / ZOOM[1]
    st, text = os.stat(path), path.read_bytes()
    path.write_bytes(text[:-2] + (b"0" if text[-2:-1] != b"0" else b"1") + text[-1:])
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    with pytest.raises(store.ChecksumError, match="15cm.tem"):
        store.verify("zoom", ZOOM)


def test_verify_rehash_hashes_every_file_again(real_data, copy_real, data_root, monkeypatch):
    copy_real(ZOOM)
    store.verify("zoom", ZOOM)
    calls = []
    real_sha = files._sha256
    monkeypatch.setattr(files, "_sha256", lambda p: calls.append(p) or real_sha(p))
    store.verify("zoom", ZOOM)
    assert calls == []
    store.verify("zoom", ZOOM, rehash=True)
    assert sorted(calls) == sorted(data_root / r for r in ZOOM)
