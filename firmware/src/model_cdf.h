/*
 * model_cdf.h - the model's coding distribution as an integer CDF.
 *
 * The exact rule of spikey/coders/model_cdf.py (spec: docs/coders.md §1). For a
 * prediction (L in [0, 1024), log2s_q8 clamped to [-512, 2560]) and code edges E[k]
 * (int32, Q16 code units, strictly increasing, |E| < 2^27), the cumulative frequency
 * of code k over a total of 2^P (P = SPK_CDF_PBITS) is
 *
 *     C(0) = 0,  C(1024) = 2^P,  C(k) = k + F(k)  (1 <= k <= 1023), F(k) in [0, M]
 *     a = 2 E[k] - E[L] - E[L+1]                       (Q17; |a| < 2^29: int32)
 *     z = min((|a| * RINV[ls & 255]) >> (16 + (ls >> 8)), ZSAT)   (Q16; product < 2^44: uint64)
 *     t = TAIL[z >> 11] - (((TAIL[j] - TAIL[j+1]) * (z & 2047)) >> 11)   (< 2^29: uint32)
 *     F = (a < 0) ? t : M - t,   M = 2^P - 1024
 *
 * so every code has frequency C(k+1) - C(k) >= 1 and the total is exact.
 * Decoding: spk_cdf_find() returns the unique x with C(x) <= target < C(x+1): it inverts
 * the distribution for a first guess (spk_cdf_guess: two tables, SCALE and ITAIL, that steer
 * the search but never decide its result), checks it with two evaluations and gallops from
 * it when it missed (docs/coders.md §1.4). spk_cdf_find_binary: plain bisection (tests, timing).
 */
#ifndef SPIKEY_MODEL_CDF_H
#define SPIKEY_MODEL_CDF_H

#include <stdint.h>

#define SPK_CDF_N_CODES   1024u
#define SPK_CDF_PBITS     18u
#define SPK_CDF_TOTAL     (1u << SPK_CDF_PBITS)
#define SPK_CDF_M         (SPK_CDF_TOTAL - SPK_CDF_N_CODES)
#define SPK_CDF_LOG2S_MIN (-512)
#define SPK_CDF_LOG2S_MAX 2560
#define SPK_CDF_FRAC_BITS 11u
#define SPK_CDF_ZSAT      ((16u << 16) - 1u)
#define SPK_CDF_N_TAIL    513u
#define SPK_CDF_ITAIL_SHIFT 8u
#define SPK_CDF_N_ITAIL   ((SPK_CDF_TOTAL + SPK_CDF_N_CODES) >> SPK_CDF_ITAIL_SHIFT)

enum { SPK_CDF_LOGISTIC = 0, SPK_CDF_LAPLACE = 1 };

extern const uint16_t spk_cdf_rinv[256];
extern const uint32_t spk_cdf_tail_logistic[SPK_CDF_N_TAIL];
extern const uint32_t spk_cdf_tail_laplace[SPK_CDF_N_TAIL];
extern const uint16_t spk_cdf_scale[256];
extern const int16_t spk_cdf_itail[2][SPK_CDF_N_ITAIL];

typedef struct {
    const int32_t *edges;   /* 1025 code edges, Q16 (flash) */
    const uint32_t *tail;   /* spk_cdf_tail_logistic or spk_cdf_tail_laplace */
    uint32_t family;        /* SPK_CDF_LOGISTIC or SPK_CDF_LAPLACE (the decoder's ITAIL row) */
    uint32_t span_recip;    /* min(floor(2^41 / (E[1024] - E[0])), 2^25): Q17 edge distance -> codes, Q32 */
} spk_cdf_model_t;

/* Set up a model over the given edges; family SPK_CDF_LOGISTIC or SPK_CDF_LAPLACE. */
void spk_cdf_init(spk_cdf_model_t *m, const int32_t *edges, uint32_t family);

/* Clamp a predicted log2 scale (Q8) to [-512, 2560]. */
static inline int32_t spk_cdf_clamp_log2s(int32_t ls)
{
    return (ls < SPK_CDF_LOG2S_MIN) ? SPK_CDF_LOG2S_MIN : ((ls > SPK_CDF_LOG2S_MAX) ? SPK_CDF_LOG2S_MAX : ls);
}

/*
 * C(k) for k in [0, 1024], L in [0, 1024), ls clamped. Result in [0, 2^P].
 * (ls + 512) >> 8 = (ls >> 8) + 2 in [0, 12] and (ls + 512) & 255 = ls & 255 on
 * unsigned values: no shift of a negative number.
 */
static inline uint32_t spk_cdf_eval(const spk_cdf_model_t *m, uint32_t k, uint32_t L, int32_t ls)
{
    const int32_t *e = m->edges;
    const uint32_t *tail = m->tail;
    const uint32_t u = (uint32_t)(ls + 512);
    int32_t a;
    uint32_t mag, z, j, r, t0, t;
    uint64_t p;

    if (k == 0u) {
        return 0u;
    }
    if (k >= SPK_CDF_N_CODES) {
        return SPK_CDF_TOTAL;
    }
    a = 2 * e[k] - e[L] - e[L + 1u];
    mag = (a < 0) ? (uint32_t)0u - (uint32_t)a : (uint32_t)a;
    p = ((uint64_t)mag * spk_cdf_rinv[u & 255u]) >> (14u + (u >> 8));
    z = (p > SPK_CDF_ZSAT) ? SPK_CDF_ZSAT : (uint32_t)p;
    j = z >> SPK_CDF_FRAC_BITS;
    r = z & ((1u << SPK_CDF_FRAC_BITS) - 1u);
    t0 = tail[j];
    t = t0 - (((t0 - tail[j + 1u]) * r) >> SPK_CDF_FRAC_BITS);
    return k + ((a < 0) ? t : SPK_CDF_M - t);
}

