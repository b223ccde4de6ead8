"""Host (cffi) build of the entropy coders in firmware/src, driven over whole arrays.

The firmware C is compiled unchanged with the host glue firmware/host/spk_host_coders.c,
which runs a coder's encoder over (x, L, log2s_q8) arrays and its decoder driven by given
(L, log2s_q8) arrays (the decode test feeds the true predictions, as the decoder-side model
would compute them). spikey.native caches the module like the baseline's.

    hc = HostCoders()
    payload = hc.encode("range", x, L, log2s_q8, edges=edges)   # == spikey.coders.CODERS[...]
    x2 = hc.decode("range", payload, L, log2s_q8, edges=edges)
"""
from __future__ import annotations

import time

import numpy as np

from spikey import firmware, native
from spikey.coders import model_cdf
from spikey.coders.registry import coders_for_model

CFLAGS = (*native.DEFAULT_CFLAGS, "-Wconversion", "-Wno-sign-conversion")
IDS = {name: c.id for name, c in coders_for_model().items()}   # the container's coder ids
GLUE = "spk_host_coders.h"


def build_host_coders(sanitize: bool = False):
    """Compile (or load) the runtime's coders (``runtime.coders``) with their host glue
    (``host.coders``)."""
    files = {p.name: p.read_text() for p in firmware.sources("runtime.coders") + firmware.sources("host.coders")}
    return native.build(files, native.cdef_of(firmware.path(f"host/{GLUE}")), GLUE,
                        include_dirs=firmware.include_dirs("host"), cflags=CFLAGS, sanitize=sanitize)


class HostCoders:
    """The issue-5 coders as compiled C on the host."""

    def __init__(self, sanitize: bool = False):
        self.module = build_host_coders(sanitize)
        self.ffi, self.lib = self.module.ffi, self.module.lib

    @staticmethod
    def _arrays(n, L, ls):
        L = np.asarray(L, dtype=np.int64)
        ls = np.asarray(ls, dtype=np.int64)
        if n and len(L) == n - 1:
            L = np.concatenate([[0], L])
        if n and len(ls) == n - 1:
            ls = np.concatenate([[0], ls])
        return (np.ascontiguousarray(np.resize(L, max(n, 1)), np.int16),
                np.ascontiguousarray(np.resize(ls, max(n, 1)), np.int32))

    def _edges(self, edges):
        e = model_cdf.uniform_edges() if edges is None else np.asarray(edges)
        return np.ascontiguousarray(e, dtype=np.int32)

    def encode(self, coder: str, x, L, ls, param: int = 0, edges=None, family: int = 0,
               capacity: int | None = None) -> bytes:
        x = np.ascontiguousarray(x, dtype=np.int16)
        n = len(x)
        Lh, lsh = self._arrays(n, L, ls)
        e = self._edges(edges)
        cap = 4 * n + 64 if capacity is None else capacity
        out = np.zeros(max(cap, 1), np.uint8)
        n_out = self.ffi.new("uint32_t *")
        fb = self.ffi.from_buffer
        st = self.lib.spk_hc_encode(IDS[coder], fb("int16_t[]", np.resize(x, max(n, 1))), fb("int16_t[]", Lh),
                                    fb("int32_t[]", lsh), n, param, fb("int32_t[]", e), family,
                                    fb("uint8_t[]", out), cap, n_out)
        if st == 1:
            raise OverflowError(f"payload does not fit in {cap} bytes")
        if st != 0:
            raise RuntimeError(f"spk_hc_encode({coder}) returned status {st}")
        return out[:n_out[0]].tobytes()

    def decode(self, coder: str, payload: bytes, L, ls, n: int | None = None, edges=None, family: int = 0,
               binary_search: bool = False, timing: bool = False):
        """Decode len(L) codes (or n); returns (codes, status) -- status 0 = OK, 2 =
        overrun/corrupt, 3 = bytes left over or bad header; with timing, also seconds."""
        n = len(L) if n is None else n
        Lh, lsh = self._arrays(n, L, ls)
        e = self._edges(edges)
        x = np.zeros(max(n, 1), np.int16)
        buf = np.frombuffer(payload, np.uint8) if payload else np.zeros(1, np.uint8)
        fb = self.ffi.from_buffer
        t0 = time.perf_counter()
        st = self.lib.spk_hc_decode(IDS[coder], fb("uint8_t[]", buf), len(payload), fb("int16_t[]", Lh),
                                    fb("int32_t[]", lsh), n, fb("int32_t[]", e), family,
                                    fb("int16_t[]", x), int(binary_search))
        dt = time.perf_counter() - t0
        out = x[:n].astype(np.int64)
        return (out, st, dt) if timing else (out, st)

    def cdf(self, edges, family: int, k: int, L: int, ls: int) -> int:
        return self.lib.spk_hc_cdf(self.ffi.from_buffer("int32_t[]", self._edges(edges)), family, k, L, ls)
