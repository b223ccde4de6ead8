"""The stored fallback: a stream's samples verbatim, as FLAC's verbatim subframes.

The encoder writes it instead of the coded payload whenever that would make the stream
longer (noise, full-range audio, a payload past a coder's limit), so no stream is larger
than its recordings' samples (2 bytes each) plus the container's header: codec id
``CODEC_ID``, payload = every channel's int16 samples, little-endian, channel after
channel, and no escapes (every value is already exact). docs/bitstream.md.
"""
from __future__ import annotations

import hashlib

import numpy as np

from .errors import CodecError

CODEC_ID = 7                     # 6 is the event coder (mode 2)
NAME = "stored"
MODEL_ID = hashlib.sha256(b"stored:pcm16le,channel-major").digest()[:8]


def encode_samples(channels: list) -> bytes:
    """Every channel's int16 samples, little-endian, one channel after another."""
    return b"".join(np.asarray(c, dtype="<i2").tobytes() for c in channels)


def decode_samples(payload: bytes, lengths: list) -> list:
    """The channels' int16 samples back; the payload must hold exactly 2 bytes a sample."""
    if len(payload) != 2 * sum(lengths):
        raise CodecError(f"corrupt bitstream: a stored payload of {len(payload)} bytes "
                         f"for {sum(lengths)} samples (2 bytes each)")
    x = np.frombuffer(payload, dtype="<i2").astype(np.int16)
    return np.split(x, np.cumsum(lengths)[:-1]) if lengths else []
