"""Export: one ONNX streaming step graph + one JSON metadata file (docs/model-format.md).

The ONNX graph is one time step of the network for a batch of N channels, on the
normalised input vector (``features.normalise``); everything around it (FIR taps, EMA
shifts, the normalisation shift, topology, coder family and code edges) is in the JSON.

Graph inputs:  ``u`` float32 [N, n_in];  LSTM only: ``h``, ``c`` float32 [1, N, H];
               MiddleOut only: ``peer_mean`` float32 [N, message] (zeros = MiddleOut off).
Graph outputs: ``out`` float32 [N, 2] = (mu, ls) in normalised units; ``latent`` [N, L]
               (the channel's message to its peers); LSTM only: ``h_out``, ``c_out``.
Ops: Gemm, Relu, MatMul + Add (MiddleOut's peer path); LSTM, Unsqueeze, Squeeze, Constant (LSTM projector) -- nothing else.
"""
from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx.reference import ReferenceEvaluator

from spikey import features as ft
from spikey.model.files import FORMAT_VERSION

from .model import ModelConfig, SpikeyNet

EDGE_Q = 16          # code edges are stored as int32 in Q16 code units
OPSET = 17


class StepGraph(nn.Module):
    """One time step of :class:`SpikeyNet`, with explicit recurrent state and peer input."""

    def __init__(self, net: SpikeyNet):
        super().__init__()
        self.net = net
        if net.cfg.projector == "lstm":   # time-major copy: no Transpose around the LSTM node
            src = net.projector.lstm
            self.lstm = nn.LSTM(src.input_size, src.hidden_size)
            self.lstm.load_state_dict(src.state_dict())

    def forward(self, u, *rest):
        net, i = self.net, 0
        if net.cfg.projector == "lstm":
            h, c = rest[0], rest[1]
            i = 2
            x = net.projector.fc(u)
            z, (h2, c2) = self.lstm(x[None], (h, c))
            z = z.squeeze(0)
        else:
            z, _ = net.projector(u)
        m = rest[i] if net.middleout is not None else None
        out = net.head(z, m)
        return (out, z, h2, c2) if net.cfg.projector == "lstm" else (out, z)


def _io_names(cfg: ModelConfig) -> tuple[list[str], list[str]]:
    ins, outs = ["u"], ["out", "latent"]
    if cfg.projector == "lstm":
        ins += ["h", "c"]
        outs += ["h_out", "c_out"]
    if cfg.middleout:
        ins.append("peer_mean")
    return ins, outs


def example_inputs(net: SpikeyNet, u: np.ndarray) -> dict[str, np.ndarray]:
    """Zero state / zero peers for a batch of input rows."""
    n = u.shape[0]
    feeds = {"u": np.ascontiguousarray(u, dtype=np.float32)}
    if net.cfg.projector == "lstm":
        feeds["h"] = np.zeros((1, n, net.cfg.latent), np.float32)
        feeds["c"] = np.zeros((1, n, net.cfg.latent), np.float32)
    if net.cfg.middleout:
        feeds["peer_mean"] = np.zeros((n, net.cfg.message), np.float32)
    return feeds


