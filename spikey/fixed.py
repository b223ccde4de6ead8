"""The integer rules of Spikey, in Python (numpy int64), one function each (docs/fixed-point.md).

This module and ``firmware/include/spikey_fixed.h`` are the two spellings of the rules;
each function here names its C inline. Every integer computation of the reference (the
features, the network, the output rule, the peer mean) is composed of these functions and
of exact integer arithmetic, so there is one place per rule:

- rounding: :func:`rshr` (a power-of-two divisor) and :func:`rdiv` (any positive
  divisor), both round half up; :func:`round_offset` is the offset rshr adds, for code
  that folds it into an accumulator's start;
- saturation: :func:`sat` (clamp to the two's-complement range of ``bits``);
- everything else (requantisation, rescaling, the LUT interpolation, ...) is built from
  those two.

Everything works on Python ints or numpy integer arrays (computed in int64) and is
exact: no float is used. Conventions: a tensor with ``frac`` bits holds
``value = q * 2**-frac`` (``frac`` may be negative).
"""
from __future__ import annotations

import numpy as np

INT16_MIN, INT16_MAX = -(1 << 15), (1 << 15) - 1
INT32_MAX = (1 << 31) - 1
Q_GATE = 12          # LSTM gate pre-activations / LUT inputs: Q3.12 (range [-8, 8))
Q_UNIT = 15          # LUT outputs, LSTM gates and hidden state: Q0.15
LUT_SEGMENTS = 256   # sigmoid/tanh table: 257 knots over [-8, 8), step 1/16
LUT_SHIFT = 8        # 16-bit input -> 8-bit index + 8-bit interpolation fraction


def _i64(x):
    return np.asarray(x, dtype=np.int64) if isinstance(x, np.ndarray) else int(x)


def round_offset(s):
    """The offset of the rounding rule: ``2**(s-1)`` for s > 0, 0 for s == 0 (elementwise
    for an array of shifts). ``rshr(x, s) == (x + round_offset(s)) >> s``.
    C: the offset inside ``spk_rshr32``; generated code that starts an accumulator at
    ``bias + round_offset(s)`` ends it with ``spk_shr_rounded32`` (spikey_fixed.h)."""
    if isinstance(s, np.ndarray):
        s = s.astype(np.int64)
        return np.left_shift(np.int64(1), s) >> 1
    return (1 << int(s)) >> 1


def rshr(x, s):
    """Rounding right shift, round half up: floor((x + 2**(s-1)) / 2**s); s == 0 is identity.

    C: ``spk_rshr32`` / ``spk_rshr64``. -2.5 -> -2, -3.5 -> -3, 2.5 -> 3 (half up, i.e.
    towards +inf). ``s`` may be an array (elementwise, all >= 0). The caller (range
    analysis) guarantees ``x + 2**(s-1)`` fits the width."""
    if np.ndim(s) == 0:
        s = int(s)
        if s < 0:
            raise ValueError("rshr: negative shift")
        return (_i64(x) + round_offset(s)) >> s
    s = np.asarray(s, dtype=np.int64)
    if np.any(s < 0):
        raise ValueError("rshr: negative shift")
    return (np.asarray(x, dtype=np.int64) + round_offset(s)) >> s


def rdiv(x, k: int):
    """Division by a positive integer ``k``, rounded half up: floor((2 x + k) / (2 k)).

    For ``k = 2**s`` this is :func:`rshr` (x, s). C: ``spk_rdiv32``. The caller keeps
    ``|2 x + k|`` inside the width."""
    if k <= 0:
        raise ValueError("rdiv: the divisor must be positive")
    return (2 * _i64(x) + k) // (2 * k)


def round_real(x):
    """The rounding rule applied to reals: floor(x + 1/2) (half up), as an int or an int64
    array. Offline only (building constant tables, quantising weights and inputs): never in
    a data path. Exact for the dyadic values it is given there (float64)."""
    if isinstance(x, np.ndarray) or np.ndim(x):
        return np.floor(np.asarray(x, dtype=np.float64) + 0.5).astype(np.int64)
    return int(np.floor(float(x) + 0.5))


def sat(x, bits: int = 16):
    """Saturate to the signed ``bits``-bit range. C: ``spk_sat16_32`` / ``spk_sat16_64``."""
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    x = _i64(x)
    if isinstance(x, np.ndarray):
        return np.clip(x, lo, hi)
    return min(max(x, lo), hi)


def sat16(x):
    return sat(x, 16)


