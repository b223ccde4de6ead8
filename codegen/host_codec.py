"""The learned codec compiled for the host: generated predictor + coders + frame API (cffi).

The firmware C (firmware/src, the generated spk_pred/spk_net sources, the network with the
host's columns kernel: codegen.cgen, spikey_vec.h) is compiled
unchanged with a glue that runs the frame API over whole recordings: ``n_chan`` channels
laid end to end in one int16 array, coded frame by frame (``frame`` samples per channel,
the channels of a frame one after another), or each channel whole when ``frame`` is 0.
This is the codec's fast path; the Python reference (spikey/learned.py) must produce the
same bytes.
"""
from __future__ import annotations

import numpy as np

from . import cffi_module
from .cgen import CSources
from .toolchain import FIRMWARE

SOURCES = ("bitstream.c", "model_cdf.c", "range_coder.c", "rice_coders.c", "huffman_prior.c", "spikey_codec.c")
# The host's own instruction set (AVX2 where it has it: the network's columns kernel,
# spikey_vec.h); -O3 on top of DEFAULT_CFLAGS' -O2 (the later flag wins).
CFLAGS = (*cffi_module.DEFAULT_CFLAGS, "-Wconversion", "-Wno-sign-conversion", "-O3", "-march=native")

CDEF = """
int spk_hx_encode(int coder, const int16_t *x, uint32_t n_chan, const uint32_t *n, uint32_t frame,
                  const uint32_t *param, const int32_t *edges, uint32_t family,
                  uint8_t *out, uint32_t cap, uint32_t *n_out);
int spk_hx_decode(int coder, const uint8_t *payload, uint32_t n_bytes, int16_t *x, uint32_t n_chan,
                  const uint32_t *n, uint32_t frame, const int32_t *edges, uint32_t family);
void spk_hx_predict(const int16_t *x, uint32_t n, int32_t *L, int32_t *ls);
"""

GLUE = r"""
#include <stdlib.h>
#include "spikey_codec.h"

typedef struct {
    spk_codec_chan_t *chan;
    uint32_t *start, *done;
} spk_hx_chans_t;

static int spk_hx_alloc(spk_hx_chans_t *c, uint32_t n_chan, const uint32_t *n, const uint32_t *param)
{
    uint32_t i, at = 0u;
    c->chan = (spk_codec_chan_t *)calloc(n_chan ? n_chan : 1u, sizeof(spk_codec_chan_t));
    c->start = (uint32_t *)calloc(n_chan ? n_chan : 1u, sizeof(uint32_t));
    c->done = (uint32_t *)calloc(n_chan ? n_chan : 1u, sizeof(uint32_t));
    if (!c->chan || !c->start || !c->done)
        return 0;
    for (i = 0u; i < n_chan; i++) {
        spk_codec_chan_init(&c->chan[i], param ? param[i] : 0u);
        c->start[i] = at;
        at += n[i];
    }
    return 1;
}

static void spk_hx_free(spk_hx_chans_t *c)
{
    free(c->chan);
    free(c->start);
    free(c->done);
}

/* The next frame of channel i: its length (0 when the channel is done). */
static uint32_t spk_hx_next(const spk_hx_chans_t *c, uint32_t i, const uint32_t *n, uint32_t frame)
{
    const uint32_t left = n[i] - c->done[i];
    return (frame == 0u || left < frame) ? left : frame;
}

/* Visit the channels frame by frame, channel by channel (each whole when frame is 0),
 * encoding from or decoding into x, where channel i starts at c->start[i]. */
static void spk_hx_frames(spk_codec_t *k, spk_hx_chans_t *c, uint32_t n_chan, const uint32_t *n,
                          uint32_t frame, int16_t *x, int decode)
{
    uint32_t i, busy = 1u;
    while (busy) {
        busy = 0u;
        for (i = 0u; i < n_chan; i++) {
            const uint32_t len = spk_hx_next(c, i, n, frame);
            int16_t *at = x + c->start[i] + c->done[i];
            if (len) {
                if (decode)
                    spk_codec_decode(k, &c->chan[i], at, len);
                else
                    spk_codec_encode(k, &c->chan[i], at, len);
                c->done[i] += len;
                busy = 1u;
            }
        }
    }
}

static int spk_hx_encode(int coder, const int16_t *x, uint32_t n_chan, const uint32_t *n, uint32_t frame,
                         const uint32_t *param, const int32_t *edges, uint32_t family,
                         uint8_t *out, uint32_t cap, uint32_t *n_out)
{
    static spk_huff_t huff;
    spk_cdf_model_t cdf;
    spk_codec_t k;
    spk_hx_chans_t c;
    spk_status_t st;
    if (!spk_hx_alloc(&c, n_chan, n, param)) {
        spk_hx_free(&c);
        return -1;
    }
    spk_cdf_init(&cdf, edges, family);
    spk_codec_enc_init(&k, (spk_coder_id_t)coder, &cdf, &huff, out, cap);
    spk_hx_frames(&k, &c, n_chan, n, frame, (int16_t *)x, 0);   /* encoding only reads x */
    st = spk_codec_enc_finish(&k, n_out);
    spk_hx_free(&c);
    return (int)st;
}

static int spk_hx_decode(int coder, const uint8_t *payload, uint32_t n_bytes, int16_t *x, uint32_t n_chan,
                         const uint32_t *n, uint32_t frame, const int32_t *edges, uint32_t family)
{
    static spk_huff_t huff;
    spk_cdf_model_t cdf;
    spk_codec_t k;
    spk_hx_chans_t c;
    spk_status_t st;
    if (!spk_hx_alloc(&c, n_chan, n, 0)) {
        spk_hx_free(&c);
        return -1;
    }
    spk_cdf_init(&cdf, edges, family);
    spk_codec_dec_init(&k, (spk_coder_id_t)coder, &cdf, &huff, payload, n_bytes);
    spk_hx_frames(&k, &c, n_chan, n, frame, x, 1);
    st = spk_codec_dec_finish(&k);
    spk_hx_free(&c);
    return (int)st;
}

static void spk_hx_predict(const int16_t *x, uint32_t n, int32_t *L, int32_t *ls)
{
    spk_pred_state_t s;
    uint32_t t;
    if (n == 0u)
        return;
    spk_pred_reset(&s, x[0]);
    for (t = 0u; t < n; t++)
        spk_pred_step(&s, x[t], &L[t], &ls[t]);
}
"""


