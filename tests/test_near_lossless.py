"""Near-lossless mode (container mode 1, docs/coders.md §6): the quantisation rule, the
error bound, the Python reference == host C byte for byte (per file and joint, MiddleOut
too), D read back from the stream, bad D values and corrupt parameters refused in one line."""
import subprocess
import sys

import numpy as np
import pytest
from refs import compiled, predictor, runtime
from wavs import chunk, pcm16

from codegen.reference.codec import ReferenceCodec
from spikey import codec as sc
from spikey import container, fixed
from spikey.errors import CodecError
from spikey.learned import LearnedCodec
from spikey.model import files
from spikey.recordings import from_codes, read_wav, synth, to_codes
from spikey.recordings.wav import from_samples

MIDDLEOUT = files.BUNDLED / files.MIDDLEOUT


def codes(n, seed=3, channels=1):
    return [c.astype(np.int64) for c in to_codes(synth.generate(channels, n / 19531 + 0.01, seed=seed))[:, :n]]


# --- the integer rule -------------------------------------------------------------------------

@pytest.mark.parametrize("d", [0, 1, 2, 4, 7, 255])
def test_near_bin_is_the_nearest_multiple_and_tiles_the_codes(d):
    r = np.arange(-1023, 1024)
    q = fixed.near_bin(r, d)
    assert np.abs(r - q * (2 * d + 1)).max() <= d
    assert [fixed.near_bin(int(v), d) for v in r[::97]] == q[::97].tolist()    # scalar == vector
    for L in (0, 3, 511, 1020, 1023):
        x = np.arange(1024)
        qx = fixed.near_bin(x - L, d)
        lo, hi = fixed.near_span(L, qx, d)
        y = fixed.near_code(L, qx, d)
        assert np.all((lo <= x) & (x <= hi)) and np.all(np.abs(y - x) <= d)
        assert np.all((0 <= y) & (y <= 1023))
        # consecutive bins are adjacent: each bin's span starts where the last one ended
        starts = np.unique(lo)
        assert starts[0] == 0 and np.array_equal(np.unique(hi)[:-1] + 1, starts[1:])


def test_near_bin_worked_values():
    assert [fixed.near_bin(r, 2) for r in (-8, -7, -3, -2, 0, 2, 3, 7, 8)] == [-2, -1, -1, 0, 0, 0, 1, 1, 2]
    # the end bins, clamped: code 0 under L = 3 is in bin -1 (centre -2 -> 0), code 1023 under L = 1020 in bin 1
    assert fixed.near_bin(0 - 3, 2) == -1 and fixed.near_span(3, -1, 2) == (0, 0) and fixed.near_code(3, -1, 2) == 0
    assert fixed.near_bin(1023 - 1020, 2) == 1 and fixed.near_span(1020, 1, 2) == (1023, 1023)
    assert fixed.near_code(1020, 1, 2) == 1023


# --- reference == host C, the bound ----------------------------------------------------------

@pytest.mark.parametrize("d", [1, 2, 4, 40])
def test_per_file_reference_equals_host_c_and_bounds_the_error(d):
    x = codes(1500, seed=d)[0]
    ref = ReferenceCodec(predictor(), "range", d)
    host = LearnedCodec(compiled(), "range", d)
    p = ref.encode_codes(x)
    assert host.encode_codes(x) == p
    lossless = runtime().encode_codes(x)
    assert len(p) < len(lossless)
    y_ref, y_host = ref.decode_codes(p, len(x)), host.decode_codes(p, len(x))
    assert np.array_equal(y_ref, y_host)
    err = np.abs(y_host.astype(np.int64) - x)
    assert err.max() <= d and y_host[0] == x[0]
    assert err.max() == d or d == 40      # the bound is used, not just respected
    assert y_host.min() >= 0 and y_host.max() <= 1023


