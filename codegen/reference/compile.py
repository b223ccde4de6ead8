"""The compile pipeline: a model directory (model.onnx + model.json) -> the quantised
:class:`~codegen.reference.predictor.Predictor`.

ONNX -> float IR (codegen.frontend) -> calibration on a fixed synthetic set -> integer IR
(codegen.quant) -> the predictor around it (features, input quantisation, output rule).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from spikey import features as ft
from spikey import fixed
from spikey.model.files import onnx_path, read_meta
from spikey.recordings import synth, to_codes

from .. import ir
from ..errors import CodegenError, UnsupportedError
from ..frontend import onnx as frontend
from ..quant import formats, quantize
from .predictor import F_IN_MAX, K_EMA, LATENT, Predictor, feature_config, fir_levels, input_value_bound
from .run import run_float

CALIB_CHANNELS, CALIB_SECONDS, CALIB_SEED = 8, 1, 0
CALIBRATION = f"spikey.recordings.synth.generate({CALIB_CHANNELS}, {CALIB_SECONDS}, seed={CALIB_SEED})"


def calibration_codes() -> list:
    """The fixed calibration set: synthetic channels, the same on every machine.

    A model's integer form (and so its identity and every bitstream) must not depend on
    which recordings a machine holds. The inputs are scale-normalised, so this small
    synthetic set gives the default model the same quantisation as its training files.
    """
    return list(to_codes(synth.generate(CALIB_CHANNELS, CALIB_SECONDS, seed=CALIB_SEED)).astype(np.int64))


def _float_graph(model, meta: dict) -> ir.Graph:
    if meta["model"]["projector"] not in ("fc", "lstm"):
        raise UnsupportedError("model", meta["model"]["projector"], "unknown projector")
    g = frontend.load(_state_as_struct(model), meta.get("name", "model"))
    extra = set(g.inputs) - {"u", "peer_mean"}
    if extra:
        raise UnsupportedError(sorted(extra)[0], "input", "the predictor feeds only u (and peer_mean)")
    if "out" not in g.outputs:
        raise UnsupportedError("out", "output", "the graph has no output 'out'")
    g.outputs = ["out"]           # the coder needs only (mu, ls); the latent stays internal
    return g


def _state_as_struct(model: onnx.ModelProto) -> onnx.ModelProto:
    """An LSTM projector's step graph takes (h, c) as inputs and returns (h_out, c_out): the
    generated code keeps that state in the channel's struct instead (zero at reset, updated
    every step, i.e. h_out fed back as h). So h and c become zero constants, h_out and c_out
    are dropped."""
    names = {vi.name for vi in model.graph.input} & {"h", "c"}
    if not names:
        return model
    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    for vi in [vi for vi in g.input if vi.name in names]:
        hidden = vi.type.tensor_type.shape.dim[-1].dim_value
        g.initializer.append(numpy_helper.from_array(np.zeros((1, 1, hidden), np.float32), vi.name))
        g.input.remove(vi)
    for vo in [vo for vo in g.output if vo.name in ("h_out", "c_out")]:
        g.output.remove(vo)
    return m


def choose_f_in(u_float: np.ndarray, bound: int, headroom: int = 1) -> int:
    """u's frac: the calibrated one (as for any activation), capped so that
    value * 2**F_IN + 2**(SH_MAX + 7) fits int32 for every legal value."""
    f = formats.frac_for(float(np.max(np.abs(u_float))), 16, 0, F_IN_MAX) - headroom
    while f > 0 and bound * (1 << f) + fixed.round_offset(ft.SH_MAX + K_EMA) > fixed.INT32_MAX:
        f -= 1
    return max(f, 0)


def float_inputs(x: np.ndarray, fcfg: ft.FeatureConfig, lin) -> np.ndarray:
    """The float network input of docs/model-format.md (exact), for calibration."""
    ff = ft.file_features([x], fcfg, lin)[0]
    return ft.normalise(ft.window_of_differences(x, fcfg.window, lin), ff.wavelet, ff.ema, ff.sh,
                        window_q=0 if lin is None else ft.Q_FEAT)


def load_model(model_dir) -> tuple[onnx.ModelProto, dict]:
    """The two files the compiler reads: the ONNX graph (checked by the onnx package) and the
    metadata (format and sha256 checked). CodegenError (one line) when either is bad."""
    try:
        meta = read_meta(model_dir)
        model = onnx.load_from_string(onnx_path(model_dir, meta).read_bytes())
        onnx.checker.check_model(model)
    except (ValueError, onnx.checker.ValidationError, OSError) as e:
        raise CodegenError(f"cannot compile the model in {model_dir}: {str(e).splitlines()[0]}") from None
    return model, meta


def compile_model(model_dir: str | Path, calib_codes: list[np.ndarray] | None = None, weight_bits: int = 16,
                  per_channel: bool = False) -> Predictor:
    """Load model.onnx + model.json, calibrate on ``calib_codes`` (default: the fixed
    :func:`calibration_codes`) and quantise."""
    model, meta = load_model(model_dir)
    calib_codes = calibration_codes() if calib_codes is None else calib_codes
    fcfg, lin = feature_config(meta)
    lo, hi = (t.astype(np.int64) for t in ft.dmey_taps(fcfg.taps))
    levels = fir_levels(fcfg, lin, lo, hi)
    g = _float_graph(model, meta)
    u = np.concatenate([float_inputs(np.asarray(c, np.int64), fcfg, lin) for c in calib_codes])
    calib = {"u": u[None]}
    frac, bounds = {"u": choose_f_in(u, input_value_bound(fcfg, lin, levels))}, {}
    if "peer_mean" in g.inputs:   # per file only (zero-lag messages): peer_mean = 0, declared [0, 0]
        calib["peer_mean"] = np.zeros((1, len(u), g.sizes["peer_mean"]))
        frac["peer_mean"], bounds["peer_mean"] = 0, (0.0, 0.0)
    if "peer_mean" in g.inputs and g.sizes["peer_mean"] == g.sizes.get(LATENT):   # joint: the latent's format
        lat = quantize.quantize(g, calib, weight_bits=weight_bits, per_channel=per_channel,
                                input_frac=frac, input_bounds=bounds).tensors[LATENT]
        calib["peer_mean"] = run_float(g, calib, return_all=True)[LATENT]   # a peer's latent: like one's own
        frac["peer_mean"] = lat.frac
        bounds["peer_mean"] = (np.ldexp(lat.lo.astype(np.float64), -lat.frac),
                               np.ldexp(lat.hi.astype(np.float64), -lat.frac))
    qg = quantize.quantize(g, calib, weight_bits=weight_bits, per_channel=per_channel,
                           input_frac=frac, input_bounds=bounds)
    min_q8 = fixed.round_real(meta["output"]["min_log2_scale"] * 256)
    return Predictor(meta.get("name", "model"), meta, fcfg, lin, lo, hi, levels, qg, g, min_q8)
