"""The integer rules of the generated firmware, in Python (numpy int64), one function each.

This module and ``firmware/include/spikey_fixed.h`` are the two spellings of the rules in
``docs/fixed-point.md``; each function here names its C inline. Everything works on
Python ints or numpy integer arrays (computed in int64) and is exact: no float is used
except in :func:`quantize_real`, which is only ever run offline (weights, inputs).

Conventions: a tensor with ``frac`` bits holds ``value = q * 2**-frac`` (``frac`` may be
negative). ``rshr`` is the only rounding rule (round half up), ``sat`` the only
saturation rule (clamp to the two's-complement range).
"""
from __future__ import annotations

import math

import numpy as np

INT16_MIN, INT16_MAX = -(1 << 15), (1 << 15) - 1
Q_GATE = 12          # LSTM gate pre-activations / LUT inputs: Q3.12 (range [-8, 8))
Q_UNIT = 15          # LUT outputs, LSTM gates and hidden state: Q0.15
LUT_SEGMENTS = 256   # sigmoid/tanh table: 257 knots over [-8, 8), step 1/16
LUT_SHIFT = 8        # 16-bit input -> 8-bit index + 8-bit interpolation fraction


def _i64(x):
    return np.asarray(x, dtype=np.int64) if isinstance(x, np.ndarray) else int(x)


def rshr(x, s: int):
    """Rounding right shift, round half up: floor((x + 2**(s-1)) / 2**s); s == 0 is identity.

    C: ``spk_rshr32`` / ``spk_rshr64``. -2.5 -> -2, -3.5 -> -3, 2.5 -> 3 (half up, i.e.
    towards +inf). The caller (range analysis) guarantees ``x + 2**(s-1)`` fits the width."""
    if s < 0:
        raise ValueError("rshr: negative shift")
    x = _i64(x)
    if s == 0:
        return x
    return (x + (1 << (s - 1))) >> s


def sat(x, bits: int = 16):
    """Saturate to the signed ``bits``-bit range. C: ``spk_sat16_32`` / ``spk_sat16_64``."""
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    x = _i64(x)
    if isinstance(x, np.ndarray):
        return np.clip(x, lo, hi)
    return min(max(x, lo), hi)


def sat16(x):
    return sat(x, 16)


def requant16(acc, s):
    """Requantise an accumulator to int16: ``sat16(rshr(acc, s))`` for s >= 0, and
    ``sat16(acc * 2**-s)`` (exact) for s < 0. ``s`` may be an array broadcast against
    ``acc`` (per-channel shifts). C: ``spk_requant16_32`` / ``spk_requant16_64``."""
    acc = _i64(acc)
    if np.ndim(s) == 0:
        s = int(s)
        if s >= 0:
            return sat16(rshr(acc, s))
        return sat16(acc * (1 << -s))
    s = np.asarray(s, dtype=np.int64)
    acc = np.asarray(acc, dtype=np.int64)
    sp = np.maximum(s, 0)
    half = np.where(sp > 0, np.left_shift(np.int64(1), np.maximum(sp - 1, 0)), 0)
    right = (acc + half) >> sp
    left = acc * np.left_shift(np.int64(1), np.maximum(-s, 0))
    return sat16(np.where(s >= 0, right, left))


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


# --- offline helpers (float -> integer; never in the firmware data path) -------------------

def quantize_real(x, frac, bits: int = 16):
    """Real value(s) -> integers at ``frac`` bits: ``sat(floor(x * 2**frac + 1/2), bits)``,
    the same half-up rounding and saturation rules applied to reals. ``frac`` may be an
    array (per channel) broadcast against ``x``. Exact for power-of-two scales (float64)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.floor(np.ldexp(x, np.asarray(frac, dtype=np.int64)) + 0.5)
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return np.clip(y, lo, hi).astype(np.int64)


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


def _sigmoid(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v))


def make_lut(fn: str) -> np.ndarray:
    """The 257 int16 knots of ``sigmoid`` or ``tanh`` at x = -8 + k/16, Q15, saturated."""
    f = {"sigmoid": _sigmoid, "tanh": math.tanh}[fn]
    xs = [-8.0 + k / 16.0 for k in range(LUT_SEGMENTS + 1)]
    return quantize_real([f(v) for v in xs], Q_UNIT, 16)


SIGMOID_LUT = make_lut("sigmoid")
TANH_LUT = make_lut("tanh")


def sigmoid_q(x):
    """Q3.12 -> Q0.15 sigmoid (table + interpolation). C: ``spk_sigmoid_q15``."""
    return lut_interp(SIGMOID_LUT, x)


def tanh_q(x):
    """Q3.12 -> Q0.15 tanh (table + interpolation). C: ``spk_tanh_q15``."""
    return lut_interp(TANH_LUT, x)
