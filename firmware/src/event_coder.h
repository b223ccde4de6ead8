/*
 * event_coder.h - adaptive binary coding of one channel's events per frame (spike
 * offsets, SBP values) through the range coder of range_coder.h (P = SPK_CDF_PBITS = 18).
 *
 * The exact rule of spikey/events/coding.py (spec: docs/bitstream.md, "Event mode"):
 *
 *   a bit under p (16 bits, the probability of a 0): interval [0, p << 2) for 0,
 *   [p << 2, 2^18) for 1; then 0: p += (65536 - p) >> 5, 1: p -= p >> 5 (p starts at
 *   32768 and stays in [31, 65505]: both intervals are never empty; r * (p << 2) < 2^32
 *   because r = range >> 18 < 2^14).
 *
 *   frame: per spike a flag 1 (context 0 first, then 1) and its offset in
 *   SPK_EVC_OFFSET_BITS bits through a binary context tree; a flag 0; per completed SBP
 *   bin: e = sbp - previous, zig-zag z, v = z + 1, n = bit length of v - 1: n ones and a
 *   zero (contexts min(i, 23)), the n bits of v below its top bit at probability 1/2.
 *
 * No arithmetic here can overflow: SBP values are below 2^24 (|y| < 2^15, mean over a bin,
 * so |e| < 2^25 and v < 2^26).
 */
#ifndef SPIKEY_EVENT_CODER_H
#define SPIKEY_EVENT_CODER_H

#include <stdint.h>
#include "range_coder.h"

#define SPK_EVC_PROB_BITS 16u
#define SPK_EVC_ADAPT 5u
#define SPK_EVC_HALF (1u << (SPK_EVC_PROB_BITS - 1u))
#define SPK_EVC_UNARY_CTX 24u
#define SPK_EVC_OFFSET_BITS_MAX 5u      /* frames of at most 32 samples */

typedef struct {
    uint16_t flag[2];
    uint16_t tree[1u << SPK_EVC_OFFSET_BITS_MAX];
    uint16_t unary[SPK_EVC_UNARY_CTX];
    int32_t prev_sbp;
    uint32_t offset_bits;
} spk_evc_model_t;

/* Reset a channel's contexts for frames of `frame` samples (1 <= frame <= 32). */
void spk_evc_reset(spk_evc_model_t *m, uint32_t frame);

/* One channel's frame: n_spikes offsets (increasing, < frame), then n_sbp SBP values. */
void spk_evc_encode_frame(spk_rc_enc_t *e, spk_evc_model_t *m, const uint8_t *offsets, uint32_t n_spikes,
                          const int32_t *sbp, uint32_t n_sbp);

#endif /* SPIKEY_EVENT_CODER_H */
