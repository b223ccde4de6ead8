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
 * Decoding: spk_cdf_find() returns the unique x with C(x) <= target < C(x+1) by a
 * galloping search outward from L (spk_cdf_find_binary: plain bisection, for timing).
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

enum { SPK_CDF_LOGISTIC = 0, SPK_CDF_LAPLACE = 1 };

extern const uint16_t spk_cdf_rinv[256];
extern const uint32_t spk_cdf_tail_logistic[SPK_CDF_N_TAIL];
extern const uint32_t spk_cdf_tail_laplace[SPK_CDF_N_TAIL];

typedef struct {
    const int32_t *edges;   /* 1025 code edges, Q16 (flash) */
    const uint32_t *tail;   /* spk_cdf_tail_logistic or spk_cdf_tail_laplace */
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
 * The code x with C(x) <= target < C(x+1), target in [0, 2^P). Writes C(x) and
 * C(x+1) to *c_lo, *c_hi. Galloping search from L (steps 1, 2, 4, ... then bisection).
 */
uint32_t spk_cdf_find(const spk_cdf_model_t *m, uint32_t target, uint32_t L, int32_t ls,
                      uint32_t *c_lo, uint32_t *c_hi);

/* Same result by bisection over [0, 1024] (11 evaluations); for speed comparisons. */
uint32_t spk_cdf_find_binary(const spk_cdf_model_t *m, uint32_t target, uint32_t L, int32_t ls,
                             uint32_t *c_lo, uint32_t *c_hi);

#endif /* SPIKEY_MODEL_CDF_H */
