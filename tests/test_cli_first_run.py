"""The first commands a newcomer types: ``pixelfes-edu demo`` (real faces first) and ``pixelfes-edu smile``.

Offline and in tmp folders: "online" is a stand-in downloader that copies the files of the
real-data mirror (tests that need it skip without ``PIXELFES_EDU_DATA``).
"""
import shutil

import numpy as np
import pytest
from PIL import Image

import pixelfes_edu.cli as cli
from pixelfes_edu.cli import main


@pytest.fixture
def offline(monkeypatch, no_network):
    monkeypatch.setattr(cli, "reachable", lambda url, timeout=5.0: "cannot reach the host (tests run offline)")
    return no_network


class _Served(list):
    """Paths served so far; ``.corrupt``: paths to serve damaged."""


@pytest.fixture
def mirror_downloads(monkeypatch, real_data):
    """Online, with every manifest URL served from the mirror (pooch still checks each sha256);
    ``corrupt`` names paths to serve damaged. Returns the list of downloaded paths."""
    import pooch

    from pixelfes_edu.store import load_manifest

    paths = {e["url"]: e["path"] for src in load_manifest().values() for e in src.get("files", [])}
    served = _Served()
    served.corrupt = set()

    def download(self, url, output_file, pooch_obj, check_only=False):
        served.append(paths[url])
        shutil.copyfile(real_data / paths[url], output_file)
        if paths[url] in served.corrupt:
            with open(output_file, "ab") as f:
                f.write(b"damaged")

    monkeypatch.setattr(cli, "reachable", lambda url, timeout=5.0: None)
    monkeypatch.setattr(pooch.HTTPDownloader, "__call__", download)
    return served


