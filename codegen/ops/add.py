"""Add: y = a + b of two tensors of one size. An Add of a constant vector is the bias of
the MatMul before it (folded into that Dense node); any other constant Add is refused.

Integer form: ``acc = a * 2**la + b * 2**lb`` (exact, int64: both aligned to the finer
frac), ``y = requant16(acc, shift)``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spikey import fixed

from ..errors import UnsupportedError
from ..quant import range as rng
from . import dense
from .base import Op


@dataclass
class Add:
    """y = a + b (same size)."""
    name: str
    a: str
    b: str
    y: str


@dataclass
class QAdd:
    """acc = a * 2**la + b * 2**lb (int64, exact), y = requant16(acc, shift)."""
    name: str
    a: str
    b: str
    y: str
    la: int
    lb: int
    shift: int


def reads(node) -> list:
    return [node.a, node.b]


def lower(lw, node, ins, a) -> None:
    d = [t for t in ins if lw.r(t) in lw.sizes]
    if len(d) == 2:
        xa, xb = lw.r(d[0]), lw.r(d[1])
        if lw.sizes[xa] != lw.sizes[xb]:
            raise UnsupportedError(node.name, "Add", "operands differ in size (broadcasting is not supported)")
        y = node.output[0]
        lw.sizes[y] = lw.sizes[xa]
        lw.emit(Add(node.name, xa, xb, y))
        return
    x = lw.r(d[0])
    c = lw.const(node, ins[1] if ins[0] == d[0] else ins[0], "addend").reshape(-1)
    p = lw.producer.get(x)
    if (isinstance(p, dense.Dense) and d[0] == x and p.b is None and not p.relu and dense.fusable(lw, p, x)
            and c.size in (1, lw.sizes[x])):
        p.b = np.broadcast_to(c, (lw.sizes[x],)).astype(np.float64).copy()
        lw.rename(p, node.output[0])
        return
    raise UnsupportedError(node.name, "Add", "adding a constant is only supported as the bias of a MatMul")


def run_float(node: Add, env) -> None:
    env[node.y] = env[node.a] + env[node.b]


def quantise(q, node: Add) -> None:
    a, b = q.T[node.a], q.T[node.b]
    F = max(a.frac, b.frac)
    la, lb = F - a.frac, F - b.frac
    fy = q.afrac(node.y)
    s = F - fy
    lo = a.lo.astype(object) * (1 << la) + b.lo.astype(object) * (1 << lb)
    hi = a.hi.astype(object) * (1 << la) + b.hi.astype(object) * (1 << lb)
    need = max(int(np.max(np.abs(lo))), int(np.max(np.abs(hi)))) + fixed.round_offset(max(s, 0))
    if s < 0:
        need <<= -s
    rng.choose_acc(node.name, need, 64)
    q.add(QAdd(node.name, node.a, node.b, node.y, la, lb, s), node.y, a.size, fy, *rng.requant_bounds(lo, hi, s))


def run(node: QAdd, env, state) -> None:
    acc = env[node.a] * (1 << node.la) + env[node.b] * (1 << node.lb)
    env[node.y] = fixed.requant16(acc, node.shift)


def emit(e, node: QAdd, L: dict) -> None:
    L.update(a=e.ref[node.a], b=e.ref[node.b], la=node.la, lb=node.lb, s=node.shift)


def count(node: QAdd, T, t) -> None:
    """Per element: the alignment shifts (those not by zero), one add, a requant16 (int64)."""
    n = T[node.y].size
    t.add("shift", 64, n * ((node.la != 0) + (node.lb != 0)))
    t.add("add", 64, n)
    t.requant(n, 64, shifted=node.shift != 0)

OP = Op("Add", Add, QAdd, ("Add",), lower, run_float, quantise, run, emit, "add.c.j2", reads, count=count)
