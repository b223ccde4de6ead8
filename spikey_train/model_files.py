"""The two files of a trained model, read without torch (docs/model-format.md).

``load_model`` is what codegen and the codec use to read a model; ``log_mass`` is the
coder family's log-probability of a code bin, in numpy (the ideal-coder cost).
"""
from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import onnx

FORMAT_VERSION = 1


def load_model(model_dir: Path | str) -> tuple[onnx.ModelProto, dict]:
    """The two files codegen reads: the ONNX graph and the metadata (format checked)."""
    d = Path(model_dir)
    meta = json.loads((d / "model.json").read_text())
    if meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{d / 'model.json'}: format_version {meta.get('format_version')} is not {FORMAT_VERSION}")
    raw = (d / meta["onnx"]["file"]).read_bytes()
    if hashlib.sha256(raw).hexdigest() != meta["onnx"]["sha256"]:
        raise ValueError(f"{d / meta['onnx']['file']}: sha256 does not match model.json")
    model = onnx.load_from_string(raw)
    onnx.checker.check_model(model)
    return model, meta


def log_mass(a: np.ndarray, b: np.ndarray, family: str) -> np.ndarray:
    """log P(a <= z < b) for the family's standard distribution (natural log), elementwise."""
    a, b = a.astype(np.float64), b.astype(np.float64)
    if family == "logistic":
        ls = lambda z: -np.logaddexp(0.0, -z)  # noqa: E731  log sigmoid
        return ls(a) + ls(-b) + np.log(-np.expm1(b - a))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        right = -b + np.log(-np.expm1(b - a)) - math.log(2.0)
        left = a + np.log(-np.expm1(b - a)) - math.log(2.0)
        mid = np.log(np.maximum(1 - 0.5 * np.exp(np.minimum(b, 0)) - 0.5 * np.exp(-np.maximum(a, 0)), 1e-300))
    return np.where(b >= 0, right, np.where(a <= 0, left, mid))
