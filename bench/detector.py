"""The reference spike detector: the fixed offline yardstick of the event mode (issue 15).

Never in a firmware path. Floating point, non-causal, whole file at once:

    y      = the 10-bit codes as float, 4th-order Butterworth band-pass 300-6000 Hz applied
             forward and backward (scipy.signal.butter(4, [300, 6000], btype="band", fs=rate,
             output="sos") + sosfiltfilt)
    sigma  = median(|y|) / 0.6745 over the file
    spikes = every t with y[t] < -4.5 sigma <= y[t-1], then REFRACTORY samples (1 ms at
             19,531 Hz) in which no other crossing counts

Scoring with a margin on both sides (a spike whose peak grazes the threshold flips under any
change of filter):

    clear    reference spikes whose minimum of y over [t-2, t+12) lies below -5.5 sigma
    lenient  crossings by the same rule at -3.5 sigma
    recall   fraction of clear spikes with a decoded spike within +-tol samples
    precision fraction of decoded spikes within +-tol samples of a lenient crossing
    F1       their harmonic mean

    spikes, clear, lenient, y, sigma = reference_spikes(codes, rate)
    precision, recall, f1 = score(decoded_spikes, clear, lenient, tol=10)
    sbp = reference_sbp(y, bin_samples)          # mean |y| per whole bin
"""
from __future__ import annotations

import numpy as np
from scipy.signal import butter, sosfiltfilt

BAND_HZ = (300.0, 6000.0)
ORDER = 4
THRESHOLD = 4.5          # spikes, in sigma
CLEAR = 5.5              # recall counts spikes whose trough is below this many sigma
LENIENT = 3.5            # precision counts decoded spikes near a crossing at this many sigma
REFRACTORY = 20          # samples after a spike in which no other crossing counts
CLEAR_WINDOW = (-2, 12)  # the trough of a spike at t is searched in [t-2, t+12)
MAD_TO_SIGMA = 0.6745


def filtered(codes, rate: int) -> np.ndarray:
    """The codes as float64, band-passed forward and backward (zero phase)."""
    x = np.asarray(codes, dtype=np.float64)
    sos = butter(ORDER, list(BAND_HZ), btype="band", fs=rate, output="sos")
    return sosfiltfilt(sos, x)


def noise_sigma(y: np.ndarray) -> float:
    """The robust noise level: median(|y|) / 0.6745."""
    return float(np.median(np.abs(y)) / MAD_TO_SIGMA) if len(y) else 0.0


def crossings(y: np.ndarray, level: float, refractory: int = REFRACTORY) -> np.ndarray:
    """Every t with y[t] < level <= y[t-1] (t >= 1), keeping the first of any that fall
    within ``refractory`` samples after a kept one (int64 sample indices)."""
    y = np.asarray(y, dtype=np.float64)
    cand = np.flatnonzero((y[1:] < level) & (y[:-1] >= level)) + 1
    kept, last = [], None
    for t in cand.tolist():
        if last is None or t - last >= refractory:
            kept.append(t)
            last = t
    return np.array(kept, dtype=np.int64)


def reference_spikes(codes, rate: int):
    """(spikes, clear, lenient, y, sigma) of one recording's codes (see the module doc)."""
    y = filtered(codes, rate)
    sigma = noise_sigma(y)
    spikes = crossings(y, -THRESHOLD * sigma)
    lenient = crossings(y, -LENIENT * sigma)
    lo, hi = CLEAR_WINDOW
    troughs = np.array([y[max(t + lo, 0):t + hi].min() for t in spikes.tolist()], dtype=np.float64)
    clear = spikes[troughs < -CLEAR * sigma] if len(spikes) else spikes
    return spikes, clear, lenient, y, sigma


def _near(a: np.ndarray, b: np.ndarray, tol: int) -> np.ndarray:
    """For every element of ``a``: is some element of ``b`` within +-tol?"""
    a, b = np.asarray(a, np.int64), np.sort(np.asarray(b, np.int64))
    if len(b) == 0:
        return np.zeros(len(a), bool)
    i = np.searchsorted(b, a)
    left = np.abs(a - b[np.clip(i - 1, 0, len(b) - 1)])
    right = np.abs(b[np.clip(i, 0, len(b) - 1)] - a)
    return np.minimum(left, right) <= tol


def score(decoded_spikes, clear, lenient, tol: int = 10):
    """(precision, recall, f1) of decoded spike times against the reference. An empty set
    scores 1.0 (nothing to find, nothing wrong); F1 is 0 when precision + recall is 0."""
    d = np.asarray(decoded_spikes, np.int64)
    recall = float(_near(clear, d, tol).mean()) if len(clear) else 1.0
    precision = float(_near(d, lenient, tol).mean()) if len(d) else 1.0
    f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return precision, recall, f1


def counts(decoded_spikes, clear, lenient, tol: int = 10) -> dict:
    """The integers behind :func:`score`, for totals over many files."""
    d = np.asarray(decoded_spikes, np.int64)
    return {"clear": len(clear), "found": int(_near(clear, d, tol).sum()),
            "decoded": len(d), "true": int(_near(d, lenient, tol).sum())}


def score_counts(c: dict):
    """(precision, recall, f1) from summed :func:`counts`."""
    recall = c["found"] / c["clear"] if c["clear"] else 1.0
    precision = c["true"] / c["decoded"] if c["decoded"] else 1.0
    f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return precision, recall, f1


def reference_sbp(y: np.ndarray, bin_samples: int) -> np.ndarray:
    """Spike-band power: mean |y| over each whole bin of ``bin_samples``."""
    n = len(y) // bin_samples
    return np.abs(np.asarray(y[:n * bin_samples], np.float64)).reshape(n, bin_samples).mean(axis=1)
