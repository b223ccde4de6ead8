/*
 * range_coder.h - 32-bit range coder (carry propagation through a cached byte and a
 * count of pending 0xff bytes, as in LZMA) over the model CDF of model_cdf.h.
 *
 * The exact rule of spikey/coders/range_coder.py (spec: docs/coders.md §2):
 *
 *   encode(c_lo, c_hi): r = range >> P; low += r * c_lo; range = r * (c_hi - c_lo);
 *                       while range < 2^24: range <<= 8, shift_low()
 *   shift_low():        if low < 0xff000000 or low >= 2^32: output cache + carry (not for
 *                       the very first call), then `pending` bytes (0xff + carry) & 0xff,
 *                       cache = bits 24..31 of low; else pending++. low = (low << 8) mod 2^32.
 *   finish():           5 x shift_low() (nothing at all if no symbol was coded).
 *
 * x[0] is one uniform symbol (c_lo = x0 << (P - 10), frequency 2^(P - 10)); each later
 * sample is (C(x), C(x+1)) under its prediction. Output: one byte per normalisation
 * shift, plus 4. Scaling: range in [2^24, 2^32) between symbols, r = range >> P >= 2^6;
 * low < 2^33 (bit 32 is the carry), kept in uint64.
 *
 * Output goes into a caller-provided byte buffer; when it is full, bytes are dropped and
 * a sticky overflow flag is set (as the bit writer does). spk_rc_enc_rewind() hands the
 * completed bytes to the caller for frame-by-frame streaming.
 *
 * Decoder: code = first 4 bytes, big-endian. Per symbol: r = range >> P,
 * target = code / r (>= 2^P only in a corrupt stream: sticky error), find x, code -= r C(x),
 * range = r (C(x+1) - C(x)), renormalise reading one byte per shift. Bytes past the end
 * read as 0 and are counted: a valid payload is consumed exactly.
 */
#ifndef SPIKEY_RANGE_CODER_H
#define SPIKEY_RANGE_CODER_H

#include <stdint.h>
#include "spikey_status.h"
#include "model_cdf.h"
#include "spikey_fixed.h"

#define SPK_RC_TOP (1u << 24)

typedef struct {
    uint8_t *buf;        /* output bytes (caller-owned) */
    uint32_t cap;        /* capacity of buf */
    uint32_t pos;        /* bytes written to buf */
    uint32_t overflow;   /* sticky: a byte was dropped */
    uint64_t low;        /* < 2^33 */
    uint32_t range;      /* in [2^24, 2^32) between symbols */
    uint32_t cache;      /* the last byte not yet output */
    uint32_t pending;    /* number of 0xff bytes after cache */
    uint32_t first;      /* 1 until the first shift_low that outputs */
    uint32_t started;    /* a symbol has been coded */
} spk_rc_enc_t;

typedef struct {
    const uint8_t *buf;
    uint32_t n_bytes;
    uint32_t pos;        /* bytes read (counting zeros read past the end) */
    uint32_t code;
    uint32_t range;
    uint32_t corrupt;    /* sticky: target >= 2^P seen */
} spk_rc_dec_t;

void spk_rc_enc_init(spk_rc_enc_t *e, uint8_t *buf, uint32_t cap);

static inline void spk_rc_put_byte(spk_rc_enc_t *e, uint32_t byte)
{
    if (e->pos < e->cap) {
        e->buf[e->pos++] = (uint8_t)byte;
    } else {
        e->overflow = 1u;
    }
}

/* The carry-propagating byte output (out of line: runs once per 8 bits of output). */
void spk_rc_shift_low(spk_rc_enc_t *e);

/* Code the interval [c_lo, c_hi) of a total 2^P (c_lo < c_hi <= 2^P). */
static inline void spk_rc_encode_interval(spk_rc_enc_t *e, uint32_t c_lo, uint32_t c_hi)
{
    const uint32_t r = e->range >> SPK_CDF_PBITS;
    e->started = 1u;
    e->low += (uint64_t)r * c_lo;
    e->range = r * (c_hi - c_lo);
    while (e->range < SPK_RC_TOP) {
        e->range <<= 8;
        spk_rc_shift_low(e);
    }
}

/* x[0] in [0, 1024): a uniform 10-bit symbol. */
static inline void spk_rc_encode_first(spk_rc_enc_t *e, uint32_t x0)
{
    spk_rc_encode_interval(e, x0 << (SPK_CDF_PBITS - 10u), (x0 + 1u) << (SPK_CDF_PBITS - 10u));
}

/* x in [0, 1024) under the prediction (L in [0, 1024), log2s_q8 any: clamped here). */
static inline void spk_rc_encode_one(spk_rc_enc_t *e, const spk_cdf_model_t *m, uint32_t x,
                                     uint32_t L, int32_t log2s_q8)
{
    const int32_t ls = spk_cdf_clamp_log2s(log2s_q8);
    spk_rc_encode_interval(e, spk_cdf_eval(m, x, L, ls), spk_cdf_eval(m, x + 1u, L, ls));
}

/* Near-lossless (docs/coders.md section 6): code the bin q = spk_near_bin(x - L, d) of x
 * (codes [lo, hi] = spk_near_span, of width 2d + 1 clamped to [0, 1023]) as the interval
 * [C(lo), C(hi + 1)) of the same model CDF. Returns the reconstructed code
 * spk_near_code(L, q, d), within d of x: the history the predictor must see next. */
