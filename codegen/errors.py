"""Errors raised by the model-to-C compiler (front end, quantiser, range analysis, C build).

Every message is one line and names the ONNX node / IR layer it is about."""
from __future__ import annotations


class CodegenError(Exception):
    """Base class: a model cannot be compiled."""


class UnsupportedError(CodegenError):
    """The ONNX graph uses an operator, attribute or shape the IR does not support."""

    def __init__(self, node: str, op: str, why: str):
        self.node, self.op = node, op
        super().__init__(f"node {node!r} ({op}): {why}")


class RangeError(CodegenError):
    """Static range analysis could not prove that an accumulator fits its width."""

    def __init__(self, layer: str, why: str):
        self.layer = layer
        super().__init__(f"layer {layer!r}: {why}")


class BuildError(CodegenError, RuntimeError):
    """A build or run step (host or cross compile, link, QEMU run) failed; the message says which."""


class ToolchainMissing(BuildError):
    """A required external tool is not installed; the message says what to install."""