def rescale(q, s):
    """``rshr(q, s)`` where s >= 0 and ``q * 2**-s`` (exact) where s < 0; elementwise.
    The format change of an int without saturation (the output rule). C: the two branches
    of ``spk_pred_output``."""
    q = _i64(q)
    if np.ndim(s) == 0 and not isinstance(q, np.ndarray):
        s = int(s)
        return rshr(q, s) if s >= 0 else q * (1 << -s)
    q = np.asarray(q, dtype=np.int64)
    s = np.broadcast_to(np.asarray(s, dtype=np.int64), q.shape)
    return np.where(s >= 0, rshr(q, np.maximum(s, 0)), q * np.left_shift(np.int64(1), np.maximum(-s, 0)))


def requant16(acc, s):
    """Requantise an accumulator to int16: ``sat16(rescale(acc, s))``, i.e.
    ``sat16(rshr(acc, s))`` for s >= 0 and ``sat16(acc * 2**-s)`` (exact) for s < 0. ``s``
    may be an array broadcast against ``acc`` (per-channel shifts).
    C: ``spk_requant16_32`` / ``spk_requant16_64``."""
    return sat16(rescale(acc, s))


def relu(x):
    """max(x, 0). C: ``spk_relu16``."""
    x = _i64(x)
    return np.maximum(x, 0) if isinstance(x, np.ndarray) else max(x, 0)


def dot(x, w):
    """Exact dot product over the last axis: ``sum_i x[..., i] * w[..., i]`` (int64).

    C: ``spk_dot_s16`` / ``spk_dot_s8`` (int16 or int8 weights, 32- or 64-bit
    accumulator); the range analysis proves every partial sum fits, in any order."""
    return np.einsum("...i,...i->...", np.asarray(x, dtype=np.int64), np.asarray(w, dtype=np.int64))


def matvec(x, w):
    """``dot`` of every row of ``w`` (out, in) with ``x`` (..., in) -> (..., out)."""
    return np.asarray(x, dtype=np.int64) @ np.asarray(w, dtype=np.int64).T


def mul_rshr(a, b, s: int):
    """``rshr(a * b, s)`` for int16 operands, product in 32 bits. C: ``spk_mul_rshr``."""
    return rshr(_i64(a) * _i64(b), s)


def lut_interp(table, x):
    """Table function with linear interpolation, Q3.12 int16 input -> int16 output.

    ``u = x + 32768`` (0..65535), ``k = u >> 8``, ``r = u & 255``,
    ``y = T[k] + rshr((T[k+1] - T[k]) * r, 8)``. ``table`` has 257 int16 knots.
    C: ``spk_lut_interp``."""
    t = np.asarray(table, dtype=np.int64)
    u = _i64(x) + 32768
    k = u >> LUT_SHIFT
    r = u & ((1 << LUT_SHIFT) - 1)
    return t[k] + rshr((t[k + 1] - t[k]) * r, LUT_SHIFT)


# --- near-lossless quantisation (docs/coders.md §6) ------------------------------------------

NEAR_MAX_ERROR = 255     # the largest error bound D a near-lossless stream may declare


def near_bin(r, d: int):
    """The quantised residual of near-lossless coding: the bin q of step ``2d + 1`` whose
    centre ``q (2d + 1)`` is nearest to the residual ``r`` (in codes): floor((r + d) / (2d + 1)),
    so |r - q (2d + 1)| <= d exactly (the step is odd: no ties). C: ``spk_near_bin``
    (for |r| <= 1023 and 0 <= d <= NEAR_MAX_ERROR, as a non-negative division)."""
    return (_i64(r) + d) // (2 * d + 1)


def near_span(L, q, d: int, top: int = 1023):
    """(lo, hi): the codes of bin ``q`` about the location ``L``, clamped to the code range
    [0, top]: lo = max(L + q (2d + 1) - d, 0), hi = min(L + q (2d + 1) + d, top). The bins of
    one L tile [0, top] without gaps or overlap. C: ``spk_near_span``."""
    c = _i64(L) + _i64(q) * (2 * d + 1)
    if isinstance(c, np.ndarray):
        return np.maximum(c - d, 0), np.minimum(c + d, top)
    return max(c - d, 0), min(c + d, top)


def near_code(L, q, d: int, top: int = 1023):
    """The reconstructed code of bin ``q``: its centre L + q (2d + 1), clamped to [0, top]
    (clamping only moves it toward every code of the bin, so the error stays <= d).
    C: ``spk_near_code``."""
    c = _i64(L) + _i64(q) * (2 * d + 1)
    if isinstance(c, np.ndarray):
        return np.clip(c, 0, top)
    return min(max(c, 0), top)
