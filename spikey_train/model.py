"""The Spikey model: latent projector -> MiddleOut -> predictor, and what it is trained on.

Per channel and time step the network sees the normalised input vector ``u`` of
``features.normalise`` (recent differences, wavelet details, running scales, all divided
by ``2**sh``) and outputs, in those normalised units, a location offset ``mu`` and a
log2-scale ``ls``. The coder uses

    location = x[t] + round(mu * 2**sh)          (an integer code)
    log2 scale = ls + sh

and pays ``-log2 P(x[t+1])`` bits under a logistic (or Laplace) of that scale centred on
the location's code, discretised on the ADC's code edges (:class:`CodeEdges`, learned with
the network; ``k +- 1/2`` if switched off). That is the training loss (:func:`bits`), with
the rounding passed straight through for the gradient.

* Projector: per channel, weights shared by all channels: an FC stack (ReLU) or an LSTM
  after one FC layer. Output: the channel's latent ``z``.
* MiddleOut: one round of message passing on the thread topology: the region latent is
  ``relu(A z + B m + b)`` with ``m`` the mean of the peers' messages (their latents, and in
  the ``zero_lag`` variant also the peers' current normalised difference when the peer is
  coded earlier in the frame, with a flag saying so). Switched off (per-file coding), ``m``
  is all zeros; a model trained with ``peer_dropout`` serves both modes.
* Predictor: FC (ReLU) -> 2 outputs.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

LOG2E = 1.0 / math.log(2.0)


@dataclass(frozen=True)
class ModelConfig:
    projector: str = "fc"          # "fc" or "lstm"
    hidden: tuple = (48,)          # FC projector hidden widths (for lstm: the FC layer before it)
    latent: int = 24               # latent width (LSTM hidden size for lstm)
    predictor: tuple = (24,)       # predictor hidden widths
    middleout: bool = False        # MiddleOut on (needs a topology) or off
    peers: int = 4                 # k nearest peers in the thread topology
    zero_lag: bool = False         # peers coded earlier in the frame pass their current sample
    peer_dropout: float = 0.0      # training: probability of switching MiddleOut off per sample
    family: str = "logistic"       # coder family: "logistic" or "laplace"
    edges: bool = True             # coder discretises on learned ADC code edges (else k +- 1/2)

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        d = dict(d)
        for k in ("hidden", "predictor"):
            if k in d:
                d[k] = tuple(int(v) for v in d[k])
        unknown = set(d) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown model option(s): {', '.join(sorted(unknown))}")
        cfg = cls(**d)
        if cfg.projector not in ("fc", "lstm"):
            raise ValueError(f"model.projector must be 'fc' or 'lstm', got {cfg.projector!r}")
        if cfg.family not in ("logistic", "laplace"):
            raise ValueError(f"model.family must be 'logistic' or 'laplace', got {cfg.family!r}")
        return cfg

    def to_dict(self) -> dict:
        return {"projector": self.projector, "hidden": list(self.hidden), "latent": self.latent,
                "predictor": list(self.predictor), "middleout": self.middleout, "peers": self.peers,
                "zero_lag": self.zero_lag, "peer_dropout": self.peer_dropout, "family": self.family,
                "edges": self.edges}

    @property
    def message(self) -> int:
        """Width of one peer message."""
        return self.latent + (2 if self.zero_lag else 0)


def _mlp(widths: list[int], last_relu: bool) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(nn.Linear(a, b))
        if last_relu or i < len(widths) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class Projector(nn.Module):
    def __init__(self, n_in: int, cfg: ModelConfig):
        super().__init__()
        self.kind = cfg.projector
        if cfg.projector == "fc":
            self.fc = _mlp([n_in, *cfg.hidden, cfg.latent], last_relu=True)
        else:
            self.fc = _mlp([n_in, *cfg.hidden], last_relu=True)
            self.lstm = nn.LSTM(cfg.hidden[-1] if cfg.hidden else n_in, cfg.latent, batch_first=True)

    def forward(self, u: torch.Tensor, state=None):
        """u: (..., n_in) for fc; (batch, time, n_in) for lstm. Returns (z, new_state)."""
        h = self.fc(u)
        if self.kind == "fc":
            return h, None
        z, state = self.lstm(h, state)
        return z, state


class MiddleOut(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.own = nn.Linear(cfg.latent, cfg.latent)
        self.peer = nn.Linear(cfg.message, cfg.latent, bias=False)

    def forward(self, z: torch.Tensor, m: torch.Tensor | None) -> torch.Tensor:
        r = self.own(z)
        if m is not None:
            r = r + self.peer(m)
        return F.relu(r)


class SpikeyNet(nn.Module):
    def __init__(self, n_in: int, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.n_in = n_in
        self.projector = Projector(n_in, cfg)
        self.middleout = MiddleOut(cfg) if cfg.middleout else None
        self.predictor = _mlp([cfg.latent, *cfg.predictor, 2], last_relu=False)
        self.edges = CodeEdges() if cfg.edges else None   # set from the training data by train.py

    def bits(self, out: torch.Tensor, target_diff: torch.Tensor, sh: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        """What the coder pays for x[t+1] (see :func:`bits`)."""
        e = self.edges() if self.edges is not None else None
        return bits(out, target_diff, sh, self.cfg.family, code, e)

    def head(self, z: torch.Tensor, m: torch.Tensor | None = None) -> torch.Tensor:
        """Latent (and peer message mean) -> (..., 2) = (mu, ls), normalised units."""
        r = self.middleout(z, m) if self.middleout is not None else z
        return self.predictor(r)

    def forward(self, u: torch.Tensor, m: torch.Tensor | None = None, state=None):
        z, state = self.projector(u, state)
        return self.head(z, m), z, state


# --- what the coder pays -------------------------------------------------------------------

class CodeEdges(nn.Module):
    """The ADC's code edges: code ``k`` covers ``[e_k, e_k+1)`` on a continuous axis in code
    units. A real 10-bit ADC has very uneven codes (differential non-linearity: in the dev
    recordings some codes are hit 50x less often than their neighbours, others 3x more,
    the same pattern in every file), so the coder discretises its distribution on these
    edges instead of at ``k +- 1/2``.

    Widths are ``exp(theta)`` for the codes seen often enough in training (``learn``),
    centred so that their mean log-width is 0, and exactly 1 for every other code;
    ``e_0 = -1/2``."""

    def __init__(self, n_codes: int = 1024, log_widths=None, learn=None):
        super().__init__()
        init = torch.zeros(n_codes) if log_widths is None else torch.as_tensor(log_widths, dtype=torch.float32)
        mask = torch.ones(n_codes, dtype=torch.bool) if learn is None else torch.as_tensor(learn, dtype=torch.bool)
        self.theta = nn.Parameter(init.clone())
        self.register_buffer("learn", mask.clone())

    def forward(self) -> torch.Tensor:
        t = torch.where(self.learn, self.theta, torch.zeros_like(self.theta))
        t = torch.where(self.learn, t - t[self.learn].mean(), t)
        return torch.cat([torch.zeros(1), torch.cumsum(torch.exp(t), 0)]) - 0.5   # (n_codes + 1,)


def initial_log_widths(codes: list[np.ndarray], n_codes: int = 1024, smooth: int = 9,
                       min_count: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """Start for the code-edge widths: each code's count over a moving average of its
    neighbours' (the ADC's relative bin width). Returns (log widths, learn mask): codes
    whose neighbourhood holds fewer than ``min_count`` samples keep width 1 for good."""
    h = np.zeros(n_codes)
    for c in codes:
        h += np.bincount(np.asarray(c, dtype=np.int64), minlength=n_codes)[:n_codes]
    s = np.convolve(h, np.ones(smooth) / smooth, mode="same")
    learn = s > min_count
    w = np.where(learn, (h + 1) / (s + 1), 1.0)
    return np.log(np.clip(w, 0.02, 5.0)).astype(np.float32), learn


def linearisation_table(log_widths: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Q4 centre of every code on the code-edge axis (:class:`CodeEdges`), int32 (1024,)."""
    lw, learn = log_widths
    e = CodeEdges(len(lw), lw, learn)().detach().double().numpy()
    return np.round(0.5 * (e[:-1] + e[1:]) * 16).astype(np.int32)


