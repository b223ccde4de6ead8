"""Relu: y = max(x, 0). Folded into the Dense layer before it when that layer's output has
no other reader (codegen.ops.dense); otherwise a layer of its own."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spikey import fixed

from . import dense
from .base import Op


@dataclass
class Relu:
    name: str
    x: str
    y: str


@dataclass
class QRelu:
    name: str
    x: str
    y: str


def lower(lw, node, ins, a) -> None:
    x = lw.data(node, ins[0])
    p = lw.producer.get(x)
    if isinstance(p, dense.Dense) and ins[0] == x and not p.relu and dense.fusable(lw, p, x):
        p.relu = True
        lw.rename(p, node.output[0])
        return
    y = node.output[0]
    lw.sizes[y] = lw.sizes[x]
    lw.emit(Relu(node.name, x, y))


def run_float(node: Relu, env) -> None:
    env[node.y] = np.maximum(env[node.x], 0.0)


def quantise(q, node: Relu) -> None:
    x = q.T[node.x]
    q.add(QRelu(node.name, node.x, node.y), node.y, x.size, x.frac, fixed.relu(x.lo), fixed.relu(x.hi))


def run(node: QRelu, env, state) -> None:
    env[node.y] = fixed.relu(env[node.x])


def emit(e, node: QRelu, L: dict) -> None:
    L.update(x=e.ref[node.x])


def count(node: QRelu, T, t) -> None:
    """One max(x, 0) per element."""
    t.add("cmp", 16, T[node.y].size)

OP = Op("Relu", Relu, QRelu, ("Relu",), lower, run_float, quantise, run, emit, "relu.c.j2", count=count)
