/*
 * spk_host_codec.h - the learned codec's frame API (the generated spk_codec.h) run over
 * whole recordings on the host, in bounded chunks: the spikey runtime's fast path
 * (spikey.model.host).
 *
 * A session codes n_chan channels (channel i: n[i] codes). frame == 0: per-file, each
 * channel coded whole, one after another (spk_codec_encode / spk_codec_decode); frame > 0:
 * one joint stream, time-major through the step driver (spk_codec_encode_step /
 * spk_codec_decode_step: time step after time step, the channels that still have a sample
 * at t, in index order). The frame is only the container's packet size: it does not change
 * a joint stream's bytes. peers: n_chan x n_peers int16 channel indices (-1 = none), the
 * MiddleOut topology (ignored without MiddleOut). param[i]: channel i's rice_fixed k or
 * huffman_prior p (encode only; NULL: all 0). edges: the model's 1025 code edges (Q16),
 * family 0 logistic, 1 Laplace. max_error: the near-lossless bound D (0 = lossless;
 * spk_codec_set_max_error): decoding then writes the reconstructed codes. The session keeps
 * the pointers n, param, edges, peers and the byte buffer: they must outlive it.
 *
 * spk_hx_run codes at most max_units units from / into x and returns how many it coded
 * (0 once every code is done). A unit is one code for frame 0 (x: the codes in channel
 * order, channel after channel) and one time step for frame > 0 (x: n_chan codes per step,
 * time-major; a channel that has ended reads / writes 0). The caller bounds each call so
 * that it returns quickly (signals are handled between calls) and its buffers stay small.
 *
 * spk_hx_status: the sticky status so far (decode: SPK_ERR_OVERRUN once the payload was
 * read past its end, so a caller stops before the declared counts are reached; encode:
 * SPK_ERR_OVERFLOW once the output buffer is full). spk_hx_finish: the coder's finish
 * status (encode: *n_out = payload bytes written, at most cap; decode: SPK_OK only if the
 * payload was consumed exactly). spk_hx_close frees the session (NULL is fine).
 * spk_hx_*_open return NULL when the host is out of memory.
 */
#ifndef SPK_HOST_CODEC_H
#define SPK_HOST_CODEC_H

#include <stdint.h>

typedef struct spk_hx_s spk_hx_t;

spk_hx_t *spk_hx_enc_open(int coder, uint32_t n_chan, const uint32_t *n, uint32_t frame, const uint32_t *param,
                          const int32_t *edges, uint32_t family, uint32_t max_error, const int16_t *peers,
                          uint32_t n_peers, uint8_t *out, uint32_t cap);
spk_hx_t *spk_hx_dec_open(int coder, const uint8_t *payload, uint32_t n_bytes, uint32_t n_chan,
                          const uint32_t *n, uint32_t frame, const int32_t *edges, uint32_t family,
                          uint32_t max_error, const int16_t *peers, uint32_t n_peers);
uint32_t spk_hx_run(spk_hx_t *s, int16_t *x, uint32_t max_units);
int spk_hx_status(const spk_hx_t *s);
int spk_hx_finish(spk_hx_t *s, uint32_t *n_out);
void spk_hx_close(spk_hx_t *s);

#endif /* SPK_HOST_CODEC_H */
