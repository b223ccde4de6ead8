"""Float IR + calibration data -> integer IR, with the static range analysis.

Formats (docs/fixed-point.md): every activation is int16 with a power-of-two scale
``2**-frac``; ``frac`` is the largest that keeps the calibrated max |value| (over the
calibration inputs) representable, minus ``headroom`` bits. Weights are int8 or int16
with a power-of-two scale per layer or per output row (``per_channel``), clamped to
``frac`` in [-16, 24]; biases sit at the accumulator scale.

Range analysis: every tensor carries per-element integer bounds ``[lo, hi]`` that hold
for *every* legal input (the graph inputs' declared bounds, by default the whole int16
range), propagated through every node. For each accumulator it bounds the sum of the
absolute values of all terms plus the rounding offset: that bounds every partial sum in
any summation order (so dual-MAC pairing cannot overflow either). The accumulator is
int32 when that bound fits and ``acc_bits`` allows it (in "auto", a Dense layer with int16
weights first gives up to ``INT32_DROP`` weight LSBs for it, keeping 13 or more significant
bits), int64 otherwise; when it fits neither the allowed width, :class:`codegen.errors.RangeError` names the layer.
"""
from __future__ import annotations

import numpy as np

from . import fixedpoint as fp
from . import ir
from .errors import RangeError
from .reference import run_float

W_FRAC_MIN, W_FRAC_MAX = -16, 24
A_FRAC_MIN, A_FRAC_MAX = -16, 30
INT32_DROP = 2   # "auto", int16 weights: LSBs a Dense layer may give up for an int32 accumulator
INT16_LO, INT16_HI = fp.INT16_MIN, fp.INT16_MAX


def _maxabs(a) -> float:
    a = np.asarray(a, dtype=np.float64)
    return float(np.max(np.abs(a))) if a.size else 0.0


def _full(n):
    return np.full(n, INT16_LO, np.int64), np.full(n, INT16_HI, np.int64)


def _requant_bounds(lo, hi, s, relu=False):
    lo, hi = fp.requant16(lo, s), fp.requant16(hi, s)
    if relu:
        lo, hi = fp.relu(lo), fp.relu(hi)
    return np.asarray(lo, np.int64), np.asarray(hi, np.int64)


def _choose_acc(layer: str, need: int, acc_bits) -> int:
    """``need``: proved bound on |any partial sum| (incl. rounding offset)."""
    widths = {"auto": (32, 64), 32: (32,), 64: (64,)}[acc_bits]
    for w in widths:
        if need <= (1 << (w - 1)) - 1:
            return w
    raise RangeError(layer, f"accumulator needs |acc| <= {need} (~2^{need.bit_length()}), "
                            f"which does not fit int{widths[-1]} for every legal input")


def _dot_bounds(w: np.ndarray, lo: np.ndarray, hi: np.ndarray):
    """Per row: (min, max, sum of |terms|) of w @ x over the box lo <= x <= hi (Python ints)."""
    w = w.astype(object)
    a, b = w * lo.astype(object), w * hi.astype(object)
    tlo = np.where(a < b, a, b).sum(axis=1)
    thi = np.where(a < b, b, a).sum(axis=1)
    tab = np.maximum(np.abs(a), np.abs(b)).sum(axis=1)
    return tlo, thi, tab


def _acc_need(bias, tab, shift) -> int:
    need = 0
    for b, t, s in zip(bias.tolist(), tab.tolist(), np.asarray(shift).tolist()):
        n = abs(int(b)) + int(t)
        n = n + (1 << (s - 1)) if s > 0 else n
        need = max(need, n)
        if s < 0 and n << -s > (1 << 63) - 1:   # left shift is done in int64
            return 1 << 64
    return need


def _weights(W: np.ndarray, bits: int, per_channel: bool) -> np.ndarray:
    if per_channel:
        return np.array([fp.frac_for(_maxabs(r), bits, W_FRAC_MIN, W_FRAC_MAX) for r in W], np.int64)
    return np.full(W.shape[0], fp.frac_for(_maxabs(W), bits, W_FRAC_MIN, W_FRAC_MAX), np.int64)


def _bias(layer, b, f_acc, n) -> np.ndarray:
    if b is None:
        return np.zeros(n, np.int64)
    q = fp.quantize_real(b, f_acc, 64)
    big = np.abs(np.ldexp(np.asarray(b, np.float64), f_acc)) >= 2.0 ** 62
    if np.any(big):
        raise RangeError(layer, "bias does not fit int64 at the accumulator scale")
    return q


