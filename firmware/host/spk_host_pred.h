/*
 * spk_host_pred.h - whole-file drivers of a generated predictor (spk_pred.h), for host
 * builds: the codec's predictions for the rice_fixed / huffman_prior parameter choice
 * (spikey.model.host) and the tests of the generated C against the Python reference
 * (codegen.host.predictor). Each runs one channel from reset, as an encoder does.
 *
 * Buffers are caller-owned, n entries each (features: n * m; split: n * SPK_PRED_LATENT for
 * peer_mean and z). n <= 0 does nothing.
 */
#ifndef SPK_HOST_PRED_H
#define SPK_HOST_PRED_H

#include <stdint.h>

/* (L[t], log2s_q8[t]) = spk_pred_step after codes[0..t]: the prediction of codes[t + 1]. */
void spk_pred_host_run(const int16_t *codes, int32_t n, int32_t *L, int32_t *log2s_q8);

/* The features alone (m values per sample: window, wavelet, EMAs) and sh (spk_pred_features). */
void spk_pred_host_features(const int16_t *codes, int32_t n, int32_t m, int32_t *value, int32_t *sh);

/* The network input u (SPK_PRED_INPUTS values per sample) and sh (spk_pred_input). */
void spk_pred_host_inputs(const int16_t *codes, int32_t n, int16_t *u, int32_t *sh);

/* MiddleOut: input + latent + head with peer_mean[t * LATENT ..] at step t; the latents into
 * z. Returns 1, or 0 (nothing done) for a predictor without MiddleOut. */
int spk_pred_host_split(const int16_t *codes, int32_t n, const int16_t *peer_mean, int16_t *z,
                        int32_t *L, int32_t *log2s_q8);

#endif /* SPK_HOST_PRED_H */
