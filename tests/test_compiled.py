"""Compiled models (docs/model-format.md section 6): the bundled models' compiled/ folders
are what codegen compiles now, and the runtime refuses a missing, stale or edited one."""
from __future__ import annotations

import json
import shutil

import pytest

from codegen.compile import compile_dir, compiled_model
from codegen.reference.compile import compile_model
from spikey.cli import main
from spikey.errors import CodecError
from spikey.model import compiled
from spikey.model.files import BUNDLED, bundled_names


@pytest.mark.parametrize("name", bundled_names())
def test_bundled_compiled_models_are_a_fresh_compile(name):
    """Regenerate with ``codegen compile spikey/models/<name>`` after a compiler change."""
    on_disk = compiled.load(BUNDLED / name)
    fresh = compiled_model(compile_model(BUNDLED / name))
    assert on_disk.identity == fresh.identity
    assert on_disk.middleout == fresh.middleout
    assert on_disk.sources == fresh.sources, f"spikey/models/{name}/compiled/ is stale: run codegen compile"


@pytest.fixture()
def model_copy(tmp_path):
    d = tmp_path / "model"
    shutil.copytree(BUNDLED / "default", d)
    return d


def test_an_uncompiled_model_is_refused_with_the_fix(model_copy, tmp_path, capsys):
    shutil.rmtree(model_copy / "compiled")
    with pytest.raises(CodecError, match="is not compiled.*codegen compile"):
        compiled.load(model_copy)
    wav = BUNDLED.parents[1] / "tests" / "golden" / "plain.wav"
    assert main(["encode", "--model", str(model_copy), str(wav), str(tmp_path / "x.spk")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "codegen compile" in err and not (tmp_path / "x.spk").exists()


def test_a_stale_or_edited_compiled_model_is_refused(model_copy):
    meta = json.loads((model_copy / "model.json").read_text())
    meta["name"] = "renamed"
    (model_copy / "model.json").write_text(json.dumps(meta))
    with pytest.raises(CodecError, match="stale.*model.json changed"):
        compiled.load(model_copy)
    compile_dir(model_copy)
    assert compiled.load(model_copy).name == "renamed"
    src = model_copy / "compiled" / "spk_pred.c"
    src.write_text(src.read_text() + "\n")
    with pytest.raises(CodecError, match="spk_pred.c is missing or was edited"):
        compiled.load(model_copy)


def test_compile_writes_the_same_bytes_again(model_copy):
    compile_dir(model_copy)
    before = {p.name: p.read_bytes() for p in (model_copy / "compiled").iterdir()}
    compile_dir(model_copy)
    assert {p.name: p.read_bytes() for p in (model_copy / "compiled").iterdir()} == before
