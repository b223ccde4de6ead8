"""Rice coding of the model's residual: a fixed k (``rice_fixed``) and k from the
predicted scale (``rice_scaled``). Spec: docs/coders.md §3.

Both code ``u = zigzag(wrap10(x[t] - L[t]))`` (wrap10(d) = ((d + 512) mod 1024) - 512, so
u in [0, 1024)) with the baseline's codeword: q = u >> k; if q < 16: q zeros, a one, the
k low bits of u; else 16 zeros and u in 10 bits. x[0] is 10 raw bits first.

- rice_fixed: then k in 4 bits (0..10), the same k for every sample. ``encode`` picks
  the k with the fewest bits for the stream unless given one (an implant would fix it
  at build time).
- rice_scaled: k = min(max(log2s_q8 + K_OFFSET, 0), 10 * 256) >> 8 with log2s_q8
  clamped to [-512, 2560] first: about round(log2 s + 1), the best Rice parameter
  for a logistic residual of scale s (K_OFFSET measured, docs/coders.md §3).
"""
from __future__ import annotations

import numpy as np

from ..bitstream import BitView, pack
from ..errors import CodecError
from . import model_cdf
from .range_coder import _as_pred

Q_ESCAPE = 16
RAW_BITS = 10
K_MAX = 10
K_OFFSET = 384
K_BITS = 4


def residual_u(x, L):
    r = ((x - L + 512) & 1023) - 512
    return np.where(r >= 0, 2 * r, -2 * r - 1)


def unresidual(u: int, L: int) -> int:
    r = (u >> 1) if not u & 1 else -(u >> 1) - 1
    return (L + r) & 1023


def k_scaled(log2s_q8):
    ls = model_cdf.clamp_log2s(np.asarray(log2s_q8, dtype=np.int64))
    return np.clip(ls + K_OFFSET, 0, K_MAX * 256) >> 8


def k_scaled_one(log2s_q8: int) -> int:
    ls = min(max(log2s_q8, model_cdf.LOG2S_MIN), model_cdf.LOG2S_MAX)
    return min(max(ls + K_OFFSET, 0), K_MAX * 256) >> 8


def rice_words(u, k):
    u = np.asarray(u, dtype=np.int64)
    k = np.broadcast_to(np.asarray(k, dtype=np.int64), u.shape)
    q = u >> k
    esc = q >= Q_ESCAPE
    values = np.where(esc, u, (1 << k) | (u & ((1 << k) - 1)))
    lengths = np.where(esc, Q_ESCAPE + RAW_BITS, q + 1 + k)
    return values, lengths


def rice_bits(u, k) -> int:
    return int(rice_words(u, k)[1].sum())


class _RiceDecoder:
    def __init__(self, payload: bytes):
        self.view = BitView(payload)
        self.next_one, self.window, self.n_bits = self.view.next_one, self.view.window, self.view.n_bits
        self.p = 0
        self.nbytes = len(payload)

    def _check(self):
        if self.p > self.n_bits:
            raise CodecError("corrupt bitstream: Rice payload ends early")

    def read(self, n: int) -> int:
        v = self.window[self.p] >> (16 - n) if n else 0
        self.p += n
        self._check()
        return v

    def rice(self, k: int) -> int:
        p = self.p
        q = self.next_one[p] - p
        if q >= Q_ESCAPE:
            u = self.window[p + Q_ESCAPE] >> (16 - RAW_BITS)
            p += Q_ESCAPE + RAW_BITS
        else:
            p += q + 1
            u = (q << k) | (self.window[p] >> (16 - k)) if k else q
            p += k
        self.p = p
        self._check()
        return u

    def finish(self):
        self._check()
        if self.n_bits - self.p >= 8:
            raise CodecError(f"corrupt bitstream: {(self.n_bits - self.p) // 8} bytes left over")


class RiceScaled:
    name, id = "rice_scaled", 3

    def encode(self, x, L, log2s_q8) -> bytes:
        x, L, ls = _as_pred(x, L, log2s_q8)
        if len(x) == 0:
            return b""
        v, n = rice_words(residual_u(x[1:], L[1:]), k_scaled(ls[1:]))
        return pack(np.concatenate([[x[0]], v]), np.concatenate([[RAW_BITS], n]))

    def decoder(self, payload: bytes):
        return RiceScaledDecoder(payload)


class RiceScaledDecoder(_RiceDecoder):
    def decode_first(self) -> int:
        return self.read(RAW_BITS)

    def decode_one(self, L: int, log2s_q8: int) -> int:
        return unresidual(self.rice(k_scaled_one(int(log2s_q8))), int(L))


class RiceFixed:
    name, id = "rice_fixed", 2

    def best_k(self, x, L) -> int:
        u = residual_u(x[1:], L[1:])
        return int(np.argmin([rice_bits(u, k) for k in range(K_MAX + 1)]))

    def encode(self, x, L, log2s_q8=None, k: int | None = None) -> bytes:
        x, L, _ = _as_pred(x, L, np.zeros(len(L), np.int64) if log2s_q8 is None else log2s_q8)
        if len(x) == 0:
            return b""
        k = self.best_k(x, L) if k is None else int(k)
        if not 0 <= k <= K_MAX:
            raise ValueError("k must be in [0, 10]")
        v, n = rice_words(residual_u(x[1:], L[1:]), k)
        return pack(np.concatenate([[x[0], k], v]), np.concatenate([[RAW_BITS, K_BITS], n]))

    def decoder(self, payload: bytes):
        return RiceFixedDecoder(payload)


class RiceFixedDecoder(_RiceDecoder):
    def decode_first(self) -> int:
        x0 = self.read(RAW_BITS)
        self.k = self.read(K_BITS)
        if self.k > K_MAX:
            raise CodecError("corrupt bitstream: Rice parameter out of range")
        return x0

    def decode_one(self, L: int, log2s_q8: int = 0) -> int:
        return unresidual(self.rice(self.k), int(L))
