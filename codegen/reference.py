"""Executors of the IR: the integer reference (the specification the generated C must
match bit for bit) and a float executor of the float IR (for calibration and for the
quantisation-loss report).

Inputs are dicts ``name -> array (channels, time, size)`` (a 2-D ``(n, size)`` array is
read as ``(n, 1, size)``). Every channel starts from the reset state (all zero) unless a
``state`` dict is passed; the state after the last step is returned. Stateless nodes run
vectorised over channels and time at once; recurrent nodes loop over time, vectorised
over channels.
"""
from __future__ import annotations

import numpy as np

from . import fixedpoint as fp
from . import ir


def _as3(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    return a[:, None, :] if a.ndim == 2 else a


def _prep(inputs: dict, names: list[str], dtype) -> tuple[dict, tuple]:
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
    return env, shape


# --- integer reference -------------------------------------------------------------------

def state_names(node) -> tuple[str, str]:
    return f"{node.name}.h", f"{node.name}.c"


def run(g: ir.QGraph, inputs: dict, state: dict | None = None, return_all: bool = False):
    """Execute the integer IR. ``inputs`` are int16 codes. Returns ``(outputs, state)``
    (``outputs``: name -> int64 (channels, time, size)); with ``return_all`` every tensor."""
    env, (B, T) = _prep(inputs, g.inputs, np.int64)
    for n in g.inputs:
        t = g.tensors[n]
        if env[n].shape[2] != t.size:
            raise ValueError(f"input {n!r} has {env[n].shape[2]} features, expected {t.size}")
        if np.any(env[n] < t.lo) or np.any(env[n] > t.hi):
            raise ValueError(f"input {n!r} is outside its declared legal range")
    st = {k: np.array(v, dtype=np.int64) for k, v in (state or {}).items()}
    for node in g.nodes:
        if isinstance(node, ir.QDense):
            acc = fp.matvec(env[node.x], node.w) + node.bias
            y = fp.requant16(acc, node.shift)
            env[node.y] = fp.relu(y) if node.relu else y
        elif isinstance(node, ir.QRelu):
            env[node.y] = fp.relu(env[node.x])
        elif isinstance(node, ir.QAdd):
            acc = env[node.a] * (1 << node.la) + env[node.b] * (1 << node.lb)
            env[node.y] = fp.requant16(acc, node.shift)
        elif isinstance(node, ir.QScale):
            env[node.y] = fp.requant16(env[node.x] * node.mult, node.shift)
        elif isinstance(node, ir.QConcat):
            env[node.y] = np.concatenate([fp.requant16(env[x], s) for x, s in zip(node.xs, node.shifts)], axis=-1)
        elif isinstance(node, ir.QSlice):
            env[node.y] = env[node.x][..., node.start:node.stop]
        elif isinstance(node, ir.QLSTM):
            env[node.y] = _lstm_q(node, env[node.x], st)
        else:  # pragma: no cover
            raise TypeError(f"unknown IR node {type(node).__name__}")
    outs = env if return_all else {n: env[n] for n in g.outputs}
    return outs, st


def lstm_step_q(node: ir.QLSTM, x: np.ndarray, h: np.ndarray, c: np.ndarray):
    """One integer LSTM step for a batch: x (B, in), h, c (B, H) -> (h, c)."""
    H = node.hidden
    acc = fp.matvec(x, node.wx) + fp.matvec(h, node.wh) + node.bias
    p = fp.requant16(acc, node.shift)                    # Q3.12
    i = fp.sigmoid_q(p[:, 0:H])
    o = fp.sigmoid_q(p[:, H:2 * H])
    f = fp.sigmoid_q(p[:, 2 * H:3 * H])
    gg = fp.tanh_q(p[:, 3 * H:4 * H])
    c = fp.sat16(fp.mul_rshr(f, c, 15) + fp.mul_rshr(i, gg, 30 - node.c_frac))
    t = fp.tanh_q(fp.requant16(c, node.c_frac - fp.Q_GATE))
    h = fp.sat16(fp.mul_rshr(o, t, 15))
    return h, c


def _lstm_q(node: ir.QLSTM, x: np.ndarray, st: dict) -> np.ndarray:
    B, T, _ = x.shape
    kh, kc = state_names(node)
    h = st.get(kh, np.zeros((B, node.hidden), np.int64))
    c = st.get(kc, np.zeros((B, node.hidden), np.int64))
    y = np.empty((B, T, node.hidden), np.int64)
    for t in range(T):
        h, c = lstm_step_q(node, x[:, t], h, c)
        y[:, t] = h
    st[kh], st[kc] = h, c
    return y


# --- float executor ------------------------------------------------------------------------

def _sig(v):
    return 1.0 / (1.0 + np.exp(-v))


def run_float(g: ir.Graph, inputs: dict, return_all: bool = False) -> dict:
    """Execute the float IR in float64 (ONNX semantics). Returns name -> (channels, time, size)."""
    env, (B, T) = _prep(inputs, g.inputs, np.float64)
    for node in g.nodes:
        if isinstance(node, ir.Dense):
            y = env[node.x] @ node.W.T + (0.0 if node.b is None else node.b)
            env[node.y] = np.maximum(y, 0.0) if node.relu else y
        elif isinstance(node, ir.Relu):
            env[node.y] = np.maximum(env[node.x], 0.0)
        elif isinstance(node, ir.Add):
            env[node.y] = env[node.a] + env[node.b]
        elif isinstance(node, ir.Scale):
            env[node.y] = env[node.x] * node.k
        elif isinstance(node, ir.Concat):
            env[node.y] = np.concatenate([env[x] for x in node.xs], axis=-1)
        elif isinstance(node, ir.Slice):
            env[node.y] = env[node.x][..., node.start:node.stop]
        elif isinstance(node, ir.LSTM):
            x = env[node.x]
            H = node.hidden
            h = np.zeros((B, H))
            c = np.zeros((B, H))
            y = np.empty((B, T, H))
            cs = np.empty((B, T, H))
            for t in range(T):
                p = x[:, t] @ node.W.T + h @ node.R.T + node.b
                i, o, f = _sig(p[:, :H]), _sig(p[:, H:2 * H]), _sig(p[:, 2 * H:3 * H])
                c = f * c + i * np.tanh(p[:, 3 * H:])
                h = o * np.tanh(c)
                y[:, t] = h
                cs[:, t] = c
            env[node.y] = y
            env[node.name + ".c"] = cs   # cell state at every step (calibration only)
        else:  # pragma: no cover
            raise TypeError(f"unknown IR node {type(node).__name__}")
    return env if return_all else {n: env[n] for n in g.outputs}
