/* spk_host_events.h - host (cffi) glue of the generated event pipeline: whole channels in,
 * the event payload out (per file: one channel's continuous stream; joint: per frame a
 * varint byte count and the frame's flushed range-coder bytes), as spikey.events.stream. */
#ifndef SPK_HOST_EVENTS_H
#define SPK_HOST_EVENTS_H

#include <stdint.h>

/* codes: the channels one after another (lengths[c] codes each). Returns 0, 1 if out is
 * too small, 3 for a bad argument; *n_out = payload bytes. */
int spk_he_encode(const int16_t *codes, const uint32_t *lengths, uint32_t n_chan, uint32_t joint,
                  uint8_t *out, uint32_t cap, uint32_t *n_out);

/* The pipeline alone on one channel, fed one sample at a time: spike times u (lag
 * compensated) and SBP values.
 * Returns the number of spikes (<= spike_cap) or -1 if a buffer is too small; *n_sbp set. */
int32_t spk_he_detect(const int16_t *codes, uint32_t n, int64_t *spikes, uint32_t spike_cap,
                      int32_t *sbp, uint32_t sbp_cap, uint32_t *n_sbp);

#endif
