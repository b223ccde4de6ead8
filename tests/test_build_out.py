"""`codegen build` owns its --out: it writes there and only there, replaces its own earlier
build (whatever the target), and refuses a folder that holds anything else."""
from __future__ import annotations

import json

import pytest

from codegen.cli import main

# what a host build exports besides its sources (codegen.export): the library, its build files,
# the PlatformIO project and the native codec program
HOST_EXPORTS = ("include", "lib", "CMakeLists.txt", "library.json", "examples", "test", "platformio", "spikey-codec")


def _host(out, *extra) -> int:
    return main(["build", "--target", "host", "--loss-files", "1", *extra,
                 *(["--out", str(out)] if out is not None else [])])


def test_default_out_is_under_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _host(None) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build"]
    info = json.loads((tmp_path / "build" / "default-host" / "build.json").read_text())
    assert info["status"] == "done" and info["target"] == "host"
    assert set(info["outputs"]) == {"src", "quantisation.json", "quantisation.md", *HOST_EXPORTS}


def test_a_later_build_replaces_an_earlier_one_of_another_target(tmp_path):
    out = tmp_path / "b"
    out.mkdir()
    for name in ("hil_codec.elf", "report.md", "report.json", "measurements.json"):
        (out / name).write_text("from a cortex-m4 build")
    (out / "obj").mkdir()
    (out / "obj" / "x.o").write_text("")
    (out / "build.json").write_text(json.dumps({"target": "cortex-m4", "outputs": [
        "hil_codec.elf", "report.md", "report.json", "measurements.json", "obj"]}))
    assert _host(out) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(["build.json", "quantisation.json", "quantisation.md", "src",
                                                            *HOST_EXPORTS])


def test_a_folder_of_other_files_is_refused(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert _host(out) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not empty and holds no earlier codegen build (notes.txt)" in err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_an_unwritable_out_is_one_line(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert _host(blocker / "sub") == 1
    err = capsys.readouterr().err
    assert err.startswith("codegen: error: cannot create the output folder") and err.count("\n") == 1


@pytest.mark.parametrize("bad,says", [(["--model", "/no/such/model"], "no such model"),
                                      (["--model", "nomodel"], "no such model"),
                                      (["--data", "/no/such/folder"], "--data /no/such/folder: no such folder")])
def test_an_unknown_model_or_data_folder_is_one_line(tmp_path, capsys, bad, says):
    assert _host(tmp_path / "o", *bad) == 1
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1 and not (tmp_path / "o").exists()
