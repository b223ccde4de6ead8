"""The Spikey container: one or more coded channels, self-describing and checksummed.

Layout (all integers little-endian; ``varint`` = unsigned LEB128); docs/bitstream.md:

    magic        4 bytes   b"SPKY"
    version      u8        CONTAINER_VERSION
    codec        u8        1 = baseline; 2..5 = the learned model with coder
                           rice_fixed, rice_scaled, range, huffman_prior; 7 = stored
                           (the samples verbatim, spikey.stored)
    model id     8 bytes   identity of the integer codec (model and coder semantics)
    mode         u8        0 = lossless, 1 = near-lossless, 2 = events (MODES)
    mode params  varint length + bytes: the mode's own parameters (empty for lossless;
                           each mode defines and checks its own, docs/bitstream.md)
    channels     varint
    frame        varint    joint streams: samples per channel per frame (the implant's packet),
                           coded time-major: each time step's channels in index order;
                           0: one channel, coded whole
    peers        joint streams only (frame > 0): varint K, then per channel K varints
                 (peer index + 1, 0 = none): the MiddleOut topology; K = 0 without MiddleOut
    per channel:
      name         varint length + UTF-8 (empty for a single file)
      samples      varint
      sample rate  varint
      header kind  u8      0: canonical 44-byte WAV header, rebuilt from the counts
                           1: verbatim: varint length + bytes before the samples,
                              varint length + bytes after them
      escapes      varint n, then n times (varint position delta, i16 value):
                           samples off the 10-bit grid, restored after decoding
      wav crc      u32     CRC-32 of the original WAV file
    payload      varint length + bytes
    crc          u32       CRC-32 of every byte before it

Every field is checked against the format's limits as it is read (spikey.limits).
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

import numpy as np

from . import limits
from .errors import CodecError

MAGIC = b"SPKY"
CONTAINER_VERSION = 3
LOSSLESS, NEAR_LOSSLESS, EVENTS = 0, 1, 2
MODES = {LOSSLESS: "lossless", NEAR_LOSSLESS: "near-lossless", EVENTS: "events"}
MAX_MODE_PARAMS = 256
MAX_PEERS = 64
HEADER_CANONICAL, HEADER_VERBATIM = 0, 1


@dataclass
class Channel:
    samples: int
    sample_rate: int
    prefix: bytes | None  # None: canonical header
    suffix: bytes
    escape_positions: np.ndarray
    escape_values: np.ndarray
    wav_crc: int
    name: str = ""


@dataclass
class Stream:
    codec: int
    model_id: bytes
    channels: list
    payload: bytes
    frame: int = 0
    peers: np.ndarray | None = None      # joint streams: (channels, K) int64, -1 = none
    mode: int = LOSSLESS
    mode_params: bytes = b""
    version: int = field(default=CONTAINER_VERSION)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


varint = _varint      # the modes' parameters are made of the same fields


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """(value, position after it) of the varint at ``pos``; CodecError if it runs past the end."""
    r = _Reader(data, pos)
    return r.varint(), r.pos


class _Reader:
    def __init__(self, data: bytes, pos: int):
        self.data, self.pos = data, pos

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise CodecError("corrupt bitstream: a field runs past the end")
        chunk = bytes(self.data[self.pos:self.pos + n])
        self.pos += n
        return chunk

    def varint(self) -> int:
        n = shift = 0
        while True:
            byte = self.take(1)[0]
            n |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return limits.check_varint(n)
            if shift >= limits.MAX_VARINT_BITS:
                raise CodecError("corrupt bitstream: an integer field over 64 bits")

    def left(self) -> int:
        """Bytes not read yet: a bound on how many fields of at least one byte can follow."""
        return len(self.data) - self.pos


def _pack_channel(c: Channel) -> bytes:
    name = c.name.encode()
    out = bytearray(_varint(len(name)) + name)
    out += _varint(c.samples) + _varint(c.sample_rate)
    if c.prefix is None:
        out.append(HEADER_CANONICAL)
    else:
        out.append(HEADER_VERBATIM)
        out += _varint(len(c.prefix)) + c.prefix + _varint(len(c.suffix)) + c.suffix
    out += _varint(len(c.escape_positions))
    previous = 0
    for pos, value in zip(c.escape_positions.tolist(), c.escape_values.tolist()):
        out += _varint(pos - previous) + struct.pack("<h", value)
        previous = pos
    out += struct.pack("<I", c.wav_crc)
    return bytes(out)


def pack(s: Stream) -> bytes:
    out = bytearray(MAGIC)
    out += struct.pack("<BB", s.version, s.codec) + s.model_id
    out += struct.pack("<B", s.mode) + _varint(len(s.mode_params)) + s.mode_params
    out += _varint(len(s.channels)) + _varint(s.frame)
    if s.frame:
        peers = np.zeros((len(s.channels), 0), np.int64) if s.peers is None else np.asarray(s.peers, np.int64)
        out += _varint(peers.shape[1])
        for p in peers.reshape(-1).tolist():
            out += _varint(p + 1)
    for c in s.channels:
        out += _pack_channel(c)
    out += _varint(len(s.payload)) + s.payload
    out += struct.pack("<I", zlib.crc32(out))
    return bytes(out)


def _unpack_channel(r: _Reader) -> Channel:
    try:
        name = r.take(r.varint()).decode()
    except UnicodeDecodeError:
        raise CodecError("corrupt bitstream: channel name is not UTF-8") from None
    samples, rate = r.varint(), r.varint()
    kind = r.take(1)[0]
    limits.check_channel_fields(samples, rate, canonical=kind == HEADER_CANONICAL)
    if kind == HEADER_CANONICAL:
        prefix, suffix = None, b""
    elif kind == HEADER_VERBATIM:
        prefix = r.take(r.varint())
        suffix = r.take(r.varint())
    else:
        raise CodecError(f"corrupt bitstream: unknown header kind {kind}")
    n_escapes = r.varint()
    if n_escapes > samples or 3 * n_escapes > r.left():
        raise CodecError("corrupt bitstream: more escapes than samples or bytes")
    positions, values, pos = [], [], 0
    for _ in range(n_escapes):
        pos += r.varint()
        positions.append(pos)
        values.append(struct.unpack("<h", r.take(2))[0])
    if positions and positions[-1] >= samples:
        raise CodecError("corrupt bitstream: escape position out of range")
    wav_crc = struct.unpack("<I", r.take(4))[0]
    return Channel(samples, rate, prefix, suffix, np.array(positions, dtype=np.int64),
                   np.array(values, dtype=np.int16), wav_crc, name)


def _read_peers(r: _Reader, n_channels: int) -> np.ndarray:
    """The MiddleOut topology: K, then n_channels x K varints (peer index + 1), each
    checked against the channel count before any array is made."""
    k = r.varint()
    if k > MAX_PEERS:
        raise CodecError(f"corrupt bitstream: {k} peers per channel (at most {MAX_PEERS})")
    if n_channels * k > r.left():
        raise CodecError("corrupt bitstream: more peer slots than bytes")
    slots = [r.varint() for _ in range(n_channels * k)]
    if any(p > n_channels for p in slots):
        raise CodecError("corrupt bitstream: a peer index past the last channel")
    return np.array(slots, dtype=np.int64).reshape(n_channels, k) - 1


def intact(data: bytes) -> bool:
    """Whether the stream's CRC holds."""
    return len(data) >= 20 and struct.unpack("<I", data[-4:])[0] == zlib.crc32(memoryview(data)[:-4])


