"""The quantisation pass: float IR + calibration data -> integer IR, with the static range
analysis (docs/fixed-point.md).

Formats: every activation is int16 with a power-of-two scale ``2**-frac``; ``frac`` is the
largest that keeps the calibrated max |value| (over the calibration inputs) representable,
minus ``headroom`` bits. Weights are int8 or int16 with a power-of-two scale per layer or
per output row (``per_channel``), clamped to ``frac`` in [-16, 24]; biases sit at the
accumulator scale. Range analysis: every tensor carries per-element integer bounds
``[lo, hi]`` that hold for *every* legal input (the graph inputs' declared bounds, by
default the whole int16 range), propagated through every node (codegen/quant/range.py).
The accumulator is int32 when its bound fits and ``acc_bits`` allows it, int64 otherwise;
when it fits neither the allowed width, :class:`codegen.errors.RangeError` names the layer.

The pass walks the nodes in order and hands each to its operator (``Op.quantise``,
codegen/ops) with itself as ``q``: ``q.T`` (the integer tensors so far), ``q.env`` (the
calibration run of every float tensor), ``q.afrac(name)``, the options, ``q.add(...)``.
"""
from __future__ import annotations

import numpy as np

from .. import ir
from ..ops import op_of
from ..reference.run import run, run_float
from . import formats
from . import range as rng


class _Pass:
    def __init__(self, env: dict, weight_bits: int, per_channel: bool, acc_bits, headroom: int):
        self.env, self.weight_bits, self.per_channel = env, weight_bits, per_channel
        self.acc_bits, self.headroom = acc_bits, headroom
        self.T: dict[str, ir.QTensor] = {}
        self.nodes: list = []
        self.state: list = []

    def afrac(self, name: str) -> int:
        """The calibrated frac of an activation, ``headroom`` bits below the largest."""
        return formats.frac_for(formats.maxabs(self.env[name]), 16, rng.A_FRAC_MIN, rng.A_FRAC_MAX) - self.headroom

    def add(self, node, y: str, size: int, frac: int, lo, hi) -> None:
        """An integer node and its output tensor (format and proved bounds)."""
        self.nodes.append(node)
        self.T[y] = ir.QTensor(y, size, frac, np.asarray(lo, np.int64), np.asarray(hi, np.int64))


def quantize(g: ir.Graph, calib: dict, weight_bits: int = 16, per_channel: bool = False,
             acc_bits="auto", headroom: int = 1, input_frac: dict | None = None,
             input_bounds: dict | None = None) -> ir.QGraph:
    """Quantise the float IR ``g``.

    calib: name -> float array (channels, time, size) of representative inputs.
    weight_bits: 8 or 16. per_channel: one weight scale per output row (else per layer).
    acc_bits: "auto" (int32 where proved, else int64), 32 or 64 (forced; RangeError when
    the proof fails). headroom: bits of margin on every activation scale beyond the
    calibrated max (default 1: values up to twice the calibrated max do not saturate).
    input_frac: name -> frac overriding calibration for a graph input.
    input_bounds: name -> (lo, hi) real bounds (scalars or per element) of the legal
    inputs; default: the whole int16 range is legal."""
    if weight_bits not in (8, 16):
        raise ValueError("weight_bits must be 8 or 16")
    if acc_bits not in ("auto", 32, 64):
        raise ValueError("acc_bits must be 'auto', 32 or 64")
    q = _Pass(run_float(g, calib, return_all=True), weight_bits, per_channel, acc_bits, headroom)
    input_frac, input_bounds = input_frac or {}, input_bounds or {}
    for n in g.inputs:
        f = int(input_frac[n]) if n in input_frac else q.afrac(n)
        size = g.sizes[n]
        if n in input_bounds:
            lo, hi = (np.broadcast_to(formats.quantize_real(v, f), (size,)).astype(np.int64) for v in input_bounds[n])
        else:
            lo, hi = rng.full(size)
        q.T[n] = ir.QTensor(n, size, f, lo, hi)
    for node in g.nodes:
        op_of(node).quantise(q, node)
    return ir.QGraph(list(g.inputs), list(g.outputs), q.T, q.nodes, q.state, g.name)


# --- helpers for callers and the loss report ---------------------------------------------

def quantize_inputs(qg: ir.QGraph, inputs: dict) -> dict:
    """Float inputs -> int16 codes at each input's frac (half-up rounding, clamped to the
    declared legal range)."""
    out = {}
    for n in qg.inputs:
        t = qg.tensors[n]
        out[n] = np.clip(formats.quantize_real(inputs[n], t.frac), t.lo, t.hi)
    return out


def loss_report(g: ir.Graph, qg: ir.QGraph, inputs: dict) -> dict:
    """Quantisation loss on ``inputs`` (float): per output, the float output of ``g`` vs
    the dequantised integer output of ``qg`` (max and RMS absolute error, the float
    output's max |value|, and the error relative to it)."""
    yf = run_float(g, inputs)
    yq, _ = run(qg, quantize_inputs(qg, inputs))
    rep = {}
    for n in qg.outputs:
        f = yf[n]
        err = np.abs(formats.dequantize(yq[n], qg.tensors[n].frac) - f)
        scale = formats.maxabs(f)
        rep[n] = {"frac": qg.tensors[n].frac, "max_abs_err": float(err.max()), "rms_err": float(np.sqrt(np.mean(err ** 2))),
                  "max_abs_float": scale, "rel_max_err": float(err.max() / scale) if scale else 0.0}
    return rep


def layer_report(qg: ir.QGraph) -> list[dict]:
    """One row per layer: weight format, accumulator width and the proved bound."""
    rows = []
    for n in qg.nodes:
        row = {"layer": n.name, "op": op_of(n).name}
        if hasattr(n, "acc_bits"):
            row.update(w_bits=n.w_bits, acc_bits=n.acc_bits, acc_bound_log2=round(float(np.log2(max(n.acc_bound, 1))), 2))
        rows.append(row)
    return rows