@pytest.mark.parametrize("model,d", [(None, 1), (None, 4), (MIDDLEOUT, 2)])
def test_joint_reference_equals_host_c(model, d):
    chans = [c[:n] for c, n in zip(codes(700, seed=5, channels=3), (700, 650, 700))]
    ref = ReferenceCodec(predictor(model), "range", d)
    host = LearnedCodec(compiled(model), "range", d)
    peers = sc.joint_peers(chans, host.peers, 19531) if host.middleout else None
    p = ref.encode_channels(chans, 64, peers)
    assert host.encode_channels(chans, 64, peers) == p
    back_h = host.decode_channels(p, [len(c) for c in chans], 64, peers)
    back_r = ref.decode_channels(p, [len(c) for c in chans], 64, peers)
    for x, a, b in zip(chans, back_h, back_r):
        assert np.array_equal(a, b) and np.abs(a.astype(np.int64) - x).max() <= d


def test_prediction_dominates_at_large_d():
    """D far above the noise: nearly every sample codes bin 0 (the prediction) and costs
    little; the bound still holds, including at the code range's ends."""
    x = np.concatenate([np.full(200, 0), np.full(200, 1023), codes(600, seed=9)[0]])
    host = LearnedCodec(compiled(), "range", 200)
    p = host.encode_codes(x)
    y = host.decode_codes(p, len(x)).astype(np.int64)
    assert np.abs(y - x).max() <= 200 and len(p) * 8 / len(x) < 1.5
    assert p == ReferenceCodec(predictor(), "range", 200).encode_codes(x)


# --- the container and the command line --------------------------------------------------------

def test_stream_records_d_and_decodes_within_it(tmp_path):
    rng = np.random.default_rng(1)
    x = codes(3000, seed=11)[0]
    samples = from_codes(x)
    off = rng.choice(len(samples), 20, replace=False)
    samples[off] += 3                                   # off the grid
    wav = pcm16(samples, after=[chunk(b"LIST", b"abcd")])
    (tmp_path / "in.wav").write_bytes(wav)
    for d in (1, 3):
        data = sc.encode_recording(read_wav(tmp_path / "in.wav"), LearnedCodec(None, "range", d))
        s = container.unpack(data)
        assert s.mode == container.NEAR_LOSSLESS and s.mode_params == bytes([d])
        assert all(len(c.escape_positions) == 0 for c in s.channels)
        out = sc.decode_stream(data)       # D comes from the stream: the decoder is given none
        back = read_wav_bytes(tmp_path / f"out{d}.wav", out)
        assert out[:44] == wav[:44] and out.endswith(chunk(b"LIST", b"abcd"))
        assert np.abs(to_codes(back.samples).astype(np.int64) - to_codes(samples)).max() <= d
        assert np.array_equal(from_codes(to_codes(back.samples)), back.samples)    # on the grid


def read_wav_bytes(path, data):
    path.write_bytes(data)
    return read_wav(path)


def _with_params(data: bytes, params: bytes) -> bytes:
    s = container.unpack(data)
    s.mode_params = params
    return container.pack(s)


@pytest.mark.parametrize("params,msg", [(b"", "D missing"), (b"\x00", "D = 0"), (b"\x80\x02", "D = 256"),
                                        (b"\x01\x00", "not one varint"), (b"\x81\x00", "not one varint")])
def test_corrupt_parameters_are_refused(params, msg):
    data = sc.encode_recording(from_samples(from_codes(codes(400)[0]), 19531), LearnedCodec(None, "range", 2))
    with pytest.raises(CodecError, match=msg):
        sc.decode_stream(_with_params(data, params))


def test_a_tampered_d_fails_the_crc_of_the_decoded_wav():
    data = sc.encode_recording(from_samples(from_codes(codes(2000)[0]), 19531), LearnedCodec(None, "range", 2))
    with pytest.raises(CodecError):
        sc.decode_stream(_with_params(data, b"\x03"))


def _spikey(*args):
    return subprocess.run([sys.executable, "-m", "spikey.cli", *args], capture_output=True, text=True, check=False)


@pytest.mark.parametrize("d,extra,msg", [("-1", (), "must be in [0, 255]"), ("256", (), "must be in [0, 255]"),
                                         ("x", (), "must be an integer"), ("2", ("--coder", "rice_fixed"),
                                                                             "needs the range coder"),
                                         ("2", ("--baseline",), "--baseline takes no")])
