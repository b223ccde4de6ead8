/*
 * spk_host_coders.h - the entropy coders of firmware/src over whole arrays, for the host
 * tests of the C coders against the Python reference (codegen.host.coders).
 *
 * coder: the container's coder id (2 rice_fixed, 3 rice_scaled, 4 range, 5 huffman_prior).
 * x, L, ls: n entries each; entry 0 of L and ls is unused (x[0] goes by the coder's first
 * rule). param: rice_fixed's k or huffman_prior's p. edges: 1025 code edges (Q16); family
 * 0 logistic, 1 Laplace. The decoder is driven by the given predictions (as the decoder's
 * predictor would compute them); binary_search: the range decoder searches by bisection
 * (spk_cdf_find_binary) instead of the guess (spk_cdf_find), the same result.
 * Returns an spk_status_t (0 = SPK_OK); decode: 3 also when bytes are left over.
 */
#ifndef SPK_HOST_CODERS_H
#define SPK_HOST_CODERS_H

#include <stdint.h>

int spk_hc_encode(int coder, const int16_t *x, const int16_t *L, const int32_t *ls, uint32_t n,
                  uint32_t param, const int32_t *edges, uint32_t family,
                  uint8_t *out, uint32_t cap, uint32_t *n_out);
int spk_hc_decode(int coder, const uint8_t *payload, uint32_t n_bytes, const int16_t *L,
                  const int32_t *ls, uint32_t n, const int32_t *edges, uint32_t family,
                  int16_t *x, uint32_t binary_search);
/* C(k) of the model CDF for one prediction (docs/coders.md section 1). */
uint32_t spk_hc_cdf(const int32_t *edges, uint32_t family, uint32_t k, uint32_t L, int32_t ls);

#endif /* SPK_HOST_CODERS_H */
