import struct

import numpy as np
import pytest

from spikey.recordings import RecordingError, canonical_prefix, from_samples, parse_wav

from wavs import chunk, fmt_body, pcm16, riff

EXTENSIBLE_PCM = (struct.pack("<HHIIHH", 0xFFFE, 1, 19531, 39062, 2, 16)
                  + struct.pack("<HHI", 22, 16, 0x4) + struct.pack("<I", 1)
                  + bytes.fromhex("00001000800000aa00389b71"))

EDGE_CASES = {
    "canonical": pcm16([1, -2, 3]),
    "zero samples": pcm16([]),
    "odd sample count": pcm16(np.arange(7) * 64 - 32768),
    "every int16 value": pcm16(np.arange(-32768, 32768)),
    "8 kHz": pcm16([5, 6, 7], rate=8000),
    "LIST chunk before data": pcm16([9, 10], before=[chunk(b"LIST", b"INFOISFT\x05\x00\x00\x00spky\x00")]),
    "odd-sized chunk with pad byte": pcm16([1], before=[chunk(b"junk", b"abc")]),
    "chunk after data": pcm16([1, 2], after=[chunk(b"LIST", b"INFOtext")]),
    "WAVE_FORMAT_EXTENSIBLE PCM": pcm16([4, 5], fmt=EXTENSIBLE_PCM),
    "bytes after the RIFF chunk": pcm16([3]) + b"\x00trailer",
}


@pytest.mark.parametrize("name", EDGE_CASES)
def test_parse_rebuilds_every_byte(name):
    data = EDGE_CASES[name]
    assert parse_wav(data).to_bytes() == data


def test_parse_reads_rate_and_samples():
    rec = parse_wav(EDGE_CASES["8 kHz"])
    assert rec.sample_rate == 8000
    assert rec.samples.tolist() == [5, 6, 7]
    assert rec.is_canonical
    assert not parse_wav(EDGE_CASES["chunk after data"]).is_canonical


def test_canonical_prefix_is_the_standard_44_byte_header():
    header = canonical_prefix(19531, 3)
    assert len(header) == 44
    assert struct.unpack("<4sI4s4sIHHIIHH4sI", header) == (
        b"RIFF", 42, b"WAVE", b"fmt ", 16, 1, 1, 19531, 39062, 2, 16, b"data", 6)
    assert from_samples(np.array([1, 2, 3]), 19531).to_bytes() == header + struct.pack("<3h", 1, 2, 3)


BAD = {
    "empty": (b"", "empty file"),
    "text": (b"hello, this is not audio at all", "not a WAV file"),
    "big-endian RIFX": (b"RIFX" + pcm16([1])[4:], "not a WAV file"),
    "stereo": (pcm16([1, 2], fmt=fmt_body(channels=2)), "not mono: 2 channels"),
    "8-bit": (pcm16([1, 2], fmt=fmt_body(bits=8)), "not PCM16: 8-bit samples"),
    "24-bit": (pcm16([1, 2, 3], fmt=fmt_body(bits=24)), "not PCM16: 24-bit samples"),
    "float": (pcm16([1, 2], fmt=fmt_body(tag=3, bits=32)), "32-bit IEEE float"),
    "A-law": (pcm16([1, 2], fmt=fmt_body(tag=6, bits=8)), "format tag 0x0006"),
    "truncated": (pcm16(np.arange(100))[:150], "truncated"),
    "truncated data chunk": (riff(chunk(b"fmt ", fmt_body()), b"data" + struct.pack("<I", 400) + b"\x00" * 10),
                             "truncated: chunk 'data' declares 400 bytes"),
    "no data chunk": (riff(chunk(b"fmt ", fmt_body())), "no data chunk"),
    "no fmt chunk": (riff(chunk(b"data", b"\x00\x00")), "data chunk before fmt chunk"),
    "odd data size": (riff(chunk(b"fmt ", fmt_body()), chunk(b"data", b"\x00\x00\x00")), "not a whole number"),
    "short fmt": (riff(chunk(b"fmt ", b"\x01\x00"), chunk(b"data", b"")), "fmt chunk is 2 bytes"),
}


@pytest.mark.parametrize("name", BAD)
def test_bad_input_is_refused_with_one_line(name):
    data, message = BAD[name]
    with pytest.raises(RecordingError) as e:
        parse_wav(data)
    assert message in str(e.value)
    assert "\n" not in str(e.value)
