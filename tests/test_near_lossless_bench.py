"""The near-lossless benchmark: the reference spike detector (bench/detector.py) on
hand-made signals with known spikes, spikey bench --max-error on synthetic recordings
(bound checked, figures consistent), and bench/near_lossless.py's yardsticks."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from wavs import pcm16

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
pytest.importorskip("scipy")
import detector  # noqa: E402
import near_lossless as nlb  # noqa: E402

from spikey import fidelity  # noqa: E402
from spikey.coders.model_cdf import ModelCdf  # noqa: E402
from spikey.errors import CodecError  # noqa: E402
from spikey.learned import LearnedCodec, aligned  # noqa: E402
from spikey.recordings import from_codes, synth, to_codes  # noqa: E402

RATE = 19531


def spiky(n=40_000, times=(3000, 9000, 15000, 22000, 30000), amp=60.0, seed=0):
    """Gaussian noise (sd 3 codes) about 512 with a negative biphasic spike at each time."""
    rng = np.random.default_rng(seed)
    x = 512 + rng.normal(0, 3, n)
    k = np.arange(-5, 15)
    shape = -np.exp(-((k - 0) / 2.0) ** 2) + 0.4 * np.exp(-((k - 6) / 3.0) ** 2)
    for t in times:
        x[t + k] += amp * shape
    return np.clip(np.round(x), 0, 1023).astype(np.int64), np.array(times)


def test_detector_finds_known_spikes_and_scores_them():
    x, times = spiky()
    spikes, clear, lenient, y, sigma = detector.reference_spikes(x, RATE)
    assert len(spikes) == len(times) and np.all(np.abs(spikes - times) <= 3)
    assert np.array_equal(clear, spikes)                 # 60-code spikes are far past -5.5 sigma
    assert set(spikes.tolist()) <= set(lenient.tolist()) or len(lenient) >= len(spikes)
    assert 2.0 < sigma < 4.5 and y.shape == x.shape
    assert detector.score(spikes, clear, lenient) == (1.0, 1.0, 1.0)
    p, r, f1 = detector.score(spikes + 11, clear, lenient)      # 11 samples late: outside +-10
    assert r == 0.0 and f1 == 0.0
    p, r, f1 = detector.score(spikes[:3], clear, lenient)
    assert p == 1.0 and r == pytest.approx(0.6) and f1 == pytest.approx(0.75)


def test_refractory_keeps_one_crossing_per_millisecond():
    y = np.zeros(200)
    y[[50, 55, 69, 90, 100]] = -10.0          # 55, 69: within 20 samples of 50; 90 counts, 100 does not
    assert detector.crossings(y, -5.0).tolist() == [50, 90]
    assert detector.crossings(y, -5.0, refractory=10).tolist() == [50, 69, 90, 100]


def _write(tmp_path, n_files=2, seconds=0.4):
    d = tmp_path / "wavs"
    d.mkdir()
    for i, x in enumerate(to_codes(synth.generate(n_files, seconds, seed=4))):
        (d / f"c{i}.wav").write_bytes(pcm16(from_codes(x)))
    return sorted(d.glob("*.wav"))


def test_fidelity_bounds_and_figures(tmp_path):
    paths = _write(tmp_path)
    res = fidelity.measure(paths, [0, 1, 4])
    s = {b["max_error"]: b["summary"] for b in res["bounds"]}
    assert s[0]["max_error"] == 0 and s[0]["rms_error"] == 0 and s[0]["snr_db"] == float("inf")
    assert s[1]["max_error"] == 1 and s[4]["max_error"] == 4
    assert s[0]["ratio"] < s[1]["ratio"] < s[4]["ratio"]
    assert s[1]["snr_db"] > s[4]["snr_db"] > 0
    # uniform-ish error within the bound: RMS about D / sqrt(3) .. D
    assert 0.5 < s[1]["rms_error"] <= 1.0 and 1.5 < s[4]["rms_error"] <= 4.0


def test_ideal_bin_bits_match_the_range_coder(tmp_path):
    """bench/near_lossless.bin_bits on the codec's own predictions (from the decoded history)
    is what the range coder pays, within 1 %."""
    x = to_codes(synth.generate(1, 1.0, seed=8))[0].astype(np.int64)
    codec = LearnedCodec(None, "range", 2)
    payload = codec.encode_codes(x)
    y = codec.decode_codes(payload, len(x)).astype(np.int64)
    L, ls = (aligned(v) for v in codec.predict(y))
    bits = nlb.bin_bits(ModelCdf(codec.model.edges, codec.model.family), x, L, ls, 2)
    assert abs(8 * len(payload) / bits - 1) < 0.01
    fd = nlb.first_difference_bits(x, 2)
    assert 0.5 < fd / bits < 2.0


def test_spikey_bench_max_error_cli(tmp_path):
    paths = _write(tmp_path, 1, 0.3)
    r = subprocess.run([sys.executable, "-m", "spikey.cli", "bench", str(paths[0].parent), "--max-error", "0,2",
                        "--out", str(tmp_path / "out")], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    assert "| 2 |" in r.stdout and (tmp_path / "out" / "near_lossless.json").is_file()
    r = subprocess.run([sys.executable, "-m", "spikey.cli", "bench", str(paths[0].parent), "--max-error", "1,300"],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "[0, 255]" in r.stderr


def test_parse_bounds():
    assert fidelity.parse_bounds("4, 1,1") == [1, 4]
    with pytest.raises(CodecError):
        fidelity.parse_bounds("a")


@pytest.mark.parametrize("d", nlb.BUILD_BOUNDS)
def test_committed_near_lossless_builds(d):
    """bench/results/build-report/default-cortex-m4-d{D}: a finished build of the mode, with
    its mode field, the three-way check (reference on prefixes) and no binaries; its
    instructions/sample are what docs and README quote, within 10 % of the lossless build."""
    import json
    out = nlb.build_dir(d)
    build = json.loads((out / "build.json").read_text())
    assert build["status"] == "done" and (build["mode"], build["max_error"]) == ("near-lossless", d)
    insns = json.loads((out / "instructions.json").read_text())
    ref = insns["three_way"]["reference_prefixes"]
    assert insns["three_way"]["equal"] and ref["equal"] and ref["decoded_equal"] and ref["max_error"] == d
    assert not (out / "obj").exists() and not list(out.glob("*.elf"))
    built = nlb.builds()
    assert built[d][0] == insns["per_file"]["insns_per_sample"] <= nlb.INSNS_MARGIN * built[0][0]
    assert f"near-lossless, D = {d}" in (out / "report.md").read_text()


def test_committed_near_lossless_report_is_its_json_rendered():
    res = nlb.load()
    assert res is not None, "bench/results/near-lossless/near_lossless.json: run bench/results.py --only near_lossless"
    assert (nlb.OUT / "near_lossless.md").read_text() == nlb.document(res)
    assert all(b["summary"]["max_error"] <= b["max_error"] for b in res["bounds"])
    assert res["model_identity"] == LearnedCodec().MODEL_ID.hex() and len(res["files"]) == 30
