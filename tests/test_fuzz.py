"""bench/fuzz.py: a short deterministic fuzz run of the decoder (the long run is in
bench/results/fuzz/), and the fuzzer's own checks catching what they are for."""
import importlib.util
import sys
from pathlib import Path

import pytest

from spikey.errors import CodecError

REPO = Path(__file__).resolve().parents[1]


def _load():
    spec = importlib.util.spec_from_file_location("bench_fuzz", REPO / "bench" / "fuzz.py")  # bench/ is not a package
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_fuzz"] = mod
    spec.loader.exec_module(mod)
    return mod


fuzz = _load()


def _load_native():
    spec = importlib.util.spec_from_file_location("bench_fuzz_native", REPO / "bench" / "fuzz_native.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


native = _load_native()


@pytest.mark.slow
@pytest.mark.skipif(native.compiler() is None, reason="clang is not installed (apt-get install clang; .ci/run does)")
def test_native_decoder_fuzzes_clean_under_asan_and_ubsan(tmp_path):
    res = native.run(15, None, tmp_path, log=lambda *a, **k: None)
    assert res["clean"], res["tail"]
    assert res["executions"] > 100 and res["corpus"] > res["seeds"]      # it ran, and found new paths


def test_mutated_streams_never_crash_or_lie():
    summary = fuzz.run(600, seed=13, out=None, progress=None)
    assert summary["failures"] == []
    assert summary["outcomes"]["refused"] > 500
    assert summary["outcomes"]["salvage salvaged"] > 10           # salvage's own property was checked
    # the mutations reach past the CRC into the field checks and the decoders
    assert any("holds at most" in m or "over N bits" in m or "does not decode" in m for m in summary["refusals"])


def test_the_fuzzer_reports_wrong_salvaged_samples(monkeypatch):
    seeds, models = fuzz.seed_corpus(), fuzz._models()
    seed = next(s for s in seeds if fuzz.container.unpack(s).mode_params)
    truth = dict(fuzz._decode(seed, models))
    wrong = {n: w[:-2] + bytes([w[-2] ^ 1, w[-1]]) for n, w in truth.items()}
    monkeypatch.setattr(fuzz, "salvage_channels", lambda data, model: (list(wrong.items()), {"lost_packets": []}))
    assert fuzz.check_salvage(seed, seed, truth, models)[0] == "FAIL"


@pytest.mark.parametrize("behaviour, why", [
    (lambda data, model: [][1], "IndexError"),
    (lambda data, model: (_ for _ in ()).throw(CodecError("two\nlines")), "multi-line refusal"),
    (lambda data, model: [("a.wav", b"RIFF not the stream's recording")], "does not match its stream's CRC"),
])
def test_the_fuzzer_reports_crashes_and_wrong_output(monkeypatch, behaviour, why):
    seeds, models = fuzz.seed_corpus()[:1], fuzz._models()
    monkeypatch.setattr(fuzz, "decode_channels", behaviour)
    kind, message = fuzz.check_one(seeds[0], {}, models)
    assert kind == "FAIL" and why in message