def _log_mass(a: torch.Tensor, b: torch.Tensor, family: str) -> torch.Tensor:
    """log(F(a) - F(b)) for a > b, stably, F the standard logistic or Laplace CDF."""
    if family == "logistic":
        # sigmoid(a) - sigmoid(b) = sigmoid(a) * sigmoid(-b) * (1 - exp(b - a))
        return F.logsigmoid(a) + F.logsigmoid(-b) + torch.log(-torch.expm1(b - a))
    right = -b + torch.log(-torch.expm1(b - a)) - math.log(2.0)            # 0 <= b < a
    left = a + torch.log(-torch.expm1(b - a)) - math.log(2.0)              # b < a <= 0
    mid = torch.log(torch.clamp(1 - 0.5 * torch.exp(torch.clamp(b, max=0.0)) - 0.5 * torch.exp(-torch.clamp(a, min=0.0)), min=1e-30))
    return torch.where(b >= 0, right, torch.where(a <= 0, left, mid))


def bits(out: torch.Tensor, target_diff: torch.Tensor, sh: torch.Tensor, family: str = "logistic",
         code: torch.Tensor | None = None, edges: torch.Tensor | None = None,
         min_log2_scale: float = -2.0) -> torch.Tensor:
    """Bits to code x[t+1] given the network output.

    out: (..., 2) normalised (mu, ls); target_diff: x[t+1] - x[t]; sh: shift; code: x[t].
    The location ``L = x[t] + round(mu * 2**sh)`` is an integer code (straight-through
    gradient); x[t+1] is coded under the discretised ``family`` with log2-scale ``ls + sh``
    centred on code L: uniform bins ``k +- 1/2`` without ``edges``, else the bins
    ``[e_k, e_k+1)`` centred on ``(e_L + e_L+1) / 2``."""
    step = torch.exp2(sh.to(out.dtype))
    mu = out[..., 0] * step
    ste = mu - mu.detach()
    mu_int = torch.round(mu.detach())
    log2_s = torch.clamp(out[..., 1] + sh.to(out.dtype), min=min_log2_scale)
    inv_s = torch.exp2(-log2_s)
    if edges is None:
        r = target_diff.to(out.dtype) - mu_int - ste
        hi, lo = r + 0.5, r - 0.5
    else:
        n = len(edges) - 1
        L = torch.clamp(code.long() + mu_int.long(), 0, n - 1)
        k = code.long() + target_diff.long()
        m = 0.5 * (edges[L] + edges[L + 1]) + ste
        hi, lo = edges[k + 1] - m, edges[k] - m
    return -_log_mass(hi * inv_s, lo * inv_s, family) * LOG2E


