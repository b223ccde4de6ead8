"""Near-lossless range coding of one sample: the Python reference of docs/coders.md §6.

Under the prediction (L, log2s_q8) the residual ``x - L`` is quantised to its bin
``q = fixed.near_bin(x - L, D)`` of step 2D + 1; the bin's codes ``[lo, hi] =
fixed.near_span(L, q, D)`` (clamped to 0..1023) are coded as the interval
``[C(lo), C(hi + 1))`` of the same integer model CDF (model_cdf), and both sides continue
from the reconstructed code ``fixed.near_code(L, q, D)``, within D of x. C:
``spk_rc_encode_near`` / ``spk_rc_decode_near`` (firmware/src/range_coder.h).
"""
from __future__ import annotations

from ..fixed import near_bin, near_code, near_span
from .model_cdf import LOG2S_MAX, LOG2S_MIN, N_CODES, ModelCdf
from .range_coder import RangeEncoder, RangeStreamDecoder


def _clamp(ls: int) -> int:
    return min(max(int(ls), LOG2S_MIN), LOG2S_MAX)


def bin_bounds(cdf: ModelCdf, x: int, L: int, ls: int, d: int) -> tuple[int, int, int]:
    """(C(lo), C(hi + 1), reconstructed code) of the bin holding x."""
    ls = _clamp(ls)
    q = near_bin(int(x) - int(L), d)
    lo, hi = near_span(int(L), q, d, N_CODES - 1)
    return cdf.cdf(lo, L, ls), cdf.cdf(hi + 1, L, ls), near_code(int(L), q, d, N_CODES - 1)


def encode_near(enc: RangeEncoder, cdf: ModelCdf, x: int, L: int, ls: int, d: int) -> int:
    """Code x's bin; returns the reconstructed code (the next history)."""
    c_lo, c_hi, y = bin_bounds(cdf, x, L, ls, d)
    enc.encode(c_lo, c_hi)
    return y


def decode_near(sd: RangeStreamDecoder, L: int, ls: int, d: int) -> int:
    """Decode one bin under (L, ls); returns its reconstructed code."""
    ls, L = _clamp(ls), int(L)
    if not 0 <= L < N_CODES:
        raise ValueError("location outside [0, 1024)")
    dec, cdf = sd.dec, sd.cdf
    r, t = dec.target()
    x, _, _ = cdf.find(t, L, ls)
    c_lo, c_hi, y = bin_bounds(cdf, x, L, ls, d)
    dec.consume(r, c_lo, c_hi)
    if dec.pos > len(dec.buf) or dec.corrupt:
        dec.check()
    return y
