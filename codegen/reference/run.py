"""Executors of the IR: the integer reference (the specification the generated C must match
bit for bit) and a float executor of the float IR (for calibration and for the
quantisation-loss report). Each node is run by its operator (codegen/ops: ``Op.run``,
``Op.run_float``).

Inputs are dicts ``name -> array (channels, time, size)`` (a 2-D ``(n, size)`` array is
read as ``(n, 1, size)``). Every channel starts from the reset state (all zero) unless a
``state`` dict is passed; the state after the last step is returned. Stateless nodes run
vectorised over channels and time at once; recurrent nodes loop over time, vectorised
over channels.
"""
from __future__ import annotations

import numpy as np

from .. import ir
from ..ops import op_of


def _as3(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    return a[:, None, :] if a.ndim == 2 else a


def _prep(inputs: dict, names: list[str], dtype) -> dict:
    env = {}
    shape = None
    for n in names:
        if n not in inputs:
            raise KeyError(f"missing input {n!r}")
        a = _as3(inputs[n]).astype(dtype)
        if shape is None:
            shape = a.shape[:2]
        elif a.shape[:2] != shape:
            raise ValueError("all inputs need the same (channels, time) shape")
        env[n] = a
    return env


def run(g: ir.QGraph, inputs: dict, state: dict | None = None, return_all: bool = False):
    """Execute the integer IR. ``inputs`` are int16 codes. Returns ``(outputs, state)``
    (``outputs``: name -> int64 (channels, time, size)); with ``return_all`` every tensor."""
    env = _prep(inputs, g.inputs, np.int64)
    for n in g.inputs:
        t = g.tensors[n]
        if env[n].shape[2] != t.size:
            raise ValueError(f"input {n!r} has {env[n].shape[2]} features, expected {t.size}")
        if np.any(env[n] < t.lo) or np.any(env[n] > t.hi):
            raise ValueError(f"input {n!r} is outside its declared legal range")
    st = {k: np.array(v, dtype=np.int64) for k, v in (state or {}).items()}
    for node in g.nodes:
        op_of(node).run(node, env, st)
    outs = env if return_all else {n: env[n] for n in g.outputs}
    return outs, st


def run_float(g: ir.Graph, inputs: dict, return_all: bool = False) -> dict:
    """Execute the float IR in float64 (ONNX semantics). Returns name -> (channels, time, size)."""
    env = _prep(inputs, g.inputs, np.float64)
    for node in g.nodes:
        op_of(node).run_float(node, env)
    return env if return_all else {n: env[n] for n in g.outputs}
