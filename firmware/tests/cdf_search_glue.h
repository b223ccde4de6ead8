/*
 * cdf_search_glue.h - host test glue for the range decoder's symbol search
 * (firmware/src/model_cdf.h: spk_cdf_find, spk_cdf_guess, spk_cdf_find_binary), used by
 * tests/test_cdf_search.py through cffi; definitions in cdf_search_glue.c.
 *
 * The test reads this header as its cffi cdef with the lines starting with '#' dropped:
 * keep it to plain declarations besides the include guard and the includes.
 */
#ifndef SPIKEY_TESTS_CDF_SEARCH_GLUE_H
#define SPIKEY_TESTS_CDF_SEARCH_GLUE_H

#include <stdint.h>

/* The span reciprocal spk_cdf_init computes for these edges (spk_cdf_model_t.span_recip). */
uint32_t spk_ct_span_recip(const int32_t *edges);

/* spk_cdf_find against bisection for every (L[i], ls[i]) over the targets tg[0..nt) and
 * the CDF boundaries (or every target when all_targets); returns the disagreements, the
 * last one's details in bad[0..7], searches and right first guesses in stats[0..1]. */
uint32_t spk_ct_check(const int32_t *edges, uint32_t family, const uint32_t *L, const int32_t *ls, uint32_t n,
                      const uint32_t *tg, uint32_t nt, uint32_t all_targets, uint32_t *bad, uint32_t *stats);

/* How many first guesses (spk_cdf_guess) equal the bisection's x over (L[i], ls[i], tg[i]). */
uint32_t spk_ct_hits(const int32_t *edges, uint32_t family, const uint32_t *L, const int32_t *ls,
                     const uint32_t *tg, uint32_t n);

#endif /* SPIKEY_TESTS_CDF_SEARCH_GLUE_H */
