/*
 * rice_coders.h - Rice coding of the model residual: fixed k and k from the predicted
 * scale. The exact rule of spikey/coders/rice_coders.py (spec: docs/coders.md §3).
 *
 *   u = zigzag(wrap10(x - L))  in [0, 1024)
 *   codeword: q = u >> k; q < 16: q zeros, a one, the k low bits of u (<= 26 bits);
 *             else 16 zeros and u in 10 bits (26 bits)
 *   rice_fixed : x[0] (10 bits), k (4 bits, 0..10), then every sample with that k
 *   rice_scaled: x[0] (10 bits), then k = min(max(ls + 384, 0), 2560) >> 8 per sample,
 *                ls = log2s_q8 clamped to [-512, 2560]
 * Decoding: bits past the end read as zero; spk_br_status() reports the overrun.
 */
#ifndef SPIKEY_RICE_CODERS_H
#define SPIKEY_RICE_CODERS_H

#include <stdint.h>
#include "spikey_arith.h"
#include "spikey_status.h"
#include "bitstream.h"
#include "model_cdf.h"

#define SPK_RC_RICE_Q_ESCAPE 16u
#define SPK_RC_RICE_RAW_BITS 10u
#define SPK_RC_RICE_K_MAX    10u
#define SPK_RC_RICE_K_OFFSET 384
#define SPK_RC_RICE_MAX_BITS 26u

typedef struct {
    uint32_t k;
} spk_rice_fixed_t;

/* Residual of x against L, zig-zagged: [0, 1024). */
static inline uint32_t spk_resid_u(uint32_t x, uint32_t L)
{
    return spk_zigzag(spk_wrap10((int32_t)x - (int32_t)L));
}

/* The code for a residual u decoded against L: (L + unzigzag(u)) mod 1024. */
static inline uint32_t spk_resid_x(uint32_t u, uint32_t L)
{
    return (uint32_t)((int32_t)L + spk_unzigzag(u)) & 1023u;
}

static inline void spk_rice_put(spk_bitwriter_t *bw, uint32_t u, uint32_t k)
{
    const uint32_t q = u >> k;
    if (q < SPK_RC_RICE_Q_ESCAPE) {
        const uint32_t one = 1u << k;
        const uint32_t len = q + 1u + k;
        const uint32_t value = one | (u & (one - 1u));
        if (len <= SPK_BW_MAX_PUT) {
            spk_bw_put(bw, value, len);
        } else {
            spk_bw_put_long(bw, value, len);
        }
    } else {
        spk_bw_put_long(bw, u, SPK_RC_RICE_MAX_BITS);
    }
}

static inline uint32_t spk_rice_get(spk_bitreader_t *br, uint32_t k)
{
    uint32_t q;
    spk_br_refill(br);
    q = spk_br_count_zeros(br, SPK_RC_RICE_Q_ESCAPE);
    if (q < SPK_RC_RICE_Q_ESCAPE) {
        spk_br_skip(br, q + 1u);
        return (q << k) | spk_br_read(br, k);
    }
    spk_br_skip(br, SPK_RC_RICE_Q_ESCAPE);
    return spk_br_read(br, SPK_RC_RICE_RAW_BITS);
}

/* Rice parameter from the predicted scale: [0, 10]. */
static inline uint32_t spk_rice_k_scaled(int32_t log2s_q8)
{
    const int32_t v = spk_cdf_clamp_log2s(log2s_q8) + SPK_RC_RICE_K_OFFSET;
    return (uint32_t)spk_clamp_s32(v, 0, (int32_t)(SPK_RC_RICE_K_MAX * 256u)) >> 8;
}

/* rice_fixed: header (x0, k). SPK_ERR_RANGE if k > 10 (nothing written). */
spk_status_t spk_rice_fixed_begin(spk_rice_fixed_t *s, uint32_t k, uint32_t x0, spk_bitwriter_t *bw);

static inline void spk_rice_fixed_encode_one(const spk_rice_fixed_t *s, uint32_t x, uint32_t L,
                                             spk_bitwriter_t *bw)
{
    spk_rice_put(bw, spk_resid_u(x, L), s->k);
}

/* Reads the header into *x0 and s->k. SPK_ERR_RANGE if k > 10 (corrupt stream). */
spk_status_t spk_rice_fixed_start(spk_rice_fixed_t *s, spk_bitreader_t *br, uint32_t *x0);

static inline uint32_t spk_rice_fixed_decode_one(const spk_rice_fixed_t *s, uint32_t L, spk_bitreader_t *br)
{
    return spk_resid_x(spk_rice_get(br, s->k), L);
}

static inline void spk_rice_scaled_begin(uint32_t x0, spk_bitwriter_t *bw)
{
    spk_bw_put(bw, x0 & 1023u, SPK_RC_RICE_RAW_BITS);
}

static inline void spk_rice_scaled_encode_one(uint32_t x, uint32_t L, int32_t log2s_q8, spk_bitwriter_t *bw)
{
    spk_rice_put(bw, spk_resid_u(x, L), spk_rice_k_scaled(log2s_q8));
}

static inline uint32_t spk_rice_scaled_decode_one(uint32_t L, int32_t log2s_q8, spk_bitreader_t *br)
{
    return spk_resid_x(spk_rice_get(br, spk_rice_k_scaled(log2s_q8)), L);
}

#endif /* SPIKEY_RICE_CODERS_H */
