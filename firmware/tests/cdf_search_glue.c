/*
 * cdf_search_glue.c - host test glue for the range decoder's symbol search, used by
 * tests/test_cdf_search.py (built for the host with UBSan: any undefined behaviour
 * aborts). Checks spk_cdf_find and its first guess spk_cdf_guess against plain
 * bisection (spk_cdf_find_binary) in C, so that Python costs nothing per search.
 */
#include "cdf_search_glue.h"
#include "model_cdf.h"

/* Checks that spk_cdf_init's span reciprocal is what the test expects: returns it. */
uint32_t spk_ct_span_recip(const int32_t *edges)
{
    spk_cdf_model_t m;
    spk_cdf_init(&m, edges, 0u);
    return m.span_recip;
}

/* Checks one target: 1 if spk_cdf_find disagrees with bisection (x, C(x), C(x+1)), or the
 * first guess is out of range, or the bisection's interval does not hold t (details into
 * bad[0..7]: t, L, ls, x, C(x), C(x+1) of find, bisection's x, the guess); else 0.
 * stats[0] counts the searches, stats[1] the right first guesses. */
static uint32_t spk_ct_one(const spk_cdf_model_t *m, uint32_t t, uint32_t L, int32_t ls, uint32_t *bad,
                           uint32_t *stats)
{
    uint32_t a, b, c, d, x, y;
    const uint32_t g = spk_cdf_guess(m, t, L, ls);
    x = spk_cdf_find(m, t, L, ls, &a, &b);
    y = spk_cdf_find_binary(m, t, L, ls, &c, &d);
    stats[0]++;
    stats[1] += (g == y);
    if (x == y && a == c && b == d && g < SPK_CDF_N_CODES && c <= t && t < d) {
        return 0u;
    }
    bad[0] = t;
    bad[1] = L;
    bad[2] = (uint32_t)ls;
    bad[3] = x;
    bad[4] = a;
    bad[5] = b;
    bad[6] = y;
    bad[7] = g;
    return 1u;
}

/* Checks spk_cdf_find against bisection for every (L[i], ls[i]) (ls clamped): the targets
 * tg[0..nt), then C(k) - 1, C(k), C(k) + 1 for every k (the boundaries, where a wrong
 * search shows), or every target when all_targets. Returns the number of disagreements;
 * stats[0] searches, stats[1] right first guesses. */
uint32_t spk_ct_check(const int32_t *edges, uint32_t family, const uint32_t *L, const int32_t *ls, uint32_t n,
                      const uint32_t *tg, uint32_t nt, uint32_t all_targets, uint32_t *bad, uint32_t *stats)
{
    spk_cdf_model_t m;
    uint32_t i, j, k, n_bad = 0u;
    spk_cdf_init(&m, edges, family);
    for (i = 0u; i < n; i++) {
        const int32_t s = spk_cdf_clamp_log2s(ls[i]);
        for (j = 0u; j < nt; j++) {
            n_bad += spk_ct_one(&m, tg[j], L[i], s, bad, stats);
        }
        if (all_targets) {
            for (j = 0u; j < SPK_CDF_TOTAL; j++) {
                n_bad += spk_ct_one(&m, j, L[i], s, bad, stats);
            }
            continue;
        }
        for (k = 0u; k <= SPK_CDF_N_CODES; k++) {
            const uint32_t c = spk_cdf_eval(&m, k, L[i], s);
            if (c > 0u) {
                n_bad += spk_ct_one(&m, c - 1u, L[i], s, bad, stats);
            }
            if (c < SPK_CDF_TOTAL) {
                n_bad += spk_ct_one(&m, c, L[i], s, bad, stats);
            }
            if (c + 1u < SPK_CDF_TOTAL) {
                n_bad += spk_ct_one(&m, c + 1u, L[i], s, bad, stats);
            }
        }
    }
    return n_bad;
}

/* Checks how often the first guess is right: how many guesses spk_cdf_guess equal the
 * bisection's x over (L[i], ls[i], tg[i]) (ls clamped). */
uint32_t spk_ct_hits(const int32_t *edges, uint32_t family, const uint32_t *L, const int32_t *ls,
                     const uint32_t *tg, uint32_t n)
{
    spk_cdf_model_t m;
    uint32_t i, hits = 0u, c, d;
    spk_cdf_init(&m, edges, family);
    for (i = 0u; i < n; i++) {
        const int32_t s = spk_cdf_clamp_log2s(ls[i]);
        hits += (spk_cdf_guess(&m, tg[i], L[i], s) == spk_cdf_find_binary(&m, tg[i], L[i], s, &c, &d));
    }
    return hits;
}
