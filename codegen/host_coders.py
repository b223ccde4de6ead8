"""Host (cffi) build of the entropy coders in firmware/src, driven over whole arrays.

The firmware C is compiled unchanged with a small glue that runs a coder's encoder over
(x, L, log2s_q8) arrays and its decoder driven by given (L, log2s_q8) arrays (the decode
test feeds the true predictions, as the decoder-side model would compute them). The
extension is cached by ``codegen.cffi_module`` like the baseline's.

    hc = HostCoders()
    payload = hc.encode("range", x, L, log2s_q8, edges=edges)   # == spikey.coders.CODERS[...]
    x2 = hc.decode("range", payload, L, log2s_q8, edges=edges)
"""
from __future__ import annotations

import time

import numpy as np

from . import cffi_module
from .toolchain import FIRMWARE

SOURCES = ("bitstream.c", "model_cdf.c", "range_coder.c", "rice_coders.c", "huffman_prior.c")
CFLAGS = (*cffi_module.DEFAULT_CFLAGS, "-Wconversion", "-Wno-sign-conversion")

# coder ids (the container's codec byte for these payloads): see spikey/coders/__init__.py
IDS = {"rice_fixed": 2, "rice_scaled": 3, "huffman_prior": 5, "range": 4}

CDEF = """
int spk_hc_encode(int coder, const int16_t *x, const int16_t *L, const int32_t *ls, uint32_t n,
                  uint32_t param, const int32_t *edges, uint32_t family,
                  uint8_t *out, uint32_t cap, uint32_t *n_out);
int spk_hc_decode(int coder, const uint8_t *payload, uint32_t n_bytes, const int16_t *L,
                  const int32_t *ls, uint32_t n, const int32_t *edges, uint32_t family,
                  int16_t *x, uint32_t binary_search);
uint32_t spk_hc_cdf(const int32_t *edges, uint32_t family, uint32_t k, uint32_t L, int32_t ls);
"""

