"""The spike-band filter of the event mode, designed offline (float, numpy only) and
quantised to int16 taps by the one rounding rule (spikey.fixed.round_real).

The target is the magnitude response of the reference detector's filter (bench/detector.py:
a 4th-order Butterworth band-pass applied forward and backward), in closed form: with the
bilinear transform's pre-warped frequency W(f) = tan(pi f / rate),

    u(f) = (W^2 - W_lo W_hi) / (W (W_hi - W_lo)),   |H(f)|^2 = 1 / (1 + u^(2 order)),

and forward-backward squares that: target(f) = |H(f)|^4 (zero phase). The FIR is linear
phase, odd length N = 2 M + 1, symmetric (h[j] = h[N-1-j]); its zero-phase response
c_0 + 2 sum_k c_k cos(2 pi f k / rate) is least-squares fitted to the target on a uniform
grid of GRID frequencies in [0, rate/2). The quantised taps sum to zero exactly (the centre
tap absorbs the rounding and the fit's small DC gain), so a channel's offset never reaches
the detector or SBP. The causal filter delays by M samples, which the detector subtracts
from every spike time (lag compensation).
"""
from __future__ import annotations

import numpy as np

from ..fixed import round_real

GRID = 4096


def target_response(f: np.ndarray, rate: int, band=(300.0, 6000.0), order: int = 4) -> np.ndarray:
    """|H(f)|^4 of the reference's Butterworth band-pass, forward and backward."""
    w = np.tan(np.pi * np.asarray(f, np.float64) / rate)
    lo, hi = (np.tan(np.pi * b / rate) for b in band)
    with np.errstate(divide="ignore"):
        u = (w * w - lo * hi) / (w * (hi - lo))
    h2 = np.where(w > 0, 1.0 / (1.0 + u ** (2 * order)), 0.0)
    return h2 * h2


def design_taps(taps: int, rate: int, band=(300.0, 6000.0)) -> np.ndarray:
    """The float taps (length ``taps``, odd) of the least-squares linear-phase fit."""
    if taps < 3 or taps % 2 == 0:
        raise ValueError("the filter needs an odd number of taps, at least 3")
    m = (taps - 1) // 2
    f = np.arange(GRID) * (rate / 2) / GRID
    a = np.concatenate([np.ones((GRID, 1)), 2 * np.cos(2 * np.pi * np.outer(f, np.arange(1, m + 1)) / rate)], axis=1)
    c = np.linalg.lstsq(a, target_response(f, rate, band), rcond=None)[0]
    return np.concatenate([c[:0:-1], c])


def quantised_taps(taps: int, rate: int, frac: int, band=(300.0, 6000.0)) -> np.ndarray:
    """The int16 taps q = round_real(h * 2^frac), symmetric by construction, with the centre
    tap then set so that sum(q) = 0: no DC reaches y, whatever a channel's offset."""
    q = round_real(design_taps(taps, rate, band) * (1 << frac))
    q[taps // 2] -= q.sum()
    if np.abs(q).max() > 32767:
        raise ValueError(f"a tap does not fit int16 at frac {frac}")
    return q.astype(np.int64)
