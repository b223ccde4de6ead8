"""The Spikey model's integer predictor: codes in, (L, log2s_q8) out, bit for bit as the firmware.

For one channel, after seeing the 10-bit codes ``x[0..t]`` the predictor gives the coder
``L[t]`` (the predicted code of ``x[t+1]``, an int in [0, 1023]) and ``log2s_q8[t]`` (log2
of the scale in code units, Q8, int in [round(256 * min_log2_scale), LOG2S_MAX_Q8], i.e.
[-512, 2560] for min_log2_scale = -2). The exact integer
semantics are docs/fixed-point.md section 8 ("Predictor"):

1. features (spikey_train.features, integers: dmey a-trous FIR bank Q4, EMAs Q8, shift
   ``sh``, window of differences), exactly as docs/model-format.md section 1;
2. the network input ``u_q[i] = sat16(rshr(value[i] * 2**F_IN, s[i]))`` with
   ``s = sh + k`` (k = 0 window of code differences, 4 wavelet / Q4 window, 8 EMA) and
   ``s = 2`` for the ``sh / 4`` element; ``F_IN`` is the frac of the IR's input ``u``;
3. the quantised network (codegen.reference, the specification of the generated C);
4. ``L = clamp(x[t] + rescale(mu_q, F_OUT - sh), 0, 1023)`` and
   ``log2s_q8 = clamp(rescale(ls_q, F_OUT - 8) + 256 * sh, round(256 * min_log2_scale), LOG2S_MAX_Q8)``
   where ``rescale(q, s) = rshr(q, s)`` for ``s >= 0`` and ``q * 2**-s`` otherwise.

Features are functions of the codes only, so the whole file is one batch (an LSTM's
state runs inside the reference's time loop).

MiddleOut models: the network splits exactly at the latent into the projector
(``latent_qg``: u -> latent) and the head (``head_qg``: latent, peer_mean -> out);
``peer_mean`` has the latent's format (frac and legal bounds). Per file, peer_mean = 0;
in a joint stream (:meth:`Predictor.predict_joint`) it is :func:`peer_mean` of the peers'
latents at the same time step (docs/fixed-point.md section 8).
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from spikey_train import model_files
from spikey_train import features as ft

from . import fixedpoint as fp
from . import ir, onnx_frontend, quantize, reference
from .reference import run_float
from .errors import RangeError, UnsupportedError

CODE_MAX = 1023
LOG2S_MAX_Q8 = 10 << 8            # 10.0: the coder's table covers scales up to 2**10 codes
F_IN_MAX = 12                     # u_q's frac: value * 2**F_IN must fit int32 (proved below)
INT32_MAX = (1 << 31) - 1
K_WINDOW, K_WAVELET, K_EMA = 0, ft.Q_FEAT, ft.Q_EMA
SH_DIVISOR_SHIFT = 2              # the last input is sh / 4
LATENT = "latent"                 # the tensor at which a MiddleOut network splits


@dataclass(frozen=True)
class FirLevel:
    """One a-trous level: its delay line and the proved accumulator width."""
    spacing: int
    length: int                   # (taps - 1) * spacing + 1 values, newest at the ring position
    in_lo: int                    # proved bounds of the level's input (Q4)
    in_hi: int
    acc_bound: int                # proved max |partial sum| + rounding offset, both filters
    acc_bits: int                 # 32 or 64
    det_bound: int                # proved max |detail| (Q4)
    out_lo: int                   # proved bounds of the level's approximation (the next input)
    out_hi: int


@dataclass
class Predictor:
    """A quantised Spikey model and everything around its network."""
    name: str
    meta: dict
    fcfg: ft.FeatureConfig
    lin: np.ndarray | None        # int64 (1024,) Q4 table, or None (v = x << 4)
    lo_q15: np.ndarray
    hi_q15: np.ndarray
    levels: list                  # [FirLevel]
    qg: ir.QGraph                 # network: input "u" (+ "peer_mean"), output "out"
    graph: ir.Graph               # its float IR (for the loss report)
    log2s_min_q8: int

    @property
    def middleout(self) -> bool:
        """A MiddleOut network whose messages are the peers' latents (joint streams); a
        zero-lag model's wider messages are not built: it codes per file only (peer_mean 0)."""
        t = self.qg.tensors
        return "peer_mean" in self.qg.inputs and LATENT in t and t["peer_mean"].size == t[LATENT].size

    @cached_property
    def latent_qg(self) -> ir.QGraph:
        """MiddleOut models: the projector, u -> latent (the nodes of qg that compute it)."""
        return sub_graph(self.qg, ["u"], [LATENT])

    @cached_property
    def head_qg(self) -> ir.QGraph:
        """MiddleOut models: the head, (latent, peer_mean) -> out."""
        return sub_graph(self.qg, [LATENT, "peer_mean"], ["out"])

    @property
    def f_in(self) -> int:
        return self.qg.tensors["u"].frac

    @property
    def f_out(self) -> int:
        return self.qg.tensors["out"].frac

    @property
    def window_k(self) -> int:
        return K_WAVELET if self.lin is not None else K_WINDOW

    def input_shifts(self) -> list[tuple[str, int, int]]:
        """The blocks of u: (name, count, k) with u = value / 2**(sh + k); the sh block last."""
        c = self.fcfg
        return [("window", c.window, self.window_k), ("wavelet", c.n_wavelet, K_WAVELET),
                ("ema", c.n_ema, K_EMA)]

    def identity(self) -> bytes:
        return model_identity(self.qg, self.meta)

    def predict(self, codes) -> tuple[np.ndarray, np.ndarray]:
        """(L, log2s_q8), int64 (n,) each: row t predicts x[t+1] from x[0..t]."""
        x = np.asarray(codes, dtype=np.int64)
        if x.ndim != 1 or len(x) == 0 or x.min() < 0 or x.max() > CODE_MAX:
            raise ValueError("codes must be a non-empty 1-D array of 10-bit codes")
        values, sh = integer_features(x, self.fcfg, self.lin)
        uq = self.quantize_inputs(values, sh)
        outs, _ = reference.run(self.qg, self._feeds(uq))
        out = outs["out"][0]
        return self.outputs(x, out[:, 0], out[:, 1], sh)

    def predict_joint(self, channels: list, peers: np.ndarray | None) -> list:
        """[(L, log2s_q8)] per channel of a joint stream: row t predicts x_c[t+1] from x_c[0..t]
        and, for MiddleOut models, the peer mean over the K slots ``peers[c]`` (-1: none) of
        the latents z_p(t) of the peers that still have a sample at t."""
        xs = [np.asarray(c, dtype=np.int64) for c in channels]
        if not self.middleout:
            return [self.predict(x) if len(x) else (np.zeros(0, np.int64),) * 2 for x in xs]
        feats = [integer_features(x, self.fcfg, self.lin) if len(x) else None for x in xs]
        z = []
        for f in feats:
            if f is None:
                z.append(np.zeros((0, self.qg.tensors[LATENT].size), np.int64))
                continue
            outs, _ = reference.run(self.latent_qg, {"u": self.quantize_inputs(*f)[None]})
            z.append(outs[LATENT][0])
        peers = np.zeros((len(xs), 0), np.int64) if peers is None else np.asarray(peers, np.int64)
        result = []
        for c, (x, f) in enumerate(zip(xs, feats)):
            if f is None:
                result.append((np.zeros(0, np.int64),) * 2)
                continue
            total = np.zeros_like(z[c])
            for p in peers[c].tolist():
                if p >= 0:
                    n = min(len(x), len(z[p]))
                    total[:n] += z[p][:n]
            m = peer_mean(total, peers.shape[1])
            outs, _ = reference.run(self.head_qg, {LATENT: z[c][None], "peer_mean": m[None]})
            out = outs["out"][0]
            result.append(self.outputs(x, out[:, 0], out[:, 1], f[1]))
        return result

    def _feeds(self, uq: np.ndarray) -> dict:
        feeds = {"u": uq[None]}
        for n in self.qg.inputs:
            if n != "u":
                feeds[n] = np.zeros((1, len(uq), self.qg.tensors[n].size), np.int64)
        return feeds

    def quantize_inputs(self, values: np.ndarray, sh: np.ndarray) -> np.ndarray:
        """u_q (n, n_inputs) int64 in int16 range: sat16(rshr(value * 2**F_IN, s))."""
        s = np.concatenate([np.full(cnt, k) for _, cnt, k in self.input_shifts()]).astype(np.int64)
        u = fp.sat16(rescale(values * (1 << self.f_in), sh[:, None].astype(np.int64) + s[None, :]))
        last = fp.sat16(fp.rshr(sh.astype(np.int64) * (1 << self.f_in), SH_DIVISOR_SHIFT))
        return np.concatenate([u, last[:, None]], axis=1)

    def outputs(self, x, mu_q, ls_q, sh) -> tuple[np.ndarray, np.ndarray]:
        sh = np.asarray(sh, dtype=np.int64)
        L = np.clip(x + rescale(mu_q, self.f_out - sh), 0, CODE_MAX)
        ls8 = rescale(ls_q, np.full_like(sh, self.f_out - ft.Q_EMA)) + (sh << 8)
        return L, np.clip(ls8, self.log2s_min_q8, LOG2S_MAX_Q8)


