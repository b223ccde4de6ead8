"""The native codec program of a host build (spikey-codec, codegen/host/program.py): the
bytes of `spikey encode`, every WAV edge case restored exactly, bad input refused as the
Python CLI refuses it (one line, exit 1, no output), and the eval.sh loop on real files."""
import re
import struct
import subprocess
import zlib

import numpy as np
import pytest
from test_wav import BAD, EDGE_CASES
from wavs import chunk, riff

from codegen.build import build
from spikey import baseline
from spikey.codec import decode_stream, encode_recording
from spikey.container import unpack
from spikey.errors import CodecError
from spikey.learned import LearnedCodec
from spikey.recordings import RecordingError, from_codes, from_samples, parse_wav
from spikey.recordings.synth import generate


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    out = tmp_path_factory.mktemp("host-build")
    build("host", out_dir=out, loss_files=1, log=lambda *a: None)
    return out / "spikey-codec"


def run(program, *args):
    return subprocess.run([str(program), *map(str, args)], check=False, capture_output=True, text=True)


def python_stream(data: bytes) -> bytes:
    return encode_recording(parse_wav(data), LearnedCodec())


def _walk(n=4000, seed=0):
    codes = np.clip(512 + np.cumsum(np.random.default_rng(seed).integers(-4, 5, n)), 0, 1023)
    return from_samples(from_codes(codes), 19531).to_bytes()


def _off_grid():
    x = generate(1, 0.2, seed=3)[0].astype(np.int64)
    x[[5, 6, 700, 3000]] += [1, -3, 7, 20]            # off the 10-bit grid: escapes
    return from_samples(np.clip(x, -32768, 32767).astype(np.int16), 19531).to_bytes()


CASES = {**EDGE_CASES, "random walk": _walk(), "off-grid samples": _off_grid(),
         # 5 s of one code: the most compressible recording
         "constant 5 s": from_samples(from_codes(np.full(99_000, 700)), 19531).to_bytes(),
         # a rate whose canonical header would overflow 32 bits: kept verbatim
         "sample rate 2^32 - 1": riff(chunk(b"fmt ", struct.pack("<HHIIHH", 1, 1, 0xFFFFFFFF, 0, 2, 16)),
                                      chunk(b"data", np.arange(5, dtype="<i2").tobytes()))}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_bytes_as_spikey_encode_and_back(program, tmp_path, name):
    data = CASES[name]
    (tmp_path / "in.wav").write_bytes(data)
    assert run(program, "encode", tmp_path / "in.wav", tmp_path / "c.spk").returncode == 0
    stream = (tmp_path / "c.spk").read_bytes()
    assert stream == python_stream(data)
    r = run(program, "decode", tmp_path / "c.spk", tmp_path / "out.wav")
    assert (r.returncode, r.stderr) == (0, "")
    assert (tmp_path / "out.wav").read_bytes() == data == decode_stream(stream)


def assert_refused(r, message, folder, files):
    assert r.returncode == 1, r.stderr
    assert r.stderr == f"spikey-codec: error: {message}\n"
    assert sorted(p.name for p in folder.iterdir()) == sorted(files)


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_wavs_are_refused_as_python_refuses_them(program, tmp_path, name):
    data, _ = BAD[name]
    with pytest.raises(RecordingError) as e:
        parse_wav(data)
    (tmp_path / "in.wav").write_bytes(data)
    assert_refused(run(program, "encode", tmp_path / "in.wav", tmp_path / "out.spk"), str(e.value), tmp_path,
                   ["in.wav"])


def _recrc(b: bytes) -> bytes:
    return b[:-4] + struct.pack("<I", zlib.crc32(b[:-4]))


DAMAGE = {
    "truncated": lambda b: b[: len(b) // 2],
    "a flipped bit": lambda b: b[:30] + bytes([b[30] ^ 1]) + b[31:],
    "version 7": lambda b: b[:4] + b"\x07" + b[5:],
    "a WAV file": lambda b: EDGE_CASES["canonical"],
    "empty": lambda b: b"",
    "mode 1": lambda b: _recrc(b[:14] + b"\x01" + b[15:]),
    "mode 9": lambda b: _recrc(b[:14] + b"\x09" + b[15:]),
    "trailing bytes": lambda b: _recrc(b[:-4] + b"\x00\x00\x00\x00\x00"),
    "payload cut, CRC fixed": lambda b: _recrc(b[:-40] + b[-4:]),
    "an unknown codec": lambda b: _recrc(b[:5] + b"\x09" + b[6:]),
}


@pytest.mark.parametrize("name", sorted(DAMAGE))
def test_bad_streams_are_refused_as_python_refuses_them(program, tmp_path, name):
    data = _walk()
    stream = DAMAGE[name](python_stream(data))
    with pytest.raises(CodecError) as e:
        decode_stream(stream)
    (tmp_path / "c.spk").write_bytes(stream)
    message = str(e.value)
    if name == "an unknown codec":
        message = ("bitstream uses codec id 9, which spikey-codec does not decode (it reads the learned model "
                   "with the range coder): use spikey decode")
    if name == "mode 1":                      # spikey decode reads near-lossless streams; spikey-codec does not
        message = "bitstream is near-lossless; spikey-codec decodes lossless streams: use spikey decode"
    assert_refused(run(program, "decode", tmp_path / "c.spk", tmp_path / "out.wav"), message, tmp_path, ["c.spk"])


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n >> 7 else 0))
        n >>= 7
        if not n:
            return bytes(out)