def header_bytes(s: Stream) -> bytes:
    """Every byte of the packed stream before its payload's length."""
    return pack(Stream(s.codec, s.model_id, s.channels, b"", s.frame, s.peers, s.mode, s.mode_params))[:-5]


def unpack(data: bytes, salvage: bool = False) -> Stream:
    """Parse and check a stream: integrity (CRC) first, then the version, then every
    field against the format's limits (spikey.limits) as it is read. ``salvage``: a damaged
    stream's header (its CRC not checked): the payload is every byte after the payload's
    length field up to the final CRC, whatever that field says (spikey.packets checks it)."""
    if len(data) < 4 or data[:4] != MAGIC:
        raise CodecError("not a Spikey bitstream (bad magic)")
    if not salvage and not intact(data):
        raise CodecError("corrupt or truncated bitstream (CRC mismatch)")
    if len(data) < 20:
        raise CodecError("truncated bitstream")
    if data[4] != CONTAINER_VERSION:
        raise CodecError(f"bitstream is container version {data[4]}; this spikey reads version {CONTAINER_VERSION}")
    r = _Reader(memoryview(data)[:-4], 5)      # a view: the stream is not copied to be parsed
    codec = r.take(1)[0]
    model_id = r.take(8)
    mode = r.take(1)[0]
    if mode not in MODES:
        raise CodecError(f"corrupt bitstream: unknown mode {mode}")
    n_params = r.varint()
    if n_params > MAX_MODE_PARAMS:
        raise CodecError(f"corrupt bitstream: {n_params} bytes of mode parameters (at most {MAX_MODE_PARAMS})")
    mode_params = r.take(n_params)
    n_channels, frame = r.varint(), limits.check_frame(r.varint())
    if n_channels > r.left():
        raise CodecError("corrupt bitstream: more channels than bytes")
    peers = _read_peers(r, n_channels) if frame else None
    channels = [_unpack_channel(r) for _ in range(n_channels)]
    limits.check_names([c.name for c in channels], joint=bool(frame))
    if salvage:
        r.varint()
        return Stream(codec, model_id, channels, bytes(r.data[r.pos:]), frame, peers, mode, mode_params)
    payload = r.take(r.varint())
    if r.pos != len(r.data):
        raise CodecError("corrupt bitstream: trailing bytes")
    return Stream(codec, model_id, channels, payload, frame, peers, mode, mode_params)
