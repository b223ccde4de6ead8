"""The model identity: 8 bytes naming the integer codec a stream was made with (the
container's model id; docs/bitstream.md)."""
from __future__ import annotations

import hashlib
import json

from .. import ir


def model_identity(qg: ir.QGraph, meta: dict) -> bytes:
    """SHA-256 of the IR digest and the canonical JSON of the features, output rule and
    coder of model.json (its first 8 bytes). Any change of the integer semantics changes it."""
    around = {k: meta[k] for k in ("features", "output", "coder", "signal")}
    blob = qg.digest().encode() + b"\0" + json.dumps(around, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).digest()[:8]