def peer_mean(total, k: int):
    """The MiddleOut peer mean: the sum ``total`` (int64) of the latents of the peers that
    speak, over all ``k`` peer slots (a slot with no peer, or whose channel has ended, counts
    as zeros: as in training), rounded half up: ``floor((2 * total + k) / (2 * k))``; 0 when
    k is 0. |2 * total + k| <= 2^17 k: int32 in the C for k <= 2^13."""
    total = np.asarray(total, dtype=np.int64)
    if k <= 0:
        return np.zeros_like(total)
    return (2 * total + k) // (2 * k)


def sub_graph(qg: ir.QGraph, inputs: list, outputs: list) -> ir.QGraph:
    """The nodes of ``qg`` that compute ``outputs`` from ``inputs``: a cut of the graph with
    the same integer nodes (so the two halves of a split compute what the whole does)."""
    need, nodes = set(outputs), []
    for node in reversed(qg.nodes):
        if node.y in need:
            nodes.append(node)
            srcs = list(node.xs) if isinstance(node, ir.QConcat) else \
                [node.a, node.b] if isinstance(node, ir.QAdd) else [node.x]
            need |= {x for x in srcs if x not in inputs}
    nodes.reverse()
    made = {n.y for n in nodes} | set(inputs)
    missing = sorted(need - made)
    if missing:
        raise UnsupportedError(missing[0], "tensor", f"not computable from {inputs}")
    lstm = {n.name for n in nodes if isinstance(n, ir.QLSTM)}
    names = made | {t for n in nodes for t in getattr(n, "xs", [])}
    return ir.QGraph(list(inputs), list(outputs), {k: v for k, v in qg.tensors.items() if k in names}, nodes,
                     [st for st in qg.state if st[0].rsplit(".", 1)[0] in lstm], qg.name)


