"""A compiled model: what the codec runtime needs to run a trained model, made by
``codegen compile`` (codegen/compile.py) and read here without codegen, onnx or torch.

Layout, inside the model directory (docs/model-format.md section 4)::

    compiled/compiled.json   schema, name, identity (the container's model id), the sha256 of
                             the model.onnx and model.json it was compiled from, whether joint
                             streams pass MiddleOut messages, and the sha256 of every source
    compiled/*.c, *.h        the generated C for the host: the network (spk_net, or spk_lat +
                             spk_head), the predictor (spk_pred) and the frame API (spk_codec)

The runtime refuses a compiled model whose model files changed since (stale) or whose
sources do not match their recorded hashes, with a one-line message naming the fix.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from ..coders.model_cdf import edges_from_meta
from ..errors import CodecError
from .files import read_meta, sha256_file

SCHEMA = "spikey-compiled/1"
FOLDER = "compiled"
MANIFEST = "compiled.json"
FAMILY_IDS = {"logistic": 0, "laplace": 1}


@dataclass(frozen=True, eq=False)    # hashed by identity of the object: load() caches one per folder
class CompiledModel:
    name: str
    identity: bytes                  # 8 bytes: the container's model id
    meta: dict                       # model.json
    sources: dict                    # file name -> text: the generated host C
    middleout: bool                  # joint streams pass MiddleOut messages between peers
    directory: Path | None = None    # the model directory (None: compiled in memory)
    info: dict = field(default_factory=dict)   # the rest of compiled.json

    @cached_property
    def edges(self) -> np.ndarray:
        """The coder's Q16 code edges (int64, 1025)."""
        return edges_from_meta(self.meta)

    @property
    def family(self) -> str:
        return self.meta["coder"]["family"]

    @property
    def family_id(self) -> int:
        return FAMILY_IDS[self.family]

    @property
    def peers(self) -> int:
        """K, the MiddleOut peer slots of a joint stream (0 without MiddleOut)."""
        return int(self.meta["model"]["peers"]) if self.middleout else 0


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def manifest(compiled: CompiledModel, model_dir, compiler: dict) -> dict:
    """compiled.json for a model compiled from ``model_dir`` (its files' hashes)."""
    d = Path(model_dir)
    return {"schema": SCHEMA, "name": compiled.name, "identity": compiled.identity.hex(),
            "middleout": compiled.middleout, "compiler": compiler,
            "model_files": {"model.json": sha256_file(d / "model.json"),
                            compiled.meta["onnx"]["file"]: sha256_file(d / compiled.meta["onnx"]["file"])},
            "sources": {n: _sha(t) for n, t in sorted(compiled.sources.items())}}


def write(model_dir, compiled: CompiledModel, compiler: dict) -> Path:
    """Write ``model_dir/compiled/`` (replacing what was there); returns the folder."""
    out = Path(model_dir) / FOLDER
    out.mkdir(parents=True, exist_ok=True)
    for p in out.iterdir():
        if p.is_file():
            p.unlink()
    for name, text in sorted(compiled.sources.items()):
        (out / name).write_text(text)
    (out / MANIFEST).write_text(json.dumps(manifest(compiled, model_dir, compiler), indent=1) + "\n")
    return out


def load(model_dir) -> CompiledModel:
    """The compiled model of a model directory, checked against the model's files."""
    d = Path(model_dir)
    try:
        meta = read_meta(d)
    except ValueError as e:
        raise CodecError(f"cannot load the model in {d}: {e}") from None
    folder = d / FOLDER
    fix = f"compile it with: codegen compile {d}"
    if not (folder / MANIFEST).is_file():
        raise CodecError(f"the model in {d} is not compiled (no {FOLDER}/{MANIFEST}); {fix}")
    try:
        info = json.loads((folder / MANIFEST).read_text())
    except json.JSONDecodeError:
        raise CodecError(f"{folder / MANIFEST} is not valid JSON; {fix}") from None
    if info.get("schema") != SCHEMA:
        raise CodecError(f"{folder / MANIFEST} has schema {info.get('schema')!r}, not {SCHEMA!r}; {fix}")
    for name, digest in (info.get("model_files") or {}).items():
        if not (d / name).is_file() or sha256_file(d / name) != digest:
            raise CodecError(f"the compiled model in {folder} is stale ({name} changed since); {fix}")
    sources = {}
    for name, digest in (info.get("sources") or {}).items():
        p = folder / name
        text = p.read_text() if p.is_file() else None
        if text is None or _sha(text) != digest:
            raise CodecError(f"{p} is missing or was edited; {fix}")
        sources[name] = text
    if not sources:
        raise CodecError(f"{folder / MANIFEST} lists no sources; {fix}")
    return CompiledModel(name=info["name"], identity=bytes.fromhex(info["identity"]), meta=meta, sources=sources,
                         middleout=bool(info["middleout"]), directory=d,
                         info={k: v for k, v in info.items() if k not in ("sources",)})