def torch_step(net: SpikeyNet, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    ins, _ = _io_names(net.cfg)
    with torch.no_grad():
        res = StepGraph(net).eval()(*[torch.from_numpy(feeds[k]) for k in ins])
    return [r.numpy() for r in res]


def export_onnx(net: SpikeyNet, path: Path) -> None:
    net = net.eval()
    ins, outs = _io_names(net.cfg)
    feeds = example_inputs(net, np.zeros((2, net.n_in), np.float32))
    dyn = {k: {0: "N"} for k in ins + outs}
    for k in ("h", "c", "h_out", "c_out"):
        if k in dyn:
            dyn[k] = {1: "N"}
    with warnings.catch_warnings():   # the TorchScript exporter's deprecation and tracer notes
        warnings.simplefilter("ignore")
        torch.onnx.export(StepGraph(net), tuple(torch.from_numpy(feeds[k]) for k in ins), str(path),
                          input_names=ins, output_names=outs, dynamic_axes=dyn, opset_version=OPSET,
                          dynamo=False, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)


def reference_step(onnx_path: Path | str, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    """Run the exported graph with onnx.reference.ReferenceEvaluator (no other runtime)."""
    return ReferenceEvaluator(str(onnx_path)).run(None, feeds)


def check_against_torch(net: SpikeyNet, onnx_path: Path | str, u: np.ndarray) -> float:
    """Max |torch - ReferenceEvaluator| over all outputs, on the given input rows (and,
    for LSTM, a non-zero state; for MiddleOut, non-zero peers)."""
    feeds = example_inputs(net, u)
    rng = np.random.default_rng(0)
    for k in ("h", "c", "peer_mean"):
        if k in feeds:
            feeds[k] = rng.normal(0, 0.5, feeds[k].shape).astype(np.float32)
    a = torch_step(net, feeds)
    b = reference_step(onnx_path, feeds)
    return max(float(np.max(np.abs(x - y))) for x, y in zip(a, b))


def edges_q(net: SpikeyNet) -> list[int] | None:
    if net.edges is None:
        return None
    with torch.no_grad():
        e = net.edges().double().numpy()
    return [int(v) for v in np.round(e * (1 << EDGE_Q))]


def metadata(net: SpikeyNet, cfg, split: dict | None, topology: dict | None, metrics: dict | None,
             sample_rate: int, onnx_bytes: bytes, lin: np.ndarray | None = None) -> dict:
    fc = cfg.features
    lo, hi = ft.dmey_taps(fc.taps)
    ins, outs = _io_names(cfg.model)
    v = "lin[x]" if fc.linearise else "x << 4"
    layout = [{"name": "window", "count": fc.window, "value": "d[t-window+1..t] (oldest first)"
               + (", d of lin[x] (Q4)" if fc.linearise else ", d of codes"), "shift": "sh + 4" if fc.linearise else "sh"},
              {"name": "wavelet", "count": fc.n_wavelet,
               "value": f"details d_1..d_L then a_L - v[t], Q4, v = {v}", "shift": "sh + 4"},
              {"name": "ema", "count": fc.n_ema, "value": "EMAs of |d| (ema_shifts) then of |d[t]-d[t-1]| (ema2_shifts), Q8",
               "shift": "sh + 8"},
              {"name": "sh", "count": 1, "value": "sh", "scale": 0.25}]
    return {
        "format_version": FORMAT_VERSION,
        "name": cfg.name,
        "onnx": {"file": "model.onnx", "sha256": hashlib.sha256(onnx_bytes).hexdigest(), "opset": OPSET,
                 "inputs": ins, "outputs": outs,
                 "ops": sorted({n.op_type for n in onnx.load_from_string(onnx_bytes).graph.node})},
        "signal": {"sample_rate": sample_rate, "code_bits": 10, "to_code": "(v + 32768) >> 6",
                   "first_sample": "sent raw (10 bits); history before it is x[0] repeated"},
        "features": {
            **fc.to_dict(), "n_inputs": fc.n_inputs,
            "lin_q4": None if lin is None else [int(v) for v in lin],
            "fir": {"wavelet": "dmey", "form": "a trous cascade (undecimated)", "q": ft.Q15,
                    "lo_q15": lo.tolist(), "hi_q15": hi.tolist(), "state_q": ft.Q_FEAT,
                    "level_spacing": [1 << j for j in range(fc.levels)],
                    "rounding": "(acc + 2**14) >> 15, arithmetic shift",
                    "accumulator_bound": (1023 << ft.Q_FEAT) * max(int(np.abs(lo).sum()), int(np.abs(hi).sum()))},
            "ema": {"q": ft.Q_EMA, "update": "e += ((|v| << 8) - e) >> s (arithmetic shift), v = d or d[t]-d[t-1]",
                    "init": "ema_init for every EMA; d[0] = 0, d[-1] = 0"},
            "norm": {"rule": "sh = clamp(floor(log2(ema[norm_ema])) - 8, 0, sh_max)" if fc.normalise else "sh = 0",
                     "sh_max": ft.SH_MAX},
            "layout": layout,
        },
        "model": cfg.model.to_dict(),
        "output": {"location": "L = clamp(x[t] + round(mu * 2**sh), 0, 1023)",
                   "log2_scale": "max(ls + sh, min_log2_scale)", "min_log2_scale": -2.0},
        "coder": {"family": cfg.model.family,
                  "cdf": "logistic: 1/(1+exp(-z)); laplace: z<0 ? exp(z)/2 : 1-exp(-z)/2",
                  "pmf": "P(x[t+1]=k) = F((e[k+1]-m)/s) - F((e[k]-m)/s), m = (e[L]+e[L+1])/2, s = 2**log2_scale",
                  "edges_q": EDGE_Q if net.edges is not None else None,
                  "edges": edges_q(net) if net.edges is not None else "uniform: e[k] = k - 1/2"},
        "middleout": None if not cfg.model.middleout else {
            "message": "latent (+ peer's d[t+1] / 2**sh_peer and a flag 1 if the peer is coded earlier in the frame, zero_lag only)",
            "peer_mean": "sum over the k peer slots / k (missing peers count as zeros)",
            "off": "peer_mean = 0", "zero_lag": cfg.model.zero_lag},
        "topology": topology,
        "split": split,
        "metrics": metrics and {k: v for k, v in metrics.items() if k != "history"},
    }


def export_model(net: SpikeyNet, cfg, out_dir: Path | str, split: dict | None = None, topology: dict | None = None,
                 metrics: dict | None = None, sample_rate: int = 19531, check_rows: np.ndarray | None = None,
                 lin: np.ndarray | None = None) -> dict:
    """Write OUT/model.onnx and OUT/model.json; returns the metadata."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    onnx_path = out_dir / "model.onnx"
    export_onnx(net, onnx_path)
    meta = metadata(net, cfg, split, topology, metrics, sample_rate, onnx_path.read_bytes(), lin)
    if check_rows is not None:
        meta["check"] = {"rows": int(len(check_rows)), "max_abs_diff": check_against_torch(net, onnx_path, check_rows),
                         "against": "onnx.reference.ReferenceEvaluator"}
    (out_dir / "model.json").write_text(json.dumps(meta, indent=1))
    return meta