def rescale(q, s):
    """rshr(q, s) where s >= 0, q * 2**-s where s < 0 (exact); elementwise, int64."""
    q = np.asarray(q, dtype=np.int64)
    s = np.broadcast_to(np.asarray(s, dtype=np.int64), q.shape)
    sp = np.maximum(s, 0)
    half = np.where(sp > 0, np.left_shift(np.int64(1), np.maximum(sp - 1, 0)), 0)
    return np.where(s >= 0, (q + half) >> sp, q * np.left_shift(np.int64(1), np.maximum(-s, 0)))


# --- features (spikey_train.features, whole-file integer forms) ---------------------------------

def feature_config(meta: dict) -> tuple[ft.FeatureConfig, np.ndarray | None]:
    f = meta["features"]
    fcfg = ft.FeatureConfig.from_dict({k: f[k] for k in ("window", "levels", "taps", "ema_shifts", "ema2_shifts",
                                                          "norm_ema", "ema_init", "linearise", "normalise")})
    lo, hi = ft.dmey_taps(fcfg.taps)
    if f["fir"]["lo_q15"] != lo.tolist() or f["fir"]["hi_q15"] != hi.tolist():
        raise UnsupportedError("features.fir", "FIR", "taps in model.json differ from spikey_train.features.dmey_taps")
    if f["n_inputs"] != fcfg.n_inputs:
        raise UnsupportedError("features", "layout", f"n_inputs {f['n_inputs']} != {fcfg.n_inputs}")
    lin = None if f.get("lin_q4") is None else np.asarray(f["lin_q4"], dtype=np.int64)
    if lin is not None and (lin.shape != (1024,) or lin.min() < -32768 or lin.max() > 32767):
        raise UnsupportedError("features.lin_q4", "table", "must be 1024 int16 values")
    return fcfg, lin


