"""Issue 13: spikey encode in bounded memory (spikey.streaming) writes exactly the bytes of
the in-memory encoder, refuses exactly what it refuses, and falls back to stored alike."""
import numpy as np
import pytest

from spikey import codec as spikey_codec
from spikey import container, stored, streaming
from spikey.codec import encode_recording, write_atomic
from spikey.errors import CodecError
from spikey.learned import LearnedCodec
from spikey.recordings import RecordingError, from_codes, from_samples, parse_wav, read_wav

from test_wav import BAD, EDGE_CASES


def walk(n, seed=0):
    codes = np.clip(512 + np.cumsum(np.random.default_rng(seed).integers(-4, 5, n)), 0, 1023)
    return from_samples(from_codes(codes), 19531).to_bytes()


CASES = {**EDGE_CASES, "walk": walk(5000), "noise": from_samples(
    np.random.default_rng(1).integers(-32768, 32768, 3001).astype(np.int16), 44100).to_bytes()}


@pytest.fixture(params=streaming.STREAMING_CODERS)
def codec(request):
    return LearnedCodec(None, request.param)


@pytest.mark.parametrize("name", sorted(CASES))
def test_streaming_encode_is_the_in_memory_encode(tmp_path, codec, monkeypatch, name):
    monkeypatch.setattr(streaming, "CHUNK", 1000)          # several chunks, a short last one
    (tmp_path / "in.wav").write_bytes(CASES[name])
    streaming.encode_file(tmp_path / "in.wav", tmp_path / "s.spk", codec, write_atomic)
    want = encode_recording(parse_wav(CASES[name]), codec)
    assert (tmp_path / "s.spk").read_bytes() == want
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.wav", "s.spk"]


def test_the_cli_path_streams_and_others_do_not(tmp_path, monkeypatch):
    calls = []
    real = streaming.encode_file
    monkeypatch.setattr(streaming, "encode_file", lambda *a: calls.append(a) or real(*a))
    (tmp_path / "in.wav").write_bytes(CASES["walk"])
    spikey_codec.encode_file(tmp_path / "in.wav", tmp_path / "a.spk", LearnedCodec(None, "range"))
    spikey_codec.encode_file(tmp_path / "in.wav", tmp_path / "b.spk", LearnedCodec(None, "rice_fixed"))
    spikey_codec.encode_file(tmp_path / "in.wav", tmp_path / "c.spk", LearnedCodec(None, "range"), resync=900)
    assert len(calls) == 1
    assert container.unpack((tmp_path / "c.spk").read_bytes()).mode_params


@pytest.mark.parametrize("name", sorted(BAD))
def test_streaming_refuses_what_read_wav_refuses(tmp_path, name):
    data, message = BAD[name]
    (tmp_path / "in.wav").write_bytes(data)
    with pytest.raises(RecordingError, match=message):
        read_wav(tmp_path / "in.wav")
    with pytest.raises(RecordingError, match=message):
        streaming.encode_file(tmp_path / "in.wav", tmp_path / "s.spk", LearnedCodec(), write_atomic)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.wav"]


def test_streaming_missing_file_and_payload_overflow(tmp_path, monkeypatch):
    with pytest.raises(RecordingError, match="no such file"):
        streaming.encode_file(tmp_path / "nope.wav", tmp_path / "s.spk", LearnedCodec(), write_atomic)
    (tmp_path / "in.wav").write_bytes(CASES["walk"])
    monkeypatch.setattr(streaming, "encode_capacity", lambda coder, n, c: 100)     # the coder overflows
    streaming.encode_file(tmp_path / "in.wav", tmp_path / "s.spk", LearnedCodec(), write_atomic)
    data = (tmp_path / "s.spk").read_bytes()
    assert container.unpack(data).codec == stored.CODEC_ID and spikey_codec.decode_stream(data) == CASES["walk"]
    with pytest.raises(CodecError):
        spikey_codec.decode_stream(data[:-1])


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("coder", ["range", "rice_fixed", "huffman_prior"])
def test_streaming_decode_is_the_in_memory_decode(tmp_path, monkeypatch, name, coder):
    from spikey.model import host
    monkeypatch.setattr(host, "CHUNK_CODES", 1000)
    data = encode_recording(parse_wav(CASES[name]), LearnedCodec(None, coder))
    (tmp_path / "in.spk").write_bytes(data)
    spikey_codec.decode_file(tmp_path / "in.spk", tmp_path / "out.wav")
    assert (tmp_path / "out.wav").read_bytes() == CASES[name] == spikey_codec.decode_stream(data)


def test_streaming_decode_leaves_nothing_on_a_bad_stream(tmp_path, monkeypatch):
    from spikey.model import host
    monkeypatch.setattr(host, "CHUNK_CODES", 1000)
    good = encode_recording(parse_wav(CASES["walk"]), LearnedCodec())
    s = container.unpack(good)
    s.channels[0].wav_crc ^= 1                                # decodes, but not to the original
    cut = container.unpack(good)
    cut.payload = cut.payload[: len(cut.payload) // 2]        # runs out mid-way
    for bad, message in ((container.pack(s), "does not match the original's CRC"),
                         (container.pack(cut), "does not decode")):
        (tmp_path / "in.spk").write_bytes(bad)
        with pytest.raises(CodecError, match=message):
            spikey_codec.decode_file(tmp_path / "in.spk", tmp_path / "out.wav")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["in.spk"]
