import struct
import zlib

import numpy as np
import pytest

from spikey import baseline, container
from spikey.codec import decode_stream, encode_recording
from spikey.coders import adaptive_rice
from spikey.errors import CodecError
from spikey.recordings import from_codes, from_samples, parse_wav

from test_wav import EDGE_CASES


def random_walk(n, seed=0, step=3):
    rng = np.random.default_rng(seed)
    return from_codes(np.clip(512 + np.cumsum(rng.integers(-step, step + 1, n)), 0, 1023))


def roundtrip(wav: bytes) -> bytes:
    return decode_stream(encode_recording(parse_wav(wav)))


@pytest.mark.parametrize("name", EDGE_CASES)
def test_edge_cases_roundtrip_byte_for_byte(name):
    assert roundtrip(EDGE_CASES[name]) == EDGE_CASES[name]


def test_rice_codewords_by_hand():
    # m starts at 4 << 7, so k = 2: 5 -> q = 1 -> "0" "1" "01"; then m = 512 + 5 - 4 = 513
    assert adaptive_rice.encode(np.array([5])) == bytes([0b01010000])
    # q = 1000 >> 2 = 250 >= 16: sixteen zeros, then 1000 in ten bits
    assert adaptive_rice.encode(np.array([1000])) == bytes([0, 0, 0b11111010, 0])
    # zeros: m = 512 - 4 = 508 after one sample, mean 3, k = 1 ... then k = 0
    assert adaptive_rice.parameters(np.array([0] * 200)).tolist()[:3] == [2, 1, 1]
    assert adaptive_rice.parameters(np.array([0] * 200))[-1] == 0


def test_rice_adapts_k_to_the_mean():
    u = np.full(2000, 40)
    k = adaptive_rice.parameters(u)
    assert k[-1] == 5  # log2(40) = 5.3
    assert adaptive_rice.decode(adaptive_rice.encode(u), len(u)).tolist() == u.tolist()


def test_rice_roundtrips_every_value_and_escape():
    rng = np.random.default_rng(1)
    u = np.concatenate([np.arange(1024), rng.integers(0, 4, 3000), [1023, 0, 1023]])
    assert np.array_equal(adaptive_rice.decode(adaptive_rice.encode(u), len(u)), u)


def test_container_overhead_is_small_for_a_canonical_recording():
    rec = from_samples(random_walk(1000), 19531)
    stream = encode_recording(rec)
    payload = baseline.encode_codes(np.asarray((rec.samples.astype(int) + 32768) >> 6))
    # magic 4, version 1, codec 1, model id 8, mode 1, mode params 1, channels 1, frame 1, name 1, samples 2,
    # rate 3, header kind 1, escapes 1, wav crc 4, payload length 2, crc 4
    assert len(stream) - len(payload) == 36
    s = container.unpack(stream)
    c = s.channels[0]
    assert (len(s.channels), s.frame, c.name, c.samples, c.sample_rate, c.prefix) == (1, 0, "", 1000, 19531, None)
    assert (s.mode, s.mode_params) == (container.LOSSLESS, b"")


def test_off_grid_samples_escape_cheaply():
    samples = random_walk(5000, seed=2)
    clean = len(encode_recording(from_samples(samples, 19531)))
    nudged = samples.copy()
    positions = [10, 11, 2000, 4999]
    nudged[positions] += np.array([1, -5, 17, 3], dtype=np.int16)
    wav = from_samples(nudged, 19531).to_bytes()
    stream = encode_recording(parse_wav(wav))
    assert decode_stream(stream) == wav
    assert container.unpack(stream).channels[0].escape_positions.tolist() == positions
    assert len(stream) - clean <= 4 * 4 + 2


def corrupt(stream: bytes, at: int) -> bytes:
    b = bytearray(stream)
    b[at] ^= 0x10
    return bytes(b)


def recrc(body: bytes) -> bytes:
    return body + struct.pack("<I", zlib.crc32(body))


@pytest.fixture
def stream():
    return encode_recording(from_samples(random_walk(3000, seed=3), 19531))


def test_corrupt_payload_is_refused(stream):
    with pytest.raises(CodecError, match="CRC mismatch"):
        decode_stream(corrupt(stream, len(stream) // 2))


def test_truncated_stream_is_refused(stream):
    for cut in (5, 17, len(stream) - 1):
        with pytest.raises(CodecError, match="truncated"):
            decode_stream(stream[:cut])


def test_other_version_is_refused(stream):
    other = recrc(stream[:4] + bytes([1]) + stream[5:-4])
    with pytest.raises(CodecError, match="container version 1; this spikey reads version 3"):
        decode_stream(other)


def test_integrity_is_checked_before_the_version(stream):
    """Issue 13 #11: a flipped version bit is damage, not another version."""
    with pytest.raises(CodecError, match="CRC mismatch"):
        decode_stream(stream[:4] + bytes([stream[4] ^ 1]) + stream[5:])


def test_other_model_is_refused(stream):
    other = recrc(stream[:6] + bytes(8) + stream[14:-4])
    with pytest.raises(CodecError, match="made by model 0000000000000000"):
        decode_stream(other)


def test_unknown_codec_is_refused(stream):
    with pytest.raises(CodecError, match="codec id 99"):
        decode_stream(recrc(stream[:5] + bytes([99]) + stream[6:-4]))


def test_not_a_bitstream(stream):
    with pytest.raises(CodecError, match="not a Spikey bitstream"):
        decode_stream(EDGE_CASES["canonical"])


def test_payload_ending_early_is_refused_even_with_a_valid_crc(stream):
    s = container.unpack(stream)
    s.payload = s.payload[: len(s.payload) // 2]
    with pytest.raises(CodecError, match="ends early"):
        decode_stream(container.pack(s))


def test_baseline_cost_on_a_uniform_random_walk():
    # steps uniform in -3..3: zig-zag values 0..6 with mean 3, so k settles at 1 and the
    # Rice code costs (2+2+3+3+4+4+5)/7 = 3.29 bits per sample (entropy: log2 7 = 2.81)
    # The walk wraps modulo 1024, which the residual (taken modulo 1024) does not see.
    steps = np.random.default_rng(4).integers(-3, 4, 50000)
    samples = from_codes((512 + np.cumsum(steps)) % 1024)
    payload = len(container.unpack(encode_recording(from_samples(samples, 19531))).payload)
    assert 3.25 < payload * 8 / 50000 < 3.33


def test_unknown_mode_is_refused(stream):
    with pytest.raises(CodecError, match="unknown mode 9"):
        decode_stream(recrc(stream[:14] + bytes([9]) + stream[15:-4]))


def test_mode_params_are_bounded(stream):
    with pytest.raises(CodecError, match="bytes of mode parameters"):
        decode_stream(recrc(stream[:15] + bytes([0x81, 0x02]) + stream[16:-4]))


def test_the_decoder_refuses_a_mode_it_does_not_read(stream):
    s = container.unpack(stream)
    s.mode = container.EVENTS
    with pytest.raises(CodecError, match="bitstream is events"):
        decode_stream(container.pack(s))


def test_a_baseline_stream_cannot_claim_near_lossless(stream):
    s = container.unpack(stream)
    s.mode, s.mode_params = container.NEAR_LOSSLESS, bytes([2])
    with pytest.raises(CodecError, match="near-lossless stream needs a learned codec"):
        decode_stream(container.pack(s))
