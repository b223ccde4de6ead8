/*
 * spikey_codec.c - the learned codec's frame API (see spikey_codec.h).
 */
#include "spikey_codec.h"
#include "spikey_arith.h"
#include "spikey_fixed.h"

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
        c->param = (c->param <= SPK_RC_RICE_K_MAX) ? c->param : 0u;   /* refused: status set */
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

/* Code x (10 bits) of channel c under its prediction; its first sample by the first rule.
 * rice_fixed uses the channel's own k (c->param, in [0, 10] once its first sample is coded). */
static inline void spk_codec__encode_one(spk_codec_t *k, spk_codec_chan_t *c, uint32_t x)
{
    if (c->n == 0u) {
        spk_codec__encode_first(k, c, x);
    } else if (k->coder == SPK_CODER_RANGE) {
        spk_rc_encode_one(&k->rc_enc, k->cdf, x, (uint32_t)c->L, c->log2s_q8);
    } else if (k->coder == SPK_CODER_RICE_SCALED) {
        spk_rice_scaled_encode_one(x, (uint32_t)c->L, c->log2s_q8, &k->bw);
    } else if (k->coder == SPK_CODER_RICE_FIXED) {
        const spk_rice_fixed_t r = { c->param };
        spk_rice_fixed_encode_one(&r, x, (uint32_t)c->L, &k->bw);
    } else {
        spk_huff_encode_one(k->huff, x, (uint32_t)c->L, &k->bw);
    }
}

void spk_codec_encode(spk_codec_t *k, spk_codec_chan_t *c, const int16_t *codes, uint32_t n)
{
    uint32_t i;
    for (i = 0u; i < n; i++) {
        const uint32_t x = (uint32_t)codes[i] & 1023u;
        spk_codec__encode_one(k, c, x);
        spk_codec__advance(c, (int32_t)x);
    }
}

static uint32_t spk_codec__decode_first(spk_codec_t *k, spk_codec_chan_t *c)
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
        c->param = k->rice.k;   /* in [0, 10] */
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

/* Decode channel c's next code under its prediction (its first sample by the first rule). */
static inline uint32_t spk_codec__decode_one(spk_codec_t *k, spk_codec_chan_t *c)
{
    if (k->status != SPK_OK) {
        return 0u;                  /* a refused header: the rest is garbage, reported at finish */
    }
    if (c->n == 0u) {
        return spk_codec__decode_first(k, c);
    }
    if (k->coder == SPK_CODER_RANGE) {
        return spk_rc_decode_one(&k->rc_dec, k->cdf, (uint32_t)c->L, c->log2s_q8);
    }
    if (k->coder == SPK_CODER_RICE_SCALED) {
        return spk_rice_scaled_decode_one((uint32_t)c->L, c->log2s_q8, &k->br);
    }
    if (k->coder == SPK_CODER_RICE_FIXED) {
        const spk_rice_fixed_t r = { c->param };
        return spk_rice_fixed_decode_one(&r, (uint32_t)c->L, &k->br);
    }
    return spk_huff_decode_one(k->huff, (uint32_t)c->L, &k->br);
}

void spk_codec_decode(spk_codec_t *k, spk_codec_chan_t *c, int16_t *codes, uint32_t n)
{
    uint32_t i, x;
    for (i = 0u; i < n; i++) {
        x = spk_codec__decode_one(k, c);
        codes[i] = (int16_t)x;
        spk_codec__advance(c, (int32_t)x);
    }
}

/* --- joint streams: one time step of every channel ------------------------------------------ */

#if SPK_PRED_MIDDLEOUT
/* The MiddleOut peer mean of channel c (codegen.predictor.peer_mean); peers is n_chan x K,
 * K = n_peers slots (as in training, a slot whose peer is -1 or has ended counts as zeros):
 *   P = { p = peers[c][j] : j < K, 0 <= p < n_chan, active[p] }
 *   m[i] = floor((2 S_i + K) / (2 K)),  S_i = sum_{p in P} z_p[i]   (round half up);  0 if K = 0.
 * When 2K is a power of two (K = 1, 2, 4, ...) the floor division is the arithmetic right
 * shift by log2(2K) (spikey_fixed.h asserts arithmetic shifts of negative values); else C's
 * division (toward zero) stepped down by one where it rounded a negative quotient up.
 * Scaling: z and m are q * 2^-SPK_PRED_LATENT_FRAC (peer_mean has the latent's format).
 * Range: |z| <= 2^15, so |2 S_i + K| <= K (2^16 + 1) < 2^31 for K <= SPK_CODEC_MAX_PEERS:
 * exact in int32; m[i] lies between min(0, min z_p[i]) and max(0, max z_p[i]): it fits int16. */
