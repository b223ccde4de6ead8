/*
 * spikey_codec.h - the learned codec's frame API: the generated predictor (spk_pred.h)
 * driving one of the entropy coders, one channel at a time, with zero lookahead.
 *
 * Per channel: x[0] is sent by the coder's "first" rule (10 raw bits, or a header holding
 * x[0] and the coder's stream parameter); each later code x[t] is coded under the
 * prediction (L, log2s_q8) that spk_pred_step made from x[0..t-1]. Encoder and decoder
 * run the same predictor on the same codes, so they agree bit for bit.
 *
 * A stream may carry several channels (joint frames): the caller interleaves the calls,
 * e.g. frame by frame, channel by channel, on one coder state. Each channel keeps its own
 * predictor state and its position; the coder state (range coder, or bit writer/reader)
 * is shared. Rice (fixed k) and the prior Huffman code take their per-channel parameter
 * at the channel's first sample (the encoder chooses it; the decoder reads it).
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

/* One channel: its predictor and the prediction for its next sample. */
typedef struct {
    spk_pred_state_t pred;
    int32_t L;              /* predicted next code, [0, 1023] */
    int32_t log2s_q8;       /* log2 of the predicted scale, Q8 */
    uint32_t n;             /* samples coded so far */
    uint32_t param;         /* rice_fixed k / huffman_prior p of this channel */
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

/* Flush the encoder; *n_bytes = payload length. SPK_ERR_OVERFLOW if out was too small. */
spk_status_t spk_codec_enc_finish(spk_codec_t *k, uint32_t *n_bytes);
/* After the last decode: SPK_OK only if the payload was consumed exactly. */
spk_status_t spk_codec_dec_finish(const spk_codec_t *k);

#endif /* SPIKEY_CODEC_H */
