"""The hand-written firmware runtime built for the host (cffi) against the Python reference.

Bit-exactness: the C payload must equal spikey.baseline.encode_codes byte for byte, for
any frame size, and decoding must restore the codes. spikey.native caches the extension
by a hash of the sources (in $SPIKEY_CACHE/cffi or ~/.cache/spikey/cffi), so only the first
run compiles.
"""
import numpy as np
import pytest

from codegen.host.baseline import HostBaseline
from spikey import baseline
from spikey.coders import adaptive_rice
from spikey.errors import CodecError
from spikey.recordings import GRID, read_wav, to_codes


@pytest.fixture(scope="module")
def hb():
    return HostBaseline()


def _walk(n, seed, step):
    rng = np.random.default_rng(seed)
    return np.clip(512 + np.cumsum(rng.integers(-step, step + 1, n)), 0, 1023)


def _spikes(n, seed):
    """Quiet noise with long, full-scale biphasic bursts (Rice parameter swings up and down)."""
    rng = np.random.default_rng(seed)
    x = 520 + rng.integers(-3, 4, n)
    for start in rng.integers(0, n - 400, 12):
        t = np.arange(400)
        x[start:start + 400] += (480 * np.sin(2 * np.pi * t / 40) * np.exp(-t / 150)).astype(np.int64)
    return np.clip(x, 0, 1023)


CASES = {
    "empty": np.zeros(0, np.int64),
    "one": np.array([700]),
    "first_is_512": np.array([512, 512, 513]),
    "extremes_alternating": np.tile([0, 1023], 500),
    "all_zero": np.zeros(3000, np.int64),
    "all_1023": np.full(3000, 1023),
    "constant_runs": np.repeat(np.random.default_rng(2).integers(0, 1024, 40), 97),
    "uniform_jumps_escape": np.random.default_rng(3).integers(0, 1024, 5000),
    "walk_small": _walk(20000, 4, 3),
    "walk_large": _walk(20000, 5, 60),
    "long_spikes": _spikes(30000, 6),
    "every_code_up_down": np.concatenate([np.arange(1024), np.arange(1023, -1, -1)]),
    "walk_then_quiet": np.concatenate([_walk(3000, 7, 200), np.full(3000, 300), _walk(3000, 8, 1)]),
}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("frame", [64, 1, 7, 1000])
def test_payload_matches_reference_and_decodes(hb, name, frame):
    codes = CASES[name]
    ref = baseline.encode_codes(codes)
    h = HostBaseline(frame=frame) if frame != hb.frame else hb
    payload = h.encode_codes(codes)
    assert payload == ref
    assert np.array_equal(h.decode_codes(payload, len(codes)), codes)


def test_random_sequences_match_reference(hb):
    rng = np.random.default_rng(11)
    for _ in range(40):
        n = int(rng.integers(1, 5000))
        kind = rng.integers(0, 3)
        if kind == 0:
            codes = _walk(n, int(rng.integers(1 << 30)), int(rng.integers(0, 300)))
        elif kind == 1:
            codes = rng.integers(0, 1024, n)
        else:
            codes = np.where(rng.random(n) < 0.02, rng.choice([0, 1023], n), _walk(n, int(rng.integers(1 << 30)), 4))
        payload = hb.encode_codes(codes)
        assert payload == baseline.encode_codes(codes)
        assert np.array_equal(hb.decode_codes(payload, n), codes)


def test_codes_outside_the_adc_range_wrap_like_the_reference(hb):
    codes = np.array([-1, 1024, 32767, -32768, 5, 2047, 0, -513], dtype=np.int16)
    assert hb.encode_codes(codes) == baseline.encode_codes(codes)
    assert np.array_equal(hb.decode_codes(hb.encode_codes(codes), len(codes)), codes.astype(np.int64) & 1023)