static inline void spk_codec__peer_mean(const spk_codec_chan_t *ch, uint32_t n_chan, const uint8_t *active,
                                        const int16_t *peers, uint32_t n_peers, uint32_t c, int16_t *m)
{
    int32_t S[SPK_PRED_LATENT];
    const int32_t K = (int32_t)n_peers;
    const uint32_t two_k = 2u * n_peers;
    uint32_t i, j;
    if (n_peers == 0u) {
        for (i = 0u; i < SPK_PRED_LATENT; i++) {
            m[i] = 0;
        }
        return;
    }
    SPK_UNROLL
    for (i = 0u; i < SPK_PRED_LATENT; i++) {
        S[i] = K;                   /* accumulates 2 S_i + K */
    }
    for (j = 0u; j < n_peers; j++) {
        const int32_t p = peers[c * n_peers + j];
        if (p >= 0 && (uint32_t)p < n_chan && active[p]) {
            const int16_t *z = ch[p].z;
            SPK_UNROLL
            for (i = 0u; i < SPK_PRED_LATENT; i++) {
                S[i] += 2 * (int32_t)z[i];
            }
        }
    }
    if ((two_k & (two_k - 1u)) == 0u) {
        const uint32_t sh = spk_floor_log2_u32(two_k);
        SPK_UNROLL
        for (i = 0u; i < SPK_PRED_LATENT; i++) {
            m[i] = (int16_t)(S[i] >> sh);
        }
    } else {
        for (i = 0u; i < SPK_PRED_LATENT; i++) {
            const int32_t q = S[i] / (int32_t)two_k;   /* |q * 2K| <= |S[i]|: no overflow */
            m[i] = (int16_t)((q * (int32_t)two_k > S[i]) ? q - 1 : q);
        }
    }
}
#endif

/* After x_t[c] of every active c is coded: advance every active channel to the prediction
 * of its next sample (MiddleOut: all latents first, then each head with its peer mean). */
static void spk_codec__advance_step(spk_codec_chan_t *ch, uint32_t n_chan, const int16_t *x_t,
                                    const uint8_t *active, const int16_t *peers, uint32_t n_peers)
{
    uint32_t c;
#if SPK_PRED_MIDDLEOUT
    int16_t u[SPK_PRED_U_ALLOC];    /* network input of one channel, q * 2^-f_in */
    int16_t m[SPK_PRED_LATENT];     /* peer mean of one channel, the latent's format */
    for (c = 0u; c < n_chan; c++) {
        if (active[c]) {
            const int32_t x = (int32_t)((uint32_t)x_t[c] & 1023u);
            if (ch[c].n == 0u) {
                spk_pred_reset(&ch[c].pred, x);
            }
            ch[c].sh = spk_pred_input(&ch[c].pred, x, u);
            spk_pred_latent(&ch[c].pred, u, ch[c].z);
        }
    }
    for (c = 0u; c < n_chan; c++) {
        if (active[c]) {
            const int32_t x = (int32_t)((uint32_t)x_t[c] & 1023u);
            spk_codec__peer_mean(ch, n_chan, active, peers, n_peers, c, m);
            spk_pred_head(&ch[c].pred, x, ch[c].sh, ch[c].z, m, &ch[c].L, &ch[c].log2s_q8);
            ch[c].n++;
        }
    }
#else
    (void)peers;
    (void)n_peers;
    for (c = 0u; c < n_chan; c++) {
        if (active[c]) {
            spk_codec__advance(&ch[c], (int32_t)((uint32_t)x_t[c] & 1023u));
        }
    }
#endif
}

/* A joint step this coder cannot take: sticky SPK_ERR_RANGE. */
static int spk_codec__step_refused(spk_codec_t *k, uint32_t n_chan, uint32_t n_peers)
{
    if ((k->coder == SPK_CODER_HUFFMAN_PRIOR && n_chan > 1u) || n_peers > SPK_CODEC_MAX_PEERS) {
        k->status = SPK_ERR_RANGE;
    }
    return k->status != SPK_OK;
}

void spk_codec_encode_step(spk_codec_t *k, spk_codec_chan_t *ch, uint32_t n_chan, const int16_t *x_t,
                           const uint8_t *active, const int16_t *peers, uint32_t n_peers)
{
    uint32_t c;
    if (spk_codec__step_refused(k, n_chan, n_peers)) {
        return;
    }
    for (c = 0u; c < n_chan; c++) {
        if (active[c]) {
            spk_codec__encode_one(k, &ch[c], (uint32_t)x_t[c] & 1023u);
        }
    }
    spk_codec__advance_step(ch, n_chan, x_t, active, peers, n_peers);
}

void spk_codec_decode_step(spk_codec_t *k, spk_codec_chan_t *ch, uint32_t n_chan, int16_t *x_t,
                           const uint8_t *active, const int16_t *peers, uint32_t n_peers)
{
    uint32_t c;
    (void)spk_codec__step_refused(k, n_chan, n_peers);   /* refused: decodes zeros, reported at finish */
    for (c = 0u; c < n_chan; c++) {
        if (active[c]) {
            x_t[c] = (int16_t)spk_codec__decode_one(k, &ch[c]);
        }
    }
    spk_codec__advance_step(ch, n_chan, x_t, active, peers, n_peers);
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
