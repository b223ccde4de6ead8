"""Input features of the Spikey model, all integer and causal, all functions of past codes.

At time ``t`` the model has seen the 10-bit codes ``x[0..t]`` and predicts ``x[t+1]``.
Everything it sees is computed here, in integers, exactly as the firmware computes it:

1. **Wavelet bank.** PyWavelets' discrete Meyer (``dmey``) analysis filters, truncated to
   ``taps`` central taps, renormalised (low-pass sums to 1, high-pass to 0), quantised to
   Q15, and run as an undecimated (*a trous*) cascade: level ``j`` filters the previous
   level's approximation with the taps spaced ``2**(j-1)`` apart. Approximations and
   details are kept in Q4 code units (code * 16) and rounded after every level, so the
   streaming form (:class:`FirBankStream`, ``2 * taps`` multiply-accumulates per level
   and sample) and the whole-file form (:func:`fir_bank`, ``np.convolve`` in int64) give
   identical integers. Features: ``levels`` details plus the last approximation minus
   the current code (a slow trend), all Q4.
2. **Running scales.** Integer EMAs of ``|d|`` (``d[t] = x[t] - x[t-1]``, ``d[0] = 0``) in
   Q8: ``e += ((|d| << 8) - e) >> s`` for a few power-of-two shifts ``s`` (arithmetic
   shift, i.e. floor); optionally also of ``|d[t] - d[t-1]|`` (second differences: the
   noise floor, less affected by slow field potentials than ``|d|``).
3. **Normalisation shift.** ``sh[t] = clamp(floor(log2(e_norm[t])) - 8, 0, SH_MAX)`` from the
   EMA chosen for normalisation, i.e. ``2**sh <= mean|d| < 2**(sh+1)``. Every input is
   divided by ``2**sh`` (a shift in firmware; exact in float), and the network predicts
   location and log2-scale in those normalised units.
4. **Causal window.** The last ``window`` first differences ``d[t-window+1..t]``.

Optionally (``linearise``) the FIR bank and the window run on ``lin[x]`` instead of
``x << 4``: a 1024-entry Q4 table of each code's centre on the ADC's measured code axis
(the code edges of the coder, learned in training: ``spikey_train.model.CodeEdges``), which undoes the ADC's
non-linearity before filtering. One table lookup per sample in firmware.

History before the first sample is padded with ``x[0]`` (so ``d = 0`` there).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pywt

from .fixed import rshr

Q15 = 15
Q_FEAT = 4          # approximations / details are Q4 code units
Q_EMA = 8           # running scales are Q8
SH_MAX = 9


@dataclass(frozen=True)
class FeatureConfig:
    window: int = 16                 # number of recent first differences
    levels: int = 4                  # wavelet levels (0 = no wavelet features)
    taps: int = 11                   # taps per base filter (odd, <= 61)
    ema_shifts: tuple = (3, 6, 9)    # EMA time constants 2**s samples, of |d|
    ema2_shifts: tuple = ()          # EMA time constants of |second difference|
    norm_ema: int = 1                # index into ema_shifts of the EMA that sets sh
    ema_init: int = 4 << Q_EMA       # initial EMA value (Q8): a mean |d| of 4 codes
    linearise: bool = False          # FIR bank and window on lin[x] (Q4 table) instead of x << 4
    normalise: bool = True           # divide inputs by 2**sh (False: sh = 0 always; an ablation)

    @property
    def n_wavelet(self) -> int:
        return self.levels + 1 if self.levels else 0

    @property
    def n_inputs(self) -> int:
        """Length of the network's input vector (see :func:`normalise`)."""
        return self.window + self.n_wavelet + self.n_ema + 1

    @property
    def n_ema(self) -> int:
        return len(self.ema_shifts) + len(self.ema2_shifts)

    @classmethod
    def from_dict(cls, d: dict) -> "FeatureConfig":
        d = dict(d)
        for k in ("ema_shifts", "ema2_shifts"):
            if k in d:
                d[k] = tuple(int(s) for s in d[k])
        unknown = set(d) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown feature option(s): {', '.join(sorted(unknown))}")
        cfg = cls(**d)
        if cfg.taps % 2 == 0 or not 3 <= cfg.taps <= 61:
            raise ValueError(f"features.taps must be odd and in 3..61, got {cfg.taps}")
        if cfg.normalise and not 0 <= cfg.norm_ema < len(cfg.ema_shifts):
            raise ValueError("features.norm_ema must index features.ema_shifts")
        if cfg.window < 1:
            raise ValueError("features.window must be at least 1")
        return cfg

    def to_dict(self) -> dict:
        return {"window": self.window, "levels": self.levels, "taps": self.taps,
                "ema_shifts": list(self.ema_shifts), "ema2_shifts": list(self.ema2_shifts), "norm_ema": self.norm_ema, "ema_init": self.ema_init,
                "linearise": self.linearise, "normalise": self.normalise}


