"""A 32-bit range coder (LZMA-style carry propagation through a cached byte and a count
of pending 0xff bytes) coding each code x[t] with the model's integer CDF: the Python
reference of docs/coders.md section 2, which is the specification (encoder and decoder
state, normalisation, the first symbol, the end of the stream, corrupt-stream checks).
"""
from __future__ import annotations

import numpy as np

from ..errors import CodecError
from . import model_cdf
from .model_cdf import N_CODES, ModelCdf

TOP = 1 << 24
MASK32 = 0xFFFFFFFF


def _as_pred(x, L, log2s_q8):
    """Accept L/log2s of length n (index 0 ignored) or n - 1 (aligned with x[1:])."""
    x = np.asarray(x, dtype=np.int64)
    n = len(x)
    L = np.asarray(L, dtype=np.int64)
    ls = np.asarray(log2s_q8, dtype=np.int64)
    if n and len(L) == n - 1:
        L = np.concatenate([[0], L])
    if n and len(ls) == n - 1:
        ls = np.concatenate([[0], ls])
    if len(L) != n or len(ls) != n:
        raise ValueError("L and log2s_q8 need one entry per sample (index 0 ignored) or per sample after the first")
    if n and (x.min() < 0 or x.max() >= N_CODES):
        raise ValueError("codes must lie in [0, 1024)")
    if n > 1 and (L[1:].min() < 0 or L[1:].max() >= N_CODES):
        raise ValueError("locations must lie in [0, 1024)")
    return x, L, model_cdf.clamp_log2s(ls)


class RangeEncoder:
    """The sequential state of the encoder (plain Python ints)."""

    def __init__(self, pbits: int):
        self.pbits = pbits
        self.low, self.range = 0, MASK32
        self.cache, self.pending, self.first = 0, 0, True
        self.out = bytearray()

    def _shift_low(self):
        low = self.low
        if low < 0xFF000000 or low > MASK32:
            carry = low >> 32
            if self.first:
                self.first = False
            else:
                self.out.append((self.cache + carry) & 0xFF)
            if self.pending:
                self.out.extend(bytes([(0xFF + carry) & 0xFF]) * self.pending)
                self.pending = 0
            self.cache = (low >> 24) & 0xFF
        else:
            self.pending += 1
        self.low = (low << 8) & MASK32

    def encode(self, c_lo: int, c_hi: int):
        r = self.range >> self.pbits
        self.low += r * c_lo
        self.range = r * (c_hi - c_lo)
        while self.range < TOP:
            self.range <<= 8
            self._shift_low()

    def encode_all(self, lo, hi):
        """encode() over two sequences, inlined for speed."""
        pb, low, rng = self.pbits, self.low, self.range
        for a, b in zip(lo, hi):
            r = rng >> pb
            low += r * a
            rng = r * (b - a)
            while rng < TOP:
                rng <<= 8
                self.low = low
                self._shift_low()
                low = self.low
        self.low, self.range = low, rng

    def finish(self) -> bytes:
        for _ in range(5):
            self._shift_low()
        return bytes(self.out)


class RangeDecoder:
    def __init__(self, payload: bytes, pbits: int):
        self.buf, self.pos, self.pbits = payload, 0, pbits
        self.range = MASK32
        self.code = 0
        for _ in range(4):
            self.code = (self.code << 8) | self._byte()
        self.corrupt = False

    def _byte(self) -> int:
        p = self.pos
        self.pos = p + 1
        return self.buf[p] if p < len(self.buf) else 0

    def target(self) -> tuple[int, int]:
        r = self.range >> self.pbits
        t = self.code // r
        if t >> self.pbits:
            self.corrupt = True
            t = (1 << self.pbits) - 1
        return r, t

    def consume(self, r: int, c_lo: int, c_hi: int):
        self.code -= r * c_lo
        self.range = r * (c_hi - c_lo)
        while self.range < TOP:
            self.range <<= 8
            self.code = ((self.code << 8) | self._byte()) & MASK32

    def check(self):
        if self.corrupt:
            raise CodecError("corrupt bitstream: range decoder state out of range")
        if self.pos > len(self.buf):
            raise CodecError("corrupt bitstream: range-coded payload ends early")


class RangeCoder:
    """Coder interface: ``encode(x, L, log2s_q8) -> bytes``; ``decoder(payload)``."""

    name = "range"
    id = 4

    def __init__(self, edges=None, family: str = "logistic", pbits: int = model_cdf.PBITS):
        self.cdf = ModelCdf(edges, family, pbits)
        self.pbits = pbits

    def cdf_bounds(self, x, L, log2s_q8):
        """(C(x[t]), C(x[t]+1)) for t >= 1, vectorised."""
        c = self.cdf
        return c.cdf_np(x[1:], L[1:], log2s_q8[1:]), c.cdf_np(x[1:] + 1, L[1:], log2s_q8[1:])

    def encode(self, x, L, log2s_q8) -> bytes:
        x, L, ls = _as_pred(x, L, log2s_q8)
        if len(x) == 0:
            return b""
        enc = RangeEncoder(self.pbits)
        u = self.pbits - 10
        enc.encode(int(x[0]) << u, (int(x[0]) + 1) << u)
        lo, hi = self.cdf_bounds(x, L, ls)
        enc.encode_all(lo.tolist(), hi.tolist())
        return enc.finish()

    def decoder(self, payload: bytes) -> "RangeStreamDecoder":
        return RangeStreamDecoder(self, payload)


class RangeStreamDecoder:
    def __init__(self, coder: RangeCoder, payload: bytes):
        self.coder, self.payload = coder, bytes(payload)
        self.dec = None
        self.cdf = coder.cdf

    def decode_first(self) -> int:
        self.dec = RangeDecoder(self.payload, self.coder.pbits)
        return self.decode_raw()

    def decode_raw(self) -> int:
        """A uniform 10-bit symbol: a channel's first code (joint streams hold several)."""
        u = self.coder.pbits - 10
        r, t = self.dec.target()
        x = t >> u
        self.dec.consume(r, x << u, (x + 1) << u)
        self.dec.check()
        return x

    def decode_one(self, L: int, log2s_q8: int) -> int:
        ls = min(max(int(log2s_q8), model_cdf.LOG2S_MIN), model_cdf.LOG2S_MAX)
        L = int(L)
        if not 0 <= L < N_CODES:
            raise ValueError("location outside [0, 1024)")
        d = self.dec
        r, t = d.target()
        x, c_lo, c_hi = self.cdf.find(t, L, ls)
        d.consume(r, c_lo, c_hi)
        if d.pos > len(d.buf) or d.corrupt:     # a valid stream is never read past its end
            d.check()
        return x

    def finish(self):
        if self.dec is None:
            if self.payload:
                raise CodecError("corrupt bitstream: trailing bytes after an empty stream")
            return
        self.dec.check()
        if self.dec.pos != len(self.payload):
            raise CodecError(f"corrupt bitstream: {len(self.payload) - self.dec.pos} bytes left over")
