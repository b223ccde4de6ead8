"""codegen end to end on random models: ONNX -> float IR -> integer IR -> C (cffi host
build, UBSan on) vs the Python integer reference, every output bit, on random and
adversarial (extreme) inputs; int8/int16 weights, per-layer/per-channel scales.

Compiled modules are cached on disk (spikey.native) and per session here."""
from __future__ import annotations

import io
import warnings

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from codegen.emit import cgen
from codegen.errors import RangeError, UnsupportedError
from codegen.frontend import onnx as onnx_frontend
from codegen.quant import quantize
from codegen.reference import run as reference
from spikey import native

CONFIGS = [(8, False), (8, True), (16, False), (16, True)]
CFG_IDS = [f"int{b}-{'per_channel' if pc else 'per_layer'}" for b, pc in CONFIGS]


# --- random models -------------------------------------------------------------------------

def _w(rng, out, inp, spread=True):
    """Random weights whose rows differ in magnitude (so per-channel scales matter)."""
    w = rng.normal(0, 1 / np.sqrt(inp), (out, inp))
    if spread:
        w *= np.exp2(rng.uniform(-3, 3, (out, 1)))
    return w.astype(np.float32)


def _init(name, a):
    return numpy_helper.from_array(np.asarray(a, dtype=np.float32), name)


def mlp_onnx(seed: int) -> onnx.ModelProto:
    """Gemm (transB 0/1) / ReLU stack with random widths, last layer via MatMul + Add."""
    rng = np.random.default_rng(seed)
    widths = [int(v) for v in rng.integers(1, 24, rng.integers(2, 5))] + [2]
    nodes, inits, x = [], [], "u"
    for k, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        W = _w(rng, b, a)
        last = k == len(widths) - 2
        y = "y" if last else f"h{k}"
        if last:
            inits += [_init(f"W{k}", W.T), _init(f"b{k}", rng.normal(0, 0.5, b))]
            nodes += [helper.make_node("MatMul", [x, f"W{k}"], [f"mm{k}"], name=f"out_matmul{k}"),
                      helper.make_node("Add", [f"mm{k}", f"b{k}"], [y], name=f"out_bias{k}")]
        else:
            tb = int(rng.integers(0, 2))
            inits += [_init(f"W{k}", W if tb else W.T), _init(f"b{k}", rng.normal(0, 0.5, b))]
            nodes += [helper.make_node("Gemm", [x, f"W{k}", f"b{k}"], [f"g{k}"], name=f"fc{k}", transB=tb),
                      helper.make_node("Relu", [f"g{k}"], [y], name=f"relu{k}")]
        x = y
    g = helper.make_graph(nodes, f"mlp{seed}", [helper.make_tensor_value_info("u", TensorProto.FLOAT, ["n", widths[0]])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 2])], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def middleout_onnx(seed: int) -> onnx.ModelProto:
    """Two inputs (own latent z, peer message m) with Gemm + MatMul + Add + Relu, Slice,
    Concat, Mul and Div by constants, then a Gemm head: the ops MiddleOut needs."""
    rng = np.random.default_rng(seed)
    L, M = int(rng.integers(2, 12)), int(rng.integers(1, 10))
    k = int(rng.integers(1, L + 1))
    inits = [_init("A", _w(rng, L, L)), _init("a", rng.normal(0, 0.3, L)), _init("B", _w(rng, L, M).T),
             _init("quarter", [0.25]), _init("three", [3.0]), _init("H", _w(rng, 2, L + k + M)), _init("h", [0.1, -2.0]),
             numpy_helper.from_array(np.array([0], np.int64), "s0"), numpy_helper.from_array(np.array([k], np.int64), "s1"),
             numpy_helper.from_array(np.array([-1], np.int64), "ax")]
    nodes = [helper.make_node("Gemm", ["z", "A", "a"], ["own"], name="mo_own", transB=1),
             helper.make_node("MatMul", ["m", "B"], ["peer"], name="mo_peer"),
             helper.make_node("Add", ["own", "peer"], ["sum"], name="mo_add"),
             helper.make_node("Relu", ["sum"], ["r"], name="mo_relu"),
             helper.make_node("Slice", ["r", "s0", "s1", "ax"], ["rs"], name="mo_slice"),
             helper.make_node("Mul", ["rs", "quarter"], ["rq"], name="mo_quarter"),
             helper.make_node("Div", ["m", "three"], ["m3"], name="mo_mean"),
             helper.make_node("Concat", ["r", "rq", "m3"], ["cat"], name="mo_concat", axis=-1),
             helper.make_node("Gemm", ["cat", "H", "h"], ["y"], name="head", transB=1)]
    g = helper.make_graph(nodes, f"mo{seed}",
                          [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["n", L]),
                           helper.make_tensor_value_info("m", TensorProto.FLOAT, ["n", M])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 2])], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def _torch_export(module, x) -> bytes:
    import torch
    f = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (x,), f, dynamo=False, input_names=["u"], output_names=["y"],
                          dynamic_axes={"u": {0: "b"}})
    return f.getvalue()


