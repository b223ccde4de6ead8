"""The Python reference and compiled models for the tests (compiled once per model).

    reference(model, coder)     codegen.reference.codec.ReferenceCodec of a model
    reference_decoder(model)    its factory, for spikey.codec.decode_*(..., learned=...)
    compiled(model_dir)         a model directory compiled in memory (no compiled/ folder needed)
    runtime(model, coder)       spikey.learned.LearnedCodec of any model directory or name
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from codegen.compile import compiled_model
from codegen.reference.codec import ReferenceCodec
from codegen.reference.compile import compile_model
from spikey.learned import LearnedCodec
from spikey.model.files import resolve


@lru_cache(maxsize=16)
def predictor(model=None):
    return compile_model(resolve(None if model is None else str(model)))


def reference(model=None, coder: str = "range") -> ReferenceCodec:
    return ReferenceCodec(predictor(model), coder)


def reference_decoder(model=None):
    return lambda coder: ReferenceCodec(predictor(model), coder)


@lru_cache(maxsize=16)
def compiled(model=None):
    return compiled_model(predictor(model), None if model is None else Path(model))


def runtime(model=None, coder: str = "range") -> LearnedCodec:
    return LearnedCodec(compiled(model), coder)
