"""The range coder's lag: how many symbols after a sample the encoder has emitted the bytes
the decoder needs to decode it (the coder's share of the latency).

    lag = coder_lag(coder, x, L, log2s_q8)    # {"max": 9, "p99": 6, "mean": 2.1, "symbols": n}

Measured on the Python reference encoder (spikey/coders/range_coder.py), symbol by symbol:
the decoder reads 4 bytes, then one per renormalisation, so it decodes symbol i once it
holds 4 + S(i-1) bytes (S(j): renormalisations after coding symbols 0..j); the encoder has
emitted E(j) bytes after symbol j (fewer than S(j): the cached byte and pending 0xff bytes
wait for a carry). lag(i) = min{j >= i : E(j) >= 4 + S(i-1)} - i; symbols the flush at the
end of the stream releases count up to the last symbol.
"""
from __future__ import annotations

import numpy as np

from spikey.coders.range_coder import TOP, RangeEncoder


class _Counting(RangeEncoder):
    def __init__(self, pbits: int):
        super().__init__(pbits)
        self.shifts = 0

    def _shift_low(self):
        self.shifts += 1
        super()._shift_low()


def coder_lag(coder, x, L, log2s_q8) -> dict:
    """Per-symbol lag of one range-coded stream (``coder``: spikey's range coder for the model)."""
    x = np.asarray(x, dtype=np.int64)
    n = len(x)
    if n < 2:
        return {"max": 0, "p99": 0.0, "mean": 0.0, "symbols": n}
    u = coder.pbits - 10
    lo, hi = coder.cdf_bounds(x, np.asarray(L, np.int64), np.asarray(log2s_q8, np.int64))
    lo = [int(x[0]) << u] + lo.tolist()
    hi = [(int(x[0]) + 1) << u] + hi.tolist()
    enc = _Counting(coder.pbits)
    pb = coder.pbits
    S = np.empty(n, np.int64)
    E = np.empty(n, np.int64)
    for i, (a, b) in enumerate(zip(lo, hi)):
        r = enc.range >> pb
        enc.low += r * a
        enc.range = r * (b - a)
        while enc.range < TOP:
            enc.range <<= 8
            enc._shift_low()
        S[i], E[i] = enc.shifts, len(enc.out)
    need = 4 + np.concatenate([[0], S[:-1]])
    j = np.minimum(np.searchsorted(E, need, side="left"), n - 1)   # E is non-decreasing
    lag = j - np.arange(n)
    return {"max": int(lag.max()), "p99": float(np.percentile(lag, 99)), "mean": float(lag.mean()), "symbols": n}
