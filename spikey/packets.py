"""Loss-resilient streams: the payload as a sequence of self-checking packets, each coded
from a fresh coder and predictor state, so that a lost or damaged packet costs only its
own time span (docs/bitstream.md, "Packets").

A stream is packetised when its lossless mode parameters hold the resync interval R
(varint, samples per channel; empty parameters: one payload, as before). Its payload field
then holds the header's CRC-32 (u32: every container byte before the payload's length)
followed by packets p = 0, 1, ..., each covering the time steps [p R, min((p + 1) R, T))
of every channel (T: the longest channel's samples):

    sync    2 bytes   A5 5A
    seq     u32       p
    t0      u32       p R
    span    u32       the time steps it covers
    length  u32       payload bytes
    payload           the codes of those steps of every channel, coded as a stream of
                      their own (per-file: the one channel; joint: time-major), with
                      every coder and predictor state started afresh
    crc     u32       CRC-32 of seq .. payload, started from the header's CRC (so a packet
                      belongs to its stream: one of another stream never passes)

``decode`` requires every packet, in order, intact (any damage is refused, as the
container's own CRC refuses it); ``salvage`` takes each packet whose CRC holds, wherever
it is found (scanning for the sync word), and reports the spans of the others.
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np

from . import container
from .errors import CodecError

SYNC = b"\xa5\x5a"
HEAD = struct.Struct("<2sIIII")      # sync, seq, t0, span, length
MAX_RESYNC = 2**32 - 1
# The default interval of `spikey encode --joint`: 50 ms at 19,531 Hz, the longest of the
# measured intervals at which one flipped byte still leaves 99 % of the validation
# recordings' samples exact (bench/results/resync/resync.md, by bench/resync.py).
JOINT_RESYNC = 976


@dataclass
class Packet:
    seq: int
    t0: int
    span: int
    payload: bytes


def spans(steps: int, resync: int) -> list:
    """(t0, span) of every packet of a stream of ``steps`` time steps."""
    return [(t0, min(resync, steps - t0)) for t0 in range(0, steps, resync)]


def slice_lengths(lengths: list, t0: int, span: int) -> list:
    """Each channel's samples inside the span [t0, t0 + span)."""
    return [max(0, min(n - t0, span)) for n in lengths]


def pack_packet(seq: int, t0: int, span: int, payload: bytes, key: int = 0) -> bytes:
    """One packet; ``key``: the stream's header CRC, which its CRC starts from."""
    body = HEAD.pack(SYNC, seq, t0, span, len(payload))[2:] + payload
    return SYNC + body + struct.pack("<I", zlib.crc32(body, key))


def _at(area: bytes, pos: int, key: int = 0) -> Packet | None:
    """The packet starting at ``pos`` if its sync word, fields and CRC hold, else None."""
    if pos + HEAD.size + 4 > len(area) or area[pos:pos + 2] != SYNC:
        return None
    _, seq, t0, span, length = HEAD.unpack_from(area, pos)
    end = pos + HEAD.size + length
    if end + 4 > len(area) or struct.unpack_from("<I", area, end)[0] != zlib.crc32(area[pos + 2:end], key):
        return None
    return Packet(seq, t0, span, area[pos + HEAD.size:end])


def packet_size(p: Packet) -> int:
    return HEAD.size + len(p.payload) + 4


def read_strict(area: bytes, expected: list, key: int = 0) -> list:
    """Every packet, in order, each with the (t0, span) of ``expected``; any damage refused."""
    out, pos = [], 0
    for seq, (t0, span) in enumerate(expected):
        p = _at(area, pos, key)
        if p is None:
            raise CodecError(f"corrupt bitstream: packet {seq} is damaged (decode with --salvage to keep the rest)")
        if (p.seq, p.t0, p.span) != (seq, t0, span):
            raise CodecError(f"corrupt bitstream: packet {seq} is out of place")
        out.append(p)
        pos += packet_size(p)
    if pos != len(area):
        raise CodecError("corrupt bitstream: bytes after the last packet")
    return out


def read_salvage(area: bytes, expected: list, key: int = 0) -> dict:
    """seq -> Packet for every intact packet found anywhere in ``area`` whose fields are
    the expected ones (a damaged one is skipped by scanning on for the sync word)."""
    found, pos = {}, 0
    while True:
        pos = area.find(SYNC, pos)
        if pos < 0:
            return found
        p = _at(area, pos, key)
        if p is not None and p.seq < len(expected) and (p.t0, p.span) == expected[p.seq] and p.seq not in found:
            found[p.seq] = p
            pos += packet_size(p)
        else:
            pos += 1