@pytest.mark.parametrize("samples", [2**40, 2**30])
def test_a_sample_count_the_payload_cannot_hold_is_refused_before_allocating(program, tmp_path, samples):
    """The channel's sample count (offset 19: after magic, version, codec, model id, mode, the
    empty mode parameters, channel count, frame and the empty name) set past what a WAV holds
    (2^40), or past what the payload holds (2^30: 1419 range codes a byte), CRC fixed."""
    stream = python_stream(_walk())
    n_payload = len(unpack(stream).payload)
    old_len = 1
    while stream[19 + old_len - 1] & 0x80:
        old_len += 1
    (tmp_path / "c.spk").write_bytes(_recrc(stream[:19] + _varint(samples) + stream[19 + old_len:]))
    message = {2**40: "corrupt bitstream: a channel of 1099511627776 samples (a PCM16 WAV holds at most 2147483629)",
               2**30: f"corrupt bitstream: 1073741824 samples declared, but a {n_payload}-byte payload holds at "
                      f"most {1419 * n_payload}"}[samples]
    with pytest.raises(CodecError, match=re.escape(message)):
        decode_stream((tmp_path / "c.spk").read_bytes())
    assert_refused(run(program, "decode", tmp_path / "c.spk", tmp_path / "out.wav"), message, tmp_path, ["c.spk"])


def test_another_model_and_other_codecs_are_refused(program, tmp_path):
    data = _walk()
    stream = python_stream(data)
    other = _recrc(stream[:6] + bytes(8) + stream[14:])
    (tmp_path / "a.spk").write_bytes(other)
    r = run(program, "decode", tmp_path / "a.spk", tmp_path / "out.wav")
    assert r.returncode == 1 and r.stderr.startswith("spikey-codec: error: bitstream was made by model 0000000000000000;")
    (tmp_path / "b.spk").write_bytes(encode_recording(parse_wav(data), baseline))
    r = run(program, "decode", tmp_path / "b.spk", tmp_path / "out.wav")
    assert r.returncode == 1 and "codec id 1, which spikey-codec does not decode" in r.stderr
    assert r.stderr.count("\n") == 1 and not (tmp_path / "out.wav").exists()


def test_corrupt_payloads_never_crash_or_leave_output(program, tmp_path):
    """Random damage with the CRC fixed up: every run ends in a restored file (the original's
    CRC held) or one line and exit 1 with nothing written."""
    data = _walk(2000, seed=5)
    stream = python_stream(data)
    rng = np.random.default_rng(11)
    outcomes = set()
    for i in range(40):
        b = bytearray(stream)
        for _ in range(int(rng.integers(1, 4))):
            b[int(rng.integers(5, len(b) - 4))] ^= int(rng.integers(1, 256))
        (tmp_path / "c.spk").write_bytes(_recrc(bytes(b)))
        r = run(program, "decode", tmp_path / "c.spk", tmp_path / "out.wav")
        assert r.returncode in (0, 1) and r.stderr.count("\n") == r.returncode, r.stderr
        if r.returncode == 0:
            assert (tmp_path / "out.wav").read_bytes() == data
            (tmp_path / "out.wav").unlink()
        assert not (tmp_path / "out.wav").exists()
        outcomes.add(r.returncode)
    assert 1 in outcomes


