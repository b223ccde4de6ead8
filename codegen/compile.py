"""``codegen compile MODEL_DIR``: a trained model -> its compiled form for the codec runtime.

The model is compiled (codegen.reference.compile), its C generated for the host
(codegen.emit.predictor, the columns kernel) and written into ``MODEL_DIR/compiled/``
(spikey.model.compiled), which is what ``spikey encode --model MODEL_DIR`` runs. Training
ends with it; the bundled models carry theirs (a test checks they are what this writes).
"""
from __future__ import annotations

from pathlib import Path

from spikey import __version__
from spikey.model import compiled

from .emit.predictor import generate
from .reference.compile import CALIBRATION, compile_model
from .reference.predictor import Predictor

KERNEL = "columns"      # the host's Dense kernel (spikey_vec.h)


def compiled_model(pred: Predictor, directory: Path | None = None) -> compiled.CompiledModel:
    """The compiled model of a quantised predictor, in memory (generated host C)."""
    return compiled.CompiledModel(name=pred.name, identity=pred.identity(), meta=pred.meta,
                                  sources=generate(pred, kernel=KERNEL).files, middleout=pred.middleout,
                                  directory=directory)


def compile_dir(model_dir, log=None) -> compiled.CompiledModel:
    """Compile a model directory and write its ``compiled/``; returns the compiled model."""
    model_dir = Path(model_dir)
    pred = compile_model(model_dir)
    model = compiled_model(pred, model_dir)
    out = compiled.write(model_dir, model, {"spikey": __version__, "calibration": CALIBRATION, "kernel": KERNEL,
                                            "ir_digest": pred.qg.digest()})
    if log:
        log(f"codegen: compiled {pred.name} (identity {model.identity.hex()}) into {out}")
    return model
