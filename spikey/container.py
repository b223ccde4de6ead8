"""The Spikey container: one coded recording, self-describing and checksummed.

Layout (all integers little-endian; ``varint`` = unsigned LEB128):

    magic        4 bytes   b"SPKY"
    version      u8        CONTAINER_VERSION
    codec        u8        codec id (1 = baseline)
    model id     8 bytes   hash of the codec's integer semantics (model identity)
    channels     varint
    samples      varint    per channel
    sample rate  varint
    header kind  u8        0: canonical 44-byte WAV header, rebuilt from the counts
                           1: verbatim: varint length + bytes before the samples,
                              varint length + bytes after them
    escapes      varint n, then n times (varint position delta, i16 value):
                           samples off the 10-bit grid, restored after decoding
    wav crc      u32       CRC-32 of the original WAV file
    payload      varint length + bytes
    crc          u32       CRC-32 of every byte before it
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

import numpy as np

from .errors import CodecError

MAGIC = b"SPKY"
CONTAINER_VERSION = 1
HEADER_CANONICAL, HEADER_VERBATIM = 0, 1


@dataclass
class Stream:
    codec: int
    model_id: bytes
    channels: int
    samples: int
    sample_rate: int
    prefix: bytes | None  # None: canonical header
    suffix: bytes
    escape_positions: np.ndarray
    escape_values: np.ndarray
    wav_crc: int
    payload: bytes
    version: int = field(default=CONTAINER_VERSION)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


class _Reader:
    def __init__(self, data: bytes, pos: int):
        self.data, self.pos = data, pos

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise CodecError("corrupt bitstream: a field runs past the end")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def varint(self) -> int:
        n = shift = 0
        while True:
            byte = self.take(1)[0]
            n |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return n
            if shift > 63:
                raise CodecError("corrupt bitstream: oversized integer field")


def pack(s: Stream) -> bytes:
    out = bytearray(MAGIC)
    out += struct.pack("<BB", s.version, s.codec) + s.model_id
    out += _varint(s.channels) + _varint(s.samples) + _varint(s.sample_rate)
    if s.prefix is None:
        out.append(HEADER_CANONICAL)
    else:
        out.append(HEADER_VERBATIM)
        out += _varint(len(s.prefix)) + s.prefix + _varint(len(s.suffix)) + s.suffix
    out += _varint(len(s.escape_positions))
    previous = 0
    for pos, value in zip(s.escape_positions.tolist(), s.escape_values.tolist()):
        out += _varint(pos - previous) + struct.pack("<h", value)
        previous = pos
    out += struct.pack("<I", s.wav_crc)
    out += _varint(len(s.payload)) + s.payload
    out += struct.pack("<I", zlib.crc32(out))
    return bytes(out)


def unpack(data: bytes) -> Stream:
    if len(data) < 4 or data[:4] != MAGIC:
        raise CodecError("not a Spikey bitstream (bad magic)")
    if len(data) < 6:
        raise CodecError("truncated bitstream")
    if data[4] != CONTAINER_VERSION:
        raise CodecError(f"bitstream is container version {data[4]}; this spikey reads version {CONTAINER_VERSION}")
    if len(data) < 18 or struct.unpack("<I", data[-4:])[0] != zlib.crc32(data[:-4]):
        raise CodecError("corrupt or truncated bitstream (CRC mismatch)")
    r = _Reader(data[:-4], 5)
    codec = r.take(1)[0]
    model_id = r.take(8)
    channels, samples, rate = r.varint(), r.varint(), r.varint()
    kind = r.take(1)[0]
    if kind == HEADER_CANONICAL:
        prefix, suffix = None, b""
    elif kind == HEADER_VERBATIM:
        prefix = r.take(r.varint())
        suffix = r.take(r.varint())
    else:
        raise CodecError(f"corrupt bitstream: unknown header kind {kind}")
    n_escapes = r.varint()
    if n_escapes > channels * samples:
        raise CodecError("corrupt bitstream: more escapes than samples")
    positions, values, pos = [], [], 0
    for _ in range(n_escapes):
        pos += r.varint()
        positions.append(pos)
        values.append(struct.unpack("<h", r.take(2))[0])
    if positions and positions[-1] >= channels * samples:
        raise CodecError("corrupt bitstream: escape position out of range")
    wav_crc = struct.unpack("<I", r.take(4))[0]
    payload = r.take(r.varint())
    if r.pos != len(r.data):
        raise CodecError("corrupt bitstream: trailing bytes")
    return Stream(codec, model_id, channels, samples, rate, prefix, suffix,
                  np.array(positions, dtype=np.int64), np.array(values, dtype=np.int16), wav_crc, payload)
