/*
 * event_coder.c - the event coder of event_coder.h (spikey/events/coding.py).
 */
#include "event_coder.h"

#define SPK_EVC_SCALE (SPK_CDF_PBITS - SPK_EVC_PROB_BITS)

/* A bit under the fixed probability p (of a 0), 16 bits. */
static inline void spk_evc_bit(spk_rc_enc_t *e, uint32_t p, uint32_t bit)
{
    const uint32_t bound = p << SPK_EVC_SCALE;
    if (bit) {
        spk_rc_encode_interval(e, bound, SPK_CDF_TOTAL);
    } else {
        spk_rc_encode_interval(e, 0u, bound);
    }
}

/* A bit under an adaptive context, then the context's update (stays in [31, 65505]). */
static inline void spk_evc_model_bit(spk_rc_enc_t *e, uint16_t *ctx, uint32_t bit)
{
    const uint32_t p = *ctx;
    spk_evc_bit(e, p, bit);
    *ctx = (uint16_t)(bit ? p - (p >> SPK_EVC_ADAPT) : p + (((1u << SPK_EVC_PROB_BITS) - p) >> SPK_EVC_ADAPT));
}

void spk_evc_reset(spk_evc_model_t *m, uint32_t frame)
{
    uint32_t i, bits = 1u;
    while (bits < SPK_EVC_OFFSET_BITS_MAX && (1u << bits) < frame) {
        bits++;
    }
    m->offset_bits = bits;
    m->flag[0] = m->flag[1] = (uint16_t)SPK_EVC_HALF;
    for (i = 0u; i < (1u << SPK_EVC_OFFSET_BITS_MAX); i++) {
        m->tree[i] = (uint16_t)SPK_EVC_HALF;
    }
    for (i = 0u; i < SPK_EVC_UNARY_CTX; i++) {
        m->unary[i] = (uint16_t)SPK_EVC_HALF;
    }
    m->prev_sbp = 0;
}

static inline uint32_t spk_evc_ctx(uint32_t i)
{
    return i < SPK_EVC_UNARY_CTX - 1u ? i : SPK_EVC_UNARY_CTX - 1u;
}

void spk_evc_encode_frame(spk_rc_enc_t *e, spk_evc_model_t *m, const uint8_t *offsets, uint32_t n_spikes,
                          const int32_t *sbp, uint32_t n_sbp)
{
    uint32_t i, k;
    for (i = 0u; i < n_spikes; i++) {
        uint32_t node = 1u;
        spk_evc_model_bit(e, &m->flag[i ? 1u : 0u], 1u);
        for (k = m->offset_bits; k-- > 0u;) {
            const uint32_t b = ((uint32_t)offsets[i] >> k) & 1u;
            spk_evc_model_bit(e, &m->tree[node], b);
            node = 2u * node + b;
        }
    }
    spk_evc_model_bit(e, &m->flag[n_spikes ? 1u : 0u], 0u);
    for (i = 0u; i < n_sbp; i++) {
        const int32_t d = sbp[i] - m->prev_sbp;
        const uint32_t v = (d >= 0 ? 2u * (uint32_t)d : 2u * (uint32_t)(-d) - 1u) + 1u;
        uint32_t n = 0u;
        m->prev_sbp = sbp[i];
        while ((v >> (n + 1u)) != 0u) {
            n++;
        }
        for (k = 0u; k < n; k++) {
            spk_evc_model_bit(e, &m->unary[spk_evc_ctx(k)], 1u);
        }
        spk_evc_model_bit(e, &m->unary[spk_evc_ctx(n)], 0u);
        for (k = n; k-- > 0u;) {
            spk_evc_bit(e, SPK_EVC_HALF, (v >> k) & 1u);
        }
    }
}
