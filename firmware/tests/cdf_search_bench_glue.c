/*
 * cdf_search_bench_glue.c - host glue of the symbol-search micro-benchmark
 * bench/cdf_search.py (declarations in cdf_search_bench_glue.h). Built with the coder
 * sources of the working tree or of a git revision, and once more with every
 * spk_cdf_eval counted (cdf_search_bench_count.h defines SPK_CB_COUNTING then).
 */
#include "cdf_search_bench_glue.h"
#include "model_cdf.h"
#include "range_coder.h"

/* The CDF evaluations counted so far (the counting build's spk_cb_n_evals_ext), else 0. */
uint64_t spk_cb_evals(void)
{
#ifdef SPK_CB_COUNTING
    return spk_cb_n_evals_ext;
#else
    return 0u;
#endif
}

/* The payload the searches are timed on: x[0] raw, then x[t] coded with (L[t], ls[t]). */
uint32_t spk_cb_encode(const int16_t *x, const int16_t *L, const int32_t *ls, uint32_t n,
                       const int32_t *edges, uint32_t family, uint8_t *out, uint32_t cap)
{
    spk_cdf_model_t m;
    spk_rc_enc_t e;
    uint32_t t;
    spk_cdf_init(&m, edges, family);
    spk_rc_enc_init(&e, out, cap);
    spk_rc_encode_first(&e, (uint32_t)x[0]);
    for (t = 1u; t < n; t++) {
        spk_rc_encode_one(&e, &m, (uint32_t)x[t], (uint32_t)L[t], ls[t]);
    }
    return (spk_rc_enc_finish(&e) == SPK_OK) ? e.pos : 0u;
}

/* The decoder's targets (bisection search: the reference), and the codes, which the
 * bench checks against the encoded ones. */
int spk_cb_targets(const uint8_t *buf, uint32_t n_bytes, const int16_t *L, const int32_t *ls, uint32_t n,
                   const int32_t *edges, uint32_t family, uint32_t *tg, int16_t *x)
{
    spk_cdf_model_t m;
    spk_rc_dec_t d;
    uint32_t t;
    spk_cdf_init(&m, edges, family);
    spk_rc_dec_init(&d, buf, n_bytes);
    x[0] = (int16_t)spk_rc_decode_first(&d);
    tg[0] = 0u;
    for (t = 1u; t < n; t++) {
        uint32_t r, c_lo, c_hi;
        tg[t] = spk_rc_target(&d, &r);
        x[t] = (int16_t)spk_cdf_find_binary(&m, tg[t], (uint32_t)L[t], spk_cdf_clamp_log2s(ls[t]), &c_lo, &c_hi);
        spk_rc_consume(&d, r, c_lo, c_hi);
    }
    return (int)spk_rc_dec_finish(&d);
}

/* Searches over samples 1..n-1; out[3t..3t+2] = x, C(x), C(x+1). chained 1: the next target
 * depends on x and C(x); 2: the next L and log2s depend on x alone; 0: no dependency (dep is
 * always 0, which the compiler cannot know). One loop per mode. */
#define SPK_CB_LOOP(FIND, DEP_T, DEP_X)                                                          \
    for (t = 1u; t < n; t++) {                                                                   \
        uint32_t c_lo, c_hi;                                                                     \
        x = FIND(&m, tg[t] + dep, (uint32_t)L[t] + dep_x, spk_cdf_clamp_log2s(ls[t] + (int32_t)dep_x), \
                 &c_lo, &c_hi);                                                                  \
        dep = DEP_T;                                                                             \
        dep_x = DEP_X;                                                                           \
        if (out) {                                                                               \
            out[3u * t] = x;                                                                     \
            out[3u * t + 1u] = c_lo;                                                             \
            out[3u * t + 2u] = c_hi;                                                             \
        }                                                                                        \
        sum += x;                                                                                \
    }

/* Times a search (which 0: spk_cdf_find, 1: spk_cdf_find_binary) in one of the three
 * dependency modes; with out, also what the bench checks find against bisection with.
 * Returns the sum of the x. */
uint32_t spk_cb_search(uint32_t which, uint32_t chained, const uint32_t *tg, const int16_t *L, const int32_t *ls,
                       uint32_t n, const int32_t *edges, uint32_t family, uint32_t *out)
{
    spk_cdf_model_t m;
    uint32_t t, x = 0u, sum = 0u, dep = 0u, dep_x = 0u;
    spk_cdf_init(&m, edges, family);
    if (which == 0u) {
        if (chained == 1u) {
            SPK_CB_LOOP(spk_cdf_find, (x + c_lo) >> 30, 0u)
        } else if (chained == 2u) {
            SPK_CB_LOOP(spk_cdf_find, 0u, x >> 11)
        } else {
            SPK_CB_LOOP(spk_cdf_find, 0u, 0u)
        }
    } else {
        if (chained == 1u) {
            SPK_CB_LOOP(spk_cdf_find_binary, (x + c_lo) >> 30, 0u)
        } else if (chained == 2u) {
            SPK_CB_LOOP(spk_cdf_find_binary, 0u, x >> 11)
        } else {
            SPK_CB_LOOP(spk_cdf_find_binary, 0u, 0u)
        }
    }
    return sum;
}

/* Times the whole range decode, predictions given: which 0 spk_rc_decode_one (target,
 * spk_cdf_find, renormalise), 1 the same with spk_cdf_find_binary; the bench checks x. */
int spk_cb_decode(uint32_t which, const uint8_t *buf, uint32_t n_bytes, const int16_t *L, const int32_t *ls,
                  uint32_t n, const int32_t *edges, uint32_t family, int16_t *x)
{
    spk_cdf_model_t m;
    spk_rc_dec_t d;
    uint32_t t;
    spk_cdf_init(&m, edges, family);
    spk_rc_dec_init(&d, buf, n_bytes);
    x[0] = (int16_t)spk_rc_decode_first(&d);
    if (which == 0u) {
        for (t = 1u; t < n; t++) {
            x[t] = (int16_t)spk_rc_decode_one(&d, &m, (uint32_t)L[t], ls[t]);
        }
    } else {
        for (t = 1u; t < n; t++) {
            uint32_t r, c_lo, c_hi;
            const uint32_t tgt = spk_rc_target(&d, &r);
            x[t] = (int16_t)spk_cdf_find_binary(&m, tgt, (uint32_t)L[t], spk_cdf_clamp_log2s(ls[t]), &c_lo, &c_hi);
            spk_rc_consume(&d, r, c_lo, c_hi);
        }
    }
    return (int)spk_rc_dec_finish(&d);
}
