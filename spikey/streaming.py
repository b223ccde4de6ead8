"""Encoding a WAV file in bounded memory: the samples are read, checked for escapes, CRC'd
and coded one chunk at a time, and the stream is written from the coder's own buffer, so
that memory grows only with the payload (about half a byte a sample), not with the
recording (bench/memory.py). The bytes are exactly those of ``spikey.codec.encode_recording``
(tests/test_streaming.py checks that they are).

It serves the per-file streams of the learned coders that need no header parameter chosen
from the whole channel first (range, rice_scaled) and no packets; spikey.codec takes the
others in memory.
"""
from __future__ import annotations

import itertools
import os
import struct
import zlib

import numpy as np

from . import container, limits, stored
from .errors import CodecError
from .learned import LearnedCodec, host_codec
from .model.host import encode_capacity
from .recordings import RecordingError, canonical_prefix, from_codes, off_grid, to_codes
from .recordings.wav import open_input, scan_wav

CHUNK = 1 << 20                  # samples read, coded and written at a time
STREAMING_CODERS = ("range", "rice_scaled")
SPK_ERR_OVERFLOW = 1


def can_stream(codec, resync: int) -> bool:
    return (resync == 0 and isinstance(codec, LearnedCodec) and codec.coder.name in STREAMING_CODERS
            and not codec.max_error)


class _Wav:
    """A PCM16 mono WAV file read by chunks: its layout checked as parse_wav checks it."""

    def __init__(self, f):
        self.f = f
        size = os.fstat(f.fileno()).st_size
        self.rate, self.start, end = scan_wav(self._read, size)
        self.prefix, self.suffix = self._read(0, self.start), self._read(end, size - end)
        self.n = (end - self.start) // 2

    def _read(self, pos: int, n: int) -> bytes:
        self.f.seek(pos)
        return self.f.read(n)

    def chunks(self):
        """The samples, CHUNK at a time (int16)."""
        self.f.seek(self.start)
        for at in range(0, self.n, CHUNK):
            m = min(CHUNK, self.n - at)
            raw = self.f.read(2 * m)
            if len(raw) != 2 * m:
                raise RecordingError("the file changed while it was read")
            yield np.frombuffer(raw, "<i2").astype(np.int16)

    def crc(self) -> int:
        """CRC-32 of the whole file, as the container records it."""
        crc = zlib.crc32(self.prefix)
        for x in self.chunks():
            crc = zlib.crc32(x.astype("<i2", copy=False), crc)
        return zlib.crc32(self.suffix, crc)


def _with_crc(parts):
    """The parts, then the CRC-32 of all of them (u32): a container written piece by piece."""
    crc = 0
    for part in parts:
        crc = zlib.crc32(part, crc)
        yield part
    yield struct.pack("<I", crc)


def _stream(codec_id: int, model_id: bytes, channel: container.Channel) -> container.Stream:
    return container.Stream(codec_id, model_id, [channel], b"")


def encode_file(src, dst, codec, write) -> None:
    """``spikey encode SRC DST`` in bounded memory; ``write(path, parts)`` writes the parts
    atomically (spikey.codec.write_atomic)."""
    with open_input(src) as f:
        wav = _Wav(f)
        canonical = limits.canonical_rate(wav.rate) and not wav.suffix and wav.prefix == canonical_prefix(wav.rate, wav.n)
        limits.check_channel_fields(wav.n, wav.rate, canonical, prefix="")
        crc, positions, values = zlib.crc32(wav.prefix), [], []

        def codes():
            nonlocal crc
            at = 0
            for x in wav.chunks():
                crc = zlib.crc32(x.astype("<i2", copy=False), crc)
                escapes = off_grid(x)
                if escapes.size:
                    positions.append(escapes + at)
                    values.append(x[escapes])
                at += len(x)
                yield to_codes(x)

        cap = encode_capacity(codec.CODEC_ID, wav.n, 1)
        st, payload = host_codec(codec.model).encode_stream(codec.CODEC_ID, wav.n, codes(), cap)
        if st not in (0, SPK_ERR_OVERFLOW):
            raise CodecError(f"the C encoder failed with status {st}")
        coded = None
        if st == 0:
            crc = zlib.crc32(wav.suffix, crc)
            channel = container.Channel(
                wav.n, wav.rate, None if canonical else wav.prefix, wav.suffix,
                np.concatenate(positions) if positions else np.zeros(0, np.int64),
                np.concatenate(values) if values else np.zeros(0, np.int16), crc)
            coded = container.header_bytes(_stream(codec.CODEC_ID, codec.MODEL_ID, channel))
        else:
            crc = wav.crc()
        plain = container.Channel(wav.n, wav.rate, None if canonical else wav.prefix, wav.suffix,
                                  np.zeros(0, np.int64), np.zeros(0, np.int16), crc)
        head = container.header_bytes(_stream(stored.CODEC_ID, stored.MODEL_ID, plain))
        stored_size = len(head) + len(container._varint(2 * wav.n)) + 2 * wav.n + 4
        if coded is not None and len(coded) + len(container._varint(len(payload))) + len(payload) + 4 <= stored_size:
            write(dst, _with_crc([coded, container._varint(len(payload)), memoryview(payload)]))
            return
        del payload
        samples = (x.astype("<i2", copy=False).tobytes() for x in wav.chunks())
        write(dst, _with_crc(itertools.chain([head, container._varint(2 * wav.n)], samples)))


def can_stream_decode(s: container.Stream, codec) -> bool:
    """A per-file stream of one of the learned coders, not packetised."""
    return s.frame == 0 and len(s.channels) == 1 and not s.mode_params and isinstance(codec, LearnedCodec)


def decode_file(s: container.Stream, codec, dst, write) -> None:
    """``spikey decode SRC DST`` of a checked stream ``s`` in bounded memory: the codes
    decoded, turned into samples (escapes restored) and written a chunk at a time, the WAV's
    CRC-32 checked at the end (a mismatch removes the output: ``write`` is atomic)."""
    c = s.channels[0]
    prefix = canonical_prefix(c.sample_rate, c.samples) if c.prefix is None else c.prefix

    def parts():
        crc, at = zlib.crc32(prefix), 0
        yield prefix
        for codes in host_codec(codec.model).decode_iter(codec.CODEC_ID, s.payload, c.samples):
            x = from_codes(codes)
            lo, hi = np.searchsorted(c.escape_positions, [at, at + len(x)])
            x[c.escape_positions[lo:hi] - at] = c.escape_values[lo:hi]
            raw = x.astype("<i2", copy=False).tobytes()
            crc = zlib.crc32(raw, crc)
            at += len(x)
            yield raw
        yield c.suffix
        if zlib.crc32(c.suffix, crc) != c.wav_crc:
            raise CodecError("decoded recording does not match the original's CRC")
    write(dst, parts())
