"""Issue 13: forged headers, signals, unsafe names, partial output, same-file writes and
expansion. Each test is a defect the issue found; each failed on the code before the fix."""
import os
import signal
import struct
import time
import tracemalloc
import zlib

import numpy as np
import pytest

from spikey import baseline, container, limits, stored
from spikey.cli import main
from spikey.codec import decode_channels, decode_stream, encode_joint, encode_recording, write_atomic
from spikey.errors import CodecError
from spikey.learned import LearnedCodec
from spikey.model import host
from spikey.outputs import exit_cleanly_on_signals
from spikey.recordings import from_codes, from_samples, parse_wav

CODERS = ("range", "rice_fixed", "rice_scaled", "huffman_prior")


def walk(n, seed=0):
    codes = np.clip(512 + np.cumsum(np.random.default_rng(seed).integers(-4, 5, n)), 0, 1023)
    return from_samples(from_codes(codes), 19531)


@pytest.fixture(scope="module")
def rng_codec():
    return LearnedCodec(None, "range")


@pytest.fixture(scope="module")
def joint_stream(rng_codec):
    recs = {f"ch{i}.wav": walk(3000 + 100 * i, i) for i in range(3)}
    return encode_joint(recs, rng_codec, 64), recs


def forged(data: bytes, **fields) -> bytes:
    """The stream with some of its fields replaced, repacked (so its CRC is right)."""
    s = container.unpack(data)
    for key, value in fields.items():
        if key in ("samples", "sample_rate", "name"):
            setattr(s.channels[0], key, value)
        else:
            setattr(s, key, value)
    return container.pack(s)


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().err


def refused(capsys, message, *argv):
    code, err = run(capsys, *argv)
    assert code == 1, err
    assert err.startswith("spikey: error: ") and message in err, err
    assert err.count("\n") == 1


# --- 1. decompression bombs ---------------------------------------------------------------

@pytest.mark.parametrize("codec_name", ["baseline", "range"])
def test_declared_samples_are_bounded_by_the_payload(codec_name, rng_codec):
    codec = baseline if codec_name == "baseline" else rng_codec
    data = encode_recording(walk(200), codec)
    for samples in (2**28, 2**31 - 1):
        bomb = forged(data, samples=samples)
        tracemalloc.start()
        start = time.process_time()
        with pytest.raises(CodecError, match="holds at most"):
            decode_stream(bomb)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < 1 << 20, peak                     # was 2.1 GB (baseline) / 4.3 GB (range)
        assert time.process_time() - start < 5


def test_decode_memory_follows_the_payload_not_the_declared_size(rng_codec, monkeypatch):
    """A count within the payload's bound but far past what it holds: the chunked decoder
    stops at the payload's end instead of allocating the declared samples."""
    monkeypatch.setattr(host, "CHUNK_CODES", 1 << 14)
    data = encode_recording(walk(2000), rng_codec)
    s = container.unpack(data)
    most = limits.max_codes(s.codec, len(s.payload))
    assert most > 1_000_000                             # the bound alone would allow 2 MB of codes
    tracemalloc.start()
    with pytest.raises(CodecError, match="does not decode"):
        decode_stream(forged(data, samples=most))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 400_000, peak                         # a few chunks, not 2 bytes x `most`


def test_range_coder_bound_is_the_cdf_floor(rng_codec):
    # no code has more than (2**18 - 1023) / 2**18 of the range: at least 0.005641 bits
    assert limits.RANGE_MIN_BITS == pytest.approx(0.005641, abs=1e-6)
    assert limits.CODES_PER_BYTE[4] == 1419 and 8 / limits.RANGE_MIN_BITS < 1419
    # the most predictable recording there is (constant) stays inside the bound
    flat = np.full(200_000, 512)
    payload = rng_codec.encode_codes(flat)
    assert len(flat) < limits.max_codes(4, len(payload))
    assert np.array_equal(rng_codec.decode_codes(payload, len(flat)), flat)


