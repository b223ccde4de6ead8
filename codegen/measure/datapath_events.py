"""Operations per sample of the event pipeline, by kind and width, in the form of
codegen/measure/datapath.py (so the ``n1-datapath`` profile prices it, codegen/report/datapath.py).

    counts = event_ops(p, h, spikes_per_sample=2e-4, sbp_bits_per_bin=3.1)

Counted from the integer reference (spikey/events/pipeline.py run, spikey/events/coding.py
encode_frame), per channel and input sample:

    filter    c = x - 512 into a delay line of T codes; the symmetric taps h[j] = h[T-1-j]
              add each pair's two codes first (16 bits), then one multiply per distinct
              nonzero tap (16 x 16), the products summed in 32 bits, then rshr
    detector  thr = rshr((m >> 8) x threshold_q8, 8); y < -thr <= y_prev; the refractory
              counter; the sample counter (u >= 1, the warm-up test)
    noise     |y|; (|y| << 8) > m; m += (m >> k) + 1 or m -= m >> k
    sbp       s += |y|; the bin counter; per bin (1 / bin_samples of a sample) the rounding
              division rdiv(s, bin_samples << sbp_shift), priced as a multiply by the
              constant reciprocal, an add and a shift
    coder     its per-sample share: per frame (1 / frame of a sample) the closing flag bit;
              per spike a flag bit and log2(frame) offset bits; per SBP bin its unary bits
              (n + 1, adaptive) and n raw bits. An adaptive bit: the context read, its
              bound (a shift), the range coder's r = range >> P, low += r lo, range =
              r (hi - lo) (two multiplies, two adds), the renormalisation test, the coder
              state read and written, and the context's adaptation; a raw bit the same
              without the context. Byte output and the joint frame's flush are not counted.

The coder's share depends on the data: the spikes per sample and the mean SBP exponent n
are measured on the build's recordings (codegen/build_events.py). Counts are means, so
they may be fractions.
"""
from __future__ import annotations

from collections import Counter

import numpy as np

from spikey.events import coding

from ..ops.count import KINDS
from .datapath import SCHEMA


class Share:
    """A Tally whose counts may be fractions: an operation done once every ``per`` samples."""

    def __init__(self):
        self.counts: Counter = Counter()

    def add(self, kind: str, width: int, n: float = 1, per: float = 1) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown operation kind {kind!r}")
        if n:
            self.counts[f"{kind}{int(width)}"] += n / per

    def as_dict(self) -> dict:
        return {k: (int(v) if float(v).is_integer() else round(float(v), 6)) for k, v in sorted(self.counts.items())}


