"""Thread topology: which channels talk to which in MiddleOut.

Computed once from a calibration recording (the first ``seconds`` of every channel,
recorded simultaneously). The activity of a channel is its first difference; the
distance between two channels is ``1 - |r|`` of their activities (zero lag, the only lag
at which the channels are measurably correlated). Each channel's peers are its ``k``
nearest channels. For the zero-lag variant, channels are coded in a fixed order within
a frame (their index), and a channel's peers are the ``k`` nearest among the channels
coded before it, so that their current samples are already known to the decoder.
"""
from __future__ import annotations

import numpy as np


def activity_distance(calibration: np.ndarray) -> np.ndarray:
    """calibration: (channels, n) codes -> (channels, channels) float distances, 0 on the diagonal."""
    d = np.diff(np.asarray(calibration, dtype=np.float64), axis=1)
    d -= d.mean(axis=1, keepdims=True)
    norm = np.sqrt((d * d).sum(axis=1))
    norm[norm == 0] = 1.0
    r = (d @ d.T) / np.outer(norm, norm)
    dist = 1.0 - np.abs(r)
    np.fill_diagonal(dist, 0.0)
    return dist


def peers(dist: np.ndarray, k: int, earlier_only: bool = False) -> np.ndarray:
    """(channels, k) int peer indices, -1 where a channel has fewer than k candidates.

    Ties are broken by channel index, so the result is deterministic."""
    c = dist.shape[0]
    out = np.full((c, k), -1, dtype=np.int64)
    for i in range(c):
        cand = np.arange(i) if earlier_only else np.delete(np.arange(c), i)
        if len(cand) == 0:
            continue
        order = cand[np.lexsort((cand, dist[i, cand]))]
        out[i, : min(k, len(order))] = order[:k]
    return out


def thread_topology(calibration: np.ndarray, k: int, earlier_only: bool = False) -> dict:
    """The topology as stored in the model metadata."""
    dist = activity_distance(calibration)
    p = peers(dist, k, earlier_only)
    return {"channels": int(dist.shape[0]), "k": int(k), "order": list(range(dist.shape[0])),
            "earlier_only": bool(earlier_only), "peers": p.tolist(),
            "distance": "1 - |pearson r| of first differences, zero lag"}
