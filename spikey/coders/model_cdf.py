"""The model's coding distribution as an integer CDF: the Python reference of
docs/coders.md section 1, which is the specification (arithmetic, tables, guarantees).

``ModelCdf(edges, family, P).cdf(k, L, log2s_q8)`` is C(k) of that section, computed in
exactly the integer steps it lists (``cdf_np`` vectorised, the same integers); the tables
RINV and TAIL (and the decoder's search aids SCALE and ITAIL, section 1.4) are built here
once, in float, then frozen as integers. The C runtime carries the same integers in
firmware/src/model_cdf_tables.h, generated from these functions by ``codegen.emit.tables``
(a test compares the two).
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ..fixed import round_real, rshr

N_CODES = 1024
PBITS = 18                 # total frequency 2**PBITS (docs/coders.md §1.3: measured trade-off)
EDGE_Q = 16                # edges are int32 in Q16 code units
LOG2S_MIN, LOG2S_MAX = -512, 2560
Z_Q = 16                   # |z| fixed point
STEP_BITS = 5              # table step 2**-5
FRAC_BITS = Z_Q - STEP_BITS
Z_MAX = 16                 # |z| saturates just below 16
N_TAIL = Z_MAX << STEP_BITS          # 512 steps, 513 knots
ZSAT = (Z_MAX << Z_Q) - 1
RINV_Q = 15
FAMILIES = {"logistic": 0, "laplace": 1}


def _g(z: float, family: str) -> float:
    if family == "logistic":
        return 1.0 / (1.0 + math.exp(-z))
    return 0.5 * math.exp(z) if z < 0 else 1.0 - 0.5 * math.exp(-z)


@lru_cache(maxsize=None)
def rinv_table() -> tuple[int, ...]:
    return tuple(round_real((1 << RINV_Q) * 2.0 ** (-f / 256.0)) for f in range(256))


@lru_cache(maxsize=None)
def tail_table(family: str = "logistic", pbits: int = PBITS) -> tuple[int, ...]:
    """TAIL[j] = round(M * G(-j/32)), j = 0..512; TAIL[0] = M/2 exactly."""
    if family not in FAMILIES:
        raise ValueError(f"unknown coder family {family!r}")
    m = (1 << pbits) - N_CODES
    t = [round_real(m * _g(-j / (1 << STEP_BITS), family)) for j in range(N_TAIL + 1)]
    t[0] = m >> 1
    return tuple(t)


# Decoder search aids (docs/coders.md §1.4): they only choose where the search looks first,
# never its result, so they carry no exactness requirement.
ITAIL_SHIFT = 8            # the inverse table's step in cumulative-frequency units (2**8)
ITAIL_Q = 11               # its z values: signed Q11 (int16)
SCALE_Q = 15


@lru_cache(maxsize=None)
def scale_table() -> tuple[int, ...]:
    """SCALE[f] = round(2**15 * 2**(f/256)), f = 0..255: the scale's fraction (RINV's inverse)."""
    return tuple(round_real((1 << SCALE_Q) * 2.0 ** (f / 256.0)) for f in range(256))


def _f_of_z(tail, m: int, z: int) -> int:
    """F as a function of the signed Q16 z (C(k) = k + F): non-decreasing."""
    a = -z if z < 0 else z
    j, r = a >> FRAC_BITS, a & ((1 << FRAC_BITS) - 1)
    t = tail[j] - (((tail[j] - tail[j + 1]) * r) >> FRAC_BITS)
    return t if z < 0 else m - t


@lru_cache(maxsize=None)
def itail_table(family: str = "logistic", pbits: int = PBITS) -> tuple[int, ...]:
    """F's inverse, for the decoder's first guess. Entry i covers v = target - L in
    [i * 256 - 1024, (i + 1) * 256 - 1024), the range of target - L: the largest signed z
    (Q16, in [-ZSAT, ZSAT]) with F(z) <= v at the middle of that step, floored to Q11
    (int16). Integer only."""
    tail = tail_table(family, pbits)
    m = (1 << pbits) - N_CODES
    out = []
    for i in range(((1 << pbits) + N_CODES) >> ITAIL_SHIFT):
        v = (i << ITAIL_SHIFT) - N_CODES + (1 << (ITAIL_SHIFT - 1))
        lo, hi = -ZSAT, ZSAT              # largest z with F(z) <= v (or -ZSAT if none)
        while lo < hi:
            mid = (lo + hi + 1) >> 1
            if _f_of_z(tail, m, mid) <= v:
                lo = mid
            else:
                hi = mid - 1
        out.append(lo >> (Z_Q - ITAIL_Q))
    return tuple(out)


def uniform_edges() -> np.ndarray:
    """e[k] = k - 1/2 in Q16."""
    return (np.arange(N_CODES + 1, dtype=np.int64) << EDGE_Q) - (1 << (EDGE_Q - 1))


def edges_from_meta(meta: dict) -> np.ndarray:
    """The model's code edges as int64 Q16 (uniform when ``coder.edges_q`` is null)."""
    c = meta["coder"]
    if c.get("edges_q") is None:
        return uniform_edges()
    e = np.asarray(c["edges"], dtype=np.int64)
    q = int(c["edges_q"])
    if q != EDGE_Q:      # requantise to Q16 (round half up)
        e = (e << (EDGE_Q - q)) if q < EDGE_Q else rshr(e, q - EDGE_Q)
    check_edges(e)
    return e


