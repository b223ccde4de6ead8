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
    m->edges = edges;
    m->tail = (family == SPK_CDF_LAPLACE) ? spk_cdf_tail_laplace : spk_cdf_tail_logistic;
}

uint32_t spk_cdf_find(const spk_cdf_model_t *m, uint32_t target, uint32_t L, int32_t ls,
                      uint32_t *c_lo, uint32_t *c_hi)
{
    uint32_t lo, hi, clo, chi, step = 1u;
    const uint32_t c = spk_cdf_eval(m, L, L, ls);

    if (target >= c) {                   /* x >= L */
        lo = L;
        clo = c;
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
    } else {                             /* x < L */
        hi = L;
        chi = c;
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

uint32_t spk_cdf_find_binary(const spk_cdf_model_t *m, uint32_t target, uint32_t L, int32_t ls,
                             uint32_t *c_lo, uint32_t *c_hi)
{
    uint32_t lo = 0u, hi = SPK_CDF_N_CODES, clo = 0u, chi = SPK_CDF_TOTAL;

    while (hi - lo > 1u) {
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