static inline uint32_t spk_rc_encode_near(spk_rc_enc_t *e, const spk_cdf_model_t *m, uint32_t x,
                                          uint32_t L, int32_t log2s_q8, int32_t d)
{
    const int32_t ls = spk_cdf_clamp_log2s(log2s_q8);
    const int32_t q = spk_near_bin((int32_t)x - (int32_t)L, d);
    uint32_t lo, hi;
    spk_near_span((int32_t)L, q, d, &lo, &hi);
    spk_rc_encode_interval(e, spk_cdf_eval(m, lo, L, ls), spk_cdf_eval(m, hi + 1u, L, ls));
    return spk_near_code((int32_t)L, q, d);
}

/* Flush (nothing if no symbol was coded). SPK_ERR_OVERFLOW if any byte was dropped. */
spk_status_t spk_rc_enc_finish(spk_rc_enc_t *e);

/* After the caller consumed buf[0 .. pos): restart filling at buf[0]. */
static inline void spk_rc_enc_rewind(spk_rc_enc_t *e)
{
    e->pos = 0u;
}

/* Start decoding buf[0 .. n_bytes) (reads nothing yet). */
void spk_rc_dec_init(spk_rc_dec_t *d, const uint8_t *buf, uint32_t n_bytes);

static inline uint32_t spk_rc_get_byte(spk_rc_dec_t *d)
{
    const uint32_t p = d->pos++;
    return (p < d->n_bytes) ? d->buf[p] : 0u;
}

/* r = range >> P and the target code / r (clamped, sticky error if out of range). */
static inline uint32_t spk_rc_target(spk_rc_dec_t *d, uint32_t *r)
{
    uint32_t t;
    *r = d->range >> SPK_CDF_PBITS;
    t = d->code / *r;
    if (t >= SPK_CDF_TOTAL) {
        d->corrupt = 1u;
        t = SPK_CDF_TOTAL - 1u;
    }
    return t;
}

static inline void spk_rc_consume(spk_rc_dec_t *d, uint32_t r, uint32_t c_lo, uint32_t c_hi)
{
    d->code -= r * c_lo;
    d->range = r * (c_hi - c_lo);
    while (d->range < SPK_RC_TOP) {
        d->range <<= 8;
        d->code = (d->code << 8) | spk_rc_get_byte(d);
    }
}

/* Reads the 4 start bytes, then x[0]. */
uint32_t spk_rc_decode_first(spk_rc_dec_t *d);

/* A uniform 10-bit symbol after the first: the first code of a joint stream's later channels. */
uint32_t spk_rc_decode_raw(spk_rc_dec_t *d);

/* Decode one code under the prediction (same clamping as the encoder). */
static inline uint32_t spk_rc_decode_one(spk_rc_dec_t *d, const spk_cdf_model_t *m, uint32_t L,
                                         int32_t log2s_q8)
{
    const int32_t ls = spk_cdf_clamp_log2s(log2s_q8);
    uint32_t r, c_lo, c_hi, x;
    const uint32_t t = spk_rc_target(d, &r);
    x = spk_cdf_find(m, t, L, ls, &c_lo, &c_hi);
    spk_rc_consume(d, r, c_lo, c_hi);
    return x;
}

/* Near-lossless: decode one bin under the prediction and return its reconstructed code
 * (spk_rc_encode_near's). The code x holding the target is found as in spk_rc_decode_one;
 * its bin's bounds C(lo), C(hi + 1) reuse C(x), C(x + 1) where the bin ends at x. */
static inline uint32_t spk_rc_decode_near(spk_rc_dec_t *d, const spk_cdf_model_t *m, uint32_t L,
                                          int32_t log2s_q8, int32_t dmax)
{
    const int32_t ls = spk_cdf_clamp_log2s(log2s_q8);
    uint32_t r, c_lo, c_hi, x, lo, hi;
    const uint32_t t = spk_rc_target(d, &r);
    int32_t q;
    x = spk_cdf_find(m, t, L, ls, &c_lo, &c_hi);
    q = spk_near_bin((int32_t)x - (int32_t)L, dmax);
    spk_near_span((int32_t)L, q, dmax, &lo, &hi);
    c_lo = (lo == x) ? c_lo : spk_cdf_eval(m, lo, L, ls);
    c_hi = (hi == x) ? c_hi : spk_cdf_eval(m, hi + 1u, L, ls);
    spk_rc_consume(d, r, c_lo, c_hi);
    return spk_near_code((int32_t)L, q, dmax);
}

/* SPK_ERR_OVERRUN if the stream was read past its end or is corrupt, else SPK_OK. */
static inline spk_status_t spk_rc_dec_status(const spk_rc_dec_t *d)
{
    return (d->corrupt || d->pos > d->n_bytes) ? SPK_ERR_OVERRUN : SPK_OK;
}

/* After the last sample: as spk_rc_dec_status, and SPK_ERR_RANGE if bytes are left over. */
spk_status_t spk_rc_dec_finish(const spk_rc_dec_t *d);

#endif /* SPIKEY_RANGE_CODER_H */
