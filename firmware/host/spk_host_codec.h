/*
 * spk_host_codec.h - the learned codec's frame API (the generated spk_codec.h) run over
 * whole recordings on the host: the spikey runtime's fast path (spikey.model.host).
 *
 * x holds n_chan channels laid end to end (channel i: n[i] codes). frame == 0: per-file,
 * each channel coded whole, one after another (spk_codec_encode / spk_codec_decode);
 * frame > 0: one joint stream, time-major through the step driver (spk_codec_encode_step /
 * spk_codec_decode_step: time step after time step, the channels that still have a sample
 * at t, in index order). The frame is only the container's packet size: it does not change
 * a joint stream's bytes. peers: n_chan x n_peers int16 channel indices (-1 = none), the
 * MiddleOut topology (ignored without MiddleOut). param[i]: channel i's rice_fixed k or
 * huffman_prior p (encode only; NULL: all 0). edges: the model's 1025 code edges (Q16),
 * family 0 logistic, 1 Laplace. max_error: the near-lossless bound D (0 = lossless;
 * spk_codec_set_max_error): decoding then writes the reconstructed codes.
 *
 * Returns the spk_status_t of the coder's finish call (0 = SPK_OK), or -1 when the host
 * is out of memory for the per-channel state. *n_out: payload bytes written (at most cap).
 */
#ifndef SPK_HOST_CODEC_H
#define SPK_HOST_CODEC_H

#include <stdint.h>

int spk_hx_encode(int coder, const int16_t *x, uint32_t n_chan, const uint32_t *n, uint32_t frame,
                  const uint32_t *param, const int32_t *edges, uint32_t family, uint32_t max_error,
                  const int16_t *peers, uint32_t n_peers, uint8_t *out, uint32_t cap, uint32_t *n_out);
int spk_hx_decode(int coder, const uint8_t *payload, uint32_t n_bytes, int16_t *x, uint32_t n_chan,
                  const uint32_t *n, uint32_t frame, const int32_t *edges, uint32_t family, uint32_t max_error,
                  const int16_t *peers, uint32_t n_peers);

#endif /* SPK_HOST_CODEC_H */
