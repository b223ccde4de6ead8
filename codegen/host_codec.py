"""The learned codec compiled for the host: generated predictor + coders + frame API (cffi).

The firmware C (firmware/src, the generated spk_pred/spk_net sources, the network with the
host's columns kernel: codegen.cgen, spikey_vec.h) is compiled
unchanged with a glue that runs the frame API over whole recordings: ``n_chan`` channels
laid end to end in one int16 array, each channel whole when ``frame`` is 0 (per-file), or,
when ``frame`` > 0, as one joint stream in time-major order through the step driver
(spk_codec_encode_step / spk_codec_decode_step: time step after time step, the channels
that still have a sample in index order; MiddleOut models pass the peers' mean latent).
The frame is only the container's packet size: it does not change the joint stream.
This is the codec's fast path; the Python reference (spikey/learned.py) must produce the
same bytes.
"""
from __future__ import annotations

import numpy as np

from . import cffi_module, cgen_predictor
from .cgen import CSources
from .toolchain import FIRMWARE

SOURCES = ("bitstream.c", "model_cdf.c", "range_coder.c", "rice_coders.c", "huffman_prior.c", "spikey_codec.c")
# The host's own instruction set (AVX2 where it has it: the network's columns kernel,
# spikey_vec.h); -O3 on top of DEFAULT_CFLAGS' -O2 (the later flag wins). Hidden visibility:
# the module exports only its init function (cffi marks it), so the optimiser may inline
# the predictor into the decode loop (about 3 % of the decode time).
CFLAGS = (*cffi_module.DEFAULT_CFLAGS, "-Wconversion", "-Wno-sign-conversion", "-O3", "-march=native", "-flto",
          "-fvisibility=hidden")
LDFLAGS = ("-flto", "-O3", "-march=native")

CDEF = """
int spk_hx_encode(int coder, const int16_t *x, uint32_t n_chan, const uint32_t *n, uint32_t frame,
                  const uint32_t *param, const int32_t *edges, uint32_t family,
                  const int16_t *peers, uint32_t n_peers, uint8_t *out, uint32_t cap, uint32_t *n_out);
int spk_hx_decode(int coder, const uint8_t *payload, uint32_t n_bytes, int16_t *x, uint32_t n_chan,
                  const uint32_t *n, uint32_t frame, const int32_t *edges, uint32_t family,
                  const int16_t *peers, uint32_t n_peers);
""" + cgen_predictor.HOST_GLUE_CDEF

GLUE = r"""
#include <stdlib.h>
#include "spikey_codec.h"
#include "spk_pred_host.h"   /* codegen.cgen_predictor.HOST_GLUE: spk_pred_host_run for predict */

typedef struct {
    spk_codec_chan_t *chan;
    uint32_t *start;
} spk_hx_chans_t;

static int spk_hx_alloc(spk_hx_chans_t *c, uint32_t n_chan, const uint32_t *n, const uint32_t *param)
{
    uint32_t i, at = 0u;
    c->chan = (spk_codec_chan_t *)calloc(n_chan ? n_chan : 1u, sizeof(spk_codec_chan_t));
    c->start = (uint32_t *)calloc(n_chan ? n_chan : 1u, sizeof(uint32_t));
    if (!c->chan || !c->start)
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
}

/* Per-file (frame 0): each channel whole, one after another, encoding from or decoding
 * into x, where channel i starts at c->start[i]. */
static void spk_hx_files(spk_codec_t *k, spk_hx_chans_t *c, uint32_t n_chan, const uint32_t *n,
                         int16_t *x, int decode)
{
    uint32_t i;
    for (i = 0u; i < n_chan; i++) {
        if (decode)
            spk_codec_decode(k, &c->chan[i], x + c->start[i], n[i]);
        else
            spk_codec_encode(k, &c->chan[i], x + c->start[i], n[i]);
    }
}

/* Joint (frame > 0): time-major through the step driver; x_t / active of each step gathered
 * from (scattered into) x. Returns 0 if out of memory. */
static int spk_hx_steps(spk_codec_t *k, spk_hx_chans_t *c, uint32_t n_chan, const uint32_t *n,
                        int16_t *x, const int16_t *peers, uint32_t n_peers, int decode)
{
    int16_t *x_t = (int16_t *)calloc(n_chan ? n_chan : 1u, sizeof(int16_t));
    uint8_t *active = (uint8_t *)calloc(n_chan ? n_chan : 1u, 1u);
    uint32_t i, t, steps = 0u;
    if (!x_t || !active) {
        free(x_t);
        free(active);
        return 0;
    }
    for (i = 0u; i < n_chan; i++)
        steps = n[i] > steps ? n[i] : steps;
    for (t = 0u; t < steps; t++) {
        for (i = 0u; i < n_chan; i++) {
            active[i] = (uint8_t)(t < n[i]);
            x_t[i] = (active[i] && !decode) ? x[c->start[i] + t] : (int16_t)0;
        }
        if (decode) {
            spk_codec_decode_step(k, c->chan, n_chan, x_t, active, peers, n_peers);
            for (i = 0u; i < n_chan; i++)
                if (active[i])
                    x[c->start[i] + t] = x_t[i];
        } else {
            spk_codec_encode_step(k, c->chan, n_chan, x_t, active, peers, n_peers);
        }
    }
    free(x_t);
    free(active);
    return 1;
}

static int spk_hx_run(spk_codec_t *k, spk_hx_chans_t *c, uint32_t n_chan, const uint32_t *n, uint32_t frame,
                      int16_t *x, const int16_t *peers, uint32_t n_peers, int decode)
{
    if (frame == 0u) {
        spk_hx_files(k, c, n_chan, n, x, decode);
        return 1;
    }
    return spk_hx_steps(k, c, n_chan, n, x, peers, n_peers, decode);
}

static int spk_hx_encode(int coder, const int16_t *x, uint32_t n_chan, const uint32_t *n, uint32_t frame,
                         const uint32_t *param, const int32_t *edges, uint32_t family,
                         const int16_t *peers, uint32_t n_peers, uint8_t *out, uint32_t cap, uint32_t *n_out)
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
    if (!spk_hx_run(&k, &c, n_chan, n, frame, (int16_t *)x, peers, n_peers, 0)) {   /* encoding only reads x */
        spk_hx_free(&c);
        return -1;
    }
    st = spk_codec_enc_finish(&k, n_out);
    spk_hx_free(&c);
    return (int)st;
}

static int spk_hx_decode(int coder, const uint8_t *payload, uint32_t n_bytes, int16_t *x, uint32_t n_chan,
                         const uint32_t *n, uint32_t frame, const int32_t *edges, uint32_t family,
                         const int16_t *peers, uint32_t n_peers)
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
    if (!spk_hx_run(&k, &c, n_chan, n, frame, x, peers, n_peers, 1)) {
        spk_hx_free(&c);
        return -1;
    }
    st = spk_codec_dec_finish(&k);
    spk_hx_free(&c);
    return (int)st;
}
"""


