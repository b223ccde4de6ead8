"""Number formats of the integer IR, offline: real values -> integers (weights, biases,
calibrated inputs) and the choice of a tensor's ``frac``. Never in the firmware data path.

The rounding and saturation rules themselves are :mod:`spikey.fixed` (round_real, sat):
``quantize_real`` applies them to reals.
"""
from __future__ import annotations

import math

import numpy as np

from spikey import fixed


def quantize_real(x, frac, bits: int = 16):
    """Real value(s) -> integers at ``frac`` bits: ``sat(round_real(x * 2**frac), bits)``.
    ``frac`` may be an array (per channel) broadcast against ``x``. Exact for
    power-of-two scales (float64)."""
    y = np.ldexp(np.asarray(x, dtype=np.float64), np.asarray(frac, dtype=np.int64))
    bound = 2.0 ** (bits - 1)
    return fixed.sat(fixed.round_real(np.clip(y, -bound - 1, bound)), bits)   # clipped first: no int overflow


def dequantize(q, frac):
    return np.ldexp(np.asarray(q, dtype=np.float64), -np.asarray(frac, dtype=np.int64))


def frac_for(maxabs: float, bits: int = 16, lo: int = -16, hi: int = 30) -> int:
    """Largest ``frac`` with ``maxabs * 2**frac <= 2**(bits-1) - 1`` (clamped to [lo, hi])."""
    qmax = (1 << (bits - 1)) - 1
    if not maxabs > 0 or not math.isfinite(maxabs):
        return hi
    f = math.floor(math.log2(qmax / maxabs))
    while maxabs * 2.0 ** f > qmax:  # guard against log2 rounding
        f -= 1
    while maxabs * 2.0 ** (f + 1) <= qmax:
        f += 1
    return int(min(max(f, lo), hi))


def maxabs(a) -> float:
    """max |a| over an array (0 for an empty one), the calibration statistic."""
    a = np.asarray(a, dtype=np.float64)
    return float(np.max(np.abs(a))) if a.size else 0.0
