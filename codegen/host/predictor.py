"""The generated predictor alone, compiled for the host (cffi, cached by content), for the
tests of the generated C against the Python reference: the network's sources, spk_pred and
the whole-file drivers of firmware/host/spk_host_pred.c (firmware manifest ``host.predictor``).

    hp = HostPredictor(generate(pred))       # or generate(pred, kernel="columns")
    L, log2s_q8 = hp.predict(codes)          # == pred.predict(codes)
"""
from __future__ import annotations

import numpy as np

from spikey import firmware, native
from spikey.model.host import predict_codes

from ..emit.cgen import CSources
from ..emit.predictor import CODEC, PREFIX


class HostPredictor:
    """The generated predictor compiled for the host."""

    def __init__(self, src: CSources, sanitize: bool = False, cache_dir=None, cflags=native.DEFAULT_CFLAGS):
        """cflags: e.g. with -mavx2 for the AVX2 path of a kernel="columns" build (spikey_vec.h)."""
        if src.prefix != PREFIX:
            raise ValueError(f"the host drivers run prefix {PREFIX!r}")
        files = {n: t for n, t in src.files.items() if not n.startswith(CODEC)}
        for p in firmware.sources("host.predictor"):
            files[p.name] = p.read_text()
        cdef = src.cdef + native.cdef_of(firmware.path("host/spk_host_pred.h"))
        self.module = native.build(files, cdef, ("spk_pred.h", "spk_host_pred.h"),
                                   include_dirs=[*src.include_dirs, *firmware.include_dirs("host")], cflags=cflags,
                                   sanitize=sanitize, cache_dir=cache_dir)
        self.ffi, self.lib = self.module.ffi, self.module.lib

    def predict(self, codes) -> tuple[np.ndarray, np.ndarray]:
        """(L, log2s_q8) int64: row t predicts x[t+1] (as Predictor.predict)."""
        return predict_codes(self.ffi, self.lib, codes)

    def inputs(self, codes, n_inputs: int) -> tuple[np.ndarray, np.ndarray]:
        """(u (n, n_inputs), sh (n,)) as spk_pred_input computes them, int64."""
        x = np.ascontiguousarray(codes, dtype=np.int16)
        u = np.zeros((len(x), n_inputs), np.int16)
        sh = np.zeros(len(x), np.int32)
        fb = self.ffi.from_buffer
        self.lib.spk_pred_host_inputs(fb("int16_t[]", x), len(x), fb("int16_t[]", u), fb("int32_t[]", sh))
        return u.astype(np.int64), sh.astype(np.int64)

    def split(self, codes, peer_mean) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """MiddleOut: (L, log2s_q8, z) through spk_pred_input + spk_pred_latent + spk_pred_head
        with ``peer_mean`` (n, latent) at each step; int64."""
        x = np.ascontiguousarray(codes, dtype=np.int16)
        m = np.ascontiguousarray(peer_mean, dtype=np.int16)
        z = np.zeros(m.shape, np.int16)
        L = np.zeros(len(x), np.int32)
        ls = np.zeros(len(x), np.int32)
        if m.shape[0] != len(x):
            raise ValueError("peer_mean needs one row per code")
        fb = self.ffi.from_buffer
        ok = self.lib.spk_pred_host_split(fb("int16_t[]", x), len(x), fb("int16_t[]", m), fb("int16_t[]", z),
                                          fb("int32_t[]", L), fb("int32_t[]", ls))
        if not ok:
            raise ValueError("the predictor has no MiddleOut")
        return L.astype(np.int64), ls.astype(np.int64), z.astype(np.int64)

    def features(self, codes, n_values: int) -> tuple[np.ndarray, np.ndarray]:
        """(values (n, n_values), sh (n,)) as spk_pred_features computes them, int64."""
        x = np.ascontiguousarray(codes, dtype=np.int16)
        v = np.zeros((len(x), n_values), np.int32)
        sh = np.zeros(len(x), np.int32)
        fb = self.ffi.from_buffer
        self.lib.spk_pred_host_features(fb("int16_t[]", x), len(x), n_values, fb("int32_t[]", v), fb("int32_t[]", sh))
        return v.astype(np.int64), sh.astype(np.int64)