def test_truncated_payload_is_refused_like_the_reference(hb):
    codes = _walk(2000, 12, 9)
    payload = hb.encode_codes(codes)
    for cut in (0, 1, len(payload) // 2, len(payload) - 1):
        with pytest.raises(CodecError):
            baseline.decode_codes(payload[:cut], len(codes))
        with pytest.raises(CodecError):
            hb.decode_codes(payload[:cut], len(codes))
    # trailing bytes are accepted by both
    assert np.array_equal(hb.decode_codes(payload + b"\xff\x00", len(codes)), codes)


def test_bit_writer_overflow_is_reported_and_never_writes_past_the_buffer(hb):
    codes = _walk(5000, 13, 20)
    ref = baseline.encode_codes(codes)
    with pytest.raises(OverflowError):
        hb.encode_codes(codes, capacity=len(ref) - 1)
    assert hb.encode_codes(codes, capacity=len(ref)) == ref
    ffi, lib = hb.ffi, hb.lib
    c = np.ascontiguousarray(codes, dtype=np.int16)
    for cap in (0, 1, 100, len(ref) - 1):
        buf = np.full(cap + 64, 0xAA, dtype=np.uint8)   # guard bytes after the capacity
        n_out = ffi.new("uint32_t *")
        status = lib.spk_host_encode(ffi.from_buffer("int16_t[]", c), len(c), 64,
                                     ffi.from_buffer("uint8_t[]", buf), cap, n_out)
        assert status == lib.SPK_ERR_OVERFLOW
        assert n_out[0] == cap
        assert buf[:cap].tobytes() == ref[:cap]
        assert np.all(buf[cap:] == 0xAA)


def test_adc_mapping_matches_the_grid_for_every_code_and_sample(hb):
    lib = hb.lib
    assert [lib.spk_adc_from_code(k) for k in range(1024)] == GRID.tolist()
    samples = np.arange(-32768, 32768)
    assert [lib.spk_adc_to_code(int(v)) for v in samples] == to_codes(samples).tolist()


def test_rice_coder_alone_matches_reference(hb):
    ffi, lib = hb.ffi, hb.lib
    rng = np.random.default_rng(14)
    for u in (np.arange(1024), rng.integers(0, 4, 3000), np.array([1023, 0, 1023]), rng.geometric(0.05, 4000) - 1):
        u = np.ascontiguousarray(np.minimum(u, 1023), dtype=np.uint16)
        out = np.zeros(len(u) * 4 + 8, dtype=np.uint8)
        n_out = ffi.new("uint32_t *")
        assert lib.spk_host_rice_encode(ffi.from_buffer("uint16_t[]", u), len(u),
                                        ffi.from_buffer("uint8_t[]", out), len(out), n_out) == lib.SPK_OK
        assert out[:n_out[0]].tobytes() == adaptive_rice.encode(u.astype(np.int64))
    bad = np.array([1024], dtype=np.uint16)
    assert lib.spk_host_rice_encode(ffi.from_buffer("uint16_t[]", bad), 1, ffi.from_buffer("uint8_t[]", out),
                                    len(out), n_out) == lib.SPK_ERR_RANGE


def test_rice_parameter_rule(hb):
    for m in list(range(0, 1 << 12)) + [1 << 17, (1 << 18) - 1, 0xFFFFFFFF]:
        mean = m >> adaptive_rice.SHIFT
        assert hb.lib.spk_rice_k(m) == (0 if mean < 2 else min(adaptive_rice.K_MAX, mean.bit_length() - 1))


def test_arithmetic_rules(hb):
    lib = hb.lib
    r = np.arange(-600, 600)
    assert [lib.spk_zigzag(int(x)) for x in r] == baseline.zigzag(r).tolist()
    u = np.arange(0, 2048)
    assert [lib.spk_unzigzag(int(x)) for x in u] == baseline.unzigzag(u).tolist()
    assert lib.spk_unzigzag(0xFFFFFFFE) == 2**31 - 1 and lib.spk_zigzag(-(2**30)) == 2**31 - 1
    assert [lib.spk_wrap10(d) for d in (-1023, -513, -512, -1, 0, 511, 512, 1023, -(2**31), 2**31 - 1)] == \
        [((d + 512) & 1023) - 512 for d in (-1023, -513, -512, -1, 0, 511, 512, 1023, -(2**31), 2**31 - 1)]
    for x in [1, 2, 3, 1023, 1024, 2**31, 2**32 - 1]:
        assert lib.spk_floor_log2_u32(x) == x.bit_length() - 1
    rng = np.random.default_rng(15)
    for _ in range(200):
        x, y = (int(v) for v in rng.integers(0, 2**32, 2))
        acc = int(rng.integers(-(2**31), 2**31))
        def s16(w):
            return (w & 0xFFFF) - ((w & 0x8000) << 1)
        want = acc + s16(x) * s16(y) + s16(x >> 16) * s16(y >> 16)
        want = (want + 2**31) % 2**32 - 2**31
        assert lib.spk_cpu_smlad(x, y, acc) == want


@pytest.mark.slow
def test_dev_recordings_bit_exact(hb, dev_files):
    for path in dev_files[:5]:
        codes = to_codes(read_wav(path).samples)
        payload = hb.encode_codes(codes)
        assert payload == baseline.encode_codes(codes), path.name
        assert np.array_equal(hb.decode_codes(payload, len(codes)), codes), path.name
