"""A compiled model's codec built for the host: the generated C (compiled/), the runtime's
coders (firmware manifest ``runtime.coders``) and the host glue (``host.codec``:
firmware/host/spk_host_codec.c and spk_host_pred.c), compiled through cffi (spikey.native,
cached by the content of every source).

This is the codec's fast path; the Python reference (codegen.reference.codec) must produce
the same bytes, and tests check that it does.
"""
from __future__ import annotations

import numpy as np

from .. import firmware, native
from .compiled import CompiledModel

# The host's own instruction set (AVX2 where it has it: the network's columns kernel,
# spikey_vec.h); -O3 on top of DEFAULT_CFLAGS' -O2 (the later flag wins). Hidden visibility:
# the module exports only its init function (cffi marks it), so the optimiser may inline
# the predictor into the decode loop (about 3 % of the decode time).
CFLAGS = (*native.DEFAULT_CFLAGS, "-Wconversion", "-Wno-sign-conversion", "-O3", "-march=native", "-flto",
          "-fvisibility=hidden")
LDFLAGS = ("-flto", "-O3", "-march=native")
GLUE = ("spk_host_codec.h", "spk_host_pred.h")


def codec_files(sources: dict) -> dict:
    """Every file of the host codec module: the generated sources, the runtime's coders and
    the host glue (name -> text)."""
    files = dict(sources)
    for p in firmware.sources("runtime.coders") + firmware.sources("host.codec"):
        files[p.name] = p.read_text()
    return files


def predict_codes(ffi, lib, codes) -> tuple[np.ndarray, np.ndarray]:
    """(L, log2s_q8) int64 of one channel through spk_pred_host_run, in any module built
    with firmware/host/spk_host_pred.c: row t predicts x[t+1] (as the reference's predict)."""
    x = np.ascontiguousarray(codes, dtype=np.int16)
    L = np.zeros(len(x), np.int32)
    ls = np.zeros(len(x), np.int32)
    lib.spk_pred_host_run(ffi.from_buffer("int16_t[]", x), len(x), ffi.from_buffer("int32_t[]", L),
                          ffi.from_buffer("int32_t[]", ls))
    return L.astype(np.int64), ls.astype(np.int64)


def cdef() -> str:
    return (native.cdef_of(firmware.path("host/spk_host_codec.h"))
            + native.cdef_of(firmware.path("host/spk_host_pred.h")))


class HostCodec:
    """The learned codec of one compiled model, as host C."""

    def __init__(self, model: CompiledModel, sanitize: bool = False):
        """sanitize: UBSan (abort on any undefined behaviour), for the tests."""
        self.module = native.build(codec_files(model.sources), cdef(), GLUE,
                                   include_dirs=firmware.include_dirs("host"), cflags=CFLAGS, ldflags=LDFLAGS,
                                   sanitize=sanitize)
        self.ffi, self.lib = self.module.ffi, self.module.lib
        self.edges = np.ascontiguousarray(model.edges, dtype=np.int32)
        self.family = model.family_id

    def _u32(self, values):
        a = np.ascontiguousarray(values, dtype=np.uint32)
        return a, self.ffi.from_buffer("uint32_t[]", a)

    def predict(self, codes) -> tuple[np.ndarray, np.ndarray]:
        """(L, log2s_q8) int64: row t predicts x[t+1]."""
        return predict_codes(self.ffi, self.lib, codes)

    def _peers(self, peers, n_chan: int):
        """(array, cdata, K) of the peers (n_chan, K) as int16 (-1 = none); K = 0 for None."""
        p = np.zeros((n_chan, 0), np.int64) if peers is None else np.asarray(peers, dtype=np.int64).reshape(n_chan, -1)
        if p.size and (p.min() < -1 or p.max() >= n_chan):
            raise ValueError(f"peers must be channel indices in [0, {n_chan}) or -1")
        a = np.ascontiguousarray(p if p.size else np.zeros(1), dtype=np.int16)
        return a, self.ffi.from_buffer("int16_t[]", a), p.shape[1]

    def encode(self, coder_id: int, channels: list, frame: int, params, peers=None,
               max_error: int = 0) -> tuple[int, bytes]:
        """Code the channels' codes into one payload; returns (status, payload).

        frame 0: per-file (each channel whole); frame > 0: one joint stream, time-major; peers
        (channels, K) int (-1 = none) or None: the MiddleOut peers (ignored without MiddleOut);
        max_error: the near-lossless bound D (0: lossless)."""
        x = np.ascontiguousarray(np.concatenate(channels) if channels else np.zeros(0), dtype=np.int16)
        n, n_p = self._u32([len(c) for c in channels])
        p, p_p = self._u32(params)
        cap = 4 * len(x) + 64 * len(channels) + 64
        out = np.zeros(cap, np.uint8)
        n_out = self.ffi.new("uint32_t *")
        pa, pc, k = self._peers(peers, len(channels))
        fb = self.ffi.from_buffer
        st = self.lib.spk_hx_encode(coder_id, fb("int16_t[]", x), len(channels), n_p, frame, p_p,
                                    fb("int32_t[]", self.edges), self.family, max_error, pc, k, fb("uint8_t[]", out), cap,
                                    n_out)
        return st, out[:n_out[0]].tobytes()

    def decode(self, coder_id: int, payload: bytes, lengths: list, frame: int, peers=None, max_error: int = 0):
        """(status, [codes per channel]) decoded from the payload (frame, peers and max_error as
        for encode)."""
        x = np.zeros(sum(lengths), np.int16)
        n, n_p = self._u32(lengths)
        buf = np.frombuffer(payload, np.uint8) if payload else np.zeros(1, np.uint8)
        pa, pc, k = self._peers(peers, len(lengths))
        fb = self.ffi.from_buffer
        st = self.lib.spk_hx_decode(coder_id, fb("uint8_t[]", buf), len(payload), fb("int16_t[]", x), len(lengths),
                                    n_p, frame, fb("int32_t[]", self.edges), self.family, max_error, pc, k)
        return st, np.split(x, np.cumsum(lengths)[:-1]) if lengths else []
