/*
 * spikey_codec.h - the learned codec's frame API: the generated predictor (spk_pred.h)
 * driving one of the entropy coders, one channel at a time, with zero lookahead.
 *
 * Per channel: x[0] is sent by the coder's "first" rule (10 raw bits, or a header holding
 * x[0] and the coder's stream parameter); each later code x[t] is coded under the
 * prediction (L, log2s_q8) that spk_pred_step made from x[0..t-1]. Encoder and decoder
 * run the same predictor on the same codes, so they agree bit for bit.
 *
 * Per-file streams (one channel): spk_codec_encode / spk_codec_decode, any number of codes
 * a call. Rice (fixed k) and the prior Huffman code take the channel's parameter at its
 * first sample (the encoder chooses it; the decoder reads it).
 *
 * Joint streams (several channels on one coder state) are time-major: for t = 0, 1, ...
 * spk_codec_encode_step / spk_codec_decode_step code x_c[t] of every channel c that has a
 * sample at t, in index order, then advance those channels' predictors. Without MiddleOut
 * (SPK_PRED_MIDDLEOUT 0) a channel advances by spk_pred_step alone; with MiddleOut every
 * active channel first computes its latent z_c(t) (spk_pred_input + spk_pred_latent), then
 * each takes the integer mean of its active peers' latents into spk_pred_head. The Python
 * reference is spikey.learned (the peer mean: codegen.predictor.peer_mean). Joint steps
 * take the range coder, rice_scaled or rice_fixed (k per channel); the prior Huffman code
 * holds one channel's tables, so a joint step of several channels refuses it.
 * Each channel keeps its own predictor state and position; the coder state is shared.
 *
 * Scaling: codes are 10-bit (0..1023), L in [0, 1023], log2s_q8 in Q8 as spk_pred.h
 * documents. No heap; all state is caller-owned. Errors are sticky in the coder state
 * (overflow of the output buffer, overrun of the input) and reported by its finish call.
 */
#ifndef SPIKEY_CODEC_H
#define SPIKEY_CODEC_H

#include <stdint.h>
#include "spk_pred.h"
#include "bitstream.h"
#include "huffman_prior.h"
#include "model_cdf.h"
#include "range_coder.h"
#include "rice_coders.h"

/* The container's coder ids (spikey/coders). */
typedef enum {
    SPK_CODER_RICE_FIXED = 2,
    SPK_CODER_RICE_SCALED = 3,
    SPK_CODER_RANGE = 4,
    SPK_CODER_HUFFMAN_PRIOR = 5
} spk_coder_id_t;

/* Peers per channel a joint step accepts: the peer mean's sum stays exact in int32. */
#define SPK_CODEC_MAX_PEERS 32767u

/* One channel: its predictor and the prediction for its next sample. */
typedef struct {
    spk_pred_state_t pred;
    int32_t L;              /* predicted next code, [0, 1023] */
    int32_t log2s_q8;       /* log2 of the predicted scale, Q8 */
    uint32_t n;             /* samples coded so far */
    uint32_t param;         /* rice_fixed k / huffman_prior p of this channel (decoder: as read) */
#if SPK_PRED_MIDDLEOUT
    int32_t sh;                     /* joint step: spk_pred_input's shift for the current x[t] */
    int16_t z[SPK_PRED_LATENT];     /* joint step: the latent z(t), q * 2^-SPK_PRED_LATENT_FRAC */
#endif
} spk_codec_chan_t;

/* The shared coder of a stream: which one, and its state. The prior Huffman code's tables
 * (about 25 KB) are built per channel at its first sample into `huff`, so one stream codes
 * its channels' Huffman parts one channel at a time (per-file mode). */
typedef struct {
    spk_coder_id_t coder;
    const spk_cdf_model_t *cdf;     /* range coder only */
    spk_rc_enc_t rc_enc;
    spk_rc_dec_t rc_dec;
    spk_bitwriter_t bw;
    spk_bitreader_t br;
    spk_rice_fixed_t rice;
    spk_huff_t *huff;               /* huffman_prior only: caller-owned tables */
    spk_status_t status;            /* sticky: SPK_OK until a header is refused */
    uint32_t started;               /* a channel's first sample has been coded */
} spk_codec_t;

void spk_codec_chan_init(spk_codec_chan_t *c, uint32_t param);

/* Start encoding into out[0..cap) / decoding payload[0..n_bytes). */
void spk_codec_enc_init(spk_codec_t *k, spk_coder_id_t coder, const spk_cdf_model_t *cdf,
                        spk_huff_t *huff, uint8_t *out, uint32_t cap);
void spk_codec_dec_init(spk_codec_t *k, spk_coder_id_t coder, const spk_cdf_model_t *cdf,
                        spk_huff_t *huff, const uint8_t *payload, uint32_t n_bytes);

/* Code n consecutive codes of one channel (a frame). */
void spk_codec_encode(spk_codec_t *k, spk_codec_chan_t *c, const int16_t *codes, uint32_t n);
void spk_codec_decode(spk_codec_t *k, spk_codec_chan_t *c, int16_t *codes, uint32_t n);

/* One time step of a joint stream of n_chan channels (time-major).
 *   x_t[c]    the code x_c[t] (encode: read; decode: written for active c only)
 *   active[c] nonzero: channel c has a sample at this t (a channel that has ended sends nothing)
 *   peers     n_chan x n_peers, row-major, int16 channel indices; -1 (or any index outside
 *             [0, n_chan)) = none. MiddleOut only: channel c's peer mean is the sum of the
 *             latents of its peers active at this t over the n_peers slots (rounded half up).
 *             Ignored without MiddleOut (n_peers = 0 is fine; peers may then be NULL).
 * Codes x_c[t] of every active c with the prediction made at the previous step (a channel's
 * first sample by the coder's first rule), then advances every active channel. SPK_ERR_RANGE
 * (sticky) for the prior Huffman coder with n_chan > 1 or n_peers > SPK_CODEC_MAX_PEERS. */
void spk_codec_encode_step(spk_codec_t *k, spk_codec_chan_t *ch, uint32_t n_chan, const int16_t *x_t,
                           const uint8_t *active, const int16_t *peers, uint32_t n_peers);
void spk_codec_decode_step(spk_codec_t *k, spk_codec_chan_t *ch, uint32_t n_chan, int16_t *x_t,
                           const uint8_t *active, const int16_t *peers, uint32_t n_peers);

/* Flush the encoder; *n_bytes = payload length. SPK_ERR_OVERFLOW if out was too small. */
spk_status_t spk_codec_enc_finish(spk_codec_t *k, uint32_t *n_bytes);
/* After the last decode: SPK_OK only if the payload was consumed exactly. */
spk_status_t spk_codec_dec_finish(const spk_codec_t *k);

#endif /* SPIKEY_CODEC_H */
