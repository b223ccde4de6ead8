"""Hand-built WAV files for the I/O and bad-input tests."""
import struct

import numpy as np


def chunk(cid: bytes, body: bytes) -> bytes:
    pad = b"\x00" if len(body) % 2 else b""
    return cid + struct.pack("<I", len(body)) + body + pad


def fmt_body(tag=1, channels=1, rate=19531, bits=16) -> bytes:
    align = channels * bits // 8
    return struct.pack("<HHIIHH", tag, channels, rate, rate * align, align, bits)


def riff(*chunks: bytes) -> bytes:
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def pcm16(samples, rate=19531, before=(), after=(), fmt=None) -> bytes:
    data = np.asarray(samples, dtype="<i2").tobytes()
    return riff(chunk(b"fmt ", fmt or fmt_body(rate=rate)), *before, chunk(b"data", data), *after)
