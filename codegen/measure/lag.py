"""The range coder's lag: how many symbols after a sample the encoder has emitted the bytes
the decoder needs to decode it (the coder's share of the latency).

    lag = coder_lag(coder, x, L, log2s_q8)    # {"max": 9, "p99": 6, "mean": 2.1, "symbols": n}
    lag = bit_writer_lag(lengths)             # a codeword coder that writes whole bytes (the baseline)

Measured on the Python reference encoder (spikey/coders/range_coder.py), symbol by symbol:
the decoder reads 4 bytes, then one per renormalisation, so it decodes symbol i once it
holds 4 + S(i-1) bytes (S(j): renormalisations after coding symbols 0..j); the encoder has
emitted E(j) bytes after symbol j (fewer than S(j): the cached byte and pending 0xff bytes
wait for a carry). lag(i) = min{j >= i : E(j) >= 4 + S(i-1)} - i; symbols the flush at the
end of the stream releases count up to the last symbol. This is the wait of a streaming
decoder, which reads those bytes before it decodes symbol i (the symbol is sometimes certain
from fewer bytes: an upper bound on what any decoder needs).
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
    """Lag of one range-coded stream (``coder``: spikey's range coder for the model)."""
    if len(x) < 2:
        return {"max": 0, "p99": 0.0, "mean": 0.0, "symbols": len(x)}
    return _lag(*range_positions(coder, x, L, log2s_q8))


def range_positions(coder, x, L, log2s_q8) -> tuple[np.ndarray, np.ndarray]:
    """(bytes emitted after each symbol, bytes the decoder needs for it) of a range-coded stream."""
    x = np.asarray(x, dtype=np.int64)
    n = len(x)
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
    return E, 4 + np.concatenate([[0], S[:-1]])


def bit_writer_lag(lengths) -> dict:
    """Lag of MSB-first codewords written a whole byte at a time (spikey.bitstream): symbol i
    is decodable from ceil(B(i) / 8) bytes, B(i) its end bit; after symbol j, floor(B(j) / 8)
    bytes are out."""
    ends = np.cumsum(np.asarray(lengths, dtype=np.int64))
    return _lag(ends // 8, -(-ends // 8))


def lags(emitted: np.ndarray, need: np.ndarray) -> np.ndarray:
    """Per symbol: how many symbols later the bytes it needs are out (the last symbol's: at the end)."""
    n = len(need)
    return np.minimum(np.searchsorted(emitted, need, side="left"), n - 1) - np.arange(n)


def _lag(emitted: np.ndarray, need: np.ndarray) -> dict:
    n = len(need)
    if n == 0:
        return {"max": 0, "p99": 0.0, "mean": 0.0, "symbols": 0}
    lag = lags(emitted, need)             # emitted is non-decreasing
    return {"max": int(lag.max()), "p99": float(np.percentile(lag, 99)), "mean": float(lag.mean()), "symbols": n}
