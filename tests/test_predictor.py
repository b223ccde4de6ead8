"""The integer predictor: Python reference (codegen.reference.predictor) == generated C on the
host (codegen.host.predictor), output for output, on random Spikey models, adversarial code
sequences and the default model; the streaming C features == spikey.features' whole-file
integers; `codegen build`."""
import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from refs import predictor as default_predictor

from codegen.emit import predictor as cp
from codegen.host.predictor import HostPredictor
from codegen.reference import predictor as pr
from codegen.reference.compile import compile_model
from codegen.reference.identity import model_identity
from codegen.reference.loss import float_bits
from spikey import features as ft
from spikey import fixed, native
from spikey.coders.ideal import ideal_bits
from spikey.model.files import read_meta, resolve
from spikey.recordings import read_wav, synth, to_codes
from spikey_train import export as ex
from spikey_train.model import SpikeyNet
from spikey_train.train import config_from_dict

CALIB = list(to_codes(synth.generate(3, 0.5, seed=0)))
LIN = np.cumsum(np.r_[0, 12 + (np.arange(1023) % 7) * 2]) - 4000    # a monotone Q4 code axis

# (name, features, model, weight bits, per channel)
MODELS = [
    ("fc16", {}, {"projector": "fc", "hidden": [12], "latent": 8, "predictor": [8]}, 16, False),
    ("fc8-small", {"window": 5, "levels": 2, "taps": 7, "ema_shifts": [2, 5], "ema2_shifts": [6], "norm_ema": 0},
     {"projector": "fc", "hidden": [10, 6], "latent": 6, "predictor": [4], "family": "laplace"}, 8, True),
    ("lin-no-norm", {"linearise": True, "normalise": False, "levels": 3, "window": 4},
     {"projector": "fc", "hidden": [8], "latent": 4, "predictor": [4]}, 16, True),
    ("no-wavelet", {"levels": 0, "ema_shifts": [4], "ema2_shifts": [], "window": 3, "norm_ema": 0},
     {"projector": "fc", "hidden": [6], "latent": 4, "predictor": [4], "edges": False}, 8, False),
    ("middleout-per-file", {}, {"projector": "fc", "hidden": [16], "latent": 8, "predictor": [8],
                                "middleout": True, "zero_lag": True}, 16, False),
    ("lstm", {"window": 6, "levels": 2}, {"projector": "lstm", "hidden": [8], "latent": 6, "predictor": [6]}, 16, False),
]