class HostCodec:
    """The learned codec of one generated predictor, as host C."""

    def __init__(self, predictor_sources: CSources, sanitize: bool = False):
        """sanitize: UBSan (abort on any undefined behaviour), for the tests."""
        files = dict(predictor_sources.files)
        files.update({name: (FIRMWARE / "src" / name).read_text() for name in SOURCES})
        files["spk_pred_host.h"] = cgen_predictor.HOST_GLUE
        files["spk_hx_glue.h"] = GLUE
        self.module = cffi_module.build(files, CDEF, "spk_hx_glue.h",
                                        include_dirs=[*predictor_sources.include_dirs, FIRMWARE / "include",
                                                      FIRMWARE / "src"], cflags=CFLAGS, ldflags=LDFLAGS,
                                        sanitize=sanitize)
        self.ffi, self.lib = self.module.ffi, self.module.lib

    def _u32(self, values):
        a = np.ascontiguousarray(values, dtype=np.uint32)
        return a, self.ffi.from_buffer("uint32_t[]", a)

    def predict(self, codes) -> tuple[np.ndarray, np.ndarray]:
        """(L, log2s_q8) int64: row t predicts x[t+1] (as codegen.predictor.Predictor.predict)."""
        return cgen_predictor.predict_codes(self.ffi, self.lib, codes)

    def _peers(self, peers, n_chan: int):
        """(array, cdata, K) of the peers (n_chan, K) as int16 (-1 = none); K = 0 for None."""
        p = np.zeros((n_chan, 0), np.int64) if peers is None else np.asarray(peers, dtype=np.int64).reshape(n_chan, -1)
        if p.size and (p.min() < -1 or p.max() >= n_chan):
            raise ValueError(f"peers must be channel indices in [0, {n_chan}) or -1")
        a = np.ascontiguousarray(p if p.size else np.zeros(1), dtype=np.int16)
        return a, self.ffi.from_buffer("int16_t[]", a), p.shape[1]

    def encode(self, coder_id: int, channels: list, frame: int, params, edges, family: int,
               peers=None) -> tuple[int, bytes]:
        """Code the channels' codes into one payload; returns (status, payload).

        frame 0: per-file (each channel whole); frame > 0: one joint stream, time-major; peers
        (channels, K) int (-1 = none) or None: the MiddleOut peers (ignored without MiddleOut)."""
        x = np.ascontiguousarray(np.concatenate(channels) if channels else np.zeros(0), dtype=np.int16)
        n, n_p = self._u32([len(c) for c in channels])
        p, p_p = self._u32(params)
        e = np.ascontiguousarray(edges, dtype=np.int32)
        cap = 4 * len(x) + 64 * len(channels) + 64
        out = np.zeros(cap, np.uint8)
        n_out = self.ffi.new("uint32_t *")
        pa, pc, k = self._peers(peers, len(channels))
        st = self.lib.spk_hx_encode(coder_id, self.ffi.from_buffer("int16_t[]", x), len(channels), n_p, frame, p_p,
                                    self.ffi.from_buffer("int32_t[]", e), family, pc, k,
                                    self.ffi.from_buffer("uint8_t[]", out), cap, n_out)
        return st, out[:n_out[0]].tobytes()

    def decode(self, coder_id: int, payload: bytes, lengths: list, frame: int, edges, family: int, peers=None):
        """(status, [codes per channel]) decoded from the payload (frame and peers as for encode)."""
        x = np.zeros(sum(lengths), np.int16)
        n, n_p = self._u32(lengths)
        e = np.ascontiguousarray(edges, dtype=np.int32)
        buf = np.frombuffer(payload, np.uint8) if payload else np.zeros(1, np.uint8)
        pa, pc, k = self._peers(peers, len(lengths))
        st = self.lib.spk_hx_decode(coder_id, self.ffi.from_buffer("uint8_t[]", buf), len(payload),
                                    self.ffi.from_buffer("int16_t[]", x), len(lengths), n_p, frame,
                                    self.ffi.from_buffer("int32_t[]", e), family, pc, k)
        return st, np.split(x, np.cumsum(lengths)[:-1]) if lengths else []
