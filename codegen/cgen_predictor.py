"""The per-channel predictor (codegen/predictor.py) -> C99 sources, and its host build.

    src = generate(pred)                 # CSources: spk_net.{h,c} (cgen) + spk_pred.{h,c}
    hp = HostPredictor(src)              # cffi build (cached); hp.predict(codes) -> (L, log2s_q8)

The network is emitted by :func:`codegen.cgen.generate` (prefix ``spk_net``); the
features, the input quantisation and the output rule are emitted here from the Jinja
templates ``predictor.h.j2`` / ``predictor_api.h.j2`` / ``predictor.c.j2``. Same predictor
-> byte-identical files. API (one state per channel):

    void spk_pred_reset(spk_pred_state_t *s, int32_t first_code);
    void spk_pred_step(spk_pred_state_t *s, int32_t code, int32_t *L, int32_t *log2s_q8);
"""
from __future__ import annotations

import jinja2
import numpy as np

from spikey_train import features as ft

from . import cffi_module, cgen
from .errors import RangeError
from .predictor import LOG2S_MAX_Q8, Predictor

PREFIX = "spk_pred"
NET_PREFIX = "spk_net"
FIRMWARE_INCLUDE = cgen.FIXED_H_DIR


def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(cgen.TEMPLATES)), undefined=jinja2.StrictUndefined,
                              keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True, autoescape=False)


def _check_ranges(pred: Predictor) -> None:
    """The output rule's products must fit int32 for every int16 network output."""
    if pred.f_out < max(ft.SH_MAX, ft.Q_EMA) - 15:   # |out| * 2^(sh - f_out) < 2^30
        raise RangeError("out", f"output frac {pred.f_out} too small: mu * 2^(sh - frac) may overflow int32")


def generate(pred: Predictor, prefix: str = PREFIX, net_prefix: str = NET_PREFIX) -> cgen.CSources:
    _check_ranges(pred)
    net = cgen.generate(pred.qg, net_prefix)
    c = pred.fcfg
    ident = pred.identity()
    peers = [dict(name=n, c=f"{prefix}_zero_{cgen._ident(n)}", size=pred.qg.tensors[n].size,
                  frac=pred.qg.tensors[n].frac) for n in pred.qg.inputs if n != "u"]
    args = {q["name"]: q["c"] for q in peers}
    emas = [dict(src="d", shift=s) for s in c.ema_shifts] + [dict(src="d - s->last_d", shift=s) for s in c.ema2_shifts]

    def v_of(expr: str) -> str:
        return f"(int32_t){prefix}_lin_q4[{expr}]" if pred.lin is not None else f"({expr}) * 16"

    ctx = dict(p=prefix, P=prefix.upper(), guard=prefix.upper() + "_H", net=net_prefix, name=pred.name,
               digest=pred.qg.digest(), identity_hex=ident.hex(),
               identity_bytes=", ".join(f"0x{b:02x}" for b in ident),
               log2s_min=pred.log2s_min_q8, log2s_max=LOG2S_MAX_Q8,
               levels=pred.levels, fir_widths=sorted({lv.acc_bits for lv in pred.levels}), taps=c.taps,
               lo=", ".join(str(int(v)) for v in pred.lo_q15), hi=", ".join(str(int(v)) for v in pred.hi_q15),
               lin=None if pred.lin is None else cgen._fmt_array(pred.lin),
               n_ema=c.n_ema, emas=emas, ema_init=c.ema_init, window=c.window, window_k=pred.window_k,
               ema_off=c.window + c.n_wavelet, blocks=_blocks(pred), n_inputs=c.n_inputs, normalise=c.normalise, norm_ema=c.norm_ema,
               sh_max=ft.SH_MAX, f_in=pred.f_in, f_out=pred.f_out, peer_inputs=peers,
               net_args=["u" if n == "u" else args[n] for n in pred.qg.inputs], v_of=v_of)
    env = _env()
    files = dict(net.files)
    files[f"{prefix}.h"] = env.get_template("predictor.h.j2").render(**ctx)
    files[f"{prefix}.c"] = env.get_template("predictor.c.j2").render(**ctx)
    cdef = net.cdef + env.get_template("predictor_api.h.j2").render(**ctx)
    return cgen.CSources(prefix=prefix, files=files, cdef=cdef, header=f"{prefix}.h")


def _blocks(pred: Predictor) -> list[dict]:
    out, start = [], 0
    for name, count, k in pred.input_shifts():
        if count:
            out.append(dict(name=name, start=start, stop=start + count, k=k))
        start += count
    return out


HOST_GLUE_CDEF = """void spk_pred_host_run(const int16_t *codes, int32_t n, int32_t *L, int32_t *log2s_q8);
void spk_pred_host_features(const int16_t *codes, int32_t n, int32_t m, int32_t *value, int32_t *sh);
"""
HOST_GLUE = r"""#include "spk_pred.h"

/* A whole file through reset/step, as the encoder runs one channel. */
static void spk_pred_host_run(const int16_t *codes, int32_t n, int32_t *L, int32_t *log2s_q8)
{
    spk_pred_state_t s;
    int32_t t;
    if (n <= 0)
        return;
    spk_pred_reset(&s, codes[0]);
    for (t = 0; t < n; t++)
        spk_pred_step(&s, codes[t], &L[t], &log2s_q8[t]);
}

/* The features alone (m values per sample) and sh, for the tests. */
static void spk_pred_host_features(const int16_t *codes, int32_t n, int32_t m, int32_t *value, int32_t *sh)
{
    spk_pred_state_t s;
    int32_t t;
    if (n <= 0)
        return;
    spk_pred_reset(&s, codes[0]);
    for (t = 0; t < n; t++)
        sh[t] = spk_pred_features(&s, codes[t], &value[t * m]);
}
"""


class HostPredictor:
    """The generated predictor compiled for the host (cffi, cached by content)."""

    def __init__(self, src: cgen.CSources, sanitize: bool = False, cache_dir=None):
        if src.prefix != PREFIX:
            raise ValueError(f"the host glue drives prefix {PREFIX!r}")
        files = dict(src.files)
        files["spk_pred_host.h"] = HOST_GLUE
        self.module = cffi_module.build(files, src.cdef + HOST_GLUE_CDEF, "spk_pred_host.h",
                                        include_dirs=src.include_dirs, sanitize=sanitize, cache_dir=cache_dir)
        self.ffi, self.lib = self.module.ffi, self.module.lib

    def predict(self, codes) -> tuple[np.ndarray, np.ndarray]:
        x = np.ascontiguousarray(codes, dtype=np.int16)
        L = np.zeros(len(x), np.int32)
        ls = np.zeros(len(x), np.int32)
        self.lib.spk_pred_host_run(self.ffi.from_buffer("int16_t[]", x), len(x),
                                   self.ffi.from_buffer("int32_t[]", L), self.ffi.from_buffer("int32_t[]", ls))
        return L.astype(np.int64), ls.astype(np.int64)

    def features(self, codes, n_values: int) -> tuple[np.ndarray, np.ndarray]:
        """(values (n, n_values), sh (n,)) as spk_pred_features computes them, int64."""
        x = np.ascontiguousarray(codes, dtype=np.int16)
        v = np.zeros((len(x), n_values), np.int32)
        sh = np.zeros(len(x), np.int32)
        self.lib.spk_pred_host_features(self.ffi.from_buffer("int16_t[]", x), len(x), n_values,
                                        self.ffi.from_buffer("int32_t[]", v), self.ffi.from_buffer("int32_t[]", sh))
        return v.astype(np.int64), sh.astype(np.int64)
