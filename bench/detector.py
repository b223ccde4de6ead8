"""The reference spike detector (issue 15, item 5): the offline yardstick of every lossy
mode's fidelity. Floating point, zero-phase, whole file; never in the firmware path.

    spikes, clear, lenient, y, sigma = reference_spikes(codes, rate)
    precision, recall, f1 = score(decoded_spikes, clear, lenient, tol=10)

y: the 10-bit codes as float through a 4th-order Butterworth band-pass 300-6000 Hz applied
forward and backward (``butter(4, [300, 6000], btype="band", fs=rate, output="sos")`` +
``sosfiltfilt``); sigma = median(|y|) / 0.6745 over the file. A spike: a t with
y[t] < -4.5 sigma <= y[t-1], then 20 samples (1 ms at 19,531 Hz) refractory. Scoring with a
margin on both sides: *clear* spikes are those whose minimum of y over [t-2, t+12) is below
-5.5 sigma; *lenient* crossings follow the same rule at -3.5 sigma. Recall = the fraction of
clear spikes with a decoded spike within +-tol samples; precision = the fraction of decoded
spikes within +-tol of a lenient crossing; F1 their harmonic mean.
"""
from __future__ import annotations

import numpy as np
from scipy.signal import butter, sosfiltfilt

BAND_HZ = (300.0, 6000.0)
ORDER = 4
THRESHOLD, CLEAR, LENIENT = 4.5, 5.5, 3.5       # multiples of sigma
REFRACTORY = 20                                   # samples
CLEAR_WINDOW = (-2, 12)                           # [t-2, t+12)
MAD_TO_SIGMA = 0.6745


def band(codes, rate: int) -> np.ndarray:
    """y: the codes band-passed forward and backward (float64)."""
    sos = butter(ORDER, list(BAND_HZ), btype="band", fs=rate, output="sos")
    return sosfiltfilt(sos, np.asarray(codes, dtype=np.float64))


def crossings(y: np.ndarray, level: float, refractory: int = REFRACTORY) -> np.ndarray:
    """Every t with y[t] < level <= y[t-1], each followed by ``refractory`` samples in which
    no further crossing counts (int64 indices, increasing)."""
    t = np.flatnonzero((y[1:] < level) & (y[:-1] >= level)) + 1
    out, last = [], -refractory
    for v in t.tolist():
        if v - last >= refractory:
            out.append(v)
            last = v
    return np.asarray(out, dtype=np.int64)


def reference_spikes(codes, rate: int):
    """(spikes, clear, lenient, y, sigma) of one recording's 10-bit codes."""
    y = band(codes, rate)
    sigma = float(np.median(np.abs(y)) / MAD_TO_SIGMA)
    spikes = crossings(y, -THRESHOLD * sigma)
    lo, hi = CLEAR_WINDOW
    is_clear = [y[max(t + lo, 0):t + hi].min() < -CLEAR * sigma for t in spikes.tolist()]
    clear = spikes[np.asarray(is_clear, dtype=bool)] if len(spikes) else spikes
    lenient = crossings(y, -LENIENT * sigma)
    return spikes, clear, lenient, y, sigma


def _near(a: np.ndarray, b: np.ndarray, tol: int) -> np.ndarray:
    """For each of a: whether some b lies within +-tol (b sorted)."""
    if len(a) == 0:
        return np.zeros(0, dtype=bool)
    if len(b) == 0:
        return np.zeros(len(a), dtype=bool)
    i = np.searchsorted(b, a)
    left = np.abs(a - b[np.clip(i - 1, 0, len(b) - 1)]) <= tol
    right = np.abs(b[np.clip(i, 0, len(b) - 1)] - a) <= tol
    return left | right


def score(decoded_spikes, clear, lenient, tol: int = 10) -> tuple[float, float, float]:
    """(precision, recall, f1) of decoded spikes against a reference's clear and lenient sets
    (1.0 for a ratio with nothing to count)."""
    d = np.sort(np.asarray(decoded_spikes, dtype=np.int64))
    c = np.sort(np.asarray(clear, dtype=np.int64))
    n = np.sort(np.asarray(lenient, dtype=np.int64))
    precision = float(_near(d, n, tol).mean()) if len(d) else 1.0
    recall = float(_near(c, d, tol).mean()) if len(c) else 1.0
    f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return precision, recall, f1

