"""The model's likelihood, its size counts, and the ONNX + metadata round trip."""
import json
import math

import numpy as np
import pytest
import torch

from codegen.errors import CodegenError
from codegen.reference.compile import load_model
from codegen.reference.loss import float_bits
from spikey import features as ft
from spikey.model.files import BUNDLED, FORMAT_VERSION
from spikey.recordings import synth, to_codes
from spikey_train import export as ex
from spikey_train.model import CodeEdges, ModelConfig, SpikeyNet, bits, count_macs, count_weights
from spikey_train.train import config_from_dict, evaluate_file, file_rows

SHIPPED = BUNDLED / "default"
ALLOWED_OPS = {"Gemm", "MatMul", "Add", "Relu", "LSTM", "Squeeze", "Unsqueeze", "Constant"}   # what export promises


def _net(model: dict, fcfg=ft.FeatureConfig(), seed=0) -> SpikeyNet:
    torch.manual_seed(seed)
    net = SpikeyNet(fcfg.n_inputs, ModelConfig.from_dict(model))
    if net.edges is not None:
        with torch.no_grad():
            net.edges.theta.normal_(0, 0.3)
    return net.eval()


@pytest.mark.parametrize("family", ["logistic", "laplace"])
@pytest.mark.parametrize("with_edges", [False, True])
def test_discretised_distribution_sums_to_one(family, with_edges):
    diffs = torch.arange(0, 1024) - 511      # every code 0..1023, from x[t] = 511
    code = torch.full_like(diffs, 511)
    edges = CodeEdges(1024, torch.randn(1024, generator=torch.Generator().manual_seed(1)) * 0.3)().detach() if with_edges else None
    for mu, ls, sh in [(0.3, 0.5, 2), (-1.7, -0.2, 0), (0.0, 1.5, 3)]:
        out = torch.tensor([[mu, ls]]).expand(len(diffs), 2)
        b = bits(out, diffs, torch.full_like(diffs, sh), family, code, edges).double()
        total = float((2.0 ** -b).sum())
        assert total == pytest.approx(1.0, abs=1e-6)


def test_logistic_bits_known_value():
    # mu = 0, scale 1: P(0) = sigmoid(0.5) - sigmoid(-0.5)
    p = 1 / (1 + math.exp(-0.5)) - 1 / (1 + math.exp(0.5))
    out = torch.tensor([[0.0, 0.0]])
    b = bits(out, torch.tensor([0]), torch.tensor([0]))
    assert float(b) == pytest.approx(-math.log2(p), rel=1e-5)
    # the location is rounded: mu = 0.4 codes gives the same cost as mu = 0
    assert float(bits(torch.tensor([[0.4, 0.0]]), torch.tensor([0]), torch.tensor([0]))) == pytest.approx(float(b))
    # ... in units of 2**sh: mu = 0.4 at sh = 2 is 1.6 -> location 2, residual -2
    p2 = 1 / (1 + math.exp(-(-1.5) / 4)) - 1 / (1 + math.exp(-(-2.5) / 4))
    b2 = bits(torch.tensor([[0.4, 0.0]]), torch.tensor([0]), torch.tensor([2]))
    assert float(b2) == pytest.approx(-math.log2(p2), rel=1e-5)


def test_mac_and_weight_counts_of_default_config():
    cfg = config_from_dict({"model": {"hidden": [24], "latent": 16, "predictor": [16]}})
    macs = count_macs(cfg.features.n_inputs, cfg.model, cfg.features)
    # FIR 4 levels x (11 + 11) + 3 EMAs + 25*24 + 24*16 + 16*16 + 16*2
    assert cfg.features.n_inputs == 16 + 5 + 3 + 1
    assert macs["total"] == 88 + 3 + 25 * 24 + 24 * 16 + 16 * 16 + 16 * 2 == 1363
    net = SpikeyNet(cfg.features.n_inputs, cfg.model)
    assert count_weights(net) == (25 * 24 + 24) + (24 * 16 + 16) + (16 * 16 + 16) + (16 * 2 + 2)


@pytest.mark.parametrize("model", [
    {"projector": "fc", "hidden": [24], "latent": 16, "predictor": [16]},
    {"projector": "lstm", "hidden": [12], "latent": 8, "predictor": [8]},
    {"projector": "fc", "hidden": [16], "latent": 8, "predictor": [8], "middleout": True, "zero_lag": True},
])
def test_onnx_round_trip_matches_torch(tmp_path, model):
    net = _net(model)
    cfg = config_from_dict({"model": model})
    codes = to_codes(synth.generate(1, 0.2, seed=5))[0]
    rows = file_rows(ft.file_features([codes], cfg.features)[0])
    meta = ex.export_model(net, cfg, tmp_path, check_rows=rows.u[:300])
    assert meta["check"]["max_abs_diff"] < 1e-5
    m, meta2 = load_model(tmp_path)
    assert meta2["format_version"] == FORMAT_VERSION
    assert {n.op_type for n in m.graph.node} <= ALLOWED_OPS
    assert [i.name for i in m.graph.input] == meta2["onnx"]["inputs"]
    # torch vs ReferenceEvaluator on real(istic) inputs, checked here independently of export
    feeds = ex.example_inputs(net, rows.u[1000:1100])
    a, b = ex.torch_step(net, feeds), ex.reference_step(tmp_path / "model.onnx", feeds)
    assert a[0].shape == (100, 2) and np.abs(a[0]).max() > 1e-3
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, atol=1e-5)


