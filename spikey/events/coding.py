"""Adaptive binary coding of spike times and SBP through the range coder of
spikey/coders/range_coder.py (docs/coders.md §2, P = 18): the Python reference of the
event coder in firmware/src/events.c (docs/bitstream.md, "Event mode").

Every symbol is a bit under a probability p (of a 0), 16 bits, adapted after each bit:

    interval of 0: [0, p * 4),  of 1: [p * 4, 2^18)
    0: p += (65536 - p) >> ADAPT;  1: p -= p >> ADAPT          (p starts at 32768)

so p stays in [31, 65505] and both intervals are never empty. Per channel and frame
(``frame`` input samples; the events the pipeline made at those samples):

    for every spike, in time order: flag 1 (context 0 for the frame's first flag, else 1),
        then its offset in the frame (0 .. frame-1) in OFFSET_BITS bits, most significant
        first, through a binary tree of adaptive contexts (node = 1, then 2 node + bit)
    flag 0 (same contexts)
    for every SBP bin that completes in the frame: e = sbp - previous sbp (previous = 0 at
        the start), z = 2e (e >= 0) or -2e - 1, v = z + 1, n = bit length of v minus 1:
        n ones and a zero under contexts min(i, UNARY_CTX - 1) (i = 0, 1, ... the bit's
        place), then the n bits of v below its top bit, most significant first, each under
        the fixed probability 1/2 (interval [0, 2^17) or [2^17, 2^18), no adaptation)
"""
from __future__ import annotations

import numpy as np

from ..coders.range_coder import RangeDecoder, RangeEncoder
from ..errors import CodecError

PBITS = 18
PROB_BITS = 16
ADAPT = 5
HALF = 1 << (PROB_BITS - 1)
UNARY_CTX = 24
MAX_EXP = 40


def offset_bits(frame: int) -> int:
    return max((frame - 1).bit_length(), 1)


class ChannelModel:
    """The adaptive state of one channel's event coder."""

    def __init__(self, frame: int):
        self.flag = [HALF, HALF]
        self.nbits = offset_bits(frame)
        self.tree = [HALF] * (1 << self.nbits)
        self.unary = [HALF] * UNARY_CTX
        self.prev_sbp = 0


def _adapt(p: int, bit: int) -> int:
    return p - (p >> ADAPT) if bit else p + (((1 << PROB_BITS) - p) >> ADAPT)


class Writer:
    def __init__(self):
        self.rc = RangeEncoder(PBITS)
        self.started = False

    def bit(self, p: int, bit: int) -> None:
        self.started = True
        bound = p << (PBITS - PROB_BITS)
        self.rc.encode(bound, 1 << PBITS) if bit else self.rc.encode(0, bound)

    def model_bit(self, ctx: list, i: int, bit: int) -> None:
        self.bit(ctx[i], bit)
        ctx[i] = _adapt(ctx[i], bit)

    def finish(self) -> bytes:
        return self.rc.finish() if self.started else b""


class Reader:
    def __init__(self, payload: bytes):
        self.rc = RangeDecoder(payload, PBITS)
        self.payload = payload

    def bit(self, p: int) -> int:
        bound = p << (PBITS - PROB_BITS)
        r, t = self.rc.target()
        if t >= bound:
            self.rc.consume(r, bound, 1 << PBITS)
            return 1
        self.rc.consume(r, 0, bound)
        return 0

    def model_bit(self, ctx: list, i: int) -> int:
        b = self.bit(ctx[i])
        ctx[i] = _adapt(ctx[i], b)
        return b

    def finish(self) -> None:
        self.rc.check()
        if self.rc.pos != len(self.payload):
            raise CodecError(f"corrupt bitstream: {len(self.payload) - self.rc.pos} event bytes left over")


def encode_frame(w: Writer, m: ChannelModel, offsets, sbps) -> None:
    """One channel's frame: spike offsets in the frame (increasing) and completed SBP values."""
    for i, o in enumerate(offsets):
        w.model_bit(m.flag, 1 if i else 0, 1)
        node = 1
        for k in range(m.nbits - 1, -1, -1):
            b = (o >> k) & 1
            w.model_bit(m.tree, node, b)
            node = 2 * node + b
    w.model_bit(m.flag, 1 if len(offsets) else 0, 0)
    for s in sbps:
        e = int(s) - m.prev_sbp
        m.prev_sbp = int(s)
        v = (2 * e if e >= 0 else -2 * e - 1) + 1
        n = v.bit_length() - 1
        for i in range(n):
            w.model_bit(m.unary, min(i, UNARY_CTX - 1), 1)
        w.model_bit(m.unary, min(n, UNARY_CTX - 1), 0)
        for k in range(n - 1, -1, -1):
            w.bit(HALF, (v >> k) & 1)


def decode_frame(r: Reader, m: ChannelModel, frame_len: int, n_sbp: int):
    """The inverse of encode_frame for a frame of ``frame_len`` samples (the last may be short)."""
    offsets = []
    while r.model_bit(m.flag, 1 if offsets else 0):
        node = 1
        for _ in range(m.nbits):
            node = 2 * node + r.model_bit(m.tree, node)
        o = node - (1 << m.nbits)
        if o >= frame_len or (offsets and o <= offsets[-1]):
            raise CodecError("corrupt bitstream: a spike offset outside its frame")
        offsets.append(o)
    sbps = []
    for _ in range(n_sbp):
        n = 0
        while r.model_bit(m.unary, min(n, UNARY_CTX - 1)):
            n += 1
            if n > MAX_EXP:
                raise CodecError("corrupt bitstream: an SBP value out of range")
        v = 1
        for _ in range(n):
            v = 2 * v + r.bit(HALF)
        z = v - 1
        e = z >> 1 if not z & 1 else -((z + 1) >> 1)
        m.prev_sbp += e
        sbps.append(m.prev_sbp)
    return offsets, sbps


def frame_events(spike_t: np.ndarray, sbp_t: np.ndarray, n: int, frame: int):
    """Per frame j of a channel of n samples: (spike offsets, SBP indices) whose event
    sample t (spike u + lag; bin end + lag) falls in [j frame, (j + 1) frame)."""
    n_frames = -(-n // frame)
    sp = [[] for _ in range(n_frames)]
    for t in np.asarray(spike_t, np.int64).tolist():
        sp[t // frame].append(t % frame)
    bins = [[] for _ in range(n_frames)]
    for i, t in enumerate(np.asarray(sbp_t, np.int64).tolist()):
        bins[t // frame].append(i)
    return sp, bins