def test_files_and_usage(program, tmp_path):
    assert_refused(run(program, "encode", tmp_path / "nope.wav", tmp_path / "o"), f"no such file: {tmp_path}/nope.wav",
                   tmp_path, [])
    (tmp_path / "in.wav").write_bytes(_walk())
    r = run(program, "encode", tmp_path / "in.wav", tmp_path / "no" / "dir" / "c.spk")
    assert r.returncode == 1 and r.stderr.startswith(f"spikey-codec: error: cannot write {tmp_path}/no/dir/c.spk: ")
    (tmp_path / "out.wav").write_bytes(b"keep me")
    (tmp_path / "bad.spk").write_bytes(b"SPKY\x03garbage-garbage-garbage")
    assert_refused(run(program, "decode", tmp_path / "bad.spk", tmp_path / "out.wav"),
                   "corrupt or truncated bitstream (CRC mismatch)", tmp_path, ["bad.spk", "in.wav", "out.wav"])
    assert (tmp_path / "out.wav").read_bytes() == b"keep me"
    assert run(program, "encode", tmp_path / "in.wav").returncode == 2
    assert run(program, "squash", tmp_path / "in.wav", tmp_path / "x").returncode == 2


@pytest.mark.slow
def test_eval_sh_loop_on_real_recordings(program, tmp_path, dev_files):
    """The challenge's harness: encode and decode each file in its own process, byte-exact,
    and the streams are those of `spikey encode`."""
    for f in dev_files[:4]:
        assert run(program, "encode", f, tmp_path / "c").returncode == 0
        assert run(program, "decode", tmp_path / "c", tmp_path / "d.wav").returncode == 0
        assert (tmp_path / "d.wav").read_bytes() == f.read_bytes()
        assert (tmp_path / "c").read_bytes() == python_stream(f.read_bytes())


def test_a_joint_stream_is_sent_to_spikey_decode(program, tmp_path):
    from spikey.codec import encode_joint
    recs = {f"ch{i}.wav": parse_wav(_walk(500, seed=i)) for i in range(2)}
    (tmp_path / "j.spk").write_bytes(encode_joint(recs, LearnedCodec(), 64))
    assert_refused(run(program, "decode", tmp_path / "j.spk", tmp_path / "out.wav"),
                   "bitstream holds 2 channels (joint frames): decode it with spikey decode --joint", tmp_path,
                   ["j.spk"])


def test_damaged_wav_headers_give_the_bytes_or_the_refusal_of_spikey_encode(program, tmp_path):
    """Random bytes in a WAV's header: spikey-codec writes the stream spikey encode writes, or
    refuses with the line the Python CLI prints (str.splitlines' first line)."""
    data = _walk(300, seed=2)
    rng = np.random.default_rng(5)
    outcomes = {"ok": 0, "refused": 0}
    for _ in range(150):
        b = bytearray(data)
        for _ in range(int(rng.integers(1, 4))):
            b[int(rng.integers(0, 44))] = int(rng.integers(0, 256))
        (tmp_path / "in.wav").write_bytes(bytes(b))
        (tmp_path / "o.spk").unlink(missing_ok=True)
        r = subprocess.run([str(program), "encode", str(tmp_path / "in.wav"), str(tmp_path / "o.spk")],
                           capture_output=True, check=False)
        try:
            want = python_stream(bytes(b))
        except RecordingError as e:
            assert (r.returncode, r.stderr) == (1, f"spikey-codec: error: {str(e).splitlines()[0]}\n".encode())
            assert not (tmp_path / "o.spk").exists()
            outcomes["refused"] += 1
            continue
        assert r.returncode == 0 and (tmp_path / "o.spk").read_bytes() == want
        outcomes["ok"] += 1
    assert outcomes["ok"] > 0 and outcomes["refused"] > 0


def test_damaged_streams_give_the_bytes_or_the_refusal_of_spikey_decode(program, tmp_path):
    """Random bytes after the model id of a stream (CRC fixed up, so every field check is
    reached): spikey-codec restores what spikey decode restores, or refuses with its reason."""
    stream = python_stream(_walk(2000, seed=9))
    rng = np.random.default_rng(9)
    for _ in range(200):
        b = bytearray(stream)
        for _ in range(int(rng.integers(1, 4))):
            hi = 40 if rng.random() < 0.7 else len(b) - 4
            b[int(rng.integers(14, hi))] = int(rng.integers(0, 256))
        damaged = _recrc(bytes(b))
        (tmp_path / "c.spk").write_bytes(damaged)
        r = run(program, "decode", tmp_path / "c.spk", tmp_path / "o.wav")
        try:
            want = decode_stream(damaged)
        except CodecError as e:
            assert (r.returncode, r.stderr) == (1, f"spikey-codec: error: {e}\n")
            assert not (tmp_path / "o.wav").exists()
            continue
        assert r.returncode == 0 and (tmp_path / "o.wav").read_bytes() == want
        (tmp_path / "o.wav").unlink()