def test_peer_slots_are_bounded_by_the_bytes(joint_stream):
    data, _ = joint_stream
    s = container.unpack(data)
    s.peers = np.zeros((3, 0), np.int64)
    body = container.pack(s)[:-4]
    # K = 64 peer slots for a million channels: refused before reading (or allocating) them
    head = 4 + 2 + 8 + 1 + 1
    bomb = body[:head] + container._varint(10**6) + container._varint(64) + container._varint(64) + body[head + 3:]
    with pytest.raises(CodecError, match="more channels than bytes|more peer slots than bytes"):
        container.unpack(bomb + struct.pack("<I", zlib.crc32(bomb)))


# --- 2. signals: the C code runs in bounded chunks -----------------------------------------

class _CountingLib:
    def __init__(self, lib):
        self.lib, self.units = lib, []

    def spk_hx_run(self, s, x, units):
        self.units.append(units)
        return self.lib.spk_hx_run(s, x, units)

    def __getattr__(self, name):
        return getattr(self.lib, name)


@pytest.mark.parametrize("frame", [0, 64])
def test_host_codec_runs_in_bounded_chunks(rng_codec, monkeypatch, frame):
    hc = host.HostCodec(rng_codec.model)
    chans = [np.asarray(walk(5000, i).samples.astype(int) + 32768 >> 6) for i in range(2 if frame else 1)]
    st, whole = hc.encode(4, chans, frame, [0] * len(chans))
    assert st == 0
    monkeypatch.setattr(host, "CHUNK_CODES", 1000)
    counting = _CountingLib(hc.lib)
    monkeypatch.setattr(hc, "lib", counting)
    st, chunked = hc.encode(4, chans, frame, [0] * len(chans))
    assert st == 0 and chunked == whole
    st, out = hc.decode(4, whole, [len(c) for c in chans], frame)
    assert st == 0 and all(np.array_equal(a, b) for a, b in zip(out, chans))
    assert len(counting.units) >= 10 and max(counting.units) * max(frame and len(chans), 1) <= 1000


# --- 3. exit 3 "internal error" -> one-line refusals ----------------------------------------

@pytest.mark.parametrize("fields, message", [
    ({"sample_rate": 2**31}, "sample rate 2147483648 Hz"),
    ({"samples": 2**64}, "over 64 bits"),
    ({"samples": 2**40}, "a PCM16 WAV holds at most"),
    ({"samples": 2**31}, "a PCM16 WAV holds at most"),
])
def test_bad_header_fields_are_refused_with_exit_1(tmp_path, capsys, rng_codec, fields, message):
    (tmp_path / "bad.spk").write_bytes(forged(encode_recording(walk(500), rng_codec), **fields))
    refused(capsys, message, "decode", tmp_path / "bad.spk", tmp_path / "out.wav")
    assert not (tmp_path / "out.wav").exists()


def test_a_rate_no_canonical_header_holds_is_kept_verbatim(tmp_path, capsys, rng_codec):
    """A WAV whose rate field is over 2**31 (its byte rate would overflow a canonical
    header) round-trips with its header verbatim; a canonical stream declaring it is refused."""
    wav = bytearray(walk(300).to_bytes())
    wav[24:28] = (2**31 + 5).to_bytes(4, "little")
    (tmp_path / "r.wav").write_bytes(bytes(wav))
    for coder in ("baseline", "range"):
        args = ["--baseline"] if coder == "baseline" else []
        assert run(capsys, "encode", *args, tmp_path / "r.wav", tmp_path / "r.spk") == (0, "")
        assert container.unpack((tmp_path / "r.spk").read_bytes()).channels[0].prefix is not None
        assert run(capsys, "decode", tmp_path / "r.spk", tmp_path / "back.wav") == (0, "")
        assert (tmp_path / "back.wav").read_bytes() == bytes(wav)


