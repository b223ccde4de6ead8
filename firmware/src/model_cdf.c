/*
 * model_cdf.c - constant tables and the decoder's search (see model_cdf.h).
 */
#include "model_cdf.h"
#include "model_cdf_tables.h"

#if SPK_CDF_TABLE_PBITS != SPK_CDF_PBITS
#error "model_cdf_tables.h was generated for another SPK_CDF_PBITS"
#endif

void spk_cdf_init(spk_cdf_model_t *m, const int32_t *edges, uint32_t family)
{
    /* floor(2^41 / span) by long division (span = E[1024] - E[0] in [1024, 2^28)) */
    const uint32_t span = (uint32_t)(edges[SPK_CDF_N_CODES] - edges[0]);
    uint32_t i, rem = 1u, q = 0u;
    for (i = 0u; i < 41u; i++) {
        rem <<= 1;
        q <<= 1;
        if (rem >= span) {
            rem -= span;
            q |= 1u;
        }
    }
    m->edges = edges;
    m->family = (family == SPK_CDF_LAPLACE) ? (uint32_t)SPK_CDF_LAPLACE : (uint32_t)SPK_CDF_LOGISTIC;
    m->tail = (family == SPK_CDF_LAPLACE) ? spk_cdf_tail_laplace : spk_cdf_tail_logistic;
    m->span_recip = (q > (1u << 25)) ? (1u << 25) : q;    /* only edges spanning < 1 code unit reach it */
}

/*
 * Bisect [lo, hi] with C(lo) = clo <= target < C(hi) = chi down to the code x with
 * C(x) <= target < C(x+1); writes C(x), C(x+1). About log2(hi - lo) evaluations.
 */
static uint32_t spk_cdf__bisect(const spk_cdf_model_t *m, uint32_t target, uint32_t L, int32_t ls, uint32_t lo,
                                uint32_t hi, uint32_t clo, uint32_t chi, uint32_t *c_lo, uint32_t *c_hi)
{
    while (hi - lo > 1u) {               /* C(lo) <= target < C(hi) */
        const uint32_t mid = (lo + hi) >> 1;
        const uint32_t cm = spk_cdf_eval(m, mid, L, ls);
        if (cm <= target) {
            lo = mid;
            clo = cm;
        } else {
            hi = mid;
            chi = cm;
        }
    }
    *c_lo = clo;
    *c_hi = chi;
    return lo;
}

/*
 * The search's slow path (about 2 % of real samples): the guess g missed, C(g) and C(g+1)
 * are known. Gallop from g toward the target (steps 1, 2, 4, ...), then bisect.
 */
uint32_t spk_cdf_find_from(const spk_cdf_model_t *m, uint32_t target, uint32_t L, int32_t ls, uint32_t g,
                           uint32_t cg, uint32_t cg1, uint32_t *c_lo, uint32_t *c_hi)
{
    uint32_t lo, hi, clo, chi, step = 1u;

    if (target >= cg1) {                 /* x > g */
        lo = g + 1u;
        clo = cg1;
        for (;;) {
            hi = (lo + step < SPK_CDF_N_CODES) ? lo + step : SPK_CDF_N_CODES;
            chi = spk_cdf_eval(m, hi, L, ls);
            if (chi > target) {
                break;
            }
            lo = hi;
            clo = chi;
            step <<= 1;
        }
    } else {                             /* x < g */
        hi = g;
        chi = cg;
        for (;;) {
            lo = (hi > step) ? hi - step : 0u;
            clo = spk_cdf_eval(m, lo, L, ls);
            if (clo <= target) {
                break;
            }
            hi = lo;
            chi = clo;
            step <<= 1;
        }
    }
    return spk_cdf__bisect(m, target, L, ls, lo, hi, clo, chi, c_lo, c_hi);
}

uint32_t spk_cdf_find_binary(const spk_cdf_model_t *m, uint32_t target, uint32_t L, int32_t ls,
                             uint32_t *c_lo, uint32_t *c_hi)
{
    return spk_cdf__bisect(m, target, L, ls, 0u, SPK_CDF_N_CODES, 0u, SPK_CDF_TOTAL, c_lo, c_hi);
}
