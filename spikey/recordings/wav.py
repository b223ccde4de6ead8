"""Exact RIFF/WAVE PCM16 mono I/O.

A recording is split into three parts so that it can be rebuilt byte for byte:
``prefix`` (every byte before the sample data: RIFF header, fmt, LIST, ... and the
data chunk header), ``samples`` (int16) and ``suffix`` (every byte after the sample
data: pad bytes, trailing chunks). Anything that is not PCM16 mono is refused with a
``RecordingError`` whose message is one line naming the problem.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

WAVE_FORMAT_PCM = 0x0001
WAVE_FORMAT_IEEE_FLOAT = 0x0003
WAVE_FORMAT_EXTENSIBLE = 0xFFFE
# KSDATAFORMAT_SUBTYPE_PCM: the PCM format tag followed by the standard GUID tail.
_PCM_SUBFORMAT = struct.pack("<I", WAVE_FORMAT_PCM) + bytes.fromhex("00001000800000aa00389b71")


class RecordingError(ValueError):
    """A file that is not a PCM16 mono WAV; the message is one line."""


@dataclass(frozen=True)
class Recording:
    sample_rate: int
    samples: np.ndarray  # int16, shape (n,)
    prefix: bytes
    suffix: bytes = b""

    def to_bytes(self) -> bytes:
        return self.prefix + self.samples.astype("<i2", copy=False).tobytes() + self.suffix

    @property
    def is_canonical(self) -> bool:
        """True if the header is the plain 44-byte one that ``canonical_prefix`` builds (a
        sample rate or length whose canonical header fields overflow 32 bits has none)."""
        if 2 * self.sample_rate > 0xFFFFFFFF or 36 + 2 * len(self.samples) > 0xFFFFFFFF:
            return False
        return self.suffix == b"" and self.prefix == canonical_prefix(self.sample_rate, len(self.samples))


def canonical_prefix(sample_rate: int, n_samples: int) -> bytes:
    """The 44-byte header of a plain PCM16 mono WAV (what the challenge files use)."""
    data_bytes = 2 * n_samples
    return (
        b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE"
        + b"fmt " + struct.pack("<IHHIIHH", 16, WAVE_FORMAT_PCM, 1, sample_rate, 2 * sample_rate, 2, 16)
        + b"data" + struct.pack("<I", data_bytes)
    )


def from_samples(samples: np.ndarray, sample_rate: int) -> Recording:
    """A plain recording with the canonical header."""
    samples = np.asarray(samples)
    if samples.ndim != 1:
        raise RecordingError(f"expected a 1-D array of samples, got shape {samples.shape}")
    if samples.dtype != np.int16:
        if samples.size and (samples.min() < -32768 or samples.max() > 32767):
            raise RecordingError("samples do not fit int16")
        samples = samples.astype(np.int16)
    return Recording(sample_rate, samples, canonical_prefix(sample_rate, len(samples)))


def _check_fmt(body: bytes) -> int:
    """Validate a fmt chunk body; return the sample rate."""
    if len(body) < 16:
        raise RecordingError(f"fmt chunk is {len(body)} bytes, expected at least 16")
    tag, channels, rate, _byte_rate, _align, bits = struct.unpack_from("<HHIIHH", body)
    if tag == WAVE_FORMAT_EXTENSIBLE:
        if len(body) < 40:
            raise RecordingError("WAVE_FORMAT_EXTENSIBLE fmt chunk is too short")
        if body[24:40] != _PCM_SUBFORMAT:
            raise RecordingError("not PCM: WAVE_FORMAT_EXTENSIBLE with a non-PCM sub-format")
    elif tag == WAVE_FORMAT_IEEE_FLOAT:
        raise RecordingError(f"not PCM16: {bits}-bit IEEE float samples")
    elif tag != WAVE_FORMAT_PCM:
        raise RecordingError(f"not PCM: format tag 0x{tag:04x}")
    if channels != 1:
        raise RecordingError(f"not mono: {channels} channels")
    if bits != 16:
        raise RecordingError(f"not PCM16: {bits}-bit samples")
    return rate


def scan_wav(read, size: int) -> tuple[int, int, int]:
    """(sample rate, first and end byte of the samples) of a PCM16 mono WAV of ``size``
    bytes, reading only its chunk headers and fmt body through ``read(pos, n) -> bytes``;
    the one set of checks behind parse_wav and the streaming reader (spikey.streaming)."""
    if size == 0:
        raise RecordingError("empty file")
    head = read(0, 12)
    if size < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise RecordingError("not a WAV file (no RIFF/WAVE header)")
    riff_end = 8 + struct.unpack_from("<I", head, 4)[0]
    if riff_end > size:
        raise RecordingError(f"truncated: RIFF header declares {riff_end} bytes, file has {size}")
    rate = None
    data_span = None
    pos = 12
    while pos + 8 <= riff_end:
        chunk = read(pos, 8)
        cid = chunk[:4]
        size_ = struct.unpack_from("<I", chunk, 4)[0]
        body = pos + 8
        if body + size_ > riff_end:
            name = cid.decode("latin-1").strip()
            raise RecordingError(f"truncated: chunk '{name}' declares {size_} bytes, {riff_end - body} remain")
        if cid == b"fmt ":
            if rate is not None:
                raise RecordingError("more than one fmt chunk")
            rate = _check_fmt(read(body, size_))
        elif cid == b"data":
            if data_span is not None:
                raise RecordingError("more than one data chunk")
            if rate is None:
                raise RecordingError("data chunk before fmt chunk")
            data_span = (body, body + size_)
        pos = body + size_ + (size_ & 1)
    if rate is None:
        raise RecordingError("no fmt chunk")
    if data_span is None:
        raise RecordingError("no data chunk")
    start, end = data_span
    if (end - start) % 2:
        raise RecordingError(f"data chunk holds {end - start} bytes, not a whole number of 16-bit samples")
    return rate, start, end


def parse_wav(data: bytes) -> Recording:
    """Parse a PCM16 mono WAV held in memory."""
    rate, start, end = scan_wav(lambda pos, n: data[pos:pos + n], len(data))
    samples = np.frombuffer(data, dtype="<i2", count=(end - start) // 2, offset=start).astype(np.int16)
    return Recording(rate, samples, bytes(data[:start]), bytes(data[end:]))


def open_input(path):
    """``path`` opened for reading bytes; RecordingError (one line) if it cannot be."""
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise RecordingError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise RecordingError(f"is a directory: {path}") from None
    except OSError as e:
        raise RecordingError(f"cannot read {path}: {e.strerror}") from None


def read_wav(path) -> Recording:
    with open_input(path) as f:
        try:
            data = f.read()
        except OSError as e:
            raise RecordingError(f"cannot read {path}: {e.strerror}") from None
    return parse_wav(data)