def header_crc(header: bytes) -> bytes:
    return struct.pack("<I", zlib.crc32(header))


# --- a stream's packets ------------------------------------------------------------------------

def resync_of(mode_params: bytes) -> int:
    """The resync interval a lossless stream's mode parameters hold (0: not packetised)."""
    if not mode_params:
        return 0
    try:
        n, pos = container.read_varint(mode_params, 0)
    except CodecError:
        raise CodecError("corrupt bitstream: bad lossless mode parameters") from None
    if pos != len(mode_params) or not 1 <= n <= MAX_RESYNC:
        raise CodecError("corrupt bitstream: bad lossless mode parameters")
    return n


def mode_params(resync: int) -> bytes:
    """The lossless mode parameters of a stream packetised every ``resync`` samples."""
    if not 1 <= resync <= MAX_RESYNC:
        raise CodecError(f"--resync must be 1 .. {MAX_RESYNC} samples, not {resync}")
    return container.varint(resync)


def encode_payload(header: bytes, codes: list, resync: int, code_slices) -> bytes:
    """The payload field of a packetised stream: the header's CRC, then a packet per
    ``resync`` time steps, each ``code_slices(slices)`` of its span of every channel."""
    steps = max((len(c) for c in codes), default=0)
    parts, key = [header_crc(header)], zlib.crc32(header)
    for seq, (t0, span) in enumerate(spans(steps, resync)):
        parts.append(pack_packet(seq, t0, span, code_slices([c[t0:t0 + span] for c in codes]), key))
    return b"".join(parts)


def _check_header(header: bytes, payload: bytes) -> tuple[bytes, int]:
    """(the packets' bytes, the key their CRCs start from), once the header's CRC holds."""
    if len(payload) < 4 or payload[:4] != header_crc(header):
        raise CodecError("corrupt bitstream: the header's CRC does not match (nothing can be salvaged)")
    return payload[4:], zlib.crc32(header)


def decode_payload(header: bytes, payload: bytes, lengths: list, resync: int, decode_slices) -> list:
    """Every channel's codes from an intact packetised payload; ``decode_slices(payload,
    slice_lengths)`` decodes one packet."""
    area, key = _check_header(header, payload)
    expected = spans(max(lengths, default=0), resync)
    parts = [[] for _ in lengths]
    for p in read_strict(area, expected, key):
        for part, codes in zip(parts, decode_slices(p.payload, slice_lengths(lengths, p.t0, p.span))):
            part.append(codes)
    return [np.concatenate(part).astype(np.int16) if part else np.zeros(0, np.int16) for part in parts]


def salvage_payload(header: bytes, payload: bytes, lengths: list, resync: int, decode_slices):
    """(codes per channel, intact mask per channel, lost [(seq, t0, span)], packet count)
    from a damaged packetised payload: every intact packet decoded; the others' codes 0
    and their mask False (the caller fills them)."""
    area, key = _check_header(header, payload)
    expected = spans(max(lengths, default=0), resync)
    found = read_salvage(area, expected, key)
    codes = [np.zeros(n, np.int16) for n in lengths]
    intact = [np.zeros(n, bool) for n in lengths]
    lost = []
    for seq, (t0, span) in enumerate(expected):
        p = found.get(seq)
        sl = slice_lengths(lengths, t0, span)
        try:
            decoded = decode_slices(p.payload, sl) if p is not None else None
        except CodecError:
            decoded = None
        if decoded is None:
            lost.append((seq, t0, span))
            continue
        for c, x in enumerate(decoded):
            codes[c][t0:t0 + len(x)] = x
            intact[c][t0:t0 + len(x)] = True
    return codes, intact, lost, len(expected)


def hold_fill(samples: np.ndarray, intact: np.ndarray) -> np.ndarray:
    """The samples with every sample outside ``intact`` replaced by the last intact one
    before it (0 before the first): the documented fill rule of a salvaged span."""
    if intact.all() or not len(samples):
        return samples
    idx = np.where(intact, np.arange(len(samples)), -1)
    last = np.maximum.accumulate(idx)
    held = np.where(last >= 0, samples[np.maximum(last, 0)], 0).astype(samples.dtype)
    return np.where(intact, samples, held)