def integer_features(x: np.ndarray, fcfg: ft.FeatureConfig, lin) -> tuple[np.ndarray, np.ndarray]:
    """values (n, n_inputs - 1) int64 = [window, wavelet Q4, EMAs Q8], and sh (n,) int64."""
    win = ft.window_of_differences(x, fcfg.window, lin)
    wav = ft.fir_bank(x, fcfg, lin)
    ema = ft.running_scales(x[None], fcfg)[0]
    sh = ft.norm_shift(ema, fcfg).astype(np.int64)
    return np.concatenate([win, wav, ema], axis=1).astype(np.int64), sh


def fir_levels(fcfg: ft.FeatureConfig, lin, lo: np.ndarray, hi: np.ndarray) -> list[FirLevel]:
    """Interval analysis of the cascade: each level's input bounds and accumulator width."""
    a_lo, a_hi = (0, CODE_MAX << ft.Q_FEAT) if lin is None else (int(lin.min()), int(lin.max()))
    out = []
    for j in range(fcfg.levels):
        bounds = {}
        for name, taps in (("hi", hi), ("lo", lo)):
            p = [int(t) * a_lo for t in taps.tolist()]
            q = [int(t) * a_hi for t in taps.tolist()]
            bounds[name] = (sum(map(min, p, q)), sum(map(max, p, q)),
                            sum(max(abs(u), abs(v)) for u, v in zip(p, q)) + (1 << (ft.Q15 - 1)))
        need = max(bounds["hi"][2], bounds["lo"][2])
        if need > (1 << 63) - 1:
            raise RangeError(f"fir level {j}", f"accumulator needs {need}, more than int64")
        d_lo, d_hi, _ = bounds["hi"]
        n_lo, n_hi = fp.rshr(bounds["lo"][0], ft.Q15), fp.rshr(bounds["lo"][1], ft.Q15)
        out.append(FirLevel(1 << j, (fcfg.taps - 1) * (1 << j) + 1, a_lo, a_hi, need,
                            32 if need <= INT32_MAX else 64,
                            max(abs(fp.rshr(d_lo, ft.Q15)), abs(fp.rshr(d_hi, ft.Q15))), n_lo, n_hi))
        a_lo, a_hi = n_lo, n_hi
    return out


def input_value_bound(fcfg: ft.FeatureConfig, lin, levels: list[FirLevel]) -> int:
    """max |value| of any input element before the shift (window, wavelet, EMA)."""
    v_lo, v_hi = (0, CODE_MAX << ft.Q_FEAT) if lin is None else (int(lin.min()), int(lin.max()))
    win = CODE_MAX if lin is None else v_hi - v_lo
    wav = max([lv.det_bound for lv in levels], default=0)
    if levels:   # trend = a_L - v
        wav = max(wav, levels[-1].out_hi - v_lo, v_hi - levels[-1].out_lo)
    ema = max(fcfg.ema_init, CODE_MAX << ft.Q_EMA, (2 * CODE_MAX) << ft.Q_EMA if fcfg.ema2_shifts else 0)
    return max(win, wav, ema)