def test_demo_offline_uses_the_synthetic_faces_and_says_why(data_root, offline, tmp_path, capsys):
    out = tmp_path / "demo.png"
    assert main(["demo", "--size", "64", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Using the built-in synthetic faces instead of real ones (offline: cannot reach" in printed
    assert "pixelfes-edu fetch london" in printed and "data: synthetic faces" in printed
    assert "out-of-dataset column: Grace Hopper" in printed
    assert offline == [], "offline: nothing should have been requested"
    assert Image.open(out).size[0] > Image.open(out).size[1] * 2  # 6 held-out people + the gallery face


def test_demo_data_synthetic_never_asks_the_network(data_root, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(cli, "reachable", lambda *a, **k: pytest.fail("--data synthetic probed the network"))
    assert main(["demo", "--data", "synthetic", "--size", "32", "--out", str(tmp_path / "d.png")]) == 0
    assert "Using the built-in synthetic" not in capsys.readouterr().out


def test_demo_refuses_an_unknown_data_choice(capsys):
    with pytest.raises(SystemExit):
        main(["demo", "--data", "kdef"])
    assert "invalid choice: 'kdef'" in capsys.readouterr().err


def test_demo_falls_back_when_a_download_is_damaged(data_root, mirror_downloads, tmp_path, capsys):
    from pixelfes_edu.store import manifest_source

    first = manifest_source("london")["files"][0]["path"]
    mirror_downloads.corrupt.add(first)
    assert main(["demo", "--size", "32", "--out", str(tmp_path / "d.png")]) == 0
    printed = capsys.readouterr().out
    assert "downloading its 306 files" in printed
    assert "Using the built-in synthetic faces instead of real ones (the download did not complete" in printed
    assert "sha256" in printed and "Licence:" not in printed
    assert not (data_root / first).exists(), "a damaged download must not be kept"


@pytest.mark.slow
def test_demo_downloads_london_first_then_runs_offline(data_root, mirror_downloads, tmp_path, capsys, monkeypatch):
    from pixelfes_edu.store import manifest_source

    files = manifest_source("london")["files"]
    assert main(["demo", "--out", str(tmp_path / "first.png")]) == 0
    printed = capsys.readouterr().out
    assert sorted(mirror_downloads) == sorted(e["path"] for e in files)
    assert all((data_root / e["path"]).is_file() for e in files)
    assert printed.count("Licence: CC BY 4.0. Please cite: DeBruine, L. & Jones, B. (2017)") == 1
    assert "data: Face Research Lab London Set (CC BY 4.0) — 102 pairs" in printed

    mirror_downloads.clear()
    monkeypatch.setattr(cli, "reachable", lambda *a, **k: pytest.fail("London is here: no need to go online"))
    assert main(["demo", "--out", str(tmp_path / "second.png")]) == 0
    printed = capsys.readouterr().out
    assert mirror_downloads == [] and "Licence:" not in printed and "London Set" in printed


# ----------------------------------------------------------------------------- smile


@pytest.fixture
def small_training(monkeypatch):
    """Train on 40 synthetic pairs at 64 px (the command's logic, not London's size, is under test)."""
    from pixelfes_edu.data import load_pairs

    monkeypatch.setattr(cli, "training_pairs",
                        lambda data="auto", size=128, progress=True: load_pairs("synthetic", n=40, size=64, seed=0))


@pytest.fixture
def hopper(tmp_path):
    """Grace Hopper (embedded gallery photo) as a JPEG file, and her pupils from the manifest."""
    from pixelfes_edu.data import load_gallery_photos
    from pixelfes_edu.store import load_manifest

    path = tmp_path / "hopper.jpg"
    photo = load_gallery_photos(online=False)["grace_hopper"]
    Image.fromarray(photo).save(path, quality=95)
    return path, load_manifest()["grace_hopper"]["eyes"]


def _eyes_arg(eyes):
    return ",".join(f"{v:g}" for xy in eyes for v in xy)


def test_smile_writes_the_whole_photo_changed_only_in_the_face(data_root, offline, small_training, hopper,
                                                                tmp_path, capsys):
    photo, eyes = hopper
    out = tmp_path / "out" / "hopper_smile.png"
    out.parent.mkdir()
    assert main(["smile", str(photo), "--out", str(out), "--eyes", _eyes_arg(eyes), "--alpha", "1.5", "--grid"]) == 0
    printed = capsys.readouterr().out
    assert "face placed by the positions you gave in the 512x600 photo: pupils at (222, 189) and (306, 186)" in printed
    assert "synthetic faces" in printed and "fitted now, cached in" in printed
    before, after = np.asarray(Image.open(photo)), np.asarray(Image.open(out))
    assert after.shape == before.shape and after.dtype == np.uint8
    changed = np.abs(after.astype(int) - before).max(axis=2) > 0
    ys, xs = np.nonzero(changed)
    assert changed.any() and not changed[:60].any() and not changed[:, :100].any()  # hair/background kept
    assert eyes[0][0] - 150 < xs.mean() < eyes[1][0] + 150 and ys.mean() > eyes[0][1]  # around the lower face
    assert (out.parent / "hopper_smile_grid.png").is_file()


def test_smile_second_call_reuses_the_cached_model(data_root, offline, small_training, hopper, tmp_path,
                                                   capsys, monkeypatch):
    photo, eyes = hopper
    args = ["smile", str(photo), "--eyes", _eyes_arg(eyes), "--model", "mr", "--lam", "0.3"]
    assert main(args + ["--out", str(tmp_path / "a.png")]) == 0
    assert "fitted now, cached" in capsys.readouterr().out
    from pixelfes_edu.models import MaskedRidge

    monkeypatch.setattr(MaskedRidge, "fit", lambda *a, **k: pytest.fail("the cached model was fitted again"))
    assert main(args + ["--out", str(tmp_path / "b.png")]) == 0
    assert "MaskedRidge(lam=0.3, field=3)" in capsys.readouterr().out
    assert np.array_equal(np.asarray(Image.open(tmp_path / "a.png")), np.asarray(Image.open(tmp_path / "b.png")))
    with pytest.raises(pytest.fail.Exception, match="fitted again"):  # another λ is another model
        main(args[:-1] + ["0.5", "--out", str(tmp_path / "c.png")])


def test_smile_without_a_face_says_how_to_pass_the_eyes(data_root, offline, tmp_path, capsys, monkeypatch):
    wall = tmp_path / "wall.png"
    Image.new("RGB", (320, 240), (120, 130, 140)).save(wall)
    monkeypatch.setattr(cli, "training_pairs", lambda *a, **k: pytest.fail("fitted before finding the face"))
    with pytest.warns(UserWarning, match="face mesh unavailable"):  # no models offline: the LBP fallback
        assert main(["smile", str(wall)]) == 1
    err = capsys.readouterr().err
    assert "no face found in" in err and "--eyes XL,YL,XR,YR" in err and "--mouth X,Y" in err
    assert main(["smile", str(wall), "--eyes", "1,2,3"]) == 1
    assert "--eyes takes 4 numbers" in capsys.readouterr().err


def test_smile_finds_the_face_in_a_sideways_phone_jpeg(copy_real, real_data, data_root, offline, small_training,
                                                      tmp_path, capsys):
    """A phone stores the pixels sideways and says so in EXIF: the result is the upright photo."""
    copy_real([f"models/mediapipe/{p.name}" for p in (real_data / "models" / "mediapipe").iterdir()])
    upright = Image.open(real_data / "london" / "neutral_front" / "001_03.jpg").convert("RGB").resize((675, 675))
    upright = upright.crop((0, 0, 675, 600))  # not square, so a wrong rotation shows in the shape
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to view"
    phone = tmp_path / "IMG_0001.JPG"
    upright.transpose(Image.Transpose.ROTATE_90).save(phone, quality=92, exif=exif.tobytes())
    assert main(["smile", str(phone), "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "face found in the 675x600 photo" in printed and "(mesh" in printed
    out = tmp_path / "IMG_0001_smile.jpg"
    assert Image.open(out).size == (675, 600)