def _dense_terms(node, x, fy, weight_bits, per_channel, drop):
    """A Dense layer's weights (``drop`` LSBs below the full precision), biases, shifts and
    accumulator bounds: (fw, w, bias, shift, tlo, thi, need)."""
    fw = _weights(node.W, weight_bits, per_channel) - drop
    w = fp.quantize_real(node.W, fw[:, None], weight_bits)
    f_acc = x.frac + fw
    bias = _bias(node.name, node.b, f_acc, len(fw))
    shift = f_acc - fy
    tlo, thi, tab = _dot_bounds(w, x.lo, x.hi)
    return fw, w, bias, shift, tlo, thi, _acc_need(bias, tab, shift)


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
    env = run_float(g, calib, return_all=True)
    input_frac, input_bounds = input_frac or {}, input_bounds or {}

    def afrac(name: str) -> int:
        return fp.frac_for(_maxabs(env[name]), 16, A_FRAC_MIN, A_FRAC_MAX) - headroom

    T: dict[str, ir.QTensor] = {}
    for n in g.inputs:
        f = int(input_frac[n]) if n in input_frac else afrac(n)
        size = g.sizes[n]
        if n in input_bounds:
            lo, hi = (np.broadcast_to(fp.quantize_real(v, f), (size,)).astype(np.int64) for v in input_bounds[n])
        else:
            lo, hi = _full(size)
        T[n] = ir.QTensor(n, size, f, lo, hi)

    nodes, state = [], []
    for node in g.nodes:
        if isinstance(node, ir.Dense):
            x = T[node.x]
            out = node.W.shape[0]
            fy = afrac(node.y)
            drops = range(INT32_DROP + 1) if acc_bits == "auto" and weight_bits == 16 else (0,)
            tries = (_dense_terms(node, x, fy, weight_bits, per_channel, d) for d in drops)
            fits = next((t for t in tries if t[-1] <= (1 << 31) - 1), None)
            fw, w, bias, shift, tlo, thi, need = fits or _dense_terms(node, x, fy, weight_bits, per_channel, 0)
            A = _choose_acc(node.name, need, acc_bits)
            lo, hi = _requant_bounds(np.array((bias + tlo).tolist(), dtype=object),
                                     np.array((bias + thi).tolist(), dtype=object), shift, node.relu)
            nodes.append(ir.QDense(node.name, node.x, node.y, w, weight_bits, fw, bias, shift, A, node.relu, need))
            T[node.y] = ir.QTensor(node.y, out, fy, lo, hi)
        elif isinstance(node, ir.Relu):
            x = T[node.x]
            nodes.append(ir.QRelu(node.name, node.x, node.y))
            T[node.y] = ir.QTensor(node.y, x.size, x.frac, fp.relu(x.lo), fp.relu(x.hi))
        elif isinstance(node, ir.Add):
            a, b = T[node.a], T[node.b]
            F = max(a.frac, b.frac)
            la, lb = F - a.frac, F - b.frac
            fy = afrac(node.y)
            s = F - fy
            lo = a.lo.astype(object) * (1 << la) + b.lo.astype(object) * (1 << lb)
            hi = a.hi.astype(object) * (1 << la) + b.hi.astype(object) * (1 << lb)
            need = max(int(np.max(np.abs(lo))), int(np.max(np.abs(hi)))) + ((1 << (s - 1)) if s > 0 else 0)
            if s < 0:
                need <<= -s
            _choose_acc(node.name, need, 64)
            nodes.append(ir.QAdd(node.name, node.a, node.b, node.y, la, lb, s))
            T[node.y] = ir.QTensor(node.y, a.size, fy, *_requant_bounds(lo, hi, s))
        elif isinstance(node, ir.Scale):
            x = T[node.x]
            ks = fp.frac_for(abs(node.k), 16, W_FRAC_MIN, W_FRAC_MAX)
            mult = int(fp.quantize_real(node.k, ks))
            fy = afrac(node.y)
            s = x.frac + ks - fy
            p = [x.lo.astype(object) * mult, x.hi.astype(object) * mult]
            lo, hi = np.minimum(p[0], p[1]), np.maximum(p[0], p[1])
            nodes.append(ir.QScale(node.name, node.x, node.y, mult, s))
            T[node.y] = ir.QTensor(node.y, x.size, fy, *_requant_bounds(lo, hi, s))
        elif isinstance(node, ir.Concat):
            xs = [T[t] for t in node.xs]
            fy = min(t.frac for t in xs)
            shifts = [t.frac - fy for t in xs]
            lo = np.concatenate([fp.requant16(t.lo, s) for t, s in zip(xs, shifts)])
            hi = np.concatenate([fp.requant16(t.hi, s) for t, s in zip(xs, shifts)])
            nodes.append(ir.QConcat(node.name, list(node.xs), node.y, shifts))
            T[node.y] = ir.QTensor(node.y, len(lo), fy, lo, hi)
        elif isinstance(node, ir.Slice):
            x = T[node.x]
            nodes.append(ir.QSlice(node.name, node.x, node.y, node.start, node.stop))
            T[node.y] = ir.QTensor(node.y, node.stop - node.start, x.frac,
                                   x.lo[node.start:node.stop].copy(), x.hi[node.start:node.stop].copy())
        elif isinstance(node, ir.LSTM):
            x = T[node.x]
            H = node.hidden
            fx_nat = _weights(node.W, weight_bits, per_channel)
            fh_nat = _weights(node.R, weight_bits, per_channel)
            f_acc = np.minimum(x.frac + fx_nat, fp.Q_UNIT + fh_nat)
            if not per_channel:
                f_acc = np.full(4 * H, f_acc.min(), np.int64)
            fwx, fwh = f_acc - x.frac, f_acc - fp.Q_UNIT
            wx = fp.quantize_real(node.W, fwx[:, None], weight_bits)
            wh = fp.quantize_real(node.R, fwh[:, None], weight_bits)
            bias = _bias(node.name, node.b, f_acc, 4 * H)
            shift = f_acc - fp.Q_GATE
            hlo, hhi = _full(H)
            _, _, tab_x = _dot_bounds(wx, x.lo, x.hi)
            _, _, tab_h = _dot_bounds(wh, hlo, hhi)
            need = _acc_need(bias, tab_x + tab_h, shift)
            A = _choose_acc(node.name, need, acc_bits)
            c_frac = int(min(max(fp.frac_for(_maxabs(env[node.name + ".c"])) - headroom, 0), fp.Q_UNIT))
            nodes.append(ir.QLSTM(node.name, node.x, node.y, H, wx, wh, weight_bits, fwx, fwh, bias, shift, A, c_frac, need))
            T[node.y] = ir.QTensor(node.y, H, fp.Q_UNIT, hlo, hhi)
            state += [(node.name + ".h", H, fp.Q_UNIT), (node.name + ".c", H, c_frac)]
        else:  # pragma: no cover
            raise TypeError(f"unknown IR node {type(node).__name__}")
    return ir.QGraph(list(g.inputs), list(g.outputs), T, nodes, state, g.name)