def check_edges(e) -> None:
    e = np.asarray(e, dtype=np.int64)
    if e.shape != (N_CODES + 1,):
        raise ValueError("the coder needs 1025 edges")
    if np.any(np.diff(e) <= 0):
        raise ValueError("code edges must be strictly increasing")
    if e.min() < -(1 << 27) or e.max() >= (1 << 27):
        raise ValueError("code edges must lie in (-2**27, 2**27) in Q16")


def clamp_log2s(log2s_q8):
    return np.clip(log2s_q8, LOG2S_MIN, LOG2S_MAX)


class ModelCdf:
    """The integer CDF for one (edges, family, P). Scalar methods for the decoders and
    numpy-vectorised ones for the encoders; both compute the same integers."""

    def __init__(self, edges=None, family: str = "logistic", pbits: int = PBITS):
        if not 12 <= pbits <= 24:
            raise ValueError("pbits must be in [12, 24]")
        self.edges = uniform_edges() if edges is None else np.asarray(edges, dtype=np.int64)
        check_edges(self.edges)
        self.family, self.pbits = family, pbits
        self.total = 1 << pbits
        self.m = self.total - N_CODES
        self.tail = tail_table(family, pbits)
        self.rinv = rinv_table()
        self._e = [int(v) for v in self.edges]
        self._tail_np = np.array(self.tail, dtype=np.int64)
        self._rinv_np = np.array(self.rinv, dtype=np.int64)
        self.evaluations = 0          # scalar cdf() calls (the decoder's search cost)

    # -- scalar ---------------------------------------------------------------------
    def cdf(self, k: int, L: int, log2s_q8: int) -> int:
        """C(k) for k in 0..1024 (log2s_q8 already clamped)."""
        self.evaluations += 1
        if k <= 0:
            return 0
        if k >= N_CODES:
            return self.total
        e = self._e
        a = 2 * e[k] - e[L] - e[L + 1]
        z = ((a if a >= 0 else -a) * self.rinv[log2s_q8 & 255]) >> (16 + (log2s_q8 >> 8))
        if z > ZSAT:
            z = ZSAT
        j, r = z >> FRAC_BITS, z & ((1 << FRAC_BITS) - 1)
        t0 = self.tail[j]
        t = t0 - (((t0 - self.tail[j + 1]) * r) >> FRAC_BITS)
        return k + (t if a < 0 else self.m - t)

    def find(self, target: int, L: int, log2s_q8: int) -> tuple[int, int, int]:
        """The code x with C(x) <= target < C(x+1) (0 <= target < 2**P), found by a
        galloping search outward from L. Returns (x, C(x), C(x+1))."""
        cdf = self.cdf
        c = cdf(L, L, log2s_q8)
        if target >= c:                       # x >= L: C(lo) <= target, find hi with C(hi) > target
            lo, clo, step = L, c, 1
            while True:
                hi = min(lo + step, N_CODES)
                chi = cdf(hi, L, log2s_q8)
                if chi > target:
                    break
                lo, clo, step = hi, chi, step * 2
        else:                                 # x < L: C(hi) > target, find lo with C(lo) <= target
            hi, chi, step = L, c, 1
            while True:
                lo = max(hi - step, 0)
                clo = cdf(lo, L, log2s_q8)
                if clo <= target:
                    break
                hi, chi, step = lo, clo, step * 2
        while hi - lo > 1:                    # invariant C(lo) <= target < C(hi)
            mid = (lo + hi) >> 1
            cm = cdf(mid, L, log2s_q8)
            if cm <= target:
                lo, clo = mid, cm
            else:
                hi, chi = mid, cm
        return lo, clo, chi

    # -- vectorised -----------------------------------------------------------------
    def cdf_np(self, k, L, log2s_q8) -> np.ndarray:
        """C(k) elementwise (int64 arrays; log2s_q8 clamped here)."""
        k = np.asarray(k, dtype=np.int64)
        L = np.asarray(L, dtype=np.int64)
        ls = clamp_log2s(np.asarray(log2s_q8, dtype=np.int64))
        kk = np.clip(k, 0, N_CODES)
        e = self.edges
        a = 2 * e[kk] - e[L] - e[L + 1]
        z = (np.abs(a) * self._rinv_np[ls & 255]) >> (16 + (ls >> 8))
        z = np.minimum(z, ZSAT)
        j, r = z >> FRAC_BITS, z & ((1 << FRAC_BITS) - 1)
        t0 = self._tail_np[j]
        t = t0 - (((t0 - self._tail_np[j + 1]) * r) >> FRAC_BITS)
        c = kk + np.where(a < 0, t, self.m - t)
        return np.where(kk <= 0, 0, np.where(kk >= N_CODES, self.total, c))

    def table(self, L: int, log2s_q8: int) -> np.ndarray:
        """C(0..1024) for one prediction (tests, plots)."""
        k = np.arange(N_CODES + 1)
        return self.cdf_np(k, np.full_like(k, L), np.full_like(k, log2s_q8))


def float_pmf(edges_q16, L: int, log2s: float, family: str = "logistic") -> np.ndarray:
    """The real-valued discretised distribution of docs/model-format.md §2 (tests and
    ideal code lengths); mass outside [e_1, e_1023] goes to the end codes."""
    e = np.asarray(edges_q16, dtype=np.float64) / (1 << EDGE_Q)
    m = 0.5 * (e[L] + e[L + 1])
    z = (e - m) * 2.0 ** (-log2s)
    if family == "logistic":
        F = 0.5 * (1.0 + np.tanh(0.5 * z))
    else:
        F = np.where(z < 0, 0.5 * np.exp(np.minimum(z, 0)), 1.0 - 0.5 * np.exp(-np.maximum(z, 0)))
    F[0], F[-1] = 0.0, 1.0
    return np.diff(F)
