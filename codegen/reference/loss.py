"""The quantisation loss of a compiled model: what the integer predictor pays against the
float model it came from, both priced by the ideal coder (spikey.coders.ideal, docs/
model-format.md section 2), on recordings.

The float model is run from model.onnx + model.json alone (features from the metadata,
the graph by onnx's ReferenceEvaluator): no torch.
"""
from __future__ import annotations

import numpy as np
from onnx.reference import ReferenceEvaluator

from spikey import features as ft
from spikey.coders.ideal import bin_bits, ideal_bits
from spikey.model.files import onnx_path

from .predictor import Predictor, feature_config


def float_bits(model_dir, meta: dict, codes: np.ndarray) -> float:
    """Total bits of one file coded on its own by the float model (first sample 10 bits).
    FC projectors only (an LSTM would need one evaluator call per sample)."""
    if meta["model"]["projector"] != "fc":
        raise ValueError("the float model's bits are computed for FC projectors only")
    fcfg, lin = feature_config(meta)
    lin = None if lin is None else lin.astype(np.int32)
    ff = ft.file_features([np.asarray(codes)], fcfg, lin)[0]
    u = ft.normalise(ft.window_of_differences(ff.codes, fcfg.window, lin), ff.wavelet, ff.ema, ff.sh,
                     window_q=0 if lin is None else ft.Q_FEAT)[:-1]
    feeds = {"u": u}
    if meta["model"]["middleout"]:
        message = meta["model"]["latent"] + (2 if meta["model"].get("zero_lag") else 0)
        feeds["peer_mean"] = np.zeros((len(u), message), np.float32)
    out = ReferenceEvaluator(str(onnx_path(model_dir, meta))).run(["out"], feeds)[0].astype(np.float64)
    x = ff.codes.astype(np.int64)
    sh = ff.sh[:-1].astype(np.float64)
    mu = np.round(out[:, 0] * np.exp2(sh))
    log2_s = np.maximum(out[:, 1] + sh, meta["output"]["min_log2_scale"])
    L = np.clip(x[:-1] + mu.astype(np.int64), 0, 1023)
    return bin_bits(x, L, log2_s, meta) + 10.0


def quantisation_loss(pred: Predictor, model_dir, names: list, codes: list, description: str) -> dict:
    """Ideal-coder bits/sample of the float model and of the integer predictor's
    (L, log2s_q8), per file and in total."""
    rows, fb, ib, n = [], 0.0, 0.0, 0
    for name, x in zip(names, codes):
        f = float_bits(model_dir, pred.meta, x)
        L, ls = pred.predict(x)
        i = ideal_bits(x, L, ls, pred.meta)
        rows.append({"file": name, "samples": len(x), "float_bits_per_sample": f / len(x),
                     "integer_bits_per_sample": i / len(x)})
        fb, ib, n = fb + f, ib + i, n + len(x)
    return {"data": description, "samples": n, "float_bits_per_sample": fb / n,
            "integer_bits_per_sample": ib / n, "loss_bits_per_sample": (ib - fb) / n,
            "loss_percent": 100.0 * (ib - fb) / fb, "files": rows,
            "formula": "docs/model-format.md section 2 in float64 (ideal coder), first sample 10 bits; "
                       "float: codegen.reference.loss.float_bits (ONNX ReferenceEvaluator); "
                       "integer: spikey.coders.ideal.ideal_bits"}
