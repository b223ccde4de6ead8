"""Slice: y = x[start:stop] on the feature (last) axis, step 1. Exact in integers (the
output keeps x's format and bounds)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import UnsupportedError
from .base import Op


@dataclass
class Slice:
    """y = x[start:stop] (feature axis, step 1)."""
    name: str
    x: str
    y: str
    start: int
    stop: int


@dataclass
class QSlice:
    name: str
    x: str
    y: str
    start: int
    stop: int


def lower(lw, node, ins, a) -> None:
    x = lw.data(node, ins[0])
    starts = lw.const(node, ins[1], "starts").astype(np.int64).reshape(-1)
    ends = lw.const(node, ins[2], "ends").astype(np.int64).reshape(-1)
    axes = lw.const(node, ins[3], "axes").astype(np.int64).reshape(-1) if len(ins) > 3 and ins[3] \
        else np.arange(len(starts))
    steps = lw.const(node, ins[4], "steps").astype(np.int64).reshape(-1) if len(ins) > 4 and ins[4] \
        else np.ones(len(starts), np.int64)
    if len(starts) != 1 or steps[0] != 1:
        raise UnsupportedError(node.name, "Slice", "only a single-axis slice with step 1 is supported")
    lw.last_axis(node, int(axes[0]), ins[0], "slice")
    n = lw.sizes[x]
    lo, hi = (int(v) for v in (starts[0], ends[0]))
    lo, hi = (v + n if v < 0 else v for v in (lo, hi))
    lo, hi = max(0, min(lo, n)), max(0, min(hi, n))
    if hi <= lo:
        raise UnsupportedError(node.name, "Slice", "empty slice")
    y = node.output[0]
    lw.sizes[y] = hi - lo
    lw.emit(Slice(node.name, x, y, lo, hi))


def run_float(node: Slice, env) -> None:
    env[node.y] = env[node.x][..., node.start:node.stop]


def quantise(q, node: Slice) -> None:
    x = q.T[node.x]
    q.add(QSlice(node.name, node.x, node.y, node.start, node.stop), node.y, node.stop - node.start, x.frac,
          x.lo[node.start:node.stop].copy(), x.hi[node.start:node.stop].copy())


def run(node: QSlice, env, state) -> None:
    env[node.y] = env[node.x][..., node.start:node.stop]


def emit(e, node: QSlice, L: dict) -> None:
    L.update(x=e.ref[node.x], start=node.start, n=node.stop - node.start)


def count(node: QSlice, T, t) -> None:
    """Wiring: no operation."""

OP = Op("Slice", Slice, QSlice, ("Slice",), lower, run_float, quantise, run, emit, "slice.c.j2", count=count)
