"""The compiler's intermediate representation: a float IR (what the ONNX front end reads)
and an integer IR (what the quantiser produces, the reference executes and cgen emits).

Both describe the network for **one channel and one time step**: every tensor is a
vector of ``size`` elements (the ONNX batch / time axes are stripped by the front end).
Recurrent operators keep their state in a per-channel state struct (``Graph.state``).
Nodes are stored in execution order (topologically sorted).

Integer IR conventions (docs/fixed-point.md): tensors are int16 with ``frac`` fractional
bits (``value = q * 2**-frac``); weights are int8/int16 with a per-layer or per-row
``frac``; accumulators are int32 or int64 (``acc_bits``), chosen and proved by the range
analysis; every requantisation is ``spk_requant16(acc, shift)``.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields, is_dataclass

import numpy as np


# --- float IR --------------------------------------------------------------------------

@dataclass
class Dense:
    """y = W x + b (then ReLU if ``relu``). W: (out, in) float64; b: (out,) or None."""
    name: str
    x: str
    y: str
    W: np.ndarray
    b: np.ndarray | None = None
    relu: bool = False


@dataclass
class Relu:
    name: str
    x: str
    y: str


@dataclass
class Add:
    """y = a + b (same size)."""
    name: str
    a: str
    b: str
    y: str


@dataclass
class Scale:
    """y = k * x for a constant scalar k (ONNX Mul / Div by a constant)."""
    name: str
    x: str
    y: str
    k: float


@dataclass
class Concat:
    name: str
    xs: list
    y: str


@dataclass
class Slice:
    """y = x[start:stop] (feature axis, step 1)."""
    name: str
    x: str
    y: str
    start: int
    stop: int


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
class Graph:
    """Float IR. ``inputs``/``outputs`` are tensor names in API order; ``sizes`` maps every
    tensor to its length."""
    inputs: list
    outputs: list
    sizes: dict
    nodes: list
    name: str = "model"


# --- integer IR ------------------------------------------------------------------------

@dataclass
class QTensor:
    """An int16 tensor: ``value = q * 2**-frac``; ``lo``/``hi`` are the per-element integer
    bounds proved by the range analysis (every legal input stays inside them)."""
    name: str
    size: int
    frac: int
    lo: np.ndarray
    hi: np.ndarray


@dataclass
class QDense:
    """acc[o] = bias[o] + sum_i w[o, i] * x[i]   (int32/int64, scale 2**-(x.frac + w_frac[o]))
    y[o] = spk_requant16(acc[o], shift[o])       (then max(., 0) if relu)"""
    name: str
    x: str
    y: str
    w: np.ndarray          # int64 values, (out, in); stored as int8/int16 (w_bits)
    w_bits: int
    w_frac: np.ndarray     # (out,) fractional bits of each row (all equal per layer)
    bias: np.ndarray       # (out,) at the accumulator scale
    shift: np.ndarray      # (out,) acc frac - y frac (negative: exact left shift)
    acc_bits: int
    relu: bool
    acc_bound: int = 0     # proved max |partial sum| + rounding offset, over all rows


@dataclass
class QRelu:
    name: str
    x: str
    y: str


@dataclass
class QAdd:
    """acc = a * 2**la + b * 2**lb (int32, exact), y = spk_requant16(acc, shift)."""
    name: str
    a: str
    b: str
    y: str
    la: int
    lb: int
    shift: int


@dataclass
class QScale:
    """y = spk_requant16(x * mult, shift), mult an int16 constant (int32 product)."""
    name: str
    x: str
    y: str
    mult: int
    shift: int


@dataclass
class QConcat:
    """Each part is requantised to y's format: part_j = spk_requant16(x_j, shifts[j])."""
    name: str
    xs: list
    y: str
    shifts: list


@dataclass
class QSlice:
    name: str
    x: str
    y: str
    start: int
    stop: int


@dataclass
class QLSTM:
    """Integer LSTM step (docs/fixed-point.md, "LSTM"). Gate order i, o, f, c.
    acc[r] = bias[r] + wx[r]·x + wh[r]·h     (scale 2**-(x.frac + wx_frac[r]) = 2**-(15 + wh_frac[r]))
    p[r] = spk_requant16(acc[r], shift[r])   (Q3.12), i/o/f = sigmoid_q15, g = tanh_q15
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


@dataclass
class QGraph:
    """Integer IR. ``tensors`` maps names to :class:`QTensor`; ``state`` lists the
    per-channel state arrays as (name, size, frac) — all int16, zero at reset."""
    inputs: list
    outputs: list
    tensors: dict
    nodes: list
    state: list = field(default_factory=list)
    name: str = "model"

    def to_json(self) -> dict:
        return _jsonable(self)

    def digest(self) -> str:
        """SHA-256 of the canonical JSON of the integer IR: the model's identity."""
        blob = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(blob).hexdigest()


def _jsonable(o):
    if is_dataclass(o):
        return {"_op": type(o).__name__, **{f.name: _jsonable(getattr(o, f.name)) for f in fields(o)}}
    if isinstance(o, np.ndarray):
        return [_jsonable(v) for v in o.tolist()]
    if isinstance(o, dict):
        return {str(k): _jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_jsonable(v) for v in o]
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating, float)):
        return float(o).hex()
    return o