def torch_mlp_onnx(seed: int) -> bytes:
    import torch
    import torch.nn as nn
    torch.manual_seed(seed)
    m = nn.Sequential(nn.Linear(9, 16), nn.ReLU(), nn.Linear(16, 7), nn.ReLU(), nn.Linear(7, 2))
    return _torch_export(m, torch.zeros(1, 9))


def torch_lstm_onnx(seed: int) -> bytes:
    import torch
    import torch.nn as nn
    torch.manual_seed(seed)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Sequential(nn.Linear(6, 10), nn.ReLU())
            self.lstm = nn.LSTM(10, 7, batch_first=True)
            self.out = nn.Linear(7, 2)

        def forward(self, u):
            z, _ = self.lstm(self.fc(u))
            return self.out(z)

    return _torch_export(Net(), torch.zeros(2, 5, 6))


MODELS = {"mlp1": lambda: mlp_onnx(1), "mlp2": lambda: mlp_onnx(2), "mlp3": lambda: mlp_onnx(3),
          "middleout4": lambda: middleout_onnx(4), "middleout5": lambda: middleout_onnx(5),
          "torch_mlp": lambda: torch_mlp_onnx(6), "torch_lstm": lambda: torch_lstm_onnx(7)}
RECURRENT = {"torch_lstm"}


def _calib(g, seed, T=1):
    rng = np.random.default_rng(seed)
    B = 64 if T == 1 else 8
    return {n: rng.normal(0, 1.5, (B, T, g.sizes[n])) for n in g.inputs}


_cache: dict = {}


def build_c(cs: cgen.CSources, sanitize: bool = True, cflags=native.DEFAULT_CFLAGS):
    """Generated C sources built for the host through cffi (spikey.native); the loaded module."""
    return native.build(cs.files, cs.cdef, cs.header, include_dirs=cs.include_dirs, cflags=cflags,
                        sanitize=sanitize)


def compiled(model: str, bits: int, per_channel: bool):
    """(float IR, integer IR, C sources, module) for a model and config, once a session."""
    key = (model, bits, per_channel)
    if key not in _cache:
        g = onnx_frontend.load(MODELS[model]())
        T = 40 if model in RECURRENT else 1
        qg = quantize.quantize(g, _calib(g, 100, T), weight_bits=bits, per_channel=per_channel)
        cs = cgen.generate(qg)
        _cache[key] = (g, qg, cs, build_c(cs, sanitize=True))
    return _cache[key]


def run_c(mod, qg, inputs: dict) -> dict:
    """The generated C, channel by channel from reset: inputs (B, T, size) int."""
    ffi, lib = mod.ffi, mod.lib
    B, T = next(iter(inputs.values())).shape[:2]
    outs = {n: np.empty((B, T, qg.tensors[n].size), np.int16) for n in qg.outputs}
    st = ffi.new("spk_model_state_t *")
    for b in range(B):
        lib.spk_model_reset(st)
        ins = [np.ascontiguousarray(inputs[n][b], dtype=np.int16) for n in qg.inputs]
        outb = [np.empty((T, qg.tensors[n].size), np.int16) for n in qg.outputs]
        lib.spk_model_run(st, T, *[ffi.cast("int16_t *", a.ctypes.data) for a in ins],
                          *[ffi.cast("int16_t *", a.ctypes.data) for a in outb])
        for n, a in zip(qg.outputs, outb):
            outs[n][b] = a
    return outs