def test_bad_max_error_is_one_line(tmp_path, d, extra, msg):
    (tmp_path / "in.wav").write_bytes(pcm16(from_codes(codes(300)[0])))
    r = _spikey("encode", f"--max-error={d}", *extra, str(tmp_path / "in.wav"), str(tmp_path / "o.spk"))
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and msg in r.stderr, r.stderr
    assert not (tmp_path / "o.spk").exists()


def test_cli_round_trip_joint(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    chans = codes(800, seed=4, channels=2)
    for i, x in enumerate(chans):
        (src / f"c{i}.wav").write_bytes(pcm16(from_codes(x)))
    r = _spikey("encode", "--joint", "--max-error", "2", str(src), str(tmp_path / "j.spk"))
    assert r.returncode == 0, r.stderr
    r = _spikey("decode", "--joint", str(tmp_path / "j.spk"), str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    for i, x in enumerate(chans):
        y = to_codes(read_wav(tmp_path / "out" / f"c{i}.wav").samples).astype(np.int64)
        assert np.abs(y - x).max() <= 2


@pytest.mark.slow
@pytest.mark.parametrize("d", [1, 3, 8, 40])
def test_error_bound_on_real_validation_files(dev_files, d):
    """Whole dev recordings the model never trained on, through the container: every sample
    within D, on the grid, the original header; D = 40 lets the prediction dominate."""
    names = set(compiled().meta["split"]["validation"][:3])
    for path in [p for p in dev_files if p.name in names]:
        wav = path.read_bytes()
        data = sc.encode_recording(read_wav(path), LearnedCodec(None, "range", d))
        out = sc.decode_stream(data)
        assert out[:44] == wav[:44] and len(out) == len(wav)
        x = to_codes(read_wav(path).samples).astype(np.int64)
        y = to_codes(np.frombuffer(out[44:], "<i2")).astype(np.int64)
        assert np.abs(y - x).max() == d
        assert np.array_equal(from_codes(y), np.frombuffer(out[44:], "<i2"))
        lossless = len(sc.encode_recording(read_wav(path), LearnedCodec(None, "range")))
        assert len(data) < lossless * (0.8 if d == 1 else 0.65)


def test_c_near_rules_equal_python():
    """spk_near_bin / spk_near_span / spk_near_code (spikey_fixed.h, UBSan) == spikey.fixed,
    every residual of a 10-bit code for a range of D, every code for the end locations."""
    from test_fixedpoint import _build_harness
    m = _build_harness()
    lib, ffi = m.lib, m.ffi
    lo, hi = ffi.new("uint32_t *"), ffi.new("uint32_t *")
    r = np.arange(-1023, 1024)
    for d in (0, 1, 2, 3, 4, 7, 8, 40, 127, 254, 255):
        q = fixed.near_bin(r, d)
        assert [lib.spk_near_bin(int(v), d) for v in r] == q.tolist()
        for L in (0, 1, 511, 1022, 1023):
            x = np.arange(1024)
            qx = fixed.near_bin(x - L, d)
            plo, phi = fixed.near_span(L, qx, d)
            got = []
            for qq in qx[::7].tolist():
                lib.spk_near_span(L, qq, d, lo, hi)
                got.append((lo[0], hi[0], lib.spk_near_code(L, qq, d)))
            assert got == list(zip(plo[::7].tolist(), phi[::7].tolist(), fixed.near_code(L, qx, d)[::7].tolist()))


def test_codegen_verify_near_lossless(tmp_path):
    from codegen.verify import verify
    paths = []
    for i, x in enumerate(codes(600, seed=12, channels=2)):
        paths.append(tmp_path / f"c{i}.wav")
        paths[-1].write_bytes(pcm16(from_codes(x)))
    rows = verify(paths, max_error=2, log=lambda s: None) + verify(paths, joint=True, max_error=2, log=lambda s: None)
    assert [r["equal"] for r in rows] == [True, True, True]
