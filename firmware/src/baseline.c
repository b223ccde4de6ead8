/*
 * baseline.c - baseline codec frame API (see baseline.h).
 */
#include "baseline.h"
#include "spikey_arith.h"

void spk_baseline_init(spk_baseline_state_t *s)
{
    s->prev = SPK_BASELINE_FIRST_PREDICTION;
    spk_rice_init(&s->rice);
}

spk_status_t spk_baseline_encode(spk_baseline_state_t *s, const int16_t *codes, uint32_t n,
                                 spk_bitwriter_t *bw)
{
    /* Channel and writer state live in locals (registers) for the frame: the
     * byte stores through w.buf may alias anything, so state kept behind the
     * pointers would be reloaded after every byte. */
    spk_rice_state_t rice = s->rice;
    spk_bitwriter_t w = *bw;
    uint32_t prev = s->prev;
    uint32_t i;

    for (i = 0u; i < n; i++) {
        /* int16 -> uint32 wraps modulo 2^32, so & 1023 is the code modulo 1024 */
        const uint32_t code = (uint32_t)codes[i] & (SPK_BASELINE_N_CODES - 1u);
        const int32_t residual = spk_wrap10((int32_t)code - (int32_t)prev);   /* [-512, 512) */

        spk_rice_encode_inline(&rice, spk_zigzag(residual), &w);            /* u in [0, 1024) */
        prev = code;
    }
    s->prev = prev;
    s->rice = rice;
    *bw = w;
    return w.overflow ? SPK_ERR_OVERFLOW : SPK_OK;
}

spk_status_t spk_baseline_decode(spk_baseline_state_t *s, spk_bitreader_t *br, int16_t *codes,
                                 uint32_t n)
{
    spk_rice_state_t rice = s->rice;
    uint32_t prev = s->prev;
    uint32_t i;

    for (i = 0u; i < n; i++) {
        const int32_t residual = spk_unzigzag(spk_rice_decode_inline(&rice, br));  /* [-512, 512) */
        /* prev + residual in [-512, 1535]: modulo 1024 in uint32 */
        prev = (uint32_t)((int32_t)prev + residual) & (SPK_BASELINE_N_CODES - 1u);
        codes[i] = (int16_t)prev;
    }
    s->prev = prev;
    s->rice = rice;
    return spk_br_status(br);
}

int16_t spk_adc_from_code(uint32_t code)
{
    const uint32_t k = code & (SPK_BASELINE_N_CODES - 1u);
    const uint32_t j = (k < 512u) ? k : (SPK_BASELINE_N_CODES - 1u) - k;   /* mirror index */
    const int32_t low = (int32_t)((65535u * j + 1020u) / 1023u) - 32768;   /* grid(j), j < 512 */

    return (int16_t)((k < 512u) ? low : -1 - low);
}
