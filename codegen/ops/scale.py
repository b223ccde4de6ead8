"""Scale: y = k x for a constant scalar k (ONNX Mul / Div by a constant).

Integer form: ``y = requant16(x * mult, shift)``, ``mult`` an int16 constant (int32 product).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spikey import fixed

from ..errors import UnsupportedError
from ..quant import formats
from ..quant import range as rng
from .base import Op


@dataclass
class Scale:
    """y = k * x for a constant scalar k (ONNX Mul / Div by a constant)."""
    name: str
    x: str
    y: str
    k: float


@dataclass
class QScale:
    """y = requant16(x * mult, shift), mult an int16 constant (int32 product)."""
    name: str
    x: str
    y: str
    mult: int
    shift: int


def lower(lw, node, ins, a) -> None:
    inv = node.op_type == "Div"
    d = [t for t in ins if lw.r(t) in lw.sizes]
    if len(d) != 1 or (inv and ins[0] != d[0]):
        raise UnsupportedError(node.name, node.op_type, "only a tensor times / divided by a constant scalar is supported")
    k = lw.const(node, ins[1] if ins[0] == d[0] else ins[0], "factor")
    if k.size != 1:
        raise UnsupportedError(node.name, node.op_type, "factor must be a scalar (per-element scaling is not supported)")
    k = float(k.reshape(-1)[0])
    x = lw.r(d[0])
    y = node.output[0]
    lw.sizes[y] = lw.sizes[x]
    lw.emit(Scale(node.name, x, y, 1.0 / k if inv else k))


def run_float(node: Scale, env) -> None:
    env[node.y] = env[node.x] * node.k


def quantise(q, node: Scale) -> None:
    x = q.T[node.x]
    ks = formats.frac_for(abs(node.k), 16, rng.W_FRAC_MIN, rng.W_FRAC_MAX)
    mult = int(formats.quantize_real(node.k, ks))
    fy = q.afrac(node.y)
    s = x.frac + ks - fy
    p = [x.lo.astype(object) * mult, x.hi.astype(object) * mult]
    lo, hi = np.minimum(p[0], p[1]), np.maximum(p[0], p[1])
    q.add(QScale(node.name, node.x, node.y, mult, s), node.y, x.size, fy, *rng.requant_bounds(lo, hi, s))


def run(node: QScale, env, state) -> None:
    env[node.y] = fixed.requant16(env[node.x] * node.mult, node.shift)


def emit(e, node: QScale, L: dict) -> None:
    L.update(x=e.ref[node.x], mult=node.mult, s=node.shift)


def count(node: QScale, T, t) -> None:
    """Per element: one int16 x int16 product and a requant16 of it (int32)."""
    n = T[node.y].size
    t.add("mul", 16, n)
    t.requant(n, 32, shifted=node.shift != 0)

OP = Op("Scale", Scale, QScale, ("Mul", "Div"), lower, run_float, quantise, run, emit, "scale.c.j2",
        count=count)