def adversarial_inputs(qg, seed: int, T: int) -> dict:
    """Legal extremes: every element at its bound, alternating bounds, random bounds,
    near-zero values, and uniformly random legal values."""
    rng = np.random.default_rng(seed)
    out = {}
    for n in qg.inputs:
        t = qg.tensors[n]
        lo, hi = t.lo, t.hi
        rows = [np.broadcast_to(lo, (T, t.size)), np.broadcast_to(hi, (T, t.size)),
                np.where(np.arange(T * t.size).reshape(T, t.size) % 2, lo, hi),
                np.where(rng.integers(0, 2, (T, t.size)) == 1, lo, hi),
                np.where(rng.integers(0, 2, (T, t.size)) == 1, lo, hi),
                np.clip(rng.integers(-2, 3, (T, t.size)), lo, hi),
                rng.integers(lo, hi + 1, (T, t.size)),
                rng.integers(lo, hi + 1, (T, t.size))]
        out[n] = np.stack(rows).astype(np.int64)
    return out


def random_inputs(g, qg, seed: int, T: int) -> dict:
    """Realistic (calibration-like) float inputs, quantised as the firmware would."""
    return quantize.quantize_inputs(qg, _calib(g, seed, T))


# --- the tests -----------------------------------------------------------------------------

@pytest.mark.parametrize("bits,per_channel", CONFIGS, ids=CFG_IDS)
@pytest.mark.parametrize("model", sorted(MODELS))
def test_c_matches_reference_bit_exact(model, bits, per_channel):
    g, qg, cs, mod = compiled(model, bits, per_channel)
    T = 30 if model in RECURRENT else 1
    for inputs in (random_inputs(g, qg, 200, T), adversarial_inputs(qg, 300, T)):
        want, _ = reference.run(qg, inputs)
        got = run_c(mod, qg, inputs)
        for n in qg.outputs:
            assert got[n].shape == want[n].shape
            mism = np.argwhere(got[n] != want[n])
            assert mism.size == 0, f"{model}: C != reference at {mism[:5].tolist()}"


def test_per_channel_really_differs():
    """The random weights give different per-row scales, so the two modes differ."""
    _, q_layer, _, _ = compiled("mlp1", 8, False)
    _, q_chan, _, _ = compiled("mlp1", 8, True)
    assert q_layer.digest() != q_chan.digest()
    assert any(len(set(n.w_frac.tolist())) > 1 for n in q_chan.nodes if hasattr(n, "w_frac"))


def test_adversarial_inputs_saturate_somewhere():
    """The extremes drive tensors into saturation (so those paths are exercised)."""
    g, qg, _, _ = compiled("mlp2", 16, True)
    outs, _ = reference.run(qg, adversarial_inputs(qg, 300, 1), return_all=True)
    assert any(np.any(np.abs(outs[n]) >= 32767) for n in outs if n not in qg.inputs)


@pytest.mark.parametrize("model", ["middleout4", "torch_lstm"])
def test_sources_are_deterministic(model):
    """Two independent runs of front end + quantiser + emitter give byte-identical C."""
    def gen():
        g = onnx_frontend.load(MODELS[model]())
        T = 40 if model in RECURRENT else 1
        return cgen.generate(quantize.quantize(g, _calib(g, 100, T), weight_bits=8, per_channel=True))
    a, b = gen(), gen()
    assert a.files == b.files and a.cdef == b.cdef
    _, _, cached, _ = compiled(model, 8, True)
    assert a.files == cached.files


