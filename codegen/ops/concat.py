"""Concat on the feature (last) axis. Integer form: each part requantised to the output's
format (the coarsest of the parts): ``part_j = requant16(x_j, shifts[j])``."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spikey import fixed

from .base import Op


@dataclass
class Concat:
    name: str
    xs: list
    y: str


@dataclass
class QConcat:
    """Each part is requantised to y's format: part_j = requant16(x_j, shifts[j])."""
    name: str
    xs: list
    y: str
    shifts: list


def reads(node) -> list:
    return list(node.xs)


def lower(lw, node, ins, a) -> None:
    lw.last_axis(node, a.get("axis", 0), node.output[0], "concatenation")
    xs = [lw.data(node, t) for t in ins]
    y = node.output[0]
    lw.sizes[y] = sum(lw.sizes[t] for t in xs)
    lw.emit(Concat(node.name, xs, y))


def run_float(node: Concat, env) -> None:
    env[node.y] = np.concatenate([env[x] for x in node.xs], axis=-1)


def quantise(q, node: Concat) -> None:
    xs = [q.T[t] for t in node.xs]
    fy = min(t.frac for t in xs)
    shifts = [t.frac - fy for t in xs]
    lo = np.concatenate([fixed.requant16(t.lo, s) for t, s in zip(xs, shifts)])
    hi = np.concatenate([fixed.requant16(t.hi, s) for t, s in zip(xs, shifts)])
    q.add(QConcat(node.name, list(node.xs), node.y, shifts), node.y, len(lo), fy, lo, hi)


def run(node: QConcat, env, state) -> None:
    env[node.y] = np.concatenate([fixed.requant16(env[x], s) for x, s in zip(node.xs, node.shifts)], axis=-1)


def emit(e, node: QConcat, L: dict) -> None:
    parts, off = [], 0
    for x, s in zip(node.xs, node.shifts):
        n = e.tensor(x).size
        parts.append(dict(x=e.ref[x], off=off, n=n, s=int(s)))
        off += n
    L.update(parts=parts)


def count(node: QConcat, T, t) -> None:
    """Wiring, except the parts moved to a coarser frac: a requant16 per element of those."""
    for x, s in zip(node.xs, node.shifts):
        if s:
            t.requant(T[x].size, 32)

OP = Op("Concat", Concat, QConcat, ("Concat",), lower, run_float, quantise, run, emit, "concat.c.j2", reads,
        count=count)
