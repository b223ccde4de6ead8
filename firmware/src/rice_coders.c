/*
 * rice_coders.c - out-of-line parts of the Rice coders (see rice_coders.h).
 */
#include "rice_coders.h"

spk_status_t spk_rice_fixed_begin(spk_rice_fixed_t *s, uint32_t k, uint32_t x0, spk_bitwriter_t *bw)
{
    if (k > SPK_RC_RICE_K_MAX || x0 > 1023u) {
        return SPK_ERR_RANGE;
    }
    s->k = k;
    spk_bw_put(bw, (x0 << 4) | k, SPK_RC_RICE_RAW_BITS + 4u);
    return bw->overflow ? SPK_ERR_OVERFLOW : SPK_OK;
}

spk_status_t spk_rice_fixed_start(spk_rice_fixed_t *s, spk_bitreader_t *br, uint32_t *x0)
{
    uint32_t k;
    *x0 = spk_br_read(br, SPK_RC_RICE_RAW_BITS);
    k = spk_br_read(br, 4u);
    s->k = (k > SPK_RC_RICE_K_MAX) ? SPK_RC_RICE_K_MAX : k;
    return (k > SPK_RC_RICE_K_MAX) ? SPK_ERR_RANGE : SPK_OK;
}
