"""The ideal coder's cost of the model's distribution (docs/model-format.md section 2), in
float64: what a perfect entropy coder would pay for the predictions, the figure the real
coders are measured against (bench/coders_vs_ideal.py) and the quantisation loss is
reported in (codegen build)."""
from __future__ import annotations

import math

import numpy as np


def log_mass(a: np.ndarray, b: np.ndarray, family: str) -> np.ndarray:
    """log P(a <= z < b) for the family's standard distribution (natural log), elementwise."""
    a, b = a.astype(np.float64), b.astype(np.float64)
    if family == "logistic":
        ls = lambda z: -np.logaddexp(0.0, -z)  # noqa: E731  log sigmoid
        return ls(a) + ls(-b) + np.log(-np.expm1(b - a))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        right = -b + np.log(-np.expm1(b - a)) - math.log(2.0)
        left = a + np.log(-np.expm1(b - a)) - math.log(2.0)
        mid = np.log(np.maximum(1 - 0.5 * np.exp(np.minimum(b, 0)) - 0.5 * np.exp(-np.maximum(a, 0)), 1e-300))
    return np.where(b >= 0, right, np.where(a <= 0, left, mid))


def float_edges(meta: dict) -> np.ndarray:
    """The coder's code edges in code units (float64, 1025): learned, or k - 1/2."""
    c = meta["coder"]
    if c["edges_q"] is None:
        return np.arange(1025, dtype=np.float64) - 0.5
    return np.asarray(c["edges"], dtype=np.float64) / (1 << c["edges_q"])


def bin_bits(codes, L, log2_s, meta: dict) -> float:
    """Bits of the codes ``codes[1:]`` under the distribution centred on code ``L[t]`` with
    log2-scale ``log2_s[t]`` (real), t = 0..n-2, discretised on the model's edges."""
    e = float_edges(meta)
    L = np.asarray(L, dtype=np.int64)
    k = np.asarray(codes, dtype=np.int64)[1:]
    inv_s = np.exp2(-np.asarray(log2_s, dtype=np.float64))
    m = 0.5 * (e[L] + e[L + 1])
    lm = log_mass((e[k + 1] - m) * inv_s, (e[k] - m) * inv_s, meta["coder"]["family"])
    return float(-lm.sum() / math.log(2.0))


def ideal_bits(codes, L, log2s_q8, meta: dict) -> float:
    """Total bits of a file under an ideal coder for integer predictions (row t predicts
    x[t+1]); the first sample costs 10 bits."""
    L = np.asarray(L, dtype=np.int64)[:-1]
    log2_s = np.asarray(log2s_q8, dtype=np.float64)[:-1] / 256.0
    return bin_bits(codes, L, log2_s, meta) + 10.0