GLUE = r"""
#include "model_cdf.h"
#include "range_coder.h"
#include "rice_coders.h"
#include "huffman_prior.h"

static uint32_t spk_hc_cdf(const int32_t *edges, uint32_t family, uint32_t k, uint32_t L, int32_t ls)
{
    spk_cdf_model_t m;
    spk_cdf_init(&m, edges, family);
    return spk_cdf_eval(&m, k, L, spk_cdf_clamp_log2s(ls));
}

static int spk_hc_encode(int coder, const int16_t *x, const int16_t *L, const int32_t *ls, uint32_t n,
                         uint32_t param, const int32_t *edges, uint32_t family,
                         uint8_t *out, uint32_t cap, uint32_t *n_out)
{
    uint32_t t;
    spk_status_t st = SPK_OK;
    *n_out = 0u;
    if (n == 0u) {
        return 0;
    }
    if (coder == 4) {
        spk_cdf_model_t m;
        spk_rc_enc_t e;
        spk_cdf_init(&m, edges, family);
        spk_rc_enc_init(&e, out, cap);
        spk_rc_encode_first(&e, (uint32_t)x[0]);
        for (t = 1u; t < n; t++) {
            spk_rc_encode_one(&e, &m, (uint32_t)x[t], (uint32_t)L[t], ls[t]);
        }
        st = spk_rc_enc_finish(&e);
        *n_out = e.pos;
    } else {
        spk_bitwriter_t bw;
        spk_bw_init(&bw, out, cap);
        if (coder == 2) {
            spk_rice_fixed_t s;
            st = spk_rice_fixed_begin(&s, param, (uint32_t)x[0], &bw);
            for (t = 1u; t < n && st == SPK_OK; t++) {
                spk_rice_fixed_encode_one(&s, (uint32_t)x[t], (uint32_t)L[t], &bw);
            }
        } else if (coder == 3) {
            spk_rice_scaled_begin((uint32_t)x[0], &bw);
            for (t = 1u; t < n; t++) {
                spk_rice_scaled_encode_one((uint32_t)x[t], (uint32_t)L[t], ls[t], &bw);
            }
        } else if (coder == 5) {
            static spk_huff_t h;      /* ~10 KB: off the stack */
            st = spk_huff_begin(&h, param, (uint32_t)x[0], &bw);
            for (t = 1u; t < n && st == SPK_OK; t++) {
                spk_huff_encode_one(&h, (uint32_t)x[t], (uint32_t)L[t], &bw);
            }
        } else {
            return (int)SPK_ERR_RANGE;
        }
        if (st == SPK_OK) {
            st = spk_bw_finish(&bw);
        }
        *n_out = bw.pos;
    }
    return (int)st;
}

static int spk_hc_decode(int coder, const uint8_t *payload, uint32_t n_bytes, const int16_t *L,
                         const int32_t *ls, uint32_t n, const int32_t *edges, uint32_t family,
                         int16_t *x, uint32_t binary_search)
{
    uint32_t t;
    if (n == 0u) {
        return (n_bytes == 0u) ? 0 : (int)SPK_ERR_RANGE;
    }
    if (coder == 4) {
        spk_cdf_model_t m;
        spk_rc_dec_t d;
        spk_cdf_init(&m, edges, family);
        spk_rc_dec_init(&d, payload, n_bytes);
        x[0] = (int16_t)spk_rc_decode_first(&d);
        if (binary_search) {
            for (t = 1u; t < n; t++) {
                uint32_t r, c_lo, c_hi, v;
                const int32_t s = spk_cdf_clamp_log2s(ls[t]);
                const uint32_t tg = spk_rc_target(&d, &r);
                v = spk_cdf_find_binary(&m, tg, (uint32_t)L[t], s, &c_lo, &c_hi);
                spk_rc_consume(&d, r, c_lo, c_hi);
                x[t] = (int16_t)v;
            }
        } else {
            for (t = 1u; t < n; t++) {
                x[t] = (int16_t)spk_rc_decode_one(&d, &m, (uint32_t)L[t], ls[t]);
            }
        }
        return (int)spk_rc_dec_finish(&d);
    } else {
        spk_bitreader_t br;
        spk_br_init(&br, payload, n_bytes);
        if (coder == 2) {
            spk_rice_fixed_t s;
            uint32_t x0;
            if (spk_rice_fixed_start(&s, &br, &x0) != SPK_OK) {
                return (int)SPK_ERR_RANGE;
            }
            x[0] = (int16_t)x0;
            for (t = 1u; t < n; t++) {
                x[t] = (int16_t)spk_rice_fixed_decode_one(&s, (uint32_t)L[t], &br);
            }
        } else if (coder == 3) {
            x[0] = (int16_t)spk_br_read(&br, 10u);
            for (t = 1u; t < n; t++) {
                x[t] = (int16_t)spk_rice_scaled_decode_one((uint32_t)L[t], ls[t], &br);
            }
        } else if (coder == 5) {
            static spk_huff_t h;
            spk_status_t st;
            x[0] = (int16_t)spk_huff_start(&h, &br, &st);
            if (st != SPK_OK) {
                return (int)st;
            }
            for (t = 1u; t < n; t++) {
                x[t] = (int16_t)spk_huff_decode_one(&h, (uint32_t)L[t], &br);
            }
        } else {
            return (int)SPK_ERR_RANGE;
        }
        if (spk_br_status(&br) != SPK_OK) {
            return (int)SPK_ERR_OVERRUN;
        }
        /* the zero padding: fewer than 8 bits may be left over */
        return (8u * n_bytes - spk_br_consumed(&br) < 8u) ? 0 : (int)SPK_ERR_RANGE;
    }
}
"""


def build_host_coders(sanitize: bool = False):
    files = {name: (FIRMWARE / "src" / name).read_text() for name in SOURCES}
    for h in ("bitstream.h", "model_cdf.h", "model_cdf_tables.h", "range_coder.h", "rice_coders.h",
              "huffman_prior.h"):
        files[h] = (FIRMWARE / "src" / h).read_text()
    files["host_coders_glue.h"] = GLUE
    return cffi_module.build(files, CDEF, "host_coders_glue.h", include_dirs=[FIRMWARE / "include"],
                             cflags=CFLAGS, sanitize=sanitize)


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
        from spikey.coders import model_cdf
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
