"""The command line as eval.sh and users drive it: exit codes, one-line errors, no leftovers."""
import argparse
import os
import subprocess
import sys
import zlib

import numpy as np
import pytest

from codegen.cli import build_parser as codegen_parser
from codegen.cli import main as codegen_main
from spikey.cli import build_parser as spikey_parser
from spikey.cli import main
from spikey_train.train import add_arguments
from spikey.recordings import from_codes, from_samples

from test_wav import BAD, EDGE_CASES


@pytest.fixture
def wav(tmp_path):
    codes = np.clip(512 + np.cumsum(np.random.default_rng(0).integers(-4, 5, 4000)), 0, 1023)
    path = tmp_path / "in.wav"
    path.write_bytes(from_samples(from_codes(codes), 19531).to_bytes())
    return path


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    return code, err


def assert_refused(code, err, message, leftover_dir, expected_files):
    assert code == 1
    assert err.startswith("spikey: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert sorted(p.name for p in leftover_dir.iterdir()) == sorted(expected_files)


def test_encode_decode_restores_the_file(tmp_path, wav, capsys):
    assert run(capsys, "encode", wav, tmp_path / "c.spk") == (0, "")
    assert run(capsys, "decode", tmp_path / "c.spk", tmp_path / "out.wav") == (0, "")
    assert (tmp_path / "out.wav").read_bytes() == wav.read_bytes()
    assert (tmp_path / "c.spk").stat().st_size < wav.stat().st_size / 2


@pytest.mark.parametrize("name", ["stereo", "8-bit", "float", "truncated", "empty", "text"])
def test_encode_refuses_bad_wavs(tmp_path, capsys, name):
    data, message = BAD[name]
    (tmp_path / "in.wav").write_bytes(data)
    code, err = run(capsys, "encode", tmp_path / "in.wav", tmp_path / "out.spk")
    assert_refused(code, err, message, tmp_path, ["in.wav"])


def test_encode_refuses_a_missing_file(tmp_path, capsys):
    code, err = run(capsys, "encode", tmp_path / "nope.wav", tmp_path / "out.spk")
    assert_refused(code, err, "no such file", tmp_path, [])


def test_encode_refuses_an_unwritable_output(tmp_path, wav, capsys):
    code, err = run(capsys, "encode", wav, tmp_path / "no" / "such" / "dir.spk")
    assert_refused(code, err, "cannot write", tmp_path, ["in.wav"])
    (tmp_path / "taken").mkdir()
    code, err = run(capsys, "encode", wav, tmp_path / "taken")
    assert_refused(code, err, "cannot write", tmp_path, ["in.wav", "taken"])
    assert list((tmp_path / "taken").iterdir()) == []


def _recrc(body: bytes) -> bytes:
    return body + zlib.crc32(body).to_bytes(4, "little")


@pytest.mark.parametrize("damage, message", [
    (lambda b: b[: len(b) // 2], "truncated"),
    (lambda b: b[:100] + bytes([b[100] ^ 1]) + b[101:], "CRC mismatch"),
    (lambda b: b[:4] + b"\x07" + b[5:], "CRC mismatch"),
    (lambda b: _recrc(b[:4] + b"\x07" + b[5:-4]), "container version 7"),
    (lambda b: EDGE_CASES["canonical"], "not a Spikey bitstream"),
    (lambda b: b"", "not a Spikey bitstream"),
])
def test_decode_refuses_bad_bitstreams(tmp_path, wav, capsys, damage, message):
    assert run(capsys, "encode", wav, tmp_path / "c.spk")[0] == 0
    (tmp_path / "c.spk").write_bytes(damage((tmp_path / "c.spk").read_bytes()))
    code, err = run(capsys, "decode", tmp_path / "c.spk", tmp_path / "out.wav")
    assert_refused(code, err, message, tmp_path, ["c.spk", "in.wav"])


def test_decode_leaves_an_existing_output_untouched_on_failure(tmp_path, capsys):
    (tmp_path / "bad.spk").write_bytes(b"SPKY\x03garbage-garbage-garbage")
    (tmp_path / "out.wav").write_bytes(b"keep me")
    code, err = run(capsys, "decode", tmp_path / "bad.spk", tmp_path / "out.wav")
    assert_refused(code, err, "CRC mismatch", tmp_path, ["bad.spk", "out.wav"])
    assert (tmp_path / "out.wav").read_bytes() == b"keep me"


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as e:
        main(["encode", "only-one-path"])
    assert e.value.code == 2


def test_eval_sh_style_programs(tmp_path, wav):
    """eval.sh runs `./encode IN OUT` and `./decode IN OUT` as separate programs."""
    for verb in ("encode", "decode"):
        script = tmp_path / verb
        script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m spikey.cli {verb} "$1" "$2"\n')
        script.chmod(0o755)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    subprocess.run([tmp_path / "encode", wav, tmp_path / "c"], check=True, env=env)
    subprocess.run([tmp_path / "decode", tmp_path / "c", tmp_path / "d.wav"], check=True, env=env)
    assert (tmp_path / "d.wav").read_bytes() == wav.read_bytes()
    bad = subprocess.run([tmp_path / "decode", wav, tmp_path / "x.wav"], env=env, capture_output=True, text=True)
    assert bad.returncode == 1 and not (tmp_path / "x.wav").exists()
    assert bad.stderr == "spikey: error: not a Spikey bitstream (bad magic)\n"


def test_outputs_get_ordinary_permissions(tmp_path, wav, capsys):
    umask = os.umask(0o022)
    try:
        assert run(capsys, "encode", wav, tmp_path / "c.spk")[0] == 0
    finally:
        os.umask(umask)
    assert (tmp_path / "c.spk").stat().st_mode & 0o777 == 0o644


def test_synth_then_bench_is_the_readme_main_job(tmp_path, capsys):
    assert main(["synth", str(tmp_path / "demo"), "--channels", "2", "--seconds", "0.5", "--seed", "3",
                 "--off-grid", "2"]) == 0
    assert sorted(p.name for p in (tmp_path / "demo").iterdir()) == ["ch000.wav", "ch001.wav"]
    assert main(["bench", str(tmp_path / "demo"), "--out", str(tmp_path / "out"), "--no-stdlib"]) == 0
    out = capsys.readouterr().out
    assert "| baseline |" in out
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["bench.json", "bench.md", "bench.png"]


def test_synth_refuses_bad_counts(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["synth", str(tmp_path / "x"), "--channels", "0"])
    assert e.value.code == 2
    assert "must be positive" in capsys.readouterr().err


def _parsers(parser):
    """A parser and every subcommand's parser under it."""
    out = [parser]
    for a in parser._actions:
        if isinstance(a, argparse._SubParsersAction):
            for p in a.choices.values():
                out += _parsers(p)
    return out


def test_every_option_of_both_commands_has_help_and_no_abbreviation():
    """What a user reads in --help: every argument explained; `--mode` is never taken for
    `--model` (no prefix matching); both commands say their version."""
    for root in (spikey_parser(), codegen_parser()):
        for p in _parsers(root):
            if p.prog == "spikey train":
                continue                       # the training program's own parser (python -m spikey_train)
            assert not p.allow_abbrev, p.prog
            for a in p._actions:
                if isinstance(a, (argparse._HelpAction, argparse._SubParsersAction)):
                    continue
                assert a.help, f"{p.prog}: {a.option_strings or a.dest} has no help text"
    for run in (main, codegen_main):
        with pytest.raises(SystemExit) as e:
            run(["--version"])
        assert e.value.code == 0


def test_the_training_program_explains_every_option():
    p = argparse.ArgumentParser()
    add_arguments(p)
    assert all(a.help for a in p._actions if not isinstance(a, argparse._HelpAction))
