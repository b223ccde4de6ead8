"""ONNX -> float IR (:mod:`codegen.ir`): the lowering pass.

Reads an ONNX model with the ``onnx`` package (never torch) and lowers it to the float
IR, for one channel and one time step. Each operator's own lowering is in codegen/ops
(``Op.lower``, found by the ONNX op type); this pass folds the constants, aliases the
shape-only ops and keeps the tables the operators read (sizes, producers, uses). Supported:

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

from .. import ir
from ..errors import UnsupportedError
from ..ops import BY_ONNX, reads

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
        used = set(outputs) | {t for n in self.nodes for t in reads(n)}
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
        if op in BY_ONNX:
            BY_ONNX[op].lower(self, node, ins, a)
        elif op in SHAPE_ONLY:
            self.shape_only(node, a)
        else:
            raise UnsupportedError(node.name, op, "operator not supported")

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

    def rename(self, p, y):
        """Give the node ``p`` the output name ``y`` (an operator folded into it)."""
        del self.producer[p.y]
        self.sizes[y] = self.sizes.pop(p.y)
        p.y = y
        self.producer[y] = p
