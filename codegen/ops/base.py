"""The contract every operator of codegen/ops implements (onnx2c's one file per operator).

An operator module defines its float IR node and its integer IR node (dataclasses; their
names and fields are part of the model identity, codegen.ir.QGraph.digest) and five
functions, collected in one :class:`Op`:

    lower(lw, node, ins, attrs)   front end: an ONNX node -> float IR node(s), through the
                                  lowering pass ``lw`` (codegen/frontend/onnx.py)
    run_float(node, env)          the float IR node in float64 (ONNX semantics), for
                                  calibration and the quantisation-loss report
    quantise(q, node)             the float node -> the integer node, its output tensor's
                                  format and proved bounds, through the pass ``q``
                                  (codegen/quant/quantize.py, helpers in quant/range.py)
    run(node, env, state)         the integer node in exact integers (the reference: the
                                  specification its C must match bit for bit)
    count(node, T, tally)         the operations of one time step by kind and width
                                  (codegen/ops/count.py; ``T``: the IR's tensors), for the
                                  datapath energy estimate
    emit(e, node, L)              the template data of its C (``L``: the layer's common
                                  fields, filled in by codegen/emit/cgen.py); the C itself is
                                  the macros ``decls(L)`` and ``step(L)`` of
                                  codegen/emit/templates/ops/<template>

``env`` maps tensor names to arrays (channels, time, size). Adding an operator is one
module here, its template, its entry in codegen/ops/__init__.py and its tests.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


def reads_x(node) -> list:
    return [node.x]


@dataclass(frozen=True)
class Op:
    name: str                       # "Dense": the layer kind in the generated C's comments
    float_node: type
    int_node: type
    onnx: tuple                     # ONNX op types whose lowering this operator owns
    lower: Callable
    run_float: Callable
    quantise: Callable
    run: Callable
    emit: Callable
    template: str                   # codegen/emit/templates/ops/<template>
    reads: Callable = reads_x       # the tensors a node (float or integer) reads
    count: Callable | None = None   # the operations of one time step (codegen/ops/count.py)
