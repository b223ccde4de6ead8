"""ONNX -> float IR (:mod:`codegen.ir`).

Reads an ONNX model with the ``onnx`` package (never torch) and lowers it to the float
IR, for one channel and one time step. Supported:

* Gemm (transA = 0, constant B and C), MatMul with a constant right operand (+ a
  following Add of a constant vector, fused as the bias) -> ``Dense``; Relu (fused into
  the preceding Dense when it is its only consumer) -> ``Relu``;
* LSTM (forward, one direction, default activations, no clip / peepholes /
  sequence_lens, zero or absent initial state; only output Y used) -> ``LSTM``;
* Add of two tensors -> ``Add``; Mul / Div by a constant scalar -> ``Scale``;
  Concat and Slice (step 1) on the feature (last) axis;
* shape-only ops that keep the feature axis last and its size unchanged (Identity,
  Dropout, Transpose, Squeeze, Unsqueeze, Reshape, Flatten) are aliases;
* Constant / Shape / Gather / ConstantOfShape ... that do not depend on data are
  folded (they only build the zero initial state torch exports for an LSTM).

Everything else is refused with :class:`codegen.errors.UnsupportedError` naming the node.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper, shape_inference

from . import ir
from .errors import UnsupportedError

SHAPE_ONLY = {"Identity", "Dropout", "Transpose", "Squeeze", "Unsqueeze", "Reshape", "Flatten"}


def _attrs(node) -> dict:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _shape(vi) -> list | None:
    t = vi.type.tensor_type
    if not t.HasField("shape"):
        return None
    return [d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim]


def load(model: str | Path | onnx.ModelProto | bytes, name: str = "model") -> ir.Graph:
    """Parse an ONNX model (path, bytes or ModelProto) into the float IR."""
    if isinstance(model, (str, Path)):
        model = onnx.load(str(model))
    elif isinstance(model, (bytes, bytearray)):
        model = onnx.load_from_string(bytes(model))
    try:
        model = shape_inference.infer_shapes(model)
    except Exception:  # noqa: BLE001 - shapes are a help, not a requirement
        pass
    return _Lowering(model.graph, name).run()


class _Lowering:
    def __init__(self, g, name):
        self.g, self.name = g, name
        self.consts: dict[str, np.ndarray] = {t.name: numpy_helper.to_array(t) for t in g.initializer}
        self.shapes = {vi.name: _shape(vi) for vi in [*g.input, *g.value_info, *g.output]}
        self.static: set[str] = set(self.consts)   # tensors that do not depend on data
        self.zero: set[str] = set()                # static tensors known to be all zero
        self.alias: dict[str, str] = {}
        self.sizes: dict[str, int] = {}
        self.nodes: list = []
        self.producer: dict[str, object] = {}
        self.uses = Counter(i for n in g.node for i in n.input if i)
        for o in g.output:
            self.uses[o.name] += 1

    # helpers ------------------------------------------------------------------------
    def r(self, t: str) -> str:
        while t in self.alias:
            t = self.alias[t]
        return t

    def rank(self, t):
        s = self.shapes.get(t)
        return None if s is None else len(s)

    def emit(self, node):
        self.nodes.append(node)
        self.producer[node.y] = node

    def const(self, node, t: str, what: str) -> np.ndarray:
        if t not in self.consts:
            raise UnsupportedError(node.name, node.op_type, f"{what} ({t!r}) must be a constant")
        return np.asarray(self.consts[t], dtype=np.float64)

    def data(self, node, t: str) -> str:
        rt = self.r(t)
        if rt not in self.sizes:
            raise UnsupportedError(node.name, node.op_type, f"input {t!r} is not a data tensor")
        return rt

    def last_axis(self, node, axis: int, t: str, what: str):
        rk = self.rank(t)
        if axis == -1 or (rk is not None and axis == rk - 1):
            return
        raise UnsupportedError(node.name, node.op_type, f"{what} on axis {axis} (only the feature axis, the last one, is supported)")

    # main ---------------------------------------------------------------------------
    def run(self) -> ir.Graph:
        g = self.g
        inputs = []
        for vi in g.input:
            if vi.name in self.consts:
                continue
            s = _shape(vi)
            if not s or s[-1] is None:
                raise UnsupportedError(vi.name, "input", "graph input needs a static last (feature) dimension")
            self.sizes[vi.name] = int(s[-1])
            inputs.append(vi.name)
        for i, node in enumerate(g.node):
            if not node.name:
                node.name = f"{node.op_type}_{i}"
            self.lower(node)
        outputs = []
        for o in g.output:
            t = self.r(o.name)
            if t not in self.sizes:
                raise UnsupportedError(o.name, "output", "graph output does not depend on the inputs")
            outputs.append(t)
        used = set(outputs) | {t for n in self.nodes for t in _node_inputs(n)}
        sizes = {k: v for k, v in self.sizes.items() if k in used or k in inputs or k in outputs}
        return ir.Graph(inputs=inputs, outputs=outputs, sizes=sizes, nodes=self.nodes, name=self.name)

    def lower(self, node):
        op, ins = node.op_type, list(node.input)
        a = _attrs(node)
        data_ins = [t for t in ins if t and self.r(t) in self.sizes]
        if op == "Constant":
            v = a.get("value")
            if v is None:
                raise UnsupportedError(node.name, op, "only tensor-valued Constant is supported")
            self.consts[node.output[0]] = numpy_helper.to_array(v) if not isinstance(v, np.ndarray) else v
            self.static.add(node.output[0])
            return
        if op == "ConstantOfShape":
            v = a.get("value")
            val = 0.0 if v is None else float(np.asarray(numpy_helper.to_array(v)).reshape(-1)[0])
            self.static.add(node.output[0])
            if val == 0.0:
                self.zero.add(node.output[0])
            return
        if op == "Shape" or not data_ins:
            if op not in ("Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Cast", "Slice", "Reshape", "Identity"):
                raise UnsupportedError(node.name, op, "operator not supported")
            self.static.update(node.output)   # shape arithmetic: folded, never emitted
            return
        handler = getattr(self, "op_" + op, None)
        if handler is None:
            if op in SHAPE_ONLY:
                return self.shape_only(node, a)
            raise UnsupportedError(node.name, op, "operator not supported")
        handler(node, ins, a)

    def shape_only(self, node, a):
        x = self.data(node, node.input[0])
        si, so = self.shapes.get(node.input[0]), self.shapes.get(node.output[0])
        if node.op_type == "Transpose":
            perm = a.get("perm")
            rk = self.rank(node.input[0])
            if perm is None or rk is None or perm[-1] != rk - 1:
                raise UnsupportedError(node.name, node.op_type, f"transpose {perm} moves the feature axis")
        elif node.op_type not in ("Identity", "Dropout"):
            if not so or so[-1] != self.sizes[x] or (si and len(so) < 1):
                raise UnsupportedError(node.name, node.op_type,
                                       f"output shape {so} does not keep the feature axis ({self.sizes[x]}) last")
        self.alias[node.output[0]] = x

    def dense(self, node, x, W, b):
        x = self.data(node, x)
        if W.ndim != 2 or W.shape[1] != self.sizes[x]:
            raise UnsupportedError(node.name, node.op_type, f"weight shape {W.shape} does not match input size {self.sizes[x]}")
        y = node.output[0]
        self.sizes[y] = W.shape[0]
        self.emit(ir.Dense(node.name, x, y, W, None if b is None else np.broadcast_to(b, (W.shape[0],)).astype(np.float64)))

    def op_Gemm(self, node, ins, a):
        if a.get("transA", 0):
            raise UnsupportedError(node.name, "Gemm", "transA=1 is not supported")
        if self.rank(ins[0]) not in (None, 2):
            raise UnsupportedError(node.name, "Gemm", "input must be 2-D (batch, features)")
        B = self.const(node, ins[1], "B") * a.get("alpha", 1.0)
        W = B if a.get("transB", 0) else B.T
        b = self.const(node, ins[2], "C") * a.get("beta", 1.0) if len(ins) > 2 and ins[2] else None
        if b is not None and b.size not in (1, W.shape[0]):
            raise UnsupportedError(node.name, "Gemm", f"bias shape {b.shape} is not per output")
        self.dense(node, ins[0], W, None if b is None else b.reshape(-1))

    def op_MatMul(self, node, ins, a):
        if ins[1] in self.sizes or self.r(ins[1]) in self.sizes:
            raise UnsupportedError(node.name, "MatMul", "product of two data tensors is not supported")
        B = self.const(node, ins[1], "right operand")
        if B.ndim != 2:
            raise UnsupportedError(node.name, "MatMul", f"right operand must be 2-D, got {B.shape}")
        self.dense(node, ins[0], B.T, None)

    def op_Add(self, node, ins, a):
        d = [t for t in ins if self.r(t) in self.sizes]
        if len(d) == 2:
            xa, xb = self.r(d[0]), self.r(d[1])
            if self.sizes[xa] != self.sizes[xb]:
                raise UnsupportedError(node.name, "Add", "operands differ in size (broadcasting is not supported)")
            y = node.output[0]
            self.sizes[y] = self.sizes[xa]
            self.emit(ir.Add(node.name, xa, xb, y))
            return
        x = self.r(d[0])
        c = self.const(node, ins[1] if ins[0] == d[0] else ins[0], "addend").reshape(-1)
        p = self.producer.get(x)
        if isinstance(p, ir.Dense) and d[0] == x and p.b is None and not p.relu and self.uses[p.y] == 1 and c.size in (1, self.sizes[x]):
            p.b = np.broadcast_to(c, (self.sizes[x],)).astype(np.float64).copy()
            self._rename(p, node.output[0])
            return
        raise UnsupportedError(node.name, "Add", "adding a constant is only supported as the bias of a MatMul")

    def _rename(self, p, y):
        del self.producer[p.y]
        self.sizes[y] = self.sizes.pop(p.y)
        p.y = y
        self.producer[y] = p

    def _scale(self, node, ins, inv):
        d = [t for t in ins if self.r(t) in self.sizes]
        if len(d) != 1 or (inv and ins[0] != d[0]):
            raise UnsupportedError(node.name, node.op_type, "only a tensor times / divided by a constant scalar is supported")
        k = self.const(node, ins[1] if ins[0] == d[0] else ins[0], "factor")
        if k.size != 1:
            raise UnsupportedError(node.name, node.op_type, "factor must be a scalar (per-element scaling is not supported)")
        k = float(k.reshape(-1)[0])
        x = self.r(d[0])
        y = node.output[0]
        self.sizes[y] = self.sizes[x]
        self.emit(ir.Scale(node.name, x, y, 1.0 / k if inv else k))

    def op_Mul(self, node, ins, a):
        self._scale(node, ins, False)

    def op_Div(self, node, ins, a):
        self._scale(node, ins, True)

    def op_Relu(self, node, ins, a):
        x = self.data(node, ins[0])
        p = self.producer.get(x)
        if isinstance(p, ir.Dense) and ins[0] == x and not p.relu and self.uses[x] == 1:
            p.relu = True
            self._rename(p, node.output[0])
            return
        y = node.output[0]
        self.sizes[y] = self.sizes[x]
        self.emit(ir.Relu(node.name, x, y))

    def op_Concat(self, node, ins, a):
        self.last_axis(node, a.get("axis", 0), node.output[0], "concatenation")
        xs = [self.data(node, t) for t in ins]
        y = node.output[0]
        self.sizes[y] = sum(self.sizes[t] for t in xs)
        self.emit(ir.Concat(node.name, xs, y))

    def op_Slice(self, node, ins, a):
        x = self.data(node, ins[0])
        starts = self.const(node, ins[1], "starts").astype(np.int64).reshape(-1)
        ends = self.const(node, ins[2], "ends").astype(np.int64).reshape(-1)
        axes = self.const(node, ins[3], "axes").astype(np.int64).reshape(-1) if len(ins) > 3 and ins[3] else np.arange(len(starts))
        steps = self.const(node, ins[4], "steps").astype(np.int64).reshape(-1) if len(ins) > 4 and ins[4] else np.ones(len(starts), np.int64)
        if len(starts) != 1 or steps[0] != 1:
            raise UnsupportedError(node.name, "Slice", "only a single-axis slice with step 1 is supported")
        self.last_axis(node, int(axes[0]), ins[0], "slice")
        n = self.sizes[x]
        lo, hi = (int(v) for v in (starts[0], ends[0]))
        lo, hi = (v + n if v < 0 else v for v in (lo, hi))
        lo, hi = max(0, min(lo, n)), max(0, min(hi, n))
        if hi <= lo:
            raise UnsupportedError(node.name, "Slice", "empty slice")
        y = node.output[0]
        self.sizes[y] = hi - lo
        self.emit(ir.Slice(node.name, x, y, lo, hi))

    def op_LSTM(self, node, ins, a):
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
            if t and not (t in self.zero or (t in self.consts and not np.any(self.consts[t]))):
                raise UnsupportedError(nm, "LSTM", f"{what} must be absent or zero (state lives in the channel struct)")
        x = self.data(node, ins[0])
        W = self.const(node, ins[1], "W")
        R = self.const(node, ins[2], "R")
        H = int(a["hidden_size"])
        if W.shape != (1, 4 * H, self.sizes[x]) or R.shape != (1, 4 * H, H):
            raise UnsupportedError(nm, "LSTM", f"weights {W.shape}/{R.shape} do not match one direction, hidden {H}")
        Bv = self.const(node, ins[3], "B").reshape(-1) if ins[3] else np.zeros(8 * H)
        b = Bv[: 4 * H] + Bv[4 * H:]
        outs = list(node.output) + [""] * 3
        for t, what in ((outs[1], "Y_h"), (outs[2], "Y_c")):
            if t and self.uses[t]:
                raise UnsupportedError(nm, "LSTM", f"output {what} is used (only the sequence output Y is supported)")
        y = outs[0]
        self.sizes[y] = H
        self.emit(ir.LSTM(nm, x, y, W[0], R[0], b, H))


def _node_inputs(n) -> list[str]:
    if isinstance(n, ir.Add):
        return [n.a, n.b]
    if isinstance(n, ir.Concat):
        return list(n.xs)
    return [n.x]
