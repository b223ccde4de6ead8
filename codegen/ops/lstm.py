"""LSTM: one forward layer (ONNX gate order i, o, f, c), one time step per call, its state
(h, c) in the channel's state struct, zero at reset (docs/fixed-point.md, "LSTM").

Integer form, gate row r:
    acc[r] = bias[r] + wx[r] . x + wh[r] . h      (scale 2**-(x.frac + wx_frac[r]) = 2**-(15 + wh_frac[r]))
    p[r]   = requant16(acc[r], shift[r])          (Q3.12); i, o, f = sigmoid_q15(p), g = tanh_q15(p)
    c      = sat16(mul_rshr(f, c, 15) + mul_rshr(i, g, 30 - c_frac))
    h      = sat16(mul_rshr(o, tanh_q15(requant16(c, c_frac - 12)), 15))
sigmoid and tanh are tables of 257 knots with linear interpolation (spikey.fixed.lut_interp).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from spikey import fixed

from ..emit.cformat import c_array, frac_text, ident, interleave_s8, scale_text
from ..errors import UnsupportedError
from ..quant import formats
from ..quant import range as rng
from .base import Op
from .dense import accumulator_fields


@dataclass
class LSTM:
    """One forward LSTM layer, ONNX gate order i, o, f, c. W: (4H, in), R: (4H, H),
    b: (4H,) = Wb + Rb. State h, c (H each) per channel, zero at reset."""
    name: str
    x: str
    y: str
    W: np.ndarray
    R: np.ndarray
    b: np.ndarray
    hidden: int


@dataclass
class QLSTM:
    """Integer LSTM step (docs/fixed-point.md, "LSTM"). Gate order i, o, f, c.
    acc[r] = bias[r] + wx[r]·x + wh[r]·h     (scale 2**-(x.frac + wx_frac[r]) = 2**-(15 + wh_frac[r]))
    p[r] = requant16(acc[r], shift[r])       (Q3.12), i/o/f = sigmoid_q15, g = tanh_q15
    c = sat16(rshr(f*c, 15) + rshr(i*g, 30 - c_frac));  h = sat16(rshr(o * tanh_q15(requant16(c, c_frac - 12)), 15))"""
    name: str
    x: str
    y: str
    hidden: int
    wx: np.ndarray
    wh: np.ndarray
    w_bits: int
    wx_frac: np.ndarray
    wh_frac: np.ndarray
    bias: np.ndarray
    shift: np.ndarray
    acc_bits: int
    c_frac: int
    acc_bound: int = 0


# --- the activation tables ---------------------------------------------------------------

def _sigmoid(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v))


def make_lut(fn: str) -> np.ndarray:
    """The 257 int16 knots of ``sigmoid`` or ``tanh`` at x = -8 + k/16, Q15, saturated."""
    f = {"sigmoid": _sigmoid, "tanh": math.tanh}[fn]
    xs = [-8.0 + k / 16.0 for k in range(fixed.LUT_SEGMENTS + 1)]
    return formats.quantize_real([f(v) for v in xs], fixed.Q_UNIT, 16)


SIGMOID_LUT = make_lut("sigmoid")
TANH_LUT = make_lut("tanh")


def sigmoid_q(x):
    """Q3.12 -> Q0.15 sigmoid (table + interpolation). C: ``spk_lut_interp(spk_sigmoid_lut, x)``."""
    return fixed.lut_interp(SIGMOID_LUT, x)


def tanh_q(x):
    """Q3.12 -> Q0.15 tanh (table + interpolation). C: ``spk_lut_interp(spk_tanh_lut, x)``."""
    return fixed.lut_interp(TANH_LUT, x)


# --- lowering -------------------------------------------------------------------------------

def lower(lw, node, ins, a) -> None:
    nm = node.name
    if a.get("direction", b"forward") not in (b"forward", "forward"):
        raise UnsupportedError(nm, "LSTM", "only direction=forward is supported")
    acts = [v.decode() if isinstance(v, bytes) else v for v in a.get("activations", [])]
    if acts and [s.lower() for s in acts] != ["sigmoid", "tanh", "tanh"]:
        raise UnsupportedError(nm, "LSTM", f"activations {acts} are not supported")
    for k in ("clip", "input_forget", "layout"):
        if a.get(k):
            raise UnsupportedError(nm, "LSTM", f"attribute {k}={a[k]} is not supported")
    ins = ins + [""] * (8 - len(ins))
    if ins[4]:
        raise UnsupportedError(nm, "LSTM", "sequence_lens is not supported")
    if ins[7]:
        raise UnsupportedError(nm, "LSTM", "peepholes (P) are not supported")
    for t, what in ((ins[5], "initial_h"), (ins[6], "initial_c")):
        if t and not (t in lw.zero or (t in lw.consts and not np.any(lw.consts[t]))):
            raise UnsupportedError(nm, "LSTM", f"{what} must be absent or zero (state lives in the channel struct)")
    x = lw.data(node, ins[0])
    W = lw.const(node, ins[1], "W")
    R = lw.const(node, ins[2], "R")
    H = int(a["hidden_size"])
    if W.shape != (1, 4 * H, lw.sizes[x]) or R.shape != (1, 4 * H, H):
        raise UnsupportedError(nm, "LSTM", f"weights {W.shape}/{R.shape} do not match one direction, hidden {H}")
    Bv = lw.const(node, ins[3], "B").reshape(-1) if ins[3] else np.zeros(8 * H)
    b = Bv[: 4 * H] + Bv[4 * H:]
    outs = list(node.output) + [""] * 3
    for t, what in ((outs[1], "Y_h"), (outs[2], "Y_c")):
        if t and lw.uses[t]:
            raise UnsupportedError(nm, "LSTM", f"output {what} is used (only the sequence output Y is supported)")
    y = outs[0]
    lw.sizes[y] = H
    lw.emit(LSTM(nm, x, y, W[0], R[0], b, H))


# --- float and integer execution ------------------------------------------------------------

def _sig(v):
    return 1.0 / (1.0 + np.exp(-v))


def run_float(node: LSTM, env) -> None:
    """Also writes ``<name>.c``, the cell state at every step (for its calibration)."""
    x = env[node.x]
    B, T, _ = x.shape
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
    env[node.name + ".c"] = cs


def state_names(node) -> tuple[str, str]:
    return f"{node.name}.h", f"{node.name}.c"


def step_q(node: QLSTM, x: np.ndarray, h: np.ndarray, c: np.ndarray):
    """One integer LSTM step for a batch: x (B, in), h, c (B, H) -> (h, c)."""
    H = node.hidden
    acc = fixed.matvec(x, node.wx) + fixed.matvec(h, node.wh) + node.bias
    p = fixed.requant16(acc, node.shift)                    # Q3.12
    i = sigmoid_q(p[:, 0:H])
    o = sigmoid_q(p[:, H:2 * H])
    f = sigmoid_q(p[:, 2 * H:3 * H])
    gg = tanh_q(p[:, 3 * H:4 * H])
    c = fixed.sat16(fixed.mul_rshr(f, c, 15) + fixed.mul_rshr(i, gg, 30 - node.c_frac))
    t = tanh_q(fixed.requant16(c, node.c_frac - fixed.Q_GATE))
    h = fixed.sat16(fixed.mul_rshr(o, t, 15))
    return h, c


def run(node: QLSTM, env, state) -> None:
    x = env[node.x]
    B, T, _ = x.shape
    kh, kc = state_names(node)
    h = state.get(kh, np.zeros((B, node.hidden), np.int64))
    c = state.get(kc, np.zeros((B, node.hidden), np.int64))
    y = np.empty((B, T, node.hidden), np.int64)
    for t in range(T):
        h, c = step_q(node, x[:, t], h, c)
        y[:, t] = h
    state[kh], state[kc] = h, c
    env[node.y] = y


# --- quantisation -------------------------------------------------------------------------

def quantise(q, node: LSTM) -> None:
    x = q.T[node.x]
    H = node.hidden
    fx_nat = rng.weight_fracs(node.W, q.weight_bits, q.per_channel)
    fh_nat = rng.weight_fracs(node.R, q.weight_bits, q.per_channel)
    f_acc = np.minimum(x.frac + fx_nat, fixed.Q_UNIT + fh_nat)
    if not q.per_channel:
        f_acc = np.full(4 * H, f_acc.min(), np.int64)
    fwx, fwh = f_acc - x.frac, f_acc - fixed.Q_UNIT
    wx = formats.quantize_real(node.W, fwx[:, None], q.weight_bits)
    wh = formats.quantize_real(node.R, fwh[:, None], q.weight_bits)
    bias = rng.bias(node.name, node.b, f_acc, 4 * H)
    shift = f_acc - fixed.Q_GATE
    hlo, hhi = rng.full(H)
    _, _, tab_x = rng.dot_bounds(wx, x.lo, x.hi)
    _, _, tab_h = rng.dot_bounds(wh, hlo, hhi)
    need = rng.acc_need(bias, tab_x + tab_h, shift)
    A = rng.choose_acc(node.name, need, q.acc_bits)
    c_frac = int(min(max(formats.frac_for(formats.maxabs(q.env[node.name + ".c"])) - q.headroom, 0), fixed.Q_UNIT))
    q.add(QLSTM(node.name, node.x, node.y, H, wx, wh, q.weight_bits, fwx, fwh, bias, shift, A, c_frac, need),
          node.y, H, fixed.Q_UNIT, hlo, hhi)
    kh, kc = state_names(node)
    q.state += [(kh, H, fixed.Q_UNIT), (kc, H, c_frac)]


# --- C emission ---------------------------------------------------------------------------

def emit(e, node: QLSTM, L: dict) -> None:
    e.luts = True
    xt = e.tensor(node.x)
    H = node.hidden
    h, c = e.names.take(ident(node.name) + "_h"), e.names.take(ident(node.name) + "_c")
    e.state += [dict(c=h, size=H, frac=fixed.Q_UNIT, scale=scale_text(fixed.Q_UNIT), what=f"{node.name}: hidden state h"),
                dict(c=c, size=H, frac=node.c_frac, scale=scale_text(node.c_frac), what=f"{node.name}: cell state c")]
    lay = interleave_s8 if node.w_bits == 8 else (lambda w: w)
    L.update(accumulator_fields(node))
    L.update(x=e.ref[node.x], n_in=xt.size, H=H, G=4 * H, xfrac=xt.frac, h=h, cst=c, c_frac=node.c_frac,
             ig_shift=30 - node.c_frac, tanh_shift=node.c_frac - fixed.Q_GATE,
             wx=c_array(lay(node.wx)), wh=c_array(lay(node.wh)),
             wx_frac=frac_text(node.wx_frac), wh_frac=frac_text(node.wh_frac))


def _lut(t, n: int) -> None:
    """n spikey.fixed.lut_interp: an offset add, a shift and a mask (counted as a shift), two
    knot reads, a difference, a product, a rounding shift and an add."""
    t.add("add", 32, n)
    t.add("shift", 32, 2 * n)
    t.add("table", 16, 2 * n)
    t.add("add", 32, n)
    t.add("mul", 16, n)
    t.rshr(n, 32)
    t.add("add", 32, n)


def count(node: QLSTM, T, t) -> None:
    """One step (step_q): 4H rows of (in + H) MACs, bias and requant16 per row; 4H gate
    tables, the cell update (two mul_rshr, an add, sat16), tanh of the requantised cell
    and h = sat16(mul_rshr(o, .)); h and c read and written as per-channel state."""
    H = node.hidden
    n_in = node.wx.shape[1]
    t.dot(4 * H, n_in + H, node.w_bits, node.acc_bits)
    t.add("weight", node.acc_bits, 4 * H)
    t.add("add", node.acc_bits, 4 * H)
    t.requant(4 * H, node.acc_bits)
    _lut(t, 4 * H)
    t.add("state_read", 16, 2 * H)
    t.add("mul", 16, 2 * H)
    t.rshr(2 * H, 32)
    t.add("add", 32, H)
    t.add("cmp", 32, 2 * H)
    t.requant(H, 32, shifted=node.c_frac != fixed.Q_GATE)
    _lut(t, H)
    t.add("mul", 16, H)
    t.rshr(H, 32)
    t.add("cmp", 32, 2 * H)
    t.add("state_write", 16, 2 * H)

OP = Op("LSTM", LSTM, QLSTM, ("LSTM",), lower, run_float, quantise, run, emit, "lstm.c.j2", count=count)