# --- 1. the dmey FIR bank --------------------------------------------------------------

def _central(f: np.ndarray, taps: int) -> np.ndarray:
    c = int(np.argmax(np.abs(f)))
    return f[c - taps // 2: c + taps // 2 + 1].copy()


def dmey_taps(taps: int) -> tuple[np.ndarray, np.ndarray]:
    """Q15 low-pass (sums to 2**15) and high-pass (sums to 0) taps, int32, in convolution
    order (tap ``k`` multiplies the sample ``k`` steps back, scaled by the level's spacing)."""
    w = pywt.Wavelet("dmey")
    lo = _central(np.asarray(w.dec_lo), taps)
    hi = _central(np.asarray(w.dec_hi), taps)
    lo = lo / lo.sum()  # unit DC gain (dmey's own is sqrt(2))
    hi = hi / np.sqrt(2.0)
    hi = hi - hi.mean()
    lo_q = np.round(lo * (1 << Q15)).astype(np.int64)
    hi_q = np.round(hi * (1 << Q15)).astype(np.int64)
    mid = taps // 2
    lo_q[mid] += (1 << Q15) - lo_q.sum()   # exact unit DC gain
    hi_q[mid] -= hi_q.sum()                # exact zero DC gain
    return lo_q.astype(np.int32), hi_q.astype(np.int32)


def _dilated(taps: np.ndarray, spacing: int) -> np.ndarray:
    out = np.zeros((len(taps) - 1) * spacing + 1, dtype=np.int64)
    out[::spacing] = taps
    return out


def q4_values(codes: np.ndarray, lin: np.ndarray | None = None) -> np.ndarray:
    """The Q4 values the FIR bank and the window run on: ``x << 4``, or ``lin[x]``."""
    x = np.asarray(codes, dtype=np.int64)
    return x << Q_FEAT if lin is None else np.asarray(lin, dtype=np.int64)[x]


def fir_bank(codes: np.ndarray, cfg: FeatureConfig, lin: np.ndarray | None = None) -> np.ndarray:
    """Whole-file form. Returns int32 (n, levels + 1): details d_1..d_L and a_L - v[t], Q4,
    where v = :func:`q4_values`.

    Row ``t`` uses ``x[0..t]`` only (causal), history padded with ``x[0]``."""
    n = len(codes)
    if cfg.levels == 0:
        return np.zeros((n, 0), dtype=np.int32)
    lo, hi = dmey_taps(cfg.taps)
    v = q4_values(codes, lin)
    a = v
    out = np.empty((n, cfg.levels + 1), dtype=np.int32)
    for j in range(cfg.levels):
        spacing = 1 << j
        pad = (cfg.taps - 1) * spacing
        ap = np.concatenate([np.full(pad, a[0], dtype=np.int64), a])
        out[:, j] = rshr(np.convolve(ap, _dilated(hi, spacing), mode="valid"), Q15)
        a = rshr(np.convolve(ap, _dilated(lo, spacing), mode="valid"), Q15)
    out[:, cfg.levels] = a - v
    return out


class FirBankStream:
    """Streaming form of :func:`fir_bank`: one ``step(code)`` per sample, ``2 * taps``
    MACs per level, a delay line of ``(taps - 1) * 2**(j-1) + 1`` values per level."""

    def __init__(self, cfg: FeatureConfig, lin: np.ndarray | None = None):
        self.cfg = cfg
        self.lin = lin
        self.lo, self.hi = (t.astype(np.int64) for t in dmey_taps(cfg.taps))
        self.lines: list[np.ndarray] | None = None
        self.pos = [0] * cfg.levels

    def _init(self, first: int) -> None:
        self.lines = [np.full((self.cfg.taps - 1) * (1 << j) + 1, first, dtype=np.int64)
                      for j in range(self.cfg.levels)]

    def step(self, code: int) -> np.ndarray:
        v = int(code) << Q_FEAT if self.lin is None else int(self.lin[int(code)])
        if self.lines is None:
            self._init(v)
        a = v
        out = np.empty(self.cfg.levels + 1, dtype=np.int32)
        for j, line in enumerate(self.lines):
            spacing = 1 << j
            p = self.pos[j] = (self.pos[j] + 1) % len(line)
            line[p] = a                                    # ring buffer, newest at p
            idx = (p - spacing * np.arange(self.cfg.taps)) % len(line)
            hist = line[idx]
            out[j] = rshr(int(hist @ self.hi), Q15)
            a = rshr(int(hist @ self.lo), Q15)
        if self.cfg.levels:
            out[self.cfg.levels] = a - v
        return out[: self.cfg.n_wavelet]


# --- 2. running scales and the normalisation shift -----------------------------------------

def first_differences(codes: np.ndarray) -> np.ndarray:
    x = np.asarray(codes, dtype=np.int64)
    return np.diff(x, prepend=x[:1])


def running_scales(codes_batch: np.ndarray, cfg: FeatureConfig) -> np.ndarray:
    """EMAs in Q8 for a batch of equally long files: int32 (files, n, n_ema), those of |d|
    (ema_shifts) then those of |d[t] - d[t-1]| (ema2_shifts), all starting at ema_init.

    A loop over time, vectorised over files and shifts (the recurrence is sequential)."""
    xb = np.atleast_2d(np.asarray(codes_batch))
    d = np.stack([first_differences(x) for x in xb])
    d2 = np.diff(d, axis=1, prepend=0)
    k1 = len(cfg.ema_shifts)
    if cfg.n_ema == 0:
        return np.zeros((xb.shape[0], xb.shape[1], 0), dtype=np.int32)
    src = np.abs(np.stack([d] * k1 + [d2] * len(cfg.ema2_shifts), axis=-1)).astype(np.int64) << Q_EMA
    shifts = np.asarray(cfg.ema_shifts + cfg.ema2_shifts, dtype=np.int64)
    e = np.full((xb.shape[0], len(shifts)), cfg.ema_init, dtype=np.int64)
    out = np.empty((xb.shape[0], xb.shape[1], len(shifts)), dtype=np.int32)
    for t in range(xb.shape[1]):
        e += (src[:, t] - e) >> shifts
        out[:, t] = e
    return out


def running_scales_ragged(files: list[np.ndarray], cfg: FeatureConfig) -> list[np.ndarray]:
    """:func:`running_scales` for files of different lengths (padded, then cut)."""
    n = max(len(f) for f in files)
    padded = np.stack([np.concatenate([f, np.full(n - len(f), f[-1], dtype=f.dtype)]) for f in files])
    e = running_scales(padded, cfg)
    return [e[i, : len(f)] for i, f in enumerate(files)]


def norm_shift(ema: np.ndarray, cfg: FeatureConfig) -> np.ndarray:
    """sh = clamp(floor(log2(e)) - 8, 0, SH_MAX) from the normalising EMA (Q8); 0 if the
    features are not normalised."""
    if not cfg.normalise:
        return np.zeros(np.asarray(ema).shape[:-1], dtype=np.int32)
    e = np.maximum(np.asarray(ema)[..., cfg.norm_ema].astype(np.int64), 1)
    fl = np.floor(np.log2(e.astype(np.float64))).astype(np.int64)  # exact for int < 2**53
    return np.clip(fl - Q_EMA, 0, SH_MAX).astype(np.int32)


class RunningScalesStream:
    """Streaming form of :func:`running_scales` for one channel."""

    def __init__(self, cfg: FeatureConfig):
        self.cfg = cfg
        self.e = [cfg.ema_init] * cfg.n_ema
        self.last: int | None = None
        self.last_d = 0

    def step(self, code: int) -> np.ndarray:
        d = 0 if self.last is None else int(code) - self.last
        d2, self.last, self.last_d = d - self.last_d, int(code), d
        src = [abs(d)] * len(self.cfg.ema_shifts) + [abs(d2)] * len(self.cfg.ema2_shifts)
        shifts = self.cfg.ema_shifts + self.cfg.ema2_shifts
        self.e = [e + (((v << Q_EMA) - e) >> s) for e, v, s in zip(self.e, src, shifts)]
        return np.asarray(self.e, dtype=np.int32)


# --- 3./4. the integer feature record of a file, and its normalisation -----------------------

@dataclass
class FileFeatures:
    """Integer features of one file. Row t = what is known after x[t]; target x[t+1]."""
    codes: np.ndarray       # int16 (n,)
    wavelet: np.ndarray     # int32 (n, n_wavelet) Q4
    ema: np.ndarray         # int32 (n, n_ema) Q8
    sh: np.ndarray = field(init=False)
    cfg: FeatureConfig = field(default_factory=FeatureConfig)

    def __post_init__(self):
        self.sh = norm_shift(self.ema, self.cfg)


def file_features(files: list[np.ndarray], cfg: FeatureConfig, lin: np.ndarray | None = None) -> list[FileFeatures]:
    emas = running_scales_ragged(files, cfg)
    return [FileFeatures(np.asarray(f, dtype=np.int16), fir_bank(f, cfg, lin), e, cfg=cfg)
            for f, e in zip(files, emas)]


def window_of_differences(codes: np.ndarray, window: int, lin: np.ndarray | None = None) -> np.ndarray:
    """int32 (n, window): row t = d[t-window+1..t], oldest first (padded with 0); with
    ``lin``, differences of lin[x] (Q4) instead of codes."""
    d = first_differences(codes) if lin is None else first_differences(q4_values(codes, lin))
    dp = np.concatenate([np.zeros(window - 1, dtype=np.int32), d])
    return np.lib.stride_tricks.sliding_window_view(dp, window).astype(np.int32)


def normalise(window: np.ndarray, wavelet: np.ndarray, ema: np.ndarray, sh: np.ndarray,
              window_q: int = 0) -> np.ndarray:
    """The network's float input vector (exact: every value is integer * 2**-k).

    [window / 2**(sh+window_q), wavelet / 2**(sh+4), ema / 2**(sh+8), sh / 4]
    (window_q = 4 when the window is linearised, Q4)."""
    scale = np.exp2(-np.asarray(sh, dtype=np.float64))[..., None]
    parts = [window * scale / (1 << window_q), wavelet * scale / (1 << Q_FEAT), ema * scale / (1 << Q_EMA),
             np.asarray(sh, dtype=np.float64)[..., None] / 4.0]
    return np.concatenate(parts, axis=-1).astype(np.float32)


class StreamingFeatures:
    """Everything above, one sample at a time: ``step(x[t])`` returns ``(u, sh)``, the
    network input for predicting ``x[t+1]`` and the shift. The per-sample reference of
    docs/model-format.md section 1 (the whole-file functions are for training)."""

    def __init__(self, cfg: FeatureConfig, lin: np.ndarray | None = None):
        self.cfg, self.lin = cfg, lin
        self.fir = FirBankStream(cfg, lin)
        self.ema = RunningScalesStream(cfg)
        self.win = np.zeros(cfg.window, dtype=np.int64)
        self.last: int | None = None

    def step_integer(self, code: int) -> tuple[np.ndarray, int]:
        """The integer features before normalisation: (window, wavelet (Q4), EMAs (Q8)) and sh."""
        v = int(code) << Q_FEAT if self.lin is None else int(self.lin[int(code)])
        d = 0 if self.last is None else v - self.last
        self.last = v
        self.win = np.roll(self.win, -1)
        self.win[-1] = d
        wav = self.fir.step(code) if self.cfg.levels else np.zeros(0, dtype=np.int32)
        e = self.ema.step(code)
        sh = int(norm_shift(e[None], self.cfg)[0])
        win = self.win >> Q_FEAT if self.lin is None else self.win   # codes: x << 4 >> 4 is exact
        return np.concatenate([win, wav, e]).astype(np.int64), sh

    def step(self, code: int) -> tuple[np.ndarray, int]:
        values, sh = self.step_integer(code)
        c = self.cfg
        win, wav, e = np.split(values, [c.window, c.window + c.n_wavelet])
        wq = 0 if self.lin is None else Q_FEAT
        u = normalise(win[None], wav[None], e[None], np.array([sh]), window_q=wq)[0]
        return u, sh
