"""The on-implant event pipeline, per channel and causal: the Python reference of
firmware/src/events.c (same integers; docs/bitstream.md, "Event mode", is the spec).

For every code x[t] (t = 0, 1, ...), with c = x - 512 and c[t] = c[0] for t < 0:

    acc  = sum_j h[j] c[t - j]                     exact (int32: |acc| <= 512 sum|h|)
    y    = rshr(acc, tap_frac - y_frac)            the filtered sample, centred at u = t - lag

From u = t - lag >= 0 on (the first output centred on the file):

    thr  = rshr((m >> 8) * threshold_q8, 8)        m: running median of |y|, Q8
    spike at u  if u >= 1, y < -thr <= y_prev and (no spike yet or u - last >= refractory)
    m   += (m >> k) + 1   if |y| * 2^8 > m,  else m -= m >> k
          k = tracker_shift - 4 while u < warmup, then tracker_shift; m starts at M0
    SBP: s += |y|; after bin_samples outputs: sbp = rdiv(s, bin_samples * 2^sbp_shift), s = 0

Spike times are u (the filter's lag already subtracted); bin b covers u in
[b B, (b + 1) B). An event becomes known at input sample t = u + lag: that is the frame
(t // frame) that carries it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import CodecError
from ..fixed import rdiv, rshr
from .design import quantised_taps
from .params import EventParams

CENTRE = 512
M0_UNITS = 8          # the tracker's start: a median |y| of 8 code units


def m0(p: EventParams) -> int:
    return M0_UNITS << (p.y_frac + 8)


def taps_for(p: EventParams, rate: int) -> np.ndarray:
    """The int16 taps at ``rate``; CodecError when the band does not fit below rate / 2."""
    if 2 * p.band_hi >= rate:
        raise CodecError(f"event mode: the {p.band_lo}-{p.band_hi} Hz band needs a sample rate above "
                         f"{2 * p.band_hi} Hz, not {rate} Hz")
    return quantised_taps(p.taps, rate, p.tap_frac, (p.band_lo, p.band_hi))


def bounds(p: EventParams, h: np.ndarray) -> dict:
    """The proofs the C relies on (docs/bitstream.md, "Event mode"); CodecError if one fails:
    every accumulator and its rounding offset fit int32, every y fits int16, a bin's sum
    and the rounding division's 2 x + k fit int32."""
    abs_sum = int(np.abs(h).sum())
    acc_bound = 512 * abs_sum + (1 << (p.tap_frac - p.y_frac))
    y_max = (acc_bound >> (p.tap_frac - p.y_frac)) + 1
    if acc_bound >= 1 << 31:
        raise CodecError(f"event filter: accumulator bound {acc_bound} does not fit int32")
    if y_max >= 1 << 15:
        raise CodecError(f"event filter: |y| can reach {y_max}, beyond int16 (lower y_frac)")
    if 2 * p.bin_samples * (1 << 15) + p.bin_samples * (1 << p.sbp_shift) >= 1 << 31:
        raise CodecError("event SBP: a bin's sum does not fit the int32 rounding division")
    return {"abs_sum": abs_sum, "acc_bound": acc_bound, "y_max": y_max}


@dataclass
class Events:
    spikes: np.ndarray      # int64 spike times u (samples of the input, lag compensated)
    sbp: np.ndarray         # int64 per whole bin: mean |y| >> sbp_shift (rounded)
    y: np.ndarray           # int64 filtered samples, y[u] centred at u (len n - lag)
    n_samples: int


def filtered(codes, h: np.ndarray) -> np.ndarray:
    """y[t] for t = 0 .. n-1 (the causal output, history = the first code)."""
    c = np.asarray(codes, np.int64) - CENTRE
    if len(c) == 0:
        return np.zeros(0, np.int64)
    pad = np.concatenate([np.full(len(h) - 1, c[0], np.int64), c])
    return np.convolve(pad, np.asarray(h, np.int64), mode="valid")


def run(codes, h: np.ndarray, p: EventParams) -> Events:
    """The whole pipeline on one channel's codes."""
    n = len(codes)
    acc = filtered(codes, h)
    y = rshr(acc, p.tap_frac - p.y_frac)[p.lag:]
    ys = y.tolist()
    spikes, sbp = [], []
    m, last, prev = m0(p), None, 0
    s = cnt = 0
    k_warm, k = p.tracker_shift - 4, p.tracker_shift
    div = p.bin_samples << p.sbp_shift
    for u, v in enumerate(ys):
        thr = ((m >> 8) * p.threshold_q8 + 128) >> 8
        if u >= 1 and v < -thr <= prev and (last is None or u - last >= p.refractory):
            spikes.append(u)
            last = u
        a = -v if v < 0 else v
        sh = k_warm if u < p.warmup else k
        if (a << 8) > m:
            m += (m >> sh) + 1
        else:
            m -= m >> sh
        s += a
        cnt += 1
        if cnt == p.bin_samples:
            sbp.append(int(rdiv(s, div)))
            s = cnt = 0
        prev = v
    return Events(np.array(spikes, np.int64), np.array(sbp, np.int64), y, n)
