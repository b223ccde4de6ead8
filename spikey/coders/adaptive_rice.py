"""Adaptive Rice coding of non-negative integers below 2**10.

Adaptation (one uint32 of state per channel, the same rule in every implementation):

    k    = clamp(floor(log2(m >> SHIFT)), 0, K_MAX)        (k = 0 while m >> SHIFT < 2)
    code u with parameter k
    m    = m + u - (m >> SHIFT)                            (m starts at M0)

so ``m >> SHIFT`` tracks the mean of u over roughly the last 2**SHIFT samples and k is
about log2 of that mean. ``m`` stays below 2**SHIFT * 2**10 + 2**SHIFT: no overflow.

Codeword for u: q = u >> k. If q < Q_ESCAPE: q zeros, a one, the k low bits of u.
Otherwise: Q_ESCAPE zeros, then u in RAW_BITS bits (bounds every codeword at 26 bits).
"""
from __future__ import annotations

import numpy as np

from ..bitstream import BitView, pack
from ..errors import CodecError

SHIFT = 7
M0 = 4 << SHIFT
K_MAX = 10
Q_ESCAPE = 16
RAW_BITS = 10


def _k_of(m: int) -> int:
    mean = m >> SHIFT
    return 0 if mean < 2 else min(K_MAX, mean.bit_length() - 1)


def parameters(u: np.ndarray) -> np.ndarray:
    """The Rice parameter used for each value (the adaptation is a sequential recurrence)."""
    ks = [0] * len(u)
    m = M0
    for i, x in enumerate(u.tolist()):
        ks[i] = _k_of(m)
        m += x - (m >> SHIFT)
    return np.array(ks, dtype=np.int64)


def codewords(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(value, length in bits) of each value's codeword."""
    u = np.asarray(u, dtype=np.int64)
    if u.size and (u.min() < 0 or u.max() >= 1 << RAW_BITS):
        raise ValueError("adaptive Rice codes values in [0, 1024)")
    k = parameters(u)
    q = u >> k
    escape = q >= Q_ESCAPE
    values = np.where(escape, u, (1 << k) | (u & ((1 << k) - 1)))
    return values, np.where(escape, Q_ESCAPE + RAW_BITS, q + 1 + k)


def encode(u: np.ndarray) -> bytes:
    return pack(*codewords(u))


def decode(payload: bytes, n: int) -> np.ndarray:
    view = BitView(payload)
    next_one, window, n_bits = view.next_one, view.window, view.n_bits
    out = [0] * n
    m, p = M0, 0
    for i in range(n):
        if p > n_bits:
            break
        k = _k_of(m)
        q = next_one[p] - p
        if q >= Q_ESCAPE:
            u = window[p + Q_ESCAPE] >> (16 - RAW_BITS)
            p += Q_ESCAPE + RAW_BITS
        else:
            p += q + 1
            u = (q << k) | (window[p] >> (16 - k)) if k else q
            p += k
        out[i] = u
        m += u - (m >> SHIFT)
    if p > n_bits:
        raise CodecError("corrupt bitstream: Rice payload ends early")
    return np.array(out, dtype=np.int64)
