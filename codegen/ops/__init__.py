"""The operators of the compiler, one module each: its float and integer IR nodes, its
lowering from ONNX, its quantisation, its reference and its C emission (codegen.ops.base:
the contract). This registry is how the passes find an operator."""
from __future__ import annotations

from . import add, concat, dense, lstm, relu, scale, slice
from .base import Op

OPS: tuple[Op, ...] = (dense.OP, relu.OP, add.OP, scale.OP, concat.OP, slice.OP, lstm.OP)
BY_ONNX = {t: op for op in OPS for t in op.onnx}
_BY_NODE = {**{op.float_node: op for op in OPS}, **{op.int_node: op for op in OPS}}


def op_of(node) -> Op:
    """The operator of a float or integer IR node."""
    try:
        return _BY_NODE[type(node)]
    except KeyError:
        raise TypeError(f"unknown IR node {type(node).__name__}") from None


def reads(node) -> list:
    """The tensors an IR node reads."""
    return op_of(node).reads(node)
