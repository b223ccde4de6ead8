/*
 * baseline.h - the baseline codec's frame API: first difference of the 10-bit
 * ADC codes + zig-zag + adaptive Rice. The exact rule of spikey/baseline.py.
 *
 * Prediction: each code is predicted by the previous one of its channel (the
 * first by 512). The residual is taken modulo 1024 into [-512, 512), zig-zag
 * mapped to [0, 1024) and coded by adaptive_rice.
 *
 * A channel is coded as a sequence of frames (any sizes, e.g. 64 samples, as the
 * implant produces them) through one state and one bit writer; the bytes are
 * the same as one call on the whole sequence, and after spk_bw_finish they equal
 * spikey.baseline.encode_codes(codes) byte for byte, final zero padding included.
 *
 * Worst case: 26 bits per sample, so a frame of n samples needs at most
 * SPK_BASELINE_FRAME_BYTES(n) bytes of writer space (one pending byte included).
 */
#ifndef SPIKEY_BASELINE_H
#define SPIKEY_BASELINE_H

#include <stdint.h>
#include "spikey_status.h"
#include "bitstream.h"
#include "adaptive_rice.h"

#define SPK_BASELINE_CODE_BITS        10u
#define SPK_BASELINE_N_CODES          (1u << SPK_BASELINE_CODE_BITS)
#define SPK_BASELINE_FIRST_PREDICTION 512u
#define SPK_BASELINE_FRAME_BYTES(n)   ((((uint32_t)(n) * SPK_RICE_MAX_BITS) + 7u) / 8u + 1u)

typedef struct {
    uint32_t prev;            /* previous code of the channel, in [0, 1024) */
    spk_rice_state_t rice;    /* adaptive Rice state */
} spk_baseline_state_t;

/* Cold start: prev = 512, rice m = M0. */
void spk_baseline_init(spk_baseline_state_t *s);

/*
 * Encode n codes (one frame) into bw, continuing the channel's state.
 * codes: int16 ADC codes, expected in [0, 1024); any other value is taken
 * modulo 1024 (as the reference's mod-1024 residual does), so no input can
 * overflow or corrupt the state. Residuals are exact in int32.
 * Returns SPK_ERR_OVERFLOW if the writer ran out of space (sticky), else SPK_OK.
 */
spk_status_t spk_baseline_encode(spk_baseline_state_t *s, const int16_t *codes, uint32_t n,
                                 spk_bitwriter_t *bw);

/*
 * Decode n codes (one frame) from br, continuing the channel's state.
 * Output codes in [0, 1024). Returns SPK_ERR_OVERRUN if the stream holds fewer
 * bits than the codes need (the codes are then meaningless), else SPK_OK.
 */
spk_status_t spk_baseline_decode(spk_baseline_state_t *s, spk_bitreader_t *br, int16_t *codes,
                                 uint32_t n);

/*
 * int16 sample -> 10-bit ADC code: (v + 32768) >> 6. Total (every int16 has a
 * code), result in [0, 1024). Computed in uint32: no overflow.
 * Mirror: spikey.recordings.adc.to_codes.
 */
static inline uint32_t spk_adc_to_code(int16_t v)
{
    return ((uint32_t)((int32_t)v + 32768)) >> 6;
}

/*
 * 10-bit ADC code -> the int16 grid value it stands for (exact, closed form):
 *     grid(k) = (65535 k + 1020) / 1023 - 32768   for k < 512   (floor division)
 *     grid(k) = -1 - grid(1023 - k)               for k >= 512
 * Range: code in [0, 1024) (higher bits are ignored); result in [-32768, 32767].
 * 65535 * 511 + 1020 < 2^26: no overflow. spk_adc_to_code(spk_adc_from_code(k)) == k
 * for all 1024 codes (checked by tests/test_firmware_host.py against
 * spikey.recordings.adc.GRID).
 */
int16_t spk_adc_from_code(uint32_t code);

#endif /* SPIKEY_BASELINE_H */
