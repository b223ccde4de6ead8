"""spikey bench: summary arithmetic, a run on a tiny folder, round-trip verification, bad inputs."""
from __future__ import annotations

import argparse
import bz2
import gzip
import json
import lzma
import re

import numpy as np
import pytest

from spikey import bench
from spikey.codec import encode_recording
from spikey.errors import CodecError
from spikey.recordings import GRID, from_samples, parse_wav

from refs import reference

RATE = 19531

LEARNED = ["default+range (C)", "default+rice_scaled (C)", "default+huffman_prior (C)", "default+rice_fixed (C)"]


def _args(*argv) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    return parser.parse_args([str(a) for a in argv])


def _wav(n: int, period: int, amplitude: int) -> bytes:
    """A deterministic on-grid signal: a triangle wave of 10-bit codes around mid-scale."""
    t = np.arange(n)
    tri = np.abs((t % period) - period // 2)
    codes = 512 - amplitude // 2 + (tri * amplitude) // (period // 2)
    return from_samples(GRID[codes], RATE).to_bytes()


@pytest.fixture
def wav_dir(tmp_path):
    d = tmp_path / "wavs"
    d.mkdir()
    (d / "a.wav").write_bytes(_wav(1500, 40, 20))
    (d / "b.wav").write_bytes(_wav(2001, 64, 300))
    (d / "c.wav").write_bytes(_wav(800, 10, 4))
    (d / "notes.txt").write_text("not a recording")
    return d


# ---------------------------------------------------------------- summary arithmetic
def test_summarize_hand_computed():
    measures = [bench.FileMeasure("x.wav", 40, 100, 50, 0.5, 0.25),
                bench.FileMeasure("y.wav", 160, 300, 100, 1.5, 0.75)]
    s = bench.summarize(measures)
    assert s["files"] == 2
    assert s["samples"] == 200
    assert s["original_bytes"] == 400
    assert s["compressed_bytes"] == 150
    assert s["ratio"] == pytest.approx(400 / 150)  # not the mean of 2.0 and 3.0
    assert s["ratio_spread"] == pytest.approx({"min": 2.0, "p10": 2.1, "median": 2.5, "p90": 2.9, "max": 3.0})
    assert s["encode_seconds"] == pytest.approx(2.0)
    assert s["decode_seconds"] == pytest.approx(1.0)
    assert s["encode_samples_per_s"] == pytest.approx(100.0)
    assert s["decode_samples_per_s"] == pytest.approx(200.0)


def test_summarize_single_file_and_zero_time():
    s = bench.summarize([bench.FileMeasure("x.wav", 10, 90, 30, 0.0, 0.0)])
    assert s["ratio"] == 3.0
    assert set(s["ratio_spread"].values()) == {3.0}
    assert s["encode_samples_per_s"] is None and s["decode_samples_per_s"] is None
    with pytest.raises(ValueError):
        bench.summarize([])


def test_table_formats_figures():
    measures = [bench.FileMeasure("x.wav", 40, 100, 50, 0.5, 0.25),
                bench.FileMeasure("y.wav", 160, 300, 100, 1.5, 0.75)]
    methods = [bench.Method("m", "stdlib", "test", bytes, bytes)]
    report = bench.build_report("dir", methods, {"m": measures}, machine={})
    table = bench.render_table(report)
    assert "| m | **2.667** | 2.000 | 2.100 | 2.500 | 2.900 | 3.000 | 100 | 200 | 150 |" in table
    assert "2 files, 200 samples, 400 bytes" in table
    assert [f["ratio"]["m"] for f in report["per_file"]] == [2.0, 3.0]


# ---------------------------------------------------------------- a real run
def test_run_writes_outputs_with_independent_ratios(wav_dir, tmp_path, capsys):
    out = tmp_path / "out" / "nested"
    assert bench.run(_args(wav_dir, "--out", out)) == 0

    assert sorted(p.name for p in out.iterdir()) == ["bench.json", "bench.md", "bench.png"]
    assert (out / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = json.loads((out / "bench.json").read_text())

    wavs = {p.name: p.read_bytes() for p in sorted(wav_dir.glob("*.wav"))}
    original = sum(len(w) for w in wavs.values())
    spikey = sum(len(encode_recording(parse_wav(w))) for w in wavs.values())
    learned = sum(len(encode_recording(parse_wav(w), reference())) for w in wavs.values())
    gz = sum(len(gzip.compress(w, compresslevel=9, mtime=0)) for w in wavs.values())
    bz = sum(len(bz2.compress(w, 9)) for w in wavs.values())
    xz = sum(len(lzma.compress(w, preset=9 | lzma.PRESET_EXTREME)) for w in wavs.values())

    assert report["files"] == 3
    assert report["samples"] == 1500 + 2001 + 800
    assert report["original_bytes"] == original
    methods = {m["name"]: m for m in report["methods"]}
    assert list(methods) == ["baseline", *LEARNED, "gzip-9", "bz2-9", "xz-9e"]
    assert methods["baseline"]["compressed_bytes"] == spikey
    assert methods["default+range (C)"]["compressed_bytes"] == learned   # C == the Python reference
    assert methods["baseline"]["ratio"] == pytest.approx(original / spikey)
    assert methods["gzip-9"]["ratio"] == pytest.approx(original / gz)
    assert methods["bz2-9"]["ratio"] == pytest.approx(original / bz)
    assert methods["xz-9e"]["ratio"] == pytest.approx(original / xz)
    for m in methods.values():
        assert m["encode_samples_per_s"] > 0 and m["decode_samples_per_s"] > 0
        spread = m["ratio_spread"]
        assert spread["min"] <= spread["p10"] <= spread["median"] <= spread["p90"] <= spread["max"]

    assert [f["file"] for f in report["per_file"]] == ["a.wav", "b.wav", "c.wav"]
    assert [j["name"] for j in report["joint"]] == ["default+range joint, 64-sample frames (C)",
                                                    "joint-middleout+range joint, MiddleOut, 64-sample frames (C)"]
    for joint in report["joint"]:
        assert (joint["channels"], joint["frame"], joint["original_bytes"]) == (3, 64, original)
        assert joint["ratio"] == pytest.approx(original / joint["compressed_bytes"])
    a = report["per_file"][0]
    assert a["ratio"]["baseline"] == pytest.approx(len(wavs["a.wav"]) / len(encode_recording(parse_wav(wavs["a.wav"]))))
    assert set(report["machine"]) >= {"platform", "python", "numpy", "cpu_count", "date"}

    stdout = capsys.readouterr().out
    assert stdout.startswith("| method | ratio |")
    assert f"| baseline | **{original / spikey:.3f}** |" in stdout
    assert f"| baseline | **{original / spikey:.3f}** |" in (out / "bench.md").read_text()


def test_limit_files_from_and_no_stdlib(wav_dir, tmp_path):
    out = tmp_path / "out"
    bench.run(_args(wav_dir, "--out", out, "--limit", 2, "--no-stdlib"))
    report = json.loads((out / "bench.json").read_text())
    assert [m["name"] for m in report["methods"]] == ["baseline", *LEARNED]
    assert [f["file"] for f in report["per_file"]] == ["a.wav", "b.wav"]

    listing = tmp_path / "validation.txt"
    listing.write_text("# validation files\nc.wav\n\nb.wav  # second\n")
    bench.run(_args(wav_dir, "--out", out, "--files-from", listing, "--no-stdlib"))
    report = json.loads((out / "bench.json").read_text())
    assert [f["file"] for f in report["per_file"]] == ["b.wav", "c.wav"]
    assert report["samples"] == 2001 + 800


# ---------------------------------------------------------------- verification
def test_decode_mismatch_is_a_hard_error(wav_dir, tmp_path, monkeypatch):
    real = bench.default_methods

    def corrupt(data: bytes) -> bytes:
        wav = bytearray(bench.decode_stream(data))
        wav[100] ^= 0x01
        return bytes(wav)

    def methods(include_stdlib=True, **kw):
        return [bench.Method(m.name, m.kind, m.description, m.encode, corrupt) if m.name == "baseline" else m
                for m in real(include_stdlib, **kw)]

    monkeypatch.setattr(bench, "default_methods", methods)
    out = tmp_path / "out"
    with pytest.raises(bench.VerificationError) as e:
        bench.run(_args(wav_dir, "--out", out))
    assert isinstance(e.value, CodecError)
    assert str(e.value) == "baseline did not restore a.wav exactly: first difference at byte 100"
    assert not out.exists()  # a failed run writes nothing


def test_failing_method_is_named(wav_dir):
    def broken(data: bytes) -> bytes:
        raise RuntimeError("boom")

    method = bench.Method("broken", "stdlib", "test", broken, bytes)
    with pytest.raises(bench.VerificationError, match=r"^broken failed on a\.wav: RuntimeError: boom$"):
        bench.measure(bench.find_inputs(wav_dir), [method], progress=False)


def test_truncated_decode_is_reported():
    method = bench.Method("short", "stdlib", "test", bytes, lambda b: b[:-1])
    with pytest.raises(bench.VerificationError, match="short did not restore x.wav exactly: 9 bytes instead of 10"):
        bench.measure_one(method, "x.wav", 3, bytes(10))


# ---------------------------------------------------------------- bad inputs
def test_empty_dir_is_an_error(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.txt").write_text("no wavs here")
    with pytest.raises(CodecError, match=f"^no WAV files found in {re.escape(str(empty))}$"):
        bench.run(_args(empty, "--out", tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_missing_dir_is_an_error(tmp_path):
    with pytest.raises(CodecError, match="^no such directory: .*missing$"):
        bench.run(_args(tmp_path / "missing", "--out", tmp_path / "out"))


def test_files_from_names_a_missing_file(wav_dir, tmp_path):
    listing = tmp_path / "list.txt"
    listing.write_text("a.wav\nzzz.wav\n")
    with pytest.raises(CodecError, match=r"names a file not in .*: zzz\.wav$"):
        bench.find_inputs(wav_dir, files_from=listing)
    listing.write_text("# nothing\n")
    with pytest.raises(CodecError, match="^no WAV files listed in"):
        bench.find_inputs(wav_dir, files_from=listing)


def test_not_a_wav_is_named(wav_dir):
    (wav_dir / "bad.wav").write_bytes(b"RIFX0000WAVE")
    with pytest.raises(CodecError, match=r"^bad\.wav: not a WAV file"):
        bench.measure(bench.find_inputs(wav_dir), bench.default_methods(False), progress=False)


def test_limit_must_be_positive():
    with pytest.raises(SystemExit):
        _args("dir", "--limit", "0")