def test_oversized_frame_and_peer_varints_are_refused(tmp_path, capsys, joint_stream):
    data, _ = joint_stream
    (tmp_path / "frame.spk").write_bytes(forged(data, frame=2**32))
    refused(capsys, "a frame of 4294967296 samples", "decode", "--joint", tmp_path / "frame.spk", tmp_path / "o")
    s = container.unpack(data)
    s.peers = np.zeros((3, 1), np.int64)
    body = container.pack(s)[:-4]
    at = 4 + 2 + 8 + 1 + 1 + 1 + 1 + 1          # magic .. mode params, channels, frame, K
    assert body[at] == 1                         # the first peer slot (peer 0 + 1)
    body = body[:at] + b"\xff" * 9 + b"\x7f" + body[at + 1:]   # a 70-bit varint
    (tmp_path / "peer.spk").write_bytes(body + struct.pack("<I", zlib.crc32(body)))
    refused(capsys, "over 64 bits", "decode", "--joint", tmp_path / "peer.spk", tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_encode_refuses_a_frame_past_the_limit(tmp_path, capsys):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.wav").write_bytes(walk(100).to_bytes())
    refused(capsys, "--frame must be 1 .. 4294967295", "encode", "--joint", "--frame", 4294967296,
            tmp_path / "in", tmp_path / "o.spk")
    assert not (tmp_path / "o.spk").exists()


# --- 4. duplicate and unsafe channel names ---------------------------------------------------

def _renamed(data: bytes, names: list) -> bytes:
    s = container.unpack(data)
    for c, n in zip(s.channels, names):
        c.name = n
    return container.pack(s)


@pytest.mark.parametrize("names, message", [
    (["a.wav", "a.wav", "c.wav"], "two channels named 'a.wav'"),
    (["a.wav", "..", "c.wav"], "a directory reference"),
    (["a.wav", "b\0.wav", "c.wav"], "control character"),
    (["a.wav", "x/y.wav", "c.wav"], "path separator"),
    (["a.wav", "", "c.wav"], "is empty"),
])
def test_duplicate_and_unsafe_names_are_refused_before_writing(tmp_path, capsys, joint_stream, names, message):
    data, _ = joint_stream
    (tmp_path / "bad.spk").write_bytes(_renamed(data, names))
    refused(capsys, message, "decode", "--joint", tmp_path / "bad.spk", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_per_file_stream_is_not_a_joint_one(tmp_path, capsys):
    (tmp_path / "one.spk").write_bytes(encode_recording(walk(300)))
    refused(capsys, "is a per-file stream, not a joint one", "decode", "--joint", tmp_path / "one.spk",
            tmp_path / "out")


# --- 5. no partial output from a failed joint decode ----------------------------------------

def test_a_failed_joint_decode_leaves_no_files(tmp_path, capsys, joint_stream):
    data, recs = joint_stream
    (tmp_path / "j.spk").write_bytes(data)
    out = tmp_path / "out"
    (out / "ch2.wav").mkdir(parents=True)          # the last file cannot be put in place
    code, err = run(capsys, "decode", "--joint", tmp_path / "j.spk", out)
    assert code == 1 and "cannot write" in err
    assert sorted(p.name for p in out.iterdir()) == ["ch2.wav"]    # nothing else, no temp folder
    (out / "ch2.wav").rmdir()
    assert run(capsys, "decode", "--joint", tmp_path / "j.spk", out) == (0, "")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == {n: r.to_bytes() for n, r in recs.items()}


# --- 6. temporary files go on every exit path -------------------------------------------------

@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_temporary_file_is_removed_on_a_signal(tmp_path, monkeypatch, how):
    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP)}
    exit_cleanly_on_signals()
    real_replace = os.replace

    def interrupted(src, dst):
        if how == "ctrl-c":
            raise KeyboardInterrupt
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(1)                            # the handler runs here
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", interrupted)
    try:
        with pytest.raises(KeyboardInterrupt if how == "ctrl-c" else SystemExit) as e:
            write_atomic(tmp_path / "out.spk", b"data")
        if how == "sigterm":
            assert e.value.code == 128 + signal.SIGTERM
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
    assert list(tmp_path.iterdir()) == []


# --- 7. the output is never the input ----------------------------------------------------------

@pytest.mark.parametrize("link", ["same", "hard", "symbolic"])
def test_encode_refuses_to_overwrite_its_input(tmp_path, capsys, link):
    wav = tmp_path / "x.wav"
    original = walk(400).to_bytes()
    wav.write_bytes(original)
    out = {"same": wav, "hard": tmp_path / "h.spk", "symbolic": tmp_path / "s.spk"}[link]
    if link == "hard":
        os.link(wav, out)
    elif link == "symbolic":
        out.symlink_to(wav)
    refused(capsys, "is the input", "encode", "--baseline", wav, out)
    assert wav.read_bytes() == original


