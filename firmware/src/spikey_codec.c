/*
 * spikey_codec.c - the learned codec's frame API (see spikey_codec.h).
 */
#include "spikey_codec.h"

void spk_codec_chan_init(spk_codec_chan_t *c, uint32_t param)
{
    c->L = 0;
    c->log2s_q8 = 0;
    c->n = 0u;
    c->param = param;
}

void spk_codec_enc_init(spk_codec_t *k, spk_coder_id_t coder, const spk_cdf_model_t *cdf,
                        spk_huff_t *huff, uint8_t *out, uint32_t cap)
{
    k->coder = coder;
    k->cdf = cdf;
    k->huff = huff;
    k->status = SPK_OK;
    k->started = 0u;
    if (coder == SPK_CODER_RANGE) {
        spk_rc_enc_init(&k->rc_enc, out, cap);
    } else {
        spk_bw_init(&k->bw, out, cap);
    }
}

void spk_codec_dec_init(spk_codec_t *k, spk_coder_id_t coder, const spk_cdf_model_t *cdf,
                        spk_huff_t *huff, const uint8_t *payload, uint32_t n_bytes)
{
    k->coder = coder;
    k->cdf = cdf;
    k->huff = huff;
    k->status = SPK_OK;
    k->started = 0u;
    if (coder == SPK_CODER_RANGE) {
        spk_rc_dec_init(&k->rc_dec, payload, n_bytes);
    } else {
        spk_br_init(&k->br, payload, n_bytes);
    }
}

/* The sample just coded becomes history: the prediction for the channel's next one. */
static inline void spk_codec__advance(spk_codec_chan_t *c, int32_t x)
{
    if (c->n == 0u) {
        spk_pred_reset(&c->pred, x);
    }
    spk_pred_step(&c->pred, x, &c->L, &c->log2s_q8);
    c->n++;
}

static void spk_codec__encode_first(spk_codec_t *k, spk_codec_chan_t *c, uint32_t x)
{
    spk_status_t st = SPK_OK;
    switch (k->coder) {
    case SPK_CODER_RANGE:
        spk_rc_encode_first(&k->rc_enc, x);
        break;
    case SPK_CODER_RICE_SCALED:
        spk_rice_scaled_begin(x, &k->bw);
        break;
    case SPK_CODER_RICE_FIXED:
        st = spk_rice_fixed_begin(&k->rice, c->param, x, &k->bw);
        break;
    case SPK_CODER_HUFFMAN_PRIOR:
        st = spk_huff_begin(k->huff, c->param, x, &k->bw);
        break;
    default:
        st = SPK_ERR_RANGE;
        break;
    }
    if (st != SPK_OK) {
        k->status = st;
    }
}

void spk_codec_encode(spk_codec_t *k, spk_codec_chan_t *c, const int16_t *codes, uint32_t n)
{
    uint32_t i;
    for (i = 0u; i < n; i++) {
        const uint32_t x = (uint32_t)codes[i] & 1023u;
        if (c->n == 0u) {
            spk_codec__encode_first(k, c, x);
        } else if (k->coder == SPK_CODER_RANGE) {
            spk_rc_encode_one(&k->rc_enc, k->cdf, x, (uint32_t)c->L, c->log2s_q8);
        } else if (k->coder == SPK_CODER_RICE_SCALED) {
            spk_rice_scaled_encode_one(x, (uint32_t)c->L, c->log2s_q8, &k->bw);
        } else if (k->coder == SPK_CODER_RICE_FIXED) {
            spk_rice_fixed_encode_one(&k->rice, x, (uint32_t)c->L, &k->bw);
        } else {
            spk_huff_encode_one(k->huff, x, (uint32_t)c->L, &k->bw);
        }
        spk_codec__advance(c, (int32_t)x);
    }
}

static uint32_t spk_codec__decode_first(spk_codec_t *k)
{
    spk_status_t st = SPK_OK;
    uint32_t x = 0u;
    switch (k->coder) {
    case SPK_CODER_RANGE:
        x = k->started ? spk_rc_decode_raw(&k->rc_dec) : spk_rc_decode_first(&k->rc_dec);
        break;
    case SPK_CODER_RICE_SCALED:
        x = spk_br_read(&k->br, SPK_RC_RICE_RAW_BITS);
        break;
    case SPK_CODER_RICE_FIXED:
        st = spk_rice_fixed_start(&k->rice, &k->br, &x);
        break;
    case SPK_CODER_HUFFMAN_PRIOR:
        x = spk_huff_start(k->huff, &k->br, &st);
        break;
    default:
        st = SPK_ERR_RANGE;
        break;
    }
    if (st != SPK_OK) {
        k->status = st;
    }
    k->started = 1u;
    return x & 1023u;
}

void spk_codec_decode(spk_codec_t *k, spk_codec_chan_t *c, int16_t *codes, uint32_t n)
{
    uint32_t i, x;
    for (i = 0u; i < n; i++) {
        if (k->status != SPK_OK) {
            x = 0u;                 /* a refused header: the rest is garbage, reported at finish */
        } else if (c->n == 0u) {
            x = spk_codec__decode_first(k);
        } else if (k->coder == SPK_CODER_RANGE) {
            x = spk_rc_decode_one(&k->rc_dec, k->cdf, (uint32_t)c->L, c->log2s_q8);
        } else if (k->coder == SPK_CODER_RICE_SCALED) {
            x = spk_rice_scaled_decode_one((uint32_t)c->L, c->log2s_q8, &k->br);
        } else if (k->coder == SPK_CODER_RICE_FIXED) {
            x = spk_rice_fixed_decode_one(&k->rice, (uint32_t)c->L, &k->br);
        } else {
            x = spk_huff_decode_one(k->huff, (uint32_t)c->L, &k->br);
        }
        codes[i] = (int16_t)x;
        spk_codec__advance(c, (int32_t)x);
    }
}

spk_status_t spk_codec_enc_finish(spk_codec_t *k, uint32_t *n_bytes)
{
    spk_status_t st;
    if (k->coder == SPK_CODER_RANGE) {
        st = spk_rc_enc_finish(&k->rc_enc);
        *n_bytes = k->rc_enc.pos;
    } else {
        st = spk_bw_finish(&k->bw);
        *n_bytes = k->bw.pos;
    }
    return (k->status != SPK_OK) ? k->status : st;
}

spk_status_t spk_codec_dec_finish(const spk_codec_t *k)
{
    if (k->status != SPK_OK) {
        return k->status;
    }
    if (k->coder == SPK_CODER_RANGE) {
        return spk_rc_dec_finish(&k->rc_dec);
    }
    if (spk_br_status(&k->br) != SPK_OK) {
        return SPK_ERR_OVERRUN;
    }
    /* only the zero padding of the last byte may be left over */
    return (8u * k->br.n_bytes - spk_br_consumed(&k->br) < 8u) ? SPK_OK : SPK_ERR_RANGE;
}
