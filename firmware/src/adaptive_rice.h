/*
 * adaptive_rice.h - adaptive Rice coding of integers in [0, 1024).
 *
 * The exact rule of spikey/coders/adaptive_rice.py. One uint32 of state per channel:
 *
 *     k = clamp(floor(log2(m >> SHIFT)), 0, K_MAX)      (k = 0 while m >> SHIFT < 2)
 *     code u with parameter k
 *     m = m + u - (m >> SHIFT)                          (m starts at M0)
 *
 * Codeword for u: q = u >> k. If q < Q_ESCAPE: q zeros, a one, the k low bits of u
 * (at most 15 + 1 + 10 = 26 bits). Otherwise Q_ESCAPE zeros then u in RAW_BITS bits
 * (26 bits).
 *
 * Scaling: m is the running mean of u in Q7 (m >> 7 ~ mean of the last ~128 values).
 * Overflow: with u < 2^10, m < 2^7 * 2^10 + 2^7 < 2^18, so uint32 never wraps.
 *
 * The per-value functions are static inline (the frame loop in baseline.c inlines
 * them); adaptive_rice.c holds the out-of-line, range-checked versions.
 */
#ifndef SPIKEY_ADAPTIVE_RICE_H
#define SPIKEY_ADAPTIVE_RICE_H

#include <stdint.h>
#include "spikey_arith.h"
#include "spikey_status.h"
#include "bitstream.h"

#define SPK_RICE_SHIFT    7u
#define SPK_RICE_M0       (4u << SPK_RICE_SHIFT)
#define SPK_RICE_K_MAX    10u
#define SPK_RICE_Q_ESCAPE 16u
#define SPK_RICE_RAW_BITS 10u
/* Longest codeword in bits: max(15 + 1 + K_MAX, Q_ESCAPE + RAW_BITS) = 26. */
#define SPK_RICE_MAX_BITS (SPK_RICE_Q_ESCAPE + SPK_RICE_RAW_BITS)

typedef struct {
    uint32_t m;   /* running mean of u, Q7; in [0, 2^18) */
} spk_rice_state_t;

/* Reset to the cold-start state (m = M0). */
void spk_rice_init(spk_rice_state_t *s);

/*
 * Rice parameter for state m: clamp(floor(log2(m >> 7)), 0, 10), with k = 0 for
 * m >> 7 in {0, 1}. Result in [0, 10]. (m >> 7 < 2^11 always, so the clamp only
 * guards the rule.)
 */
static inline uint32_t spk_rice_k(uint32_t m)
{
    return spk_min_u32(spk_floor_log2_u32((m >> SPK_RICE_SHIFT) | 1u), SPK_RICE_K_MAX);
}

/* State update after coding u: m + u - (m >> 7). u < 2^10 keeps m < 2^18. */
static inline uint32_t spk_rice_update(uint32_t m, uint32_t u)
{
    return m + u - (m >> SPK_RICE_SHIFT);
}

/*
 * Code one value u in [0, 1024) (precondition, not checked here: higher bits of u
 * would corrupt the stream; spk_rice_encode checks) and update the state.
 */
static inline void spk_rice_encode_inline(spk_rice_state_t *s, uint32_t u, spk_bitwriter_t *bw)
{
    const uint32_t m = s->m;
    const uint32_t k = spk_rice_k(m);
    const uint32_t q = u >> k;
    uint32_t value, len;

    if (q < SPK_RICE_Q_ESCAPE) {
        const uint32_t one = 1u << k;
        value = one | (u & (one - 1u));        /* the terminating one, then k low bits */
        len = q + 1u + k;                      /* the q leading zeros are implicit */
    } else {
        value = u;                             /* Q_ESCAPE zeros, then u in RAW_BITS */
        len = SPK_RICE_MAX_BITS;
    }
    if (len <= SPK_BW_MAX_PUT) {
        spk_bw_put(bw, value, len);
    } else {
        spk_bw_put_long(bw, value, len);
    }
    s->m = spk_rice_update(m, u);
}

/*
 * Decode one value (result in [0, 1024)) and update the state. Never reads past
 * the buffer: bits past the end read as zero and show up in spk_br_status().
 */
static inline uint32_t spk_rice_decode_inline(spk_rice_state_t *s, spk_bitreader_t *br)
{
    const uint32_t m = s->m;
    const uint32_t k = spk_rice_k(m);
    uint32_t q, u;

    spk_br_refill(br);
    q = spk_br_count_zeros(br, SPK_RICE_Q_ESCAPE);
    if (q < SPK_RICE_Q_ESCAPE) {
        spk_br_skip(br, q + 1u);
        u = (q << k) | spk_br_read(br, k);
    } else {
        spk_br_skip(br, SPK_RICE_Q_ESCAPE);
        u = spk_br_read(br, SPK_RICE_RAW_BITS);
    }
    s->m = spk_rice_update(m, u);
    return u;
}

/*
 * Out-of-line encode of one value. Returns SPK_ERR_RANGE (nothing written, state
 * unchanged) if u >= 1024, else the writer's status (SPK_ERR_OVERFLOW once its
 * buffer is full).
 */
spk_status_t spk_rice_encode(spk_rice_state_t *s, uint32_t u, spk_bitwriter_t *bw);

/* Out-of-line decode of one value into *u. Returns the reader's status. */
spk_status_t spk_rice_decode(spk_rice_state_t *s, spk_bitreader_t *br, uint32_t *u);

#endif /* SPIKEY_ADAPTIVE_RICE_H */
