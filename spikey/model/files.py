"""A trained model's directory (docs/model-format.md), read without torch or onnx.

A model directory holds ``model.json`` (the metadata: features, output rule, coder, split),
the ONNX graph it names (``model.onnx``) and, once ``codegen compile`` has run,
``compiled/`` (:mod:`spikey.model.compiled`). The models bundled with Spikey live in
``spikey/models/<name>/``; everywhere a command takes ``--model``, it takes either such a
name or a directory (:func:`resolve`).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..errors import CodecError

FORMAT_VERSION = 1
BUNDLED = Path(__file__).resolve().parents[1] / "models"
DEFAULT = "default"
MIDDLEOUT = "joint-middleout"      # the bundled MiddleOut model (joint streams)


def bundled_names() -> list[str]:
    """The names of the bundled models (folders of spikey/models with a model.json)."""
    return sorted(p.parent.name for p in BUNDLED.glob("*/model.json"))


def resolve(model=None) -> Path:
    """``--model``: None (the bundled default), a bundled model's name, or a directory.

    A directory is taken as it is; a bare name that is not a directory here is looked up
    among the bundled models. Raises CodecError (one line) when neither exists."""
    if model is None:
        return BUNDLED / DEFAULT
    p = Path(model)
    if p.is_dir():
        return p
    if len(p.parts) == 1 and (BUNDLED / p.name / "model.json").is_file():
        return BUNDLED / p.name
    raise CodecError(f"no such model: {model} (a model directory, or one of the bundled models: "
                     f"{', '.join(bundled_names())})")


def describe(model_dir) -> str:
    """How reports name a model folder: ``spikey/models/<name>`` for a bundled one (the same
    on every machine), else the path as given."""
    d = Path(model_dir)
    return f"spikey/models/{d.name}" if d.resolve().parent == BUNDLED.resolve() else str(d)


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_meta(model_dir) -> dict:
    """model.json of a model directory, its format checked and the ONNX file it names
    checked against the sha256 it records. Raises ValueError (one line) on any mismatch."""
    d = Path(model_dir)
    path = d / "model.json"
    if not path.is_file():
        raise ValueError(f"{d}: no model.json here (not a Spikey model directory)")
    try:
        meta = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON ({e.msg} at line {e.lineno})") from None
    if not isinstance(meta, dict) or meta.get("format_version") != FORMAT_VERSION:
        got = meta.get("format_version") if isinstance(meta, dict) else None
        raise ValueError(f"{path}: format_version {got} is not {FORMAT_VERSION}")
    onnx = onnx_path(d, meta)
    if not onnx.is_file():
        raise ValueError(f"{path}: names {onnx.name}, which is not in {d}")
    if sha256_file(onnx) != meta["onnx"]["sha256"]:
        raise ValueError(f"{onnx}: sha256 does not match model.json")
    return meta


def onnx_path(model_dir, meta: dict) -> Path:
    return Path(model_dir) / meta["onnx"]["file"]
