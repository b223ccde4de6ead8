/*
 * spk_host_codec.c - the frame API over whole recordings on the host (spk_host_codec.h).
 * Host only: the per-channel state is allocated with calloc; the codec itself allocates nothing.
 */
#include <stdlib.h>
#include "spk_host_codec.h"
#include "spk_codec.h"

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

int spk_hx_encode(int coder, const int16_t *x, uint32_t n_chan, const uint32_t *n, uint32_t frame,
                  const uint32_t *param, const int32_t *edges, uint32_t family, uint32_t max_error,
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
    spk_codec_set_max_error(&k, max_error);
    if (!spk_hx_run(&k, &c, n_chan, n, frame, (int16_t *)x, peers, n_peers, 0)) {   /* encoding only reads x */
        spk_hx_free(&c);
        return -1;
    }
    st = spk_codec_enc_finish(&k, n_out);
    spk_hx_free(&c);
    return (int)st;
}

int spk_hx_decode(int coder, const uint8_t *payload, uint32_t n_bytes, int16_t *x, uint32_t n_chan,
                  const uint32_t *n, uint32_t frame, const int32_t *edges, uint32_t family, uint32_t max_error,
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
    spk_codec_set_max_error(&k, max_error);
    if (!spk_hx_run(&k, &c, n_chan, n, frame, x, peers, n_peers, 1)) {
        spk_hx_free(&c);
        return -1;
    }
    st = spk_codec_dec_finish(&k);
    spk_hx_free(&c);
    return (int)st;
}
