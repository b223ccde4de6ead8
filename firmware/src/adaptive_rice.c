/*
 * adaptive_rice.c - out-of-line adaptive Rice entry points (see adaptive_rice.h).
 */
#include "adaptive_rice.h"

void spk_rice_init(spk_rice_state_t *s)
{
    s->m = SPK_RICE_M0;
}

spk_status_t spk_rice_encode(spk_rice_state_t *s, uint32_t u, spk_bitwriter_t *bw)
{
    if (u >= (1u << SPK_RICE_RAW_BITS)) {
        return SPK_ERR_RANGE;
    }
    spk_rice_encode_inline(s, u, bw);
    return bw->overflow ? SPK_ERR_OVERFLOW : SPK_OK;
}

spk_status_t spk_rice_decode(spk_rice_state_t *s, spk_bitreader_t *br, uint32_t *u)
{
    *u = spk_rice_decode_inline(s, br);
    return spk_br_status(br);
}
