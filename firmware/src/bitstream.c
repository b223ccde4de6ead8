/*
 * bitstream.c - the out-of-line parts of the MSB-first bit writer and reader.
 * The per-codeword operations are static inline in bitstream.h.
 */
#include "bitstream.h"

void spk_bw_init(spk_bitwriter_t *bw, uint8_t *buf, uint32_t cap)
{
    bw->buf = buf;
    bw->cap = cap;
    bw->pos = 0u;
    bw->acc = 0u;
    bw->n_acc = 0u;
    bw->overflow = 0u;
}

spk_status_t spk_bw_finish(spk_bitwriter_t *bw)
{
    if (bw->n_acc != 0u) {
        spk_bw_put(bw, 0u, 8u - bw->n_acc);   /* zero padding to a whole byte */
    }
    return bw->overflow ? SPK_ERR_OVERFLOW : SPK_OK;
}

void spk_br_init(spk_bitreader_t *br, const uint8_t *buf, uint32_t n_bytes)
{
    br->buf = buf;
    br->n_bytes = n_bytes;
    br->next = 0u;
    br->win = 0u;
    br->n_win = 0u;
}