# --- size: weights and multiply-accumulates -------------------------------------------------

def count_weights(net: SpikeyNet) -> int:
    """Number of network weights (each shipped as one int16: 2 bytes). The code-edge table
    belongs to the coder (metadata), not to the network, and is not counted here."""
    return sum(p.numel() for n, p in net.named_parameters() if not n.startswith("edges."))


def count_macs(n_in: int, mcfg: ModelConfig, fcfg) -> dict:
    """Multiply-accumulates per sample per channel, by part.

    FIR: ``2 * taps`` per wavelet level (low- and high-pass of the a trous cascade), except
    that the last level's low-pass is needed too (trend feature) so every level pays both.
    Linear layers: ``in * out`` (biases are additions, not counted). LSTM: ``4 * H * (in + H)``
    for the gate matrices plus ``3 * H`` element-wise products. MiddleOut: ``L * L`` for the
    own path, ``message * L`` for the peer path, plus ``peers * message`` additions to form
    the mean (counted as MACs, the 1/k folded into B). Normalisation is shifts, EMAs are
    one shift-add each (counted as one MAC each to be safe)."""
    macs = {"fir": 2 * fcfg.taps * fcfg.levels, "ema": fcfg.n_ema}
    widths = [n_in, *mcfg.hidden]
    proj = sum(a * b for a, b in zip(widths[:-1], widths[1:]))
    if mcfg.projector == "fc":
        proj += widths[-1] * mcfg.latent
    else:
        h = mcfg.latent
        proj += 4 * h * (widths[-1] + h) + 3 * h
    macs["projector"] = proj
    if mcfg.middleout:
        L = mcfg.latent
        macs["middleout"] = L * L + mcfg.message * L + mcfg.peers * mcfg.message
    pw = [mcfg.latent, *mcfg.predictor, 2]
    macs["predictor"] = sum(a * b for a, b in zip(pw[:-1], pw[1:]))
    macs["total"] = sum(macs.values())
    return macs