def test_lstm_step_graph_carries_state(tmp_path):
    model = {"projector": "lstm", "hidden": [12], "latent": 8, "predictor": [8]}
    net = _net(model, seed=2)
    cfg = config_from_dict({"model": model})
    ex.export_model(net, cfg, tmp_path)
    codes = to_codes(synth.generate(1, 0.02, seed=6))[0]
    u = file_rows(ft.file_features([codes], cfg.features)[0]).u[:40]
    with torch.no_grad():
        want, _, _ = net(torch.from_numpy(u)[None])
    feeds = ex.example_inputs(net, u[:1])
    got = []
    for t in range(len(u)):
        feeds["u"] = u[t:t + 1]
        out, _, h, c = ex.reference_step(tmp_path / "model.onnx", feeds)
        feeds["h"], feeds["c"] = h, c
        got.append(out[0])
    np.testing.assert_allclose(np.stack(got), want[0].numpy(), atol=1e-5)


def test_file_bits_from_export_match_torch(tmp_path):
    net = _net({"hidden": [16], "latent": 8, "predictor": [8]}, seed=1)
    cfg = config_from_dict({"model": {"hidden": [16], "latent": 8, "predictor": [8]}})
    ex.export_model(net, cfg, tmp_path)
    codes = to_codes(synth.generate(1, 0.5, seed=7))[0]
    rows = file_rows(ft.file_features([codes], cfg.features)[0])
    want = evaluate_file(net, rows)
    _, meta = load_model(tmp_path)
    got = float_bits(tmp_path, meta, codes)
    assert got == pytest.approx(want, rel=1e-5)
    assert 1 < got / len(codes) < 16


def test_load_model_refuses_tampering(tmp_path):
    net = _net({"hidden": [8], "latent": 8, "predictor": [8]})
    ex.export_model(net, config_from_dict({"model": {"hidden": [8], "latent": 8, "predictor": [8]}}), tmp_path)
    p = tmp_path / "model.onnx"
    p.write_bytes(p.read_bytes()[:-1] + bytes([p.read_bytes()[-1] ^ 1]))
    with pytest.raises(CodegenError, match="sha256"):
        load_model(tmp_path)
    meta = json.loads((tmp_path / "model.json").read_text())
    meta["format_version"] = 99
    (tmp_path / "model.json").write_text(json.dumps(meta))
    with pytest.raises(CodegenError, match="format_version"):
        load_model(tmp_path)


# --- the shipped default model -------------------------------------------------------------

def test_shipped_default_fits_the_firmware_budget():
    model, meta = load_model(SHIPPED)
    assert {n.op_type for n in model.graph.node} <= ALLOWED_OPS
    macs = meta["metrics"]["macs"]
    assert macs["total"] <= 1500
    n_weights = sum(int(np.prod(t.dims)) for t in model.graph.initializer)
    assert n_weights == meta["metrics"]["weights"]
    assert 2 * n_weights <= 32 * 1024
    split = meta["split"]
    assert len(split["validation"]) == 30 and not set(split["train"]) & set(split["validation"])
    assert meta["model"]["middleout"] is False
    assert len(meta["coder"]["edges"]) == 1025 and np.all(np.diff(meta["coder"]["edges"]) > 0)
    lo, hi = ft.dmey_taps(meta["features"]["taps"])
    assert meta["features"]["fir"]["lo_q15"] == lo.tolist() and meta["features"]["fir"]["hi_q15"] == hi.tolist()


@pytest.mark.slow
def test_shipped_default_beats_3_50_on_validation_files(dev_files):
    """Recomputed from model.onnx + model.json alone (ReferenceEvaluator), every held-out file."""
    from spikey.recordings import read_wav
    _, meta = load_model(SHIPPED)
    by_name = {p.name: p for p in dev_files}
    total, n = 0.0, 0
    for name in meta["split"]["validation"]:
        codes = to_codes(read_wav(by_name[name]).samples)
        total += float_bits(SHIPPED, meta, codes)
        n += len(codes)
    ratio = 16 * n / total
    assert ratio > 3.50
    assert ratio == pytest.approx(meta["metrics"]["validation"]["per_file"]["ratio"], abs=2e-3)
