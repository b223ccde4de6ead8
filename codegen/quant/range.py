"""The static range analysis's arithmetic: per-element integer bounds ``[lo, hi]`` that
hold for every legal input, pushed through the rules of spikey.fixed, and the proof that an
accumulator fits its width (codegen/quant/quantize.py walks the graph; each operator in
codegen/ops applies these to its own node).

For an accumulator, the bound is the sum of the absolute values of all its terms plus the
rounding offset: that bounds every partial sum in any summation order (so dual-MAC
pairing cannot overflow either).
"""
from __future__ import annotations

import numpy as np

from spikey import fixed

from ..errors import RangeError
from . import formats

W_FRAC_MIN, W_FRAC_MAX = -16, 24
A_FRAC_MIN, A_FRAC_MAX = -16, 30


def full(n):
    """The bounds of an int16 tensor nothing is known about: the whole int16 range."""
    return np.full(n, fixed.INT16_MIN, np.int64), np.full(n, fixed.INT16_MAX, np.int64)


def requant_bounds(lo, hi, s, relu=False):
    """Bounds after requant16 by ``s`` (then ReLU): the rule is monotonic."""
    lo, hi = fixed.requant16(lo, s), fixed.requant16(hi, s)
    if relu:
        lo, hi = fixed.relu(lo), fixed.relu(hi)
    return np.asarray(lo, np.int64), np.asarray(hi, np.int64)


def choose_acc(layer: str, need: int, acc_bits) -> int:
    """The accumulator width for ``need`` (proved bound on |any partial sum| incl. the
    rounding offset): int32 where it fits and ``acc_bits`` allows it, else int64."""
    widths = {"auto": (32, 64), 32: (32,), 64: (64,)}[acc_bits]
    for w in widths:
        if need <= (1 << (w - 1)) - 1:
            return w
    raise RangeError(layer, f"accumulator needs |acc| <= {need} (~2^{need.bit_length()}), "
                            f"which does not fit int{widths[-1]} for every legal input")


def dot_bounds(w: np.ndarray, lo: np.ndarray, hi: np.ndarray):
    """Per row: (min, max, sum of |terms|) of w @ x over the box lo <= x <= hi (Python ints)."""
    w = w.astype(object)
    a, b = w * lo.astype(object), w * hi.astype(object)
    tlo = np.where(a < b, a, b).sum(axis=1)
    thi = np.where(a < b, b, a).sum(axis=1)
    tab = np.maximum(np.abs(a), np.abs(b)).sum(axis=1)
    return tlo, thi, tab


def acc_need(bias, tab, shift) -> int:
    """max over rows of |bias| + sum |terms| + the rounding offset of the row's shift."""
    need = 0
    for b, t, s in zip(bias.tolist(), tab.tolist(), np.asarray(shift).tolist()):
        n = abs(int(b)) + int(t) + fixed.round_offset(max(s, 0))
        need = max(need, n)
        if s < 0 and n << -s > (1 << 63) - 1:   # left shift is done in int64
            return 1 << 64
    return need


def weight_fracs(W: np.ndarray, bits: int, per_channel: bool) -> np.ndarray:
    """Each row's weight frac: per row, or the layer's for every row."""
    if per_channel:
        return np.array([formats.frac_for(formats.maxabs(r), bits, W_FRAC_MIN, W_FRAC_MAX) for r in W], np.int64)
    return np.full(W.shape[0], formats.frac_for(formats.maxabs(W), bits, W_FRAC_MIN, W_FRAC_MAX), np.int64)


def bias(layer, b, f_acc, n) -> np.ndarray:
    """The biases at the accumulator scale (int64), or zeros."""
    if b is None:
        return np.zeros(n, np.int64)
    q = formats.quantize_real(b, f_acc, 64)
    big = np.abs(np.ldexp(np.asarray(b, np.float64), f_acc)) >= 2.0 ** 62
    if np.any(big):
        raise RangeError(layer, "bias does not fit int64 at the accumulator scale")
    return q