def filter_ops(h, t: Share) -> None:
    h = [int(v) for v in h]
    n = len(h)
    if n % 2 == 0 or h != h[::-1]:
        raise ValueError("event filter: the counts assume odd, symmetric taps")
    pairs = [j for j in range(n // 2) if h[j]]
    centre = 1 if h[n // 2] else 0
    products = len(pairs) + centre
    t.add("add", 16)                     # c = x - 512
    t.add("add", 16)                     # the delay line's position
    t.add("cmp", 16)                     # its wrap
    t.add("state_write", 16)             # the newest code
    t.add("state_read", 16, 2 * len(pairs) + centre)
    t.add("add", 16, len(pairs))         # c[t-j] + c[t-T+1+j]
    t.add("weight", 16, products)
    t.add("mul", 16, products)
    t.add("add", 32, products - 1)       # the products' sum
    t.add("add", 32)                     # rshr(acc, tap_frac - y_frac)
    t.add("shift", 32)


def detector_ops(t: Share) -> None:
    t.add("state_read", 32)              # m
    t.add("shift", 32, 2)                # m >> 8, >> 8
    t.add("mul", 32)                     # x threshold_q8
    t.add("add", 32)                     # + 128
    t.add("add", 16)                     # -thr
    t.add("cmp", 16, 2)                  # y < -thr, -thr <= y_prev
    t.add("state_read", 16)              # y_prev
    t.add("state_write", 16)
    t.add("state_read", 16)              # the refractory counter
    t.add("add", 16)
    t.add("cmp", 16)
    t.add("state_write", 16)
    t.add("state_read", 32)              # the sample counter u
    t.add("add", 32)
    t.add("cmp", 32, 2)                  # u >= 1, u < warmup
    t.add("state_write", 32)


def noise_ops(t: Share) -> None:
    t.add("cmp", 16)                     # |y|
    t.add("add", 16)
    t.add("shift", 32)                   # |y| << 8
    t.add("cmp", 32)                     # > m
    t.add("shift", 32)                   # m >> k
    t.add("add", 32, 2)                  # + (m >> k) + 1, or - (m >> k)
    t.add("state_write", 32)


def sbp_ops(p, t: Share) -> None:
    t.add("state_read", 32)              # s
    t.add("add", 32)
    t.add("state_write", 32)
    t.add("state_read", 16)              # the bin counter
    t.add("add", 16)
    t.add("cmp", 16)
    t.add("state_write", 16)
    b = p.bin_samples
    t.add("shift", 32, 1, b)             # rdiv: 2 s
    t.add("add", 32, 1, b)               # + divisor
    t.add("mul", 32, 1, b)               # x the constant reciprocal
    t.add("shift", 32, 1, b)
    t.add("state_write", 32, 1, b)       # s = 0
    t.add("state_write", 16, 1, b)       # the count = 0


def _bit(t: Share, n: float, per: float, adaptive: bool) -> None:
    if adaptive:
        t.add("state_read", 16, n, per)      # the context p
        t.add("shift", 32, n, per)           # bound = p << (P - 16)
        t.add("shift", 16, n, per)           # p >> ADAPT
        t.add("add", 16, 2 * n, per)         # 65536 - p, then p +/- the step
        t.add("state_write", 16, n, per)
    t.add("shift", 32, n, per)               # r = range >> P
    t.add("mul", 32, 2 * n, per)             # r lo, r (hi - lo)
    t.add("add", 32, 2 * n, per)             # low +=, hi - lo
    t.add("cmp", 32, n, per)                 # range < TOP
    t.add("state_read", 32, 2 * n, per)      # low, range
    t.add("state_write", 32, 2 * n, per)


def coder_ops(p, spikes_per_sample: float, sbp_bits_per_bin: float, t: Share) -> None:
    _bit(t, 1, p.frame, True)                                      # the frame's closing flag
    _bit(t, spikes_per_sample * (1 + coding.offset_bits(p.frame)), 1, True)
    t.add("add", 16, 2, p.bin_samples)                             # e = sbp - prev, z = 2e or -2e - 1
    t.add("cmp", 16, 1, p.bin_samples)
    t.add("cmp", 16, 5, p.bin_samples)                             # n: a 5-step leading-one search
    _bit(t, sbp_bits_per_bin + 1, p.bin_samples, True)             # unary
    _bit(t, sbp_bits_per_bin, p.bin_samples, False)                # raw


def measured_rates(events: list, p) -> dict:
    """The coder's data: spikes per sample and the mean SBP exponent n per bin, over
    pipeline.run results (one per channel)."""
    samples = sum(e.n_samples for e in events)
    spikes = sum(len(e.spikes) for e in events)
    ns = []
    for e in events:
        prev = 0
        for s in e.sbp.tolist():
            d = s - prev
            prev = s
            ns.append(((2 * d if d >= 0 else -2 * d - 1) + 1).bit_length() - 1)
    return {"spikes_per_sample": spikes / samples if samples else 0.0,
            "sbp_bits_per_bin": float(np.mean(ns)) if ns else 0.0, "samples": samples, "spikes": spikes,
            "bins": len(ns)}


def event_ops(p, h, spikes_per_sample: float, sbp_bits_per_bin: float, data: str = "") -> dict:
    """Operations per channel and sample, by block and in total (codegen/measure/datapath.py's form)."""
    blocks = {}
    for name, fn in (("filter", lambda t: filter_ops(h, t)), ("detector", detector_ops), ("noise", noise_ops),
                     ("sbp", lambda t: sbp_ops(p, t)),
                     ("coder", lambda t: coder_ops(p, spikes_per_sample, sbp_bits_per_bin, t))):
        t = Share()
        fn(t)
        blocks[name] = t.as_dict()
    total = Share()
    for b in blocks.values():
        for k, v in b.items():
            total.counts[k] += v
    return {"schema": SCHEMA, "model": "events", "blocks": blocks, "total": total.as_dict(),
            "rates": {"spikes_per_sample": spikes_per_sample, "sbp_bits_per_bin": sbp_bits_per_bin},
            "how": (f"counted from the event pipeline's integer rules ({len(h)} symmetric taps: pair adds, one "
                    "multiply per distinct tap; the median tracker, threshold, refractory and SBP; the coder's "
                    f"per-sample share at {spikes_per_sample:.3g} spikes/sample and {sbp_bits_per_bin:.3g} SBP "
                    f"exponent bits per bin{', measured on ' + data if data else ''}; "
                    "codegen/measure/datapath_events.py); per channel and sample; byte output and flushes "
                    "not counted")}