@pytest.mark.parametrize("joint", [False, True], ids=["per file", "joint"])
def test_event_encode_refuses_to_overwrite_its_input(tmp_path, capsys, joint):
    wav = tmp_path / "x.wav"
    original = walk(400).to_bytes()
    wav.write_bytes(original)
    if joint:
        refused(capsys, "is the input", "encode", "--mode", "events", "--joint", tmp_path, wav)
    else:
        refused(capsys, "is the input", "encode", "--mode", "events", wav, wav)
    assert wav.read_bytes() == original


# --- 8. long recordings: the host codec's sizes stay within uint32 -------------------------------

def test_encode_capacity_fits_uint32_to_the_format_limit():
    for coder in (2, 3, 4, 5):
        for n in (2**30 + 1, limits.MAX_SAMPLES):
            cap = host.encode_capacity(coder, n, 1)
            assert 0 < cap <= limits.max_payload(coder) <= 2**32 - 1
    assert limits.MAX_SAMPLES == 2147483629                # 36 + 2 n fits the RIFF size field
    with pytest.raises(CodecError, match="holds at most 2147483629"):
        limits.check_channel_fields(limits.MAX_SAMPLES + 1, 19531, prefix="")


# --- 9. expansion: the stored fallback ------------------------------------------------------------

@pytest.mark.parametrize("coder", ["baseline", *CODERS])
def test_noise_never_grows_past_its_samples(coder):
    samples = np.random.default_rng(7).integers(-32768, 32768, 30001).astype(np.int16)
    wav = from_samples(samples, 44100).to_bytes()
    codec = baseline if coder == "baseline" else LearnedCodec(None, coder)
    data = encode_recording(parse_wav(wav), codec)
    assert (len(wav), len(data)) == (60046, 60040)       # was 127,948 (2.1x): the container replaces the header
    assert container.unpack(data).codec == stored.CODEC_ID
    assert decode_stream(data) == wav


def test_a_compressible_recording_is_still_coded(rng_codec):
    data = encode_recording(walk(5000), rng_codec)
    assert container.unpack(data).codec == 4


def test_joint_noise_is_stored_and_decodes(rng_codec):
    rng = np.random.default_rng(3)
    recs = {f"n{i}.wav": from_samples(rng.integers(-32768, 32768, 2000).astype(np.int16), 44100) for i in range(3)}
    data = encode_joint(recs, rng_codec, 64)
    assert container.unpack(data).codec == stored.CODEC_ID
    assert len(data) < sum(len(r.to_bytes()) for r in recs.values())
    assert dict(decode_channels(data)) == {n: r.to_bytes() for n, r in recs.items()}


def test_a_stored_payload_must_hold_exactly_its_samples():
    data = encode_recording(from_samples(np.arange(-500, 500, dtype=np.int16) * 37, 1000))
    s = container.unpack(data)
    assert s.codec == stored.CODEC_ID
    for payload in (s.payload[:-2], s.payload + b"\0\0"):
        s.payload = payload
        with pytest.raises(CodecError, match="stored payload"):
            decode_stream(container.pack(s))


def test_the_stored_size_is_computed_exactly():
    from spikey.codec import _stored
    recs = [walk(123, 1), walk(77, 2)]
    size, make = _stored(recs, ["a.wav", "b.wav"], 64)
    assert size == len(make())


@pytest.mark.slow
def test_ctrl_c_interrupts_a_long_decode_promptly(rng_codec):
    """Issue 13 #2: SIGINT during a decode of 12 M codes (over 1 s of C) takes effect within
    a chunk (about 0.1 s), not when the whole C call returns."""
    import threading
    codes = np.asarray(walk(12_000_000, 4).samples.astype(np.int32) + 32768 >> 6)
    payload = rng_codec.encode_codes(codes)
    sent = []

    def interrupt():
        sent.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(0.15, interrupt)
    timer.start()
    returned = []
    with pytest.raises(KeyboardInterrupt):
        rng_codec.decode_codes(payload, len(codes))
        returned.append(True)
        time.sleep(5)
    timer.join()
    assert not returned                                 # the interrupt landed inside the decode
    assert time.monotonic() - sent[0] < 0.5
