/*
 * cdf_search_bench_glue.h - host glue of the symbol-search micro-benchmark
 * bench/cdf_search.py (not a test): encodes with the range coder, reads the decoder's real
 * targets back, and times spk_cdf_find / spk_cdf_find_binary and the whole range decode in
 * C, one cffi call per measurement; definitions in cdf_search_bench_glue.c.
 *
 * The bench reads this header as its cffi cdef with the lines starting with '#' dropped:
 * keep it to plain declarations besides the include guard and the includes.
 */
#ifndef SPIKEY_TESTS_CDF_SEARCH_BENCH_GLUE_H
#define SPIKEY_TESTS_CDF_SEARCH_BENCH_GLUE_H

#include <stdint.h>

/* Range-codes x[0..n) with the predictions (L[t], ls[t]) into out[0..cap); the payload's
 * bytes, 0 on overflow. */
uint32_t spk_cb_encode(const int16_t *x, const int16_t *L, const int32_t *ls, uint32_t n,
                       const int32_t *edges, uint32_t family, uint8_t *out, uint32_t cap);

/* The decoder's targets tg[t] and codes x[t] read back from the payload (by bisection);
 * the decoder's final status. */
int spk_cb_targets(const uint8_t *buf, uint32_t n_bytes, const int16_t *L, const int32_t *ls, uint32_t n,
                   const int32_t *edges, uint32_t family, uint32_t *tg, int16_t *x);

/* The searches over samples 1..n-1 (which 0: spk_cdf_find, 1: spk_cdf_find_binary;
 * chained 0: free, 1: target-chained, 2: decoder-chained); out (may be NULL) gets
 * x, C(x), C(x+1) per sample. Returns the sum of the x (keeps the work alive). */
uint32_t spk_cb_search(uint32_t which, uint32_t chained, const uint32_t *tg, const int16_t *L, const int32_t *ls,
                       uint32_t n, const int32_t *edges, uint32_t family, uint32_t *out);

/* The whole range decode of the payload into x[0..n) (which as for spk_cb_search); the
 * decoder's final status. */
int spk_cb_decode(uint32_t which, const uint8_t *buf, uint32_t n_bytes, const int16_t *L, const int32_t *ls,
                  uint32_t n, const int32_t *edges, uint32_t family, int16_t *x);

/* The CDF evaluations counted so far (counting build only; 0 otherwise). */
uint64_t spk_cb_evals(void);

#endif /* SPIKEY_TESTS_CDF_SEARCH_BENCH_GLUE_H */