@pytest.mark.slow
def test_the_program_is_clean_under_asan_and_ubsan(program, tmp_path):
    """The program's own C (WAV parsing, the container) and the library under AddressSanitizer
    and UBSan, on damaged streams and damaged WAV headers: no report, exit 0 or 1."""
    from codegen.compile import compiled_model
    from codegen.host.program import build_program
    from codegen.reference.compile import compile_model
    from spikey.model.files import resolve
    (tmp_path / "work").mkdir()
    san = build_program(program.parent, compiled_model(compile_model(resolve(None))).sources, tmp_path / "work",
                        log=lambda *a: None, sanitize=True, name="spikey-codec-asan")
    try:
        stream, data = python_stream(_walk(1500, seed=4)), _walk(200, seed=6)
        rng = np.random.default_rng(4)
        for i in range(60):
            b = bytearray(stream)
            for _ in range(int(rng.integers(1, 4))):
                b[int(rng.integers(14, len(b) - 4))] = int(rng.integers(0, 256))
            (tmp_path / "c.spk").write_bytes(_recrc(bytes(b)[: len(b) - int(rng.integers(0, 3)) * 4 or None]))
            w = bytearray(data)
            w[int(rng.integers(0, 44))] = int(rng.integers(0, 256))
            (tmp_path / "i.wav").write_bytes(bytes(w))
            for args in (("decode", tmp_path / "c.spk", tmp_path / "o.wav"), ("encode", tmp_path / "i.wav", tmp_path / "o")):
                r = run(san, *args)
                assert r.returncode in (0, 1) and "Sanitizer" not in r.stderr and "runtime error" not in r.stderr, \
                    r.stderr[-2000:]
    finally:
        san.unlink()


def test_a_packetised_stream_is_sent_to_spikey_decode(program, tmp_path):
    (tmp_path / "p.spk").write_bytes(encode_recording(parse_wav(_walk()), LearnedCodec(), resync=500))
    assert_refused(run(program, "decode", tmp_path / "p.spk", tmp_path / "out.wav"),
                   "bitstream is packetised (--resync 500); spikey-codec decodes unpacketised streams: use spikey "
                   "decode", tmp_path, ["p.spk"])


def _stored_stream() -> bytes:
    stream = python_stream(EDGE_CASES["canonical"])
    assert stream[5] == 7                   # a tiny recording: storing it is shorter than coding it
    return stream


STORED_DAMAGE = {
    "a sample short": lambda s: _recrc(s[:-6] + s[-4:]),
    "an escape": lambda s: unpack_and_repack(s, escapes=True),
    "a flipped sample": lambda s: _recrc(s[:-5] + bytes([s[-5] ^ 4]) + s[-4:]),
    "bad lossless mode parameters": lambda s: unpack_and_repack(s, mode_params=b"\x80"),
}


def unpack_and_repack(stream: bytes, escapes=False, mode_params=None) -> bytes:
    from spikey.container import pack
    s = unpack(stream)
    if escapes:
        s.channels[0].escape_positions, s.channels[0].escape_values = np.array([1]), np.array([5], np.int16)
    if mode_params is not None:
        s.mode_params = mode_params
    return pack(s)


@pytest.mark.parametrize("name", sorted(STORED_DAMAGE))
def test_stored_streams_are_checked_as_spikey_decode_checks_them(program, tmp_path, name):
    stream = STORED_DAMAGE[name](_stored_stream())
    (tmp_path / "s.spk").write_bytes(stream)
    r = run(program, "decode", tmp_path / "s.spk", tmp_path / "out.wav")
    try:
        want = decode_stream(stream)
    except CodecError as e:
        assert_refused(r, str(e), tmp_path, ["s.spk"])
        return
    assert (r.returncode, (tmp_path / "out.wav").read_bytes()) == (0, want)


@pytest.mark.parametrize("names", [["a.wav", "a.wav"], ["a.wav", ""], ["..", "b"], ["it's\n.wav", "b"],
                                   ['say "hi"', "x/y"]])
def test_joint_channel_names_are_refused_as_spikey_decode_refuses_them(program, tmp_path, names):
    from spikey.codec import encode_joint
    from spikey.container import pack
    recs = {f"ch{i}.wav": parse_wav(_walk(300, seed=i)) for i in range(2)}
    s = unpack(encode_joint(recs, LearnedCodec(), 64))
    for c, name in zip(s.channels, names):
        c.name = name
    stream = pack(s)
    with pytest.raises(CodecError) as e:
        decode_stream(stream)
    (tmp_path / "j.spk").write_bytes(stream)
    assert_refused(run(program, "decode", tmp_path / "j.spk", tmp_path / "out.wav"), str(e.value), tmp_path,
                   ["j.spk"])
