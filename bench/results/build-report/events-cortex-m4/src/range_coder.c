/*
 * range_coder.c - out-of-line parts of the range coder (see range_coder.h).
 */
#include "range_coder.h"

void spk_rc_enc_init(spk_rc_enc_t *e, uint8_t *buf, uint32_t cap)
{
    e->buf = buf;
    e->cap = cap;
    e->pos = 0u;
    e->overflow = 0u;
    e->low = 0u;
    e->range = 0xffffffffu;
    e->cache = 0u;
    e->pending = 0u;
    e->first = 1u;
    e->started = 0u;
}

void spk_rc_shift_low(spk_rc_enc_t *e)
{
    const uint64_t low = e->low;
    if (low < 0xff000000u || low > 0xffffffffu) {
        const uint32_t carry = (uint32_t)(low >> 32);
        if (e->first) {
            e->first = 0u;
        } else {
            spk_rc_put_byte(e, (e->cache + carry) & 0xffu);
        }
        for (; e->pending != 0u; e->pending--) {
            spk_rc_put_byte(e, (0xffu + carry) & 0xffu);
        }
        e->cache = (uint32_t)(low >> 24) & 0xffu;
    } else {
        e->pending++;
    }
    e->low = (low << 8) & 0xffffffffu;
}

spk_status_t spk_rc_enc_finish(spk_rc_enc_t *e)
{
    uint32_t i;
    if (e->started) {
        for (i = 0u; i < 5u; i++) {
            spk_rc_shift_low(e);
        }
        e->started = 0u;
    }
    return e->overflow ? SPK_ERR_OVERFLOW : SPK_OK;
}

void spk_rc_dec_init(spk_rc_dec_t *d, const uint8_t *buf, uint32_t n_bytes)
{
    d->buf = buf;
    d->n_bytes = n_bytes;
    d->pos = 0u;
    d->code = 0u;
    d->range = 0xffffffffu;
    d->corrupt = 0u;
}

uint32_t spk_rc_decode_first(spk_rc_dec_t *d)
{
    uint32_t i;
    for (i = 0u; i < 4u; i++) {
        d->code = (d->code << 8) | spk_rc_get_byte(d);
    }
    return spk_rc_decode_raw(d);
}

uint32_t spk_rc_decode_raw(spk_rc_dec_t *d)
{
    uint32_t r, t, x;
    t = spk_rc_target(d, &r);
    x = t >> (SPK_CDF_PBITS - 10u);
    spk_rc_consume(d, r, x << (SPK_CDF_PBITS - 10u), (x + 1u) << (SPK_CDF_PBITS - 10u));
    return x;
}

spk_status_t spk_rc_dec_finish(const spk_rc_dec_t *d)
{
    const spk_status_t s = spk_rc_dec_status(d);
    if (s != SPK_OK) {
        return s;
    }
    return (d->pos == d->n_bytes) ? SPK_OK : SPK_ERR_RANGE;
}
