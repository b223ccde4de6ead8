"""Near-lossless streams (container mode 1): every sample's 10-bit code within D of the
original, D >= 1 chosen per stream (docs/bitstream.md, "Near-lossless").

The mode's parameters in the container are one varint, D (1..NEAR_MAX_ERROR), checked on
parse. A near-lossless channel has no escapes: an off-grid sample (a value the 10-bit grid
does not hold) is coded as its code ``to_codes(v)`` and decodes, like every sample, to the
grid value of a code within D of that one. The channel's CRC is that of the decoded WAV
(the original header, the reconstructed samples), which the encoder computes by decoding
its own payload; it also checks the bound on every sample before anything is written.
"""
from __future__ import annotations

import zlib

import numpy as np

from . import container
from .errors import CodecError
from .fixed import NEAR_MAX_ERROR
from .recordings import Recording, canonical_prefix, from_codes, to_codes


def check_max_error(d) -> int:
    """A user's --max-error: an integer in [0, NEAR_MAX_ERROR] (0 = lossless)."""
    try:
        d = int(d)
    except (TypeError, ValueError):
        raise CodecError(f"--max-error must be an integer, not {d!r}") from None
    if not 0 <= d <= NEAR_MAX_ERROR:
        raise CodecError(f"--max-error must be in [0, {NEAR_MAX_ERROR}] ADC codes, not {d}")
    return d


def pack_params(d: int) -> bytes:
    """The mode's parameters: D as one varint."""
    return container.varint(d)


def read_params(params: bytes) -> int:
    """D from a stream's mode parameters; refuses anything but one minimal varint in range."""
    if not params:
        raise CodecError("corrupt bitstream: near-lossless parameters are empty (D missing)")
    d, pos = container.read_varint(params, 0)
    if pos != len(params) or container.varint(d) != params:
        raise CodecError("corrupt bitstream: near-lossless parameters are not one varint D")
    if not 1 <= d <= NEAR_MAX_ERROR:
        raise CodecError(f"corrupt bitstream: near-lossless bound D = {d} (must be in [1, {NEAR_MAX_ERROR}])")
    return d


def wav_of(c: container.Channel, codes: np.ndarray) -> bytes:
    """The decoded WAV: the original header around the reconstructed codes' grid values."""
    prefix = canonical_prefix(c.sample_rate, c.samples) if c.prefix is None else c.prefix
    return Recording(c.sample_rate, from_codes(codes), prefix, c.suffix).to_bytes()


def check_bound(original: np.ndarray, decoded: np.ndarray, d: int) -> int:
    """The largest |decoded - original| in codes; CodecError if it exceeds d."""
    err = int(np.max(np.abs(np.asarray(decoded, np.int64) - np.asarray(original, np.int64)), initial=0))
    if err > d:
        raise CodecError(f"near-lossless check failed: an error of {err} codes exceeds D = {d}")
    return err


def pack(codec, recordings: list, names: list, payload: bytes, frame: int = 0, peers=None) -> bytes:
    """The near-lossless stream of ``recordings`` (their payload already coded by ``codec``
    with its max_error): decodes the payload, checks the bound, records each decoded WAV's CRC."""
    d = codec.max_error
    codes = [to_codes(r.samples) for r in recordings]
    if frame == 0:
        decoded = [codec.decode_codes(payload, len(codes[0]))]
    else:
        decoded = codec.decode_channels(payload, [len(c) for c in codes], frame, peers)
    channels = []
    for rec, name, x, y in zip(recordings, names, codes, decoded):
        check_bound(x, y, d)
        c = container.Channel(samples=len(rec.samples), sample_rate=rec.sample_rate,
                              prefix=None if rec.is_canonical else rec.prefix, suffix=rec.suffix,
                              escape_positions=np.zeros(0, np.int64), escape_values=np.zeros(0, np.int16),
                              wav_crc=0, name=name)
        c.wav_crc = zlib.crc32(wav_of(c, y))
        channels.append(c)
    return container.pack(container.Stream(codec.CODEC_ID, codec.MODEL_ID, channels, payload, frame, peers,
                                           container.NEAR_LOSSLESS, pack_params(d)))


def restore(c: container.Channel, codes: np.ndarray) -> bytes:
    """A decoded near-lossless channel as WAV bytes, checked against its CRC."""
    if len(c.escape_positions):
        raise CodecError("corrupt bitstream: a near-lossless channel with escapes")
    wav = wav_of(c, codes)
    if zlib.crc32(wav) != c.wav_crc:
        raise CodecError("decoded recording does not match the encoder's CRC")
    return wav