def test_float_ir_matches_onnx_reference_evaluator():
    """The front end reads the graph right: float IR == onnx.reference on the same input."""
    from onnx.reference import ReferenceEvaluator
    for name in ("mlp1", "mlp3", "middleout4", "torch_mlp"):
        m = MODELS[name]()
        m = m if isinstance(m, onnx.ModelProto) else onnx.load_from_string(m)
        g = onnx_frontend.load(m)
        x = _calib(g, 9)
        want = ReferenceEvaluator(m).run(None, {n: x[n][:, 0].astype(np.float32) for n in g.inputs})[0]
        got = reference.run_float(g, x)[g.outputs[0]][:, 0]
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_float_lstm_matches_torch():
    import torch
    torch.manual_seed(7)
    data = torch_lstm_onnx(7)
    g = onnx_frontend.load(data)
    from onnx.reference import ReferenceEvaluator
    x = np.random.default_rng(1).normal(0, 1, (3, 9, 6)).astype(np.float32)
    want = ReferenceEvaluator(onnx.load_from_string(data)).run(None, {"u": x})[0]
    np.testing.assert_allclose(reference.run_float(g, {"u": x})["y"], want, rtol=1e-4, atol=1e-5)


# Quantisation loss: max |float - integer| / max |float output|, on fresh inputs from the
# calibration distribution. Stated bounds: int16 weights 0.2 %; int8 per channel 5 %;
# int8 per layer 10 % (the random rows span a factor 64 in magnitude, on purpose).
LOSS_BOUND = {(16, False): 0.002, (16, True): 0.002, (8, True): 0.05, (8, False): 0.10}


@pytest.mark.parametrize("bits,per_channel", CONFIGS, ids=CFG_IDS)
@pytest.mark.parametrize("model", sorted(MODELS))
def test_quantisation_loss_is_bounded(model, bits, per_channel):
    g, qg, _, _ = compiled(model, bits, per_channel)
    T = 30 if model in RECURRENT else 1
    rep = quantize.loss_report(g, qg, _calib(g, 200, T))
    for n, r in rep.items():
        assert r["rel_max_err"] < LOSS_BOUND[bits, per_channel], (model, n, r)


def test_unsupported_op_is_refused_naming_the_node():
    x = helper.make_tensor_value_info("u", TensorProto.FLOAT, ["n", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 4])
    m = helper.make_model(helper.make_graph([helper.make_node("Sigmoid", ["u"], ["y"], name="gate_sigmoid_7")],
                                            "bad", [x], [y]), opset_imports=[helper.make_opsetid("", 17)])
    with pytest.raises(UnsupportedError, match="gate_sigmoid_7.*Sigmoid.*not supported"):
        onnx_frontend.load(m)


def test_unsupported_shape_is_refused_naming_the_node():
    x = helper.make_tensor_value_info("u", TensorProto.FLOAT, ["n", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [8, "n"])
    inits = [numpy_helper.from_array(np.zeros((4, 8), np.float32), "W")]
    nodes = [helper.make_node("MatMul", ["u", "W"], ["h"], name="proj"),
             helper.make_node("Transpose", ["h"], ["y"], name="swap_axes", perm=[1, 0])]
    m = helper.make_model(helper.make_graph(nodes, "bad", [x], [y], inits), opset_imports=[helper.make_opsetid("", 17)])
    with pytest.raises(UnsupportedError, match="swap_axes.*Transpose"):
        onnx_frontend.load(m)


def test_range_analysis_failure_names_the_layer():
    """int16 weights times full-range int16 inputs cannot be proved to fit int32."""
    g = onnx_frontend.load(mlp_onnx(1))
    with pytest.raises(RangeError, match=r"layer 'fc0'.*does not fit int32"):
        quantize.quantize(g, _calib(g, 100), weight_bits=16, acc_bits=32)


def test_declared_input_bounds_allow_int32_accumulators():
    """With the legal input range declared, the proof goes through for int32, and the C
    matches the reference at the declared extremes."""
    g = onnx_frontend.load(mlp_onnx(3))
    bounds = {"u": (-4.0, 4.0)}
    qg = quantize.quantize(g, _calib(g, 100), weight_bits=16, per_channel=True, acc_bits=32, input_bounds=bounds)
    assert all(n.acc_bits == 32 for n in qg.nodes if hasattr(n, "acc_bits"))
    mod = build_c(cgen.generate(qg), sanitize=True)
    inputs = adversarial_inputs(qg, 5, 1)
    assert inputs["u"].max() <= qg.tensors["u"].hi.max()
    want, _ = reference.run(qg, inputs)
    assert np.array_equal(run_c(mod, qg, inputs)["y"], want["y"])
