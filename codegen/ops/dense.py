"""Dense: y = W x + b (then ReLU), from ONNX Gemm or MatMul (+ the Add of its bias).

Integer form: ``acc[o] = bias[o] + sum_i w[o, i] * x[i]`` (int32 or int64, scale
2**-(x.frac + w_frac[o])), ``y[o] = requant16(acc[o], shift[o])`` (then max(., 0)).
Weights are int8 or int16 with a frac per layer or per row; in "auto", int16 weights may
give up to ``INT32_DROP`` LSBs for an int32 accumulator. Three C kernels compute the same
integers: "rows" (blocks of 4 rows, dual MACs: Cortex-M), "columns" (8 rows per vector
accumulator, spikey_vec.h: the host) and "mve" (one row at a time, 8 inputs per Helium
VMLADAVA, spikey_mve.h: Cortex-M55). codegen.target.kernels says which core gets which.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spikey import fixed

from ..emit.cformat import c_array, ctype, frac_text, interleave_s8
from ..errors import UnsupportedError
from ..quant import formats
from ..quant import range as rng
from .base import Op

INT32_DROP = 2   # "auto", int16 weights: LSBs a Dense layer may give up for an int32 accumulator


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
class QDense:
    """acc[o] = bias[o] + sum_i w[o, i] * x[i]   (int32/int64, scale 2**-(x.frac + w_frac[o]))
    y[o] = requant16(acc[o], shift[o])           (then max(., 0) if relu)"""
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


# --- lowering -------------------------------------------------------------------------

def make(lw, node, x: str, W: np.ndarray, b) -> None:
    """Emit a Dense node y = W x (+ b) for the ONNX ``node`` (its first output)."""
    x = lw.data(node, x)
    if W.ndim != 2 or W.shape[1] != lw.sizes[x]:
        raise UnsupportedError(node.name, node.op_type, f"weight shape {W.shape} does not match input size {lw.sizes[x]}")
    y = node.output[0]
    lw.sizes[y] = W.shape[0]
    lw.emit(Dense(node.name, x, y, W, None if b is None else np.broadcast_to(b, (W.shape[0],)).astype(np.float64)))


def lower(lw, node, ins, a) -> None:
    if node.op_type == "Gemm":
        if a.get("transA", 0):
            raise UnsupportedError(node.name, "Gemm", "transA=1 is not supported")
        if lw.rank(ins[0]) not in (None, 2):
            raise UnsupportedError(node.name, "Gemm", "input must be 2-D (batch, features)")
        B = lw.const(node, ins[1], "B") * a.get("alpha", 1.0)
        W = B if a.get("transB", 0) else B.T
        b = lw.const(node, ins[2], "C") * a.get("beta", 1.0) if len(ins) > 2 and ins[2] else None
        if b is not None and b.size not in (1, W.shape[0]):
            raise UnsupportedError(node.name, "Gemm", f"bias shape {b.shape} is not per output")
        make(lw, node, ins[0], W, None if b is None else b.reshape(-1))
        return
    # MatMul with a constant right operand; a following Add of a constant is its bias (codegen.ops.add)
    if ins[1] in lw.sizes or lw.r(ins[1]) in lw.sizes:
        raise UnsupportedError(node.name, "MatMul", "product of two data tensors is not supported")
    B = lw.const(node, ins[1], "right operand")
    if B.ndim != 2:
        raise UnsupportedError(node.name, "MatMul", f"right operand must be 2-D, got {B.shape}")
    make(lw, node, ins[0], B.T, None)


def fusable(lw, node: Dense, tensor: str) -> bool:
    """Whether ``tensor`` is this Dense node's output and read by nothing else, so that a
    bias Add or a ReLU can be folded into it."""
    return node.y == tensor and lw.uses[node.y] == 1


# --- float and integer execution ---------------------------------------------------------

def run_float(node: Dense, env) -> None:
    y = env[node.x] @ node.W.T + (0.0 if node.b is None else node.b)
    env[node.y] = np.maximum(y, 0.0) if node.relu else y


def run(node: QDense, env, state) -> None:
    acc = fixed.matvec(env[node.x], node.w) + node.bias
    y = fixed.requant16(acc, node.shift)
    env[node.y] = fixed.relu(y) if node.relu else y


# --- quantisation ------------------------------------------------------------------------

def _terms(node: Dense, x, fy, weight_bits, per_channel, drop):
    """The weights (``drop`` LSBs below the full precision), biases, shifts and accumulator
    bounds: (fw, w, bias, shift, tlo, thi, need)."""
    fw = rng.weight_fracs(node.W, weight_bits, per_channel) - drop
    w = formats.quantize_real(node.W, fw[:, None], weight_bits)
    f_acc = x.frac + fw
    bias = rng.bias(node.name, node.b, f_acc, len(fw))
    shift = f_acc - fy
    tlo, thi, tab = rng.dot_bounds(w, x.lo, x.hi)
    return fw, w, bias, shift, tlo, thi, rng.acc_need(bias, tab, shift)


def quantise(q, node: Dense) -> None:
    x = q.T[node.x]
    fy = q.afrac(node.y)
    drops = range(INT32_DROP + 1) if q.acc_bits == "auto" and q.weight_bits == 16 else (0,)
    tries = (_terms(node, x, fy, q.weight_bits, q.per_channel, d) for d in drops)
    fits = next((t for t in tries if t[-1] <= fixed.INT32_MAX), None)
    fw, w, bias, shift, tlo, thi, need = fits or _terms(node, x, fy, q.weight_bits, q.per_channel, 0)
    A = rng.choose_acc(node.name, need, q.acc_bits)
    lo, hi = rng.requant_bounds(np.array((bias + tlo).tolist(), dtype=object),
                                np.array((bias + thi).tolist(), dtype=object), shift, node.relu)
    q.add(QDense(node.name, node.x, node.y, w, q.weight_bits, fw, bias, shift, A, node.relu, need),
          node.y, node.W.shape[0], fy, lo, hi)


# --- C emission --------------------------------------------------------------------------

# Output rows computed together by the rows kernel (each input pair is loaded once and used
# by every row of the block; the block's accumulators stay in registers).
BLOCK_ROWS = {32: 4, 64: 4}
COLUMN_LANES = 8   # int32 lanes of one spikey_vec.h vector


def _block_stride(rows: int, n_in: int) -> int:
    """Elements from one block of rows to the next: rounded up to even, so that every block
    (and every pair or group of 4 in it) starts 4-byte aligned."""
    return (rows * n_in + 1) // 2 * 2


def dense_layout(w: np.ndarray, w_bits: int, rows: int) -> np.ndarray:
    """Flat weight layout of a Dense layer for the multi-row kernel (spikey_fixed.h).

    Rows are taken in blocks of ``rows`` (the last block may be smaller); block ``b``
    starts at ``b * _block_stride(rows, n_in)`` (a zero pads an odd-sized block). Inside a
    block of ``R`` rows the inputs go in units of ``g`` (2 for int16 weights, 4 for int8):
    unit ``u`` of row ``j`` is at ``(u * R + j) * g``, an int8 unit stored ``w0 w2 w1 w3``
    (as interleave_s8); then the ``n_in % g`` leftover inputs, row ``j``'s at
    ``U * R * g + j * (n_in % g)``."""
    w = np.asarray(w)
    n_out, n_in = w.shape
    g = 2 if w_bits == 16 else 4
    U = n_in // g
    out = []
    for r0 in range(0, n_out, rows):
        blk = w[r0:r0 + rows]
        if g == 4:
            blk = interleave_s8(blk)
        R = blk.shape[0]
        units = blk[:, :U * g].reshape(R, U, g).transpose(1, 0, 2).reshape(-1)
        out += [units, blk[:, U * g:].reshape(-1)]
        if R * n_in % 2:
            out.append(np.zeros(1, w.dtype))
    return np.concatenate(out) if out else np.zeros(0, w.dtype)


def column_layout(w: np.ndarray, lanes_total: int) -> np.ndarray:
    """Flat int16 weights of the columns kernel: input pair ``p`` (inputs 2p, 2p+1), output
    row ``o`` at ``(p * lanes_total + o) * 2 + k`` holds ``w[o, 2p + k]``; rows past
    ``n_out`` and an odd last input are zeros (they add nothing)."""
    w = np.asarray(w, dtype=np.int64)
    n_out, n_in = w.shape
    pairs = (n_in + 1) // 2
    full = np.zeros((lanes_total, 2 * pairs), np.int64)
    full[:n_out, :n_in] = w
    return full.reshape(lanes_total, pairs, 2).transpose(1, 0, 2).reshape(-1)


def _biases_with_offset(node: QDense) -> list[int]:
    """The biases with the rounding offset of each row's shift folded in (the kernels end
    with a plain shift: spk_requant16_b32 / spk_v8_requant16)."""
    return [int(b) + fixed.round_offset(max(s, 0)) for b, s in zip(node.bias.tolist(), node.shift.tolist())]


def _rows_kernel(node: QDense, n_in: int) -> dict:
    """Template data of the rows kernel: weight layout, biases with the rounding offset
    folded in, the blocks of rows and the MAC sequence of one block."""
    A, R = node.acc_bits, BLOCK_ROWS[node.acc_bits]
    n_out = node.w.shape[0]
    g = 2 if node.w_bits == 16 else 4
    U, tail = n_in // g, n_in % g
    shift = [int(v) for v in node.shift.tolist()]
    # int64 accumulator: |acc| <= acc_bound, so acc >> s fits int32 when this holds
    narrow = A == 64 and min(shift) >= 0 and (int(node.acc_bound) >> min(shift)) + 1 <= fixed.INT32_MAX

    def block(rows: int) -> dict:
        # a unit: rows in pairs (one two-row MAC each), then the odd row alone; the weights
        # are read in order through the advancing pointer, the leftover inputs after them
        units = [[dict(a=[j, j + 1]) for j in range(0, rows - 1, 2)] + ([dict(a=[rows - 1])] if rows % 2 else [])
                 for _ in range(U)]
        tails = [[dict(x=U * g + t, w=j * tail + t) for j in range(rows)] for t in range(tail)]
        return dict(rows=rows, units=[dict(x=u * g, ops=ops) for u, ops in enumerate(units)], tails=tails)

    full = (n_out // R) * R
    lay = dense_layout(node.w, node.w_bits, R)
    return dict(w=c_array(lay), w_len=len(lay), bias_r=c_array(_biases_with_offset(node)),
                stride=_block_stride(R, n_in),
                mac2=f"spk_mac{g}x2_s{node.w_bits}_{A}", mac1=f"spk_mac{g}x1_s{node.w_bits}_{A}",
                requant=f"spk_requant16_b{A}{'n' if narrow else ''}",
                narrow=narrow, R=R, full=full, block=block(R), rest=block(n_out - full) if n_out > full else None,
                units=U, unit=g, tail=tail)


def _columns_kernel(node: QDense) -> dict | None:
    """Template data of the columns kernel, or None when the layer needs the rows kernel
    (an int64 accumulator, a negative shift)."""
    shift = [int(v) for v in node.shift.tolist()]
    if node.acc_bits != 32 or min(shift) < 0 or max(shift) > 31:
        return None
    n_out, n_in = node.w.shape
    blocks = -(-n_out // COLUMN_LANES)
    lanes = blocks * COLUMN_LANES
    pad = lanes - n_out
    return dict(w=c_array(column_layout(node.w, lanes)), w_len=lanes * 2 * ((n_in + 1) // 2),
                bias=c_array(_biases_with_offset(node) + [0] * pad), shift=c_array(shift + [0] * pad), lanes=lanes,
                blocks=blocks, pairs=n_in // 2, odd=n_in % 2, out_len=-(-blocks // 2) * 2 * COLUMN_LANES)


MVE_LANES = 8   # int16 lanes of one Helium vector (spikey_mve.h)


def mve_layout(w: np.ndarray) -> np.ndarray:
    """Flat weights of the MVE kernel: row ``o`` at ``o * stride``, ``stride`` = ``n_in``
    rounded up to a multiple of 8; the padding is zeros (it multiplies the zero lanes of the
    predicated load of the input's last chunk, and adds nothing)."""
    w = np.asarray(w, dtype=np.int64)
    n_out, n_in = w.shape
    stride = -(-n_in // MVE_LANES) * MVE_LANES
    full = np.zeros((n_out, stride), np.int64)
    full[:, :n_in] = w
    return full.reshape(-1)


def _mve_kernel(node: QDense, n_in: int) -> dict:
    """Template data of the MVE kernel: the padded weights (read in order, one row after the
    other) and the input chunks (the last one predicated to the ``n_in % 8`` inputs it
    holds). Two rows per iteration measured little better on the M55 (16 of 1104
    instructions/sample, before the asm dot products): the loop is bound by its loads and
    dot products."""
    lay = mve_layout(node.w)
    chunks = [dict(k=k, at=k * MVE_LANES, n=min(MVE_LANES, n_in - k * MVE_LANES))
              for k in range(-(-n_in // MVE_LANES))]
    return dict(w=c_array(lay), w_len=len(lay), stride=len(lay) // max(node.w.shape[0], 1), chunks=chunks,
                mac=f"spk_mve_mac8_s{node.w_bits}_{node.acc_bits}")


def accumulator_fields(node) -> dict:
    """The template fields a layer with weights and an accumulator shares (Dense, LSTM)."""
    A = node.acc_bits
    return dict(acc_t=ctype(A), acc_bits=A, w_bits=node.w_bits, w_t=ctype(node.w_bits),
                dot=f"spk_dot_s{node.w_bits}_{A}", requant=f"spk_requant16_{A}",
                bound=round(float(np.log2(max(node.acc_bound, 1))), 2),
                bias=c_array(node.bias), shift_uniform=bool(np.all(node.shift == node.shift[0])),
                shift0=int(node.shift[0]), shift=c_array(node.shift))


def emit(e, node: QDense, L: dict) -> None:
    xt = e.tensor(node.x)
    L.update(accumulator_fields(node))
    L.update(x=e.ref[node.x], n_in=xt.size, n_out=node.w.shape[0], relu=node.relu,
             xfrac=xt.frac, w_frac=frac_text(node.w_frac), **_rows_kernel(node, xt.size))
    L.update(columns=_columns_kernel(node) if e.kernel == "columns" else None,
             mve=_mve_kernel(node, xt.size) if e.kernel == "mve" else None)
    local = e.local(L["y"])
    if L["columns"] and local is not None:   # requantise straight into a padded local
        local["alloc"] = L["columns"]["out_len"]
    if L["columns"]:
        L["columns"]["direct"] = local is not None


def count(node: QDense, T, t) -> None:
    """out x in MACs and weight reads, a bias read and add, a requant16 per output (then a max)."""
    out, n_in = node.w.shape
    t.dot(out, n_in, node.w_bits, node.acc_bits)
    t.add("weight", node.acc_bits, out)
    t.add("add", node.acc_bits, out)
    t.requant(out, node.acc_bits)
    if node.relu:
        t.add("cmp", 16, out)

OP = Op("Dense", Dense, QDense, ("Gemm", "MatMul"), lower, run_float, quantise, run, emit, "dense.c.j2",
        count=count)
