/*
 * spk_host_codec.c - the frame API over whole recordings on the host, in bounded chunks
 * (spk_host_codec.h). Host only: the session (coder state, per-channel state, the prior
 * Huffman tables) is allocated with calloc; the codec itself allocates nothing.
 */
#include <stdlib.h>
#include "spk_host_codec.h"
#include "spk_codec.h"

struct spk_hx_s {
    spk_codec_t k;
    spk_cdf_model_t cdf;
    spk_huff_t huff;
    spk_codec_chan_t *chan;
    int16_t *x_t;           /* joint: one time step's codes */
    uint8_t *active;        /* joint: which channels have a sample at this step */
    const uint32_t *n;
    const int16_t *peers;
    uint32_t n_chan, frame, n_peers, steps;
    uint32_t at_chan, at;   /* the next code: frame 0: channel at_chan, its code at; joint: step at */
    int decode;
};

static spk_hx_t *spk_hx_alloc(uint32_t n_chan, const uint32_t *n, uint32_t frame, const uint32_t *param,
                              const int32_t *edges, uint32_t family, const int16_t *peers, uint32_t n_peers,
                              int decode)
{
    const uint32_t m = n_chan ? n_chan : 1u;
    uint32_t i;
    spk_hx_t *s = (spk_hx_t *)calloc(1u, sizeof(spk_hx_t));
    if (!s)
        return 0;
    s->chan = (spk_codec_chan_t *)calloc(m, sizeof(spk_codec_chan_t));
    s->x_t = (int16_t *)calloc(m, sizeof(int16_t));
    s->active = (uint8_t *)calloc(m, 1u);
    if (!s->chan || !s->x_t || !s->active) {
        spk_hx_close(s);
        return 0;
    }
    for (i = 0u; i < n_chan; i++) {
        spk_codec_chan_init(&s->chan[i], param ? param[i] : 0u);
        s->steps = n[i] > s->steps ? n[i] : s->steps;
    }
    spk_cdf_init(&s->cdf, edges, family);
    s->n = n;
    s->peers = peers;
    s->n_chan = n_chan;
    s->frame = frame;
    s->n_peers = n_peers;
    s->decode = decode;
    return s;
}

spk_hx_t *spk_hx_enc_open(int coder, uint32_t n_chan, const uint32_t *n, uint32_t frame, const uint32_t *param,
                          const int32_t *edges, uint32_t family, uint32_t max_error, const int16_t *peers,
                          uint32_t n_peers, uint8_t *out, uint32_t cap)
{
    spk_hx_t *s = spk_hx_alloc(n_chan, n, frame, param, edges, family, peers, n_peers, 0);
    if (s) {
        spk_codec_enc_init(&s->k, (spk_coder_id_t)coder, &s->cdf, &s->huff, out, cap);
        spk_codec_set_max_error(&s->k, max_error);
    }
    return s;
}

spk_hx_t *spk_hx_dec_open(int coder, const uint8_t *payload, uint32_t n_bytes, uint32_t n_chan,
                          const uint32_t *n, uint32_t frame, const int32_t *edges, uint32_t family,
                          uint32_t max_error, const int16_t *peers, uint32_t n_peers)
{
    spk_hx_t *s = spk_hx_alloc(n_chan, n, frame, 0, edges, family, peers, n_peers, 1);
    if (s) {
        spk_codec_dec_init(&s->k, (spk_coder_id_t)coder, &s->cdf, &s->huff, payload, n_bytes);
        spk_codec_set_max_error(&s->k, max_error);
    }
    return s;
}

/* Per-file (frame 0): up to max_units codes, channel after channel, from / into x. */
static uint32_t spk_hx_run_files(spk_hx_t *s, int16_t *x, uint32_t max_units)
{
    uint32_t done = 0u;
    while (done < max_units && s->at_chan < s->n_chan) {
        const uint32_t left = s->n[s->at_chan] - s->at;
        const uint32_t m = left < max_units - done ? left : max_units - done;
        if (s->decode)
            spk_codec_decode(&s->k, &s->chan[s->at_chan], x + done, m);
        else
            spk_codec_encode(&s->k, &s->chan[s->at_chan], x + done, m);
        done += m;
        s->at += m;
        if (s->at == s->n[s->at_chan]) {
            s->at_chan++;
            s->at = 0u;
        }
    }
    return done;
}

/* Joint (frame > 0): up to max_units time steps; x holds n_chan codes per step. */
static uint32_t spk_hx_run_steps(spk_hx_t *s, int16_t *x, uint32_t max_units)
{
    uint32_t done = 0u, i;
    for (; done < max_units && s->at < s->steps; done++, s->at++) {
        int16_t *row = x + (size_t)done * s->n_chan;
        for (i = 0u; i < s->n_chan; i++) {
            s->active[i] = (uint8_t)(s->at < s->n[i]);
            s->x_t[i] = (s->active[i] && !s->decode) ? row[i] : (int16_t)0;
        }
        if (s->decode) {
            spk_codec_decode_step(&s->k, s->chan, s->n_chan, s->x_t, s->active, s->peers, s->n_peers);
            for (i = 0u; i < s->n_chan; i++)
                row[i] = s->active[i] ? s->x_t[i] : (int16_t)0;
        } else {
            spk_codec_encode_step(&s->k, s->chan, s->n_chan, s->x_t, s->active, s->peers, s->n_peers);
        }
    }
    return done;
}

uint32_t spk_hx_run(spk_hx_t *s, int16_t *x, uint32_t max_units)
{
    return s->frame == 0u ? spk_hx_run_files(s, x, max_units) : spk_hx_run_steps(s, x, max_units);
}

int spk_hx_status(const spk_hx_t *s)
{
    const spk_codec_t *k = &s->k;
    if (k->status != SPK_OK)
        return (int)k->status;
    if (s->decode)
        return (int)(k->coder == SPK_CODER_RANGE ? spk_rc_dec_status(&k->rc_dec) : spk_br_status(&k->br));
    return (int)((k->coder == SPK_CODER_RANGE ? k->rc_enc.overflow : k->bw.overflow) ? SPK_ERR_OVERFLOW : SPK_OK);
}

int spk_hx_finish(spk_hx_t *s, uint32_t *n_out)
{
    if (s->decode)
        return (int)spk_codec_dec_finish(&s->k);
    return (int)spk_codec_enc_finish(&s->k, n_out);
}

void spk_hx_close(spk_hx_t *s)
{
    if (!s)
        return;
    free(s->chan);
    free(s->x_t);
    free(s->active);
    free(s);
}