def _export(tmp: Path, feats: dict, model: dict, seed: int = 0) -> Path:
    cfg = config_from_dict({"features": feats, "model": model})
    torch.manual_seed(seed)
    net = SpikeyNet(cfg.features.n_inputs, cfg.model).eval()
    with torch.no_grad():                      # larger weights than at init: outputs far from 0
        for p in net.parameters():
            p.mul_(2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ex.export_model(net, cfg, tmp, lin=LIN if cfg.features.linearise else None)
    return tmp


@pytest.fixture(scope="module", params=MODELS, ids=[m[0] for m in MODELS])
def built(request, tmp_path_factory):
    name, feats, model, bits, per_channel = request.param
    d = _export(tmp_path_factory.mktemp(name), feats, model)
    pred = compile_model(d, CALIB, weight_bits=bits, per_channel=per_channel)
    return pred, HostPredictor(cp.generate(pred), sanitize=True)


def adversarial() -> dict:
    n = 3000
    t = np.arange(n)
    spikes = np.full(n, 500)
    spikes[::97] = 1023
    spikes[50::131] = 0
    return {
        "constant": np.full(n, 777),
        "zeros": np.zeros(n, int),
        "full-scale": np.full(n, 1023),
        "alternating 0/1023": np.where(t % 2, 1023, 0),
        "square period 40": np.where((t // 20) % 2, 1023, 0),
        "spikes": spikes,
        "sawtooth": (t * 37) % 1024,
        "white noise": np.random.default_rng(3).integers(0, 1024, n),
        "one sample": np.array([1023]),
        "two samples": np.array([0, 1023]),
        "synthetic recording": to_codes(synth.generate(1, 1.0, seed=11))[0],
    }


@pytest.mark.parametrize("case", list(adversarial()))
def test_host_c_equals_reference(built, case):
    pred, host = built
    x = adversarial()[case]
    L, ls = pred.predict(x)
    L2, ls2 = host.predict(x)
    assert np.array_equal(L, L2) and np.array_equal(ls, ls2)
    assert L.min() >= 0 and L.max() <= 1023
    assert ls.min() >= pred.log2s_min_q8 and ls.max() <= pr.LOG2S_MAX_Q8


@pytest.mark.parametrize("simd", ["portable", pytest.param("avx2", marks=pytest.mark.skipif(
    not native.host_has("avx2"), reason="this host has no AVX2"))])
def test_host_build_equals_reference(built, simd):
    """The host build (kernel "columns": spikey_vec.h's input quantisation, 16 inputs at a
    time with the window read before the ring write, and its columns kernel), plain C and
    AVX2, under UBSan: u, sh, L and log2 scale equal the reference on every adversarial case."""
    pred, _ = built
    flags = [*native.DEFAULT_CFLAGS, "-mavx2" if simd == "avx2" else "-mno-avx2"]
    host = HostPredictor(cp.generate(pred, kernel="columns"), sanitize=True, cflags=flags)
    n = pred.fcfg.n_inputs
    for case, x in adversarial().items():
        values, sh = pr.integer_features(np.asarray(x, np.int64), pred.fcfg, pred.lin)
        u, sh2 = host.inputs(x, n)
        assert np.array_equal(sh, sh2) and np.array_equal(pred.quantize_inputs(values, sh), u), case
        L, ls = pred.predict(x)
        L2, ls2 = host.predict(x)
        assert np.array_equal(L, L2) and np.array_equal(ls, ls2), case


@pytest.mark.parametrize("case", ["square period 40", "spikes", "white noise", "synthetic recording"])
def test_streaming_c_features_equal_whole_file_features(built, case):
    pred, host = built
    x = adversarial()[case]
    values, sh = pr.integer_features(np.asarray(x, np.int64), pred.fcfg, pred.lin)   # ft.fir_bank etc.
    v2, sh2 = host.features(x, pred.fcfg.n_inputs - 1)
    assert np.array_equal(values, v2) and np.array_equal(sh, sh2)
    if pred.fcfg.levels:
        assert np.array_equal(v2[:, pred.fcfg.window:pred.fcfg.window + pred.fcfg.n_wavelet],
                              ft.fir_bank(np.asarray(x), pred.fcfg, pred.lin))


def test_streaming_python_features_agree():
    # the per-sample reference of spikey.features (StreamingFeatures) gives the inputs the
    # integer predictor quantises: u_q at the float input's exact value where no rounding occurs
    x = to_codes(synth.generate(1, 0.3, seed=4))[0].astype(np.int64)
    fcfg = ft.FeatureConfig(ema2_shifts=(6,))
    values, sh = pr.integer_features(x, fcfg, None)
    sf = ft.StreamingFeatures(fcfg)
    for t in range(len(x)):
        u, s = sf.step(int(x[t]))
        assert s == sh[t]
        assert np.array_equal(u[:-1] * 2.0 ** (sh[t] + np.r_[[0] * 16, [4] * 5, [8] * 4]), values[t])


def test_rescale_rounds_half_up():
    assert fixed.rescale(np.array([5, -5, -7, 3, -3]), 1).tolist() == [3, -2, -3, 2, -1]
    assert fixed.rescale(np.array([3, -3]), -2).tolist() == [12, -12]


def test_identity_is_eight_bytes_and_depends_on_the_ir(built):
    pred, _ = built
    a = pred.identity()
    assert len(a) == 8 and a == model_identity(pred.qg, pred.meta)
    meta2 = json.loads(json.dumps(pred.meta))
    meta2["coder"]["family"] = "other"
    assert model_identity(pred.qg, meta2) != a


def test_regeneration_is_byte_identical(built):
    pred, _ = built
    a, b = cp.generate(pred), cp.generate(pred)
    assert a.files == b.files


def test_lstm_state_lives_in_the_struct(built):
    pred, _ = built
    if pred.meta["model"]["projector"] != "lstm":
        pytest.skip("not an LSTM model")
    assert [s[0].rsplit(".", 1)[-1] for s in pred.qg.state] == ["h", "c"]
    assert "h" not in pred.qg.inputs and "c" not in pred.qg.inputs


@pytest.mark.slow
def test_default_model_on_dev_recordings(dev_files):
    model_dir = resolve(None)                 # the bundled default model
    meta = read_meta(model_dir)
    pred = default_predictor()                 # compiled on the fixed calibration set
    host = HostPredictor(cp.generate(pred), sanitize=True)
    by_name = {p.name: p for p in dev_files}
    for name in meta["split"]["validation"][:3]:
        x = to_codes(read_wav(by_name[name]).samples)
        L, ls = pred.predict(x)
        L2, ls2 = host.predict(x)
        assert np.array_equal(L, L2) and np.array_equal(ls, ls2)
        # integer predictor costs what the float model costs, to well under 0.1 %
        f = float_bits(model_dir, meta, x)
        assert abs(ideal_bits(x, L, ls, meta) - f) < 1e-3 * f


def test_cli_build_host(tmp_path, capsys):
    d = _export(tmp_path / "m", {}, {"projector": "fc", "hidden": [8], "latent": 4, "predictor": [4]})
    from codegen.cli import main
    outs = []
    for k in range(2):
        out = tmp_path / f"out{k}"
        assert main(["build", "--target", "host", "--model", str(d), "--out", str(out), "--loss-files", "1"]) == 0
        outs.append(out)
    text = capsys.readouterr().out
    assert "host C == Python reference" in text and "bits/sample float" in text
    a = {p.name: p.read_bytes() for p in (outs[0] / "src").iterdir()}
    b = {p.name: p.read_bytes() for p in (outs[1] / "src").iterdir()}
    assert a == b and set(a) == {"spk_net.h", "spk_net.c", "spk_pred.h", "spk_pred.c", "spk_codec.h", "spk_codec.c"}
    info = json.loads((outs[0] / "build.json").read_text())
    assert len(bytes.fromhex(info["model_identity"])) == 8 and info["host_check"]["equal"]
    q = json.loads((outs[0] / "quantisation.json").read_text())
    assert q["samples"] > 0 and np.isfinite(q["integer_bits_per_sample"])


def test_cli_build_unknown_model_dir_is_one_line(tmp_path, capsys):
    from codegen.cli import main
    # a path that does not exist (neither a directory nor a bundled model's name)
    rc = main(["build", "--target", "host", "--model", str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 1 and len(err.strip().splitlines()) == 1 and "no such model" in err and "nope" in err
    # a directory that is not a model directory
    (tmp_path / "empty").mkdir()
    rc = main(["build", "--target", "host", "--model", str(tmp_path / "empty"), "--out", str(tmp_path / "o2")])
    err = capsys.readouterr().err
    assert rc == 1 and len(err.strip().splitlines()) == 1 and "model.json" in err


def test_cli_build_cortex_m4_without_toolchain_says_what_to_install(tmp_path, capsys, monkeypatch):
    from codegen.target import toolchain
    from codegen.cli import main
    d = _export(tmp_path / "m", {}, {"projector": "fc", "hidden": [8], "latent": 4, "predictor": [4]})
    monkeypatch.setattr(toolchain.shutil, "which", lambda name: None)
    rc = main(["build", "--target", "cortex-m4", "--model", str(d), "--out", str(tmp_path / "o"), "--loss-files", "1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 1 and len(err) == 1 and "apt-get install gcc-arm-none-eabi" in err[0]
