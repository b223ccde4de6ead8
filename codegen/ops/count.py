"""Operation counts of the integer IR, for the datapath energy estimate (codegen/measure/datapath.py).

    t = Tally(); t.add("mul", 16, 783); t.requant(12, 32); t.counts   # {"mul16": 783, ...}

A count is per channel and per sample (one time step of the network), keyed by the kind
and the width in bits of the operation: ``add`` (also subtract), ``mul``, ``shift``,
``cmp`` (a compare: a clamp is two, a max one), ``table`` (a constant-table read),
``weight`` (a weight or bias read), ``state_read`` and ``state_write`` (per-channel
state: delay lines, recurrent state). Wiring (a slice, a concatenation without a shift, a
shift by zero) costs nothing. Each operator's ``count`` (codegen/ops/<op>.py) adds what its
integer form (its ``run``, the specification) does for one time step.
"""
from __future__ import annotations

from collections import Counter

KINDS = ("add", "mul", "shift", "cmp", "table", "weight", "state_read", "state_write")


class Tally:
    def __init__(self):
        self.counts: Counter = Counter()

    def add(self, kind: str, width: int, n: int = 1) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown operation kind {kind!r}")
        if n:
            self.counts[f"{kind}{int(width)}"] += int(n)

    def rshr(self, n: int, width: int) -> None:
        """n rounding right shifts: an add of the offset and a shift each."""
        self.add("add", width, n)
        self.add("shift", width, n)

    def requant(self, n: int, width: int, shifted: bool = True) -> None:
        """n requant16 (rshr, then sat16: two compares) of ``width``-bit accumulators."""
        if shifted:
            self.rshr(n, width)
        self.add("cmp", width, 2 * n)

    def dot(self, rows: int, cols: int, w_bits: int, acc_bits: int) -> None:
        """rows x cols multiply-accumulates (int16 x w_bits products) with their weight reads."""
        self.add("mul", 16, rows * cols)
        self.add("add", acc_bits, rows * cols)
        self.add("weight", w_bits, rows * cols)

    def as_dict(self) -> dict:
        return dict(sorted(self.counts.items()))
