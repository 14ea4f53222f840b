"""The pixelfes-edu command as a user runs it."""
import os
import subprocess
import sys


from pixelfes_edu.cli import main


def test_demo_writes_a_before_after_figure_offline(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PIXELFES_EDU_DATA", str(tmp_path / "empty"))  # no London files: synthetic
    monkeypatch.setattr("pixelfes_edu.cli.reachable", lambda *a, **k: "offline (tests)")  # never download
    out = tmp_path / "demo.png"
    assert main(["demo", "--data", "auto", "--size", "64", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "synthetic faces" in printed and "Pixel-RR fitted on" in printed
    from skimage.io import imread

    img = imread(out)
    assert img.ndim == 3 and img.shape[0] > 150 and img.shape[1] > 300
    assert img[..., :3].std() > 20  # a picture, not a blank canvas


def test_fetch_unknown_source_is_a_clear_error(capsys):
    assert main(["fetch", "no-such-dataset"]) == 1
    err = capsys.readouterr().err
    assert "no-such-dataset" in err and "error" in err


def test_console_script_entry_point_help():
    res = subprocess.run([sys.executable, "-m", "pixelfes_edu.cli", "--help"], capture_output=True, text=True)
    assert res.returncode == 0
    for command in ("demo", "smile", "fetch", "report"):
        assert command in res.stdout


def test_bad_lambda_on_the_command_line(capsys, tmp_path):
    assert main(["demo", "--data", "synthetic", "--size", "32", "--lam", "-1", "--out", str(tmp_path / "x.png")]) == 1
    assert "lam must be a finite real number > 0" in capsys.readouterr().err


def test_demo_out_an_existing_folder_writes_a_named_figure_inside_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PIXELFES_EDU_DATA", str(tmp_path / "empty"))
    folder = tmp_path / "figures"
    folder.mkdir()
    assert main(["demo", "--data", "synthetic", "--size", "32", "--out", str(folder)]) == 0
    assert [p.name for p in folder.iterdir()] == ["pixelfes_demo.png"]
    assert f"wrote {folder / 'pixelfes_demo.png'}" in capsys.readouterr().out
    assert not (tmp_path / "figures.png").exists()


def _refuse_loading(monkeypatch):
    import pixelfes_edu.data

    def load_pairs(*args, **kwargs):
        raise AssertionError("the data was loaded before the output was checked")

    monkeypatch.setattr(pixelfes_edu.data, "load_pairs", load_pairs)


def test_demo_fails_before_any_work_when_it_cannot_write(tmp_path, capsys, monkeypatch, read_only_folder):
    _refuse_loading(monkeypatch)
    folder = read_only_folder
    assert main(["demo", "--data", "synthetic", "--out", os.path.join(folder, "demo.png")]) == 1
    assert f"the folder {folder} is not writable" in capsys.readouterr().err
    assert main(["demo", "--data", "synthetic", "--out", str(tmp_path / "demo.xyz")]) == 1
    assert "cannot write a figure as demo.xyz" in capsys.readouterr().err
    assert main(["demo", "--data", "synthetic", "--lam", "-1", "--out", str(tmp_path / "d.png")]) == 1
    assert "lam must be a finite real number > 0" in capsys.readouterr().err


def test_report_fails_before_any_work_when_it_cannot_write(capsys, monkeypatch, read_only_folder):
    _refuse_loading(monkeypatch)
    folder = read_only_folder
    assert main(["report", "--out", os.path.join(folder, "report.md")]) == 1
    assert "is not writable" in capsys.readouterr().err