# --- the model: ONNX -> float IR -> integer IR ----------------------------------------------------

def _float_graph(model, meta: dict) -> ir.Graph:
    if meta["model"]["projector"] not in ("fc", "lstm"):
        raise UnsupportedError("model", meta["model"]["projector"], "unknown projector")
    g = onnx_frontend.load(_state_as_struct(model), meta.get("name", "model"))
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
    f = fp.frac_for(float(np.max(np.abs(u_float))), 16, 0, F_IN_MAX) - headroom
    while f > 0 and bound * (1 << f) + (1 << (ft.SH_MAX + K_EMA - 1)) > INT32_MAX:
        f -= 1
    return max(f, 0)


def float_inputs(x: np.ndarray, fcfg: ft.FeatureConfig, lin) -> np.ndarray:
    """The float network input of docs/model-format.md (exact), for calibration."""
    ff = ft.file_features([x], fcfg, lin)[0]
    return ft.normalise(ft.window_of_differences(x, fcfg.window, lin), ff.wavelet, ff.ema, ff.sh,
                        window_q=0 if lin is None else ft.Q_FEAT)


def compile_model(model_dir: str | Path, calib_codes: list[np.ndarray], weight_bits: int = 16,
                  per_channel: bool = False) -> Predictor:
    """Load model.onnx + model.json, calibrate on ``calib_codes`` and quantise."""
    model, meta = model_files.load_model(model_dir)
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
    min_q8 = int(math.floor(meta["output"]["min_log2_scale"] * 256 + 0.5))
    return Predictor(meta.get("name", "model"), meta, fcfg, lin, lo, hi, levels, qg, g, min_q8)


# --- calibration -------------------------------------------------------------------------------

CALIB_CHANNELS, CALIB_SECONDS, CALIB_SEED = 8, 1, 0
CALIBRATION = f"spikey_train.recordings.synth.generate({CALIB_CHANNELS}, {CALIB_SECONDS}, seed={CALIB_SEED})"


def calibration_codes() -> list:
    """The fixed calibration set: synthetic channels, the same on every machine.

    A model's integer form (and so its identity and every bitstream) must not depend on
    which recordings a machine holds. The inputs are scale-normalised, so this small
    synthetic set gives the default model the same quantisation as its training files.
    """
    from spikey_train.recordings import synth, to_codes
    return list(to_codes(synth.generate(CALIB_CHANNELS, CALIB_SECONDS, seed=CALIB_SEED)).astype(np.int64))


# --- identity and the ideal-coder cost ------------------------------------------------------------

def model_identity(qg: ir.QGraph, meta: dict) -> bytes:
    """8 bytes naming the integer codec: SHA-256 of the IR digest and the canonical JSON of
    the features, output rule and coder of model.json (first 8 bytes). The container's model id."""
    around = {k: meta[k] for k in ("features", "output", "coder", "signal")}
    blob = qg.digest().encode() + b"\0" + json.dumps(around, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).digest()[:8]


def ideal_bits(codes, L, log2s_q8, meta: dict) -> float:
    """Total bits of a file under docs/model-format.md section 2 (float, an ideal coder) for
    integer predictions (row t predicts x[t+1]); the first sample costs 10 bits."""
    x = np.asarray(codes, dtype=np.int64)
    L = np.asarray(L, dtype=np.int64)[:-1]
    inv_s = np.exp2(-np.asarray(log2s_q8, dtype=np.float64)[:-1] / 256.0)
    c = meta["coder"]
    e = (np.arange(1025, dtype=np.float64) - 0.5 if c["edges_q"] is None
         else np.asarray(c["edges"], dtype=np.float64) / (1 << c["edges_q"]))
    m = 0.5 * (e[L] + e[L + 1])
    k = x[1:]
    lm = model_files.log_mass((e[k + 1] - m) * inv_s, (e[k] - m) * inv_s, c["family"])
    return float(-lm.sum() / math.log(2.0)) + 10.0