/*
 * The decoder's first guess at the x of spk_cdf_find (branch-free; any result in [0, 1023]
 * is safe, a wrong one only costs time). It inverts the distribution:
 *   - v = target - L stands for F(x) = C(x) - x; ITAIL[(v + 1024) >> 8] is the signed z
 *     (Q11) with F about v (the index lies in [0, 1027] for target < 2^P; only decoders
 *     refer to ITAIL, so an encoder-only image does not link it);
 *   - with S = SCALE[ls & 255] << ((ls >> 8) + 2) = 2^17 s (s the scale), 2 z s = z S / 2^11
 *     in Q17 edge units, and C(k) <= target about when 2 E[k] <= w = E[L] + E[L+1] + 2 z s;
 *   - the model's mean code spacing span / 1024 (span = E[1024] - E[0]) puts that edge near
 *     code g = L + floor((E[L+1] - E[L] + 2 z s) * 512 / span), clamped to [2, 1021];
 *   - four edge comparisons E[g-1 .. g+2] <= floor(w / 2) give the code of w exactly when it
 *     lies in [g - 2, g + 2].
 * Signed values are floored as (value + bias) >> n on unsigned numbers, the bias a multiple
 * of 2^n. Ranges (recip = m->span_recip <= 2^25): S < 2^28, K = S recip / 2^11 < 2^42,
 * |z K| < 2^57, (E[L+1] - E[L]) recip < 2^53, |z S| < 2^43; 2 z s is clamped to +-2^30.
 */
static inline uint32_t spk_cdf_guess(const spk_cdf_model_t *m, uint32_t target, uint32_t L, int32_t ls)
{
    const int32_t *e = m->edges;
    const uint32_t u = (uint32_t)(ls + 512);
    const int32_t eL = e[L];
    const int32_t eL1 = e[L + 1u];
    /* from the prediction alone */
    const uint32_t S = (uint32_t)spk_cdf_scale[u & 255u] << (u >> 8);
    const int64_t K = (int64_t)(((uint64_t)S * m->span_recip) >> 11);
    const int64_t base = (int64_t)((uint64_t)(uint32_t)(eL1 - eL) * m->span_recip) + ((int64_t)1 << 62);
    /* from the target */
    const int32_t z = spk_cdf_itail[m->family][(target + (SPK_CDF_N_CODES - L)) >> SPK_CDF_ITAIL_SHIFT];
    const int64_t d64 = (int64_t)(((uint64_t)((int64_t)z * (int32_t)S + ((int64_t)1 << 50))) >> 11)
                        - ((int64_t)1 << 39);                                        /* floor(z S / 2^11) */
    const int32_t d = (int32_t)((d64 < -(1 << 30)) ? -(1 << 30) : ((d64 > (1 << 30)) ? (1 << 30) : d64));
    const int32_t wh = (int32_t)(((uint32_t)(eL + eL1 + d) + (1u << 31)) >> 1) - (1 << 30);  /* floor(w/2) */
    int32_t g = ((int32_t)L - (1 << 30)) + (int32_t)((uint64_t)(base + z * K) >> 32);
    g = (g < 2) ? 2 : ((g > 1021) ? 1021 : g);
    /* 2 E[k] <= w  <=>  E[k] <= floor(w / 2) */
    return (uint32_t)((g - 2) + (((e[g - 1] <= wh) + (e[g] <= wh)) + ((e[g + 1] <= wh) + (e[g + 2] <= wh))));
}

/* spk_cdf_find's slow path (about 2 % of real samples): the guess g missed; C(g) = cg and
 * C(g+1) = cg1 are known. Gallops from g toward the target (steps 1, 2, 4, ...), then bisects. */
uint32_t spk_cdf_find_from(const spk_cdf_model_t *m, uint32_t target, uint32_t L, int32_t ls, uint32_t g,
                           uint32_t cg, uint32_t cg1, uint32_t *c_lo, uint32_t *c_hi);

/*
 * The code x with C(x) <= target < C(x+1), target in [0, 2^P) (ls clamped). Writes C(x) and
 * C(x+1) to *c_lo, *c_hi. The unique x, however it is found: spk_cdf_guess, checked with
 * two evaluations (right for about 98 % of real samples), else spk_cdf_find_from.
 */
static inline uint32_t spk_cdf_find(const spk_cdf_model_t *m, uint32_t target, uint32_t L, int32_t ls,
                                    uint32_t *c_lo, uint32_t *c_hi)
{
    const uint32_t g = spk_cdf_guess(m, target, L, ls);
    const uint32_t cg = spk_cdf_eval(m, g, L, ls);
    const uint32_t cg1 = spk_cdf_eval(m, g + 1u, L, ls);
    if (cg <= target && target < cg1) {
        *c_lo = cg;
        *c_hi = cg1;
        return g;
    }
    return spk_cdf_find_from(m, target, L, ls, g, cg, cg1, c_lo, c_hi);
}

/* Same result by bisection over [0, 1024] (11 evaluations); for speed comparisons. */
uint32_t spk_cdf_find_binary(const spk_cdf_model_t *m, uint32_t target, uint32_t L, int32_t ls,
                             uint32_t *c_lo, uint32_t *c_hi);

#endif /* SPIKEY_MODEL_CDF_H */
