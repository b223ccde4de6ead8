"""The compiler's intermediate representation: a float IR (what the ONNX front end reads)
and an integer IR (what the quantiser produces, the reference executes and the C emitter
emits). This module holds the containers; the nodes are the operators' own (codegen/ops:
each operator's float and integer node sit with its lowering, quantisation, reference and
emission).

Both describe the network for **one channel and one time step**: every tensor is a
vector of ``size`` elements (the ONNX batch / time axes are stripped by the front end).
Recurrent operators keep their state in a per-channel state struct (``QGraph.state``).
Nodes are stored in execution order (topologically sorted).

Integer IR conventions (docs/fixed-point.md): tensors are int16 with ``frac`` fractional
bits (``value = q * 2**-frac``); weights are int8/int16 with a per-layer or per-row
``frac``; accumulators are int32 or int64 (``acc_bits``), chosen and proved by the range
analysis; every requantisation is ``requant16(acc, shift)`` (spikey.fixed / spikey_fixed.h).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields, is_dataclass

import numpy as np


@dataclass
class Graph:
    """Float IR. ``inputs``/``outputs`` are tensor names in API order; ``sizes`` maps every
    tensor to its length."""
    inputs: list
    outputs: list
    sizes: dict
    nodes: list
    name: str = "model"


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
class QGraph:
    """Integer IR. ``tensors`` maps names to :class:`QTensor`; ``state`` lists the
    per-channel state arrays as (name, size, frac) -- all int16, zero at reset."""
    inputs: list
    outputs: list
    tensors: dict
    nodes: list
    state: list = field(default_factory=list)
    name: str = "model"

    def to_json(self) -> dict:
        return _jsonable(self)

    def digest(self) -> str:
        """SHA-256 of the canonical JSON of the integer IR (a node is its type name and its
        fields in order): part of the model's identity."""
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