class HostCodec:
    """The learned codec of one generated predictor, as host C."""

    def __init__(self, predictor_sources: CSources):
        files = dict(predictor_sources.files)
        files.update({name: (FIRMWARE / "src" / name).read_text() for name in SOURCES})
        files["spk_hx_glue.h"] = GLUE
        self.module = cffi_module.build(files, CDEF, "spk_hx_glue.h",
                                        include_dirs=[*predictor_sources.include_dirs, FIRMWARE / "include",
                                                      FIRMWARE / "src"], cflags=CFLAGS)
        self.ffi, self.lib = self.module.ffi, self.module.lib

    def _u32(self, values):
        a = np.ascontiguousarray(values, dtype=np.uint32)
        return a, self.ffi.from_buffer("uint32_t[]", a)

    def predict(self, codes) -> tuple[np.ndarray, np.ndarray]:
        """(L, log2s_q8) int64: row t predicts x[t+1] (as codegen.predictor.Predictor.predict)."""
        x = np.ascontiguousarray(codes, dtype=np.int16)
        L = np.zeros(len(x), np.int32)
        ls = np.zeros(len(x), np.int32)
        self.lib.spk_hx_predict(self.ffi.from_buffer("int16_t[]", x), len(x),
                                self.ffi.from_buffer("int32_t[]", L), self.ffi.from_buffer("int32_t[]", ls))
        return L.astype(np.int64), ls.astype(np.int64)

    def encode(self, coder_id: int, channels: list, frame: int, params, edges, family: int) -> tuple[int, bytes]:
        """Code the channels' codes into one payload; returns (status, payload)."""
        x = np.ascontiguousarray(np.concatenate(channels) if channels else np.zeros(0), dtype=np.int16)
        n, n_p = self._u32([len(c) for c in channels])
        p, p_p = self._u32(params)
        e = np.ascontiguousarray(edges, dtype=np.int32)
        cap = 4 * len(x) + 64 * len(channels) + 64
        out = np.zeros(cap, np.uint8)
        n_out = self.ffi.new("uint32_t *")
        st = self.lib.spk_hx_encode(coder_id, self.ffi.from_buffer("int16_t[]", x), len(channels), n_p, frame, p_p,
                                    self.ffi.from_buffer("int32_t[]", e), family,
                                    self.ffi.from_buffer("uint8_t[]", out), cap, n_out)
        return st, out[:n_out[0]].tobytes()

    def decode(self, coder_id: int, payload: bytes, lengths: list, frame: int, edges, family: int):
        """(status, [codes per channel]) decoded from the payload."""
        x = np.zeros(sum(lengths), np.int16)
        n, n_p = self._u32(lengths)
        e = np.ascontiguousarray(edges, dtype=np.int32)
        buf = np.frombuffer(payload, np.uint8) if payload else np.zeros(1, np.uint8)
        st = self.lib.spk_hx_decode(coder_id, self.ffi.from_buffer("uint8_t[]", buf), len(payload),
                                    self.ffi.from_buffer("int16_t[]", x), len(lengths), n_p, frame,
                                    self.ffi.from_buffer("int32_t[]", e), family)
        return st, np.split(x, np.cumsum(lengths)[:-1]) if lengths else []
