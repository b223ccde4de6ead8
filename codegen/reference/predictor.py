"""The Spikey model's integer predictor: codes in, (L, log2s_q8) out, bit for bit as the firmware.

For one channel, after seeing the 10-bit codes ``x[0..t]`` the predictor gives the coder
``L[t]`` (the predicted code of ``x[t+1]``, an int in [0, 1023]) and ``log2s_q8[t]`` (log2
of the scale in code units, Q8, int in [round(256 * min_log2_scale), LOG2S_MAX_Q8], i.e.
[-512, 2560] for min_log2_scale = -2). The exact integer
semantics are docs/fixed-point.md section 8 ("Predictor"):

1. features (spikey.features, integers: dmey a-trous FIR bank Q4, EMAs Q8, shift
   ``sh``, window of differences), exactly as docs/model-format.md section 1;
2. the network input ``u_q[i] = sat16(rshr(value[i] * 2**F_IN, s[i]))`` with
   ``s = sh + k`` (k = 0 window of code differences, 4 wavelet / Q4 window, 8 EMA) and
   ``s = 2`` for the ``sh / 4`` element; ``F_IN`` is the frac of the IR's input ``u``;
3. the quantised network (codegen.reference.run, the specification of the generated C);
4. ``L = clamp(x[t] + rescale(mu_q, F_OUT - sh), 0, 1023)`` and
   ``log2s_q8 = clamp(rescale(ls_q, F_OUT - 8) + 256 * sh, round(256 * min_log2_scale), LOG2S_MAX_Q8)``
   where ``rescale`` is spikey.fixed.rescale: ``rshr(q, s)`` for ``s >= 0``, ``q * 2**-s`` otherwise.

Features are functions of the codes only, so the whole file is one batch (an LSTM's
state runs inside the reference's time loop).

MiddleOut models: the network splits exactly at the latent into the projector
(``latent_qg``: u -> latent) and the head (``head_qg``: latent, peer_mean -> out);
``peer_mean`` has the latent's format (frac and legal bounds). Per file, peer_mean = 0;
in a joint stream (:meth:`Predictor.predict_joint`) it is :func:`peer_mean` of the peers'
latents at the same time step (docs/fixed-point.md section 8).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from spikey import features as ft
from spikey import fixed

from .. import ir
from ..errors import RangeError, UnsupportedError
from ..ops import reads
from ..ops.lstm import QLSTM
from . import run as reference
from .identity import model_identity

CODE_MAX = 1023
LOG2S_MAX_Q8 = 10 << 8            # 10.0: the coder's table covers scales up to 2**10 codes
F_IN_MAX = 12                     # u_q's frac: value * 2**F_IN must fit int32 (proved below)
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
        u = fixed.sat16(fixed.rshr(values * (1 << self.f_in), sh[:, None].astype(np.int64) + s[None, :]))
        last = fixed.sat16(fixed.rshr(sh.astype(np.int64) * (1 << self.f_in), SH_DIVISOR_SHIFT))
        return np.concatenate([u, last[:, None]], axis=1)

    def outputs(self, x, mu_q, ls_q, sh) -> tuple[np.ndarray, np.ndarray]:
        sh = np.asarray(sh, dtype=np.int64)
        L = np.clip(x + fixed.rescale(mu_q, self.f_out - sh), 0, CODE_MAX)
        ls8 = fixed.rescale(ls_q, np.full_like(sh, self.f_out - ft.Q_EMA)) + (sh << 8)
        return L, np.clip(ls8, self.log2s_min_q8, LOG2S_MAX_Q8)


def peer_mean(total, k: int):
    """The MiddleOut peer mean: the sum ``total`` (int64) of the latents of the peers that
    speak, over all ``k`` peer slots (a slot with no peer, or whose channel has ended, counts
    as zeros: as in training), rounded half up: ``floor((2 * total + k) / (2 * k))``; 0 when
    k is 0 (spikey.fixed.rdiv). |2 * total + k| <= 2^17 k: int32 in the C for k <= 2^13."""
    total = np.asarray(total, dtype=np.int64)
    if k <= 0:
        return np.zeros_like(total)
    return fixed.rdiv(total, k)


def sub_graph(qg: ir.QGraph, inputs: list, outputs: list) -> ir.QGraph:
    """The nodes of ``qg`` that compute ``outputs`` from ``inputs``: a cut of the graph with
    the same integer nodes (so the two halves of a split compute what the whole does)."""
    need, nodes = set(outputs), []
    for node in reversed(qg.nodes):
        if node.y in need:
            nodes.append(node)
            need |= {x for x in reads(node) if x not in inputs}
    nodes.reverse()
    made = {n.y for n in nodes} | set(inputs)
    missing = sorted(need - made)
    if missing:
        raise UnsupportedError(missing[0], "tensor", f"not computable from {inputs}")
    lstm = {n.name for n in nodes if isinstance(n, QLSTM)}
    names = made | {t for n in nodes for t in getattr(n, "xs", [])}
    return ir.QGraph(list(inputs), list(outputs), {k: v for k, v in qg.tensors.items() if k in names}, nodes,
                     [st for st in qg.state if st[0].rsplit(".", 1)[0] in lstm], qg.name)


# --- features (spikey.features, whole-file integer forms) ---------------------------------

def feature_config(meta: dict) -> tuple[ft.FeatureConfig, np.ndarray | None]:
    f = meta["features"]
    fcfg = ft.FeatureConfig.from_dict({k: f[k] for k in ("window", "levels", "taps", "ema_shifts", "ema2_shifts",
                                                          "norm_ema", "ema_init", "linearise", "normalise")})
    lo, hi = ft.dmey_taps(fcfg.taps)
    if f["fir"]["lo_q15"] != lo.tolist() or f["fir"]["hi_q15"] != hi.tolist():
        raise UnsupportedError("features.fir", "FIR", "taps in model.json differ from spikey.features.dmey_taps")
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
                            sum(max(abs(u), abs(v)) for u, v in zip(p, q)) + fixed.round_offset(ft.Q15))
        need = max(bounds["hi"][2], bounds["lo"][2])
        if need > (1 << 63) - 1:
            raise RangeError(f"fir level {j}", f"accumulator needs {need}, more than int64")
        d_lo, d_hi, _ = bounds["hi"]
        n_lo, n_hi = fixed.rshr(bounds["lo"][0], ft.Q15), fixed.rshr(bounds["lo"][1], ft.Q15)
        out.append(FirLevel(1 << j, (fcfg.taps - 1) * (1 << j) + 1, a_lo, a_hi, need,
                            32 if need <= fixed.INT32_MAX else 64,
                            max(abs(fixed.rshr(d_lo, ft.Q15)), abs(fixed.rshr(d_hi, ft.Q15))), n_lo, n_hi))
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