# --- helpers for callers and the loss report ---------------------------------------------

def quantize_inputs(qg: ir.QGraph, inputs: dict) -> dict:
    """Float inputs -> int16 codes at each input's frac (half-up rounding, clamped to the
    declared legal range)."""
    out = {}
    for n in qg.inputs:
        t = qg.tensors[n]
        q = fp.quantize_real(inputs[n], t.frac)
        out[n] = np.clip(q, t.lo, t.hi)
    return out


def loss_report(g: ir.Graph, qg: ir.QGraph, inputs: dict) -> dict:
    """Quantisation loss on ``inputs`` (float): per output, the float output of ``g`` vs
    the dequantised integer output of ``qg`` (max and RMS absolute error, the float
    output's max |value|, and the error relative to it)."""
    from .reference import run
    yf = run_float(g, inputs)
    yq, _ = run(qg, quantize_inputs(qg, inputs))
    rep = {}
    for n in qg.outputs:
        f = yf[n]
        q = fp.dequantize(yq[n], qg.tensors[n].frac)
        err = np.abs(q - f)
        scale = _maxabs(f)
        rep[n] = {"frac": qg.tensors[n].frac, "max_abs_err": float(err.max()), "rms_err": float(np.sqrt(np.mean(err ** 2))),
                  "max_abs_float": scale, "rel_max_err": float(err.max() / scale) if scale else 0.0}
    return rep


def layer_report(qg: ir.QGraph) -> list[dict]:
    """One row per layer: weight format, accumulator width and the proved bound."""
    rows = []
    for n in qg.nodes:
        row = {"layer": n.name, "op": type(n).__name__[1:]}
        if isinstance(n, (ir.QDense, ir.QLSTM)):
            row.update(w_bits=n.w_bits, acc_bits=n.acc_bits, acc_bound_log2=round(float(np.log2(max(n.acc_bound, 1))), 2))
        rows.append(row)
    return rows
