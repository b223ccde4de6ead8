/*
 * spk_host_coders.c - the entropy coders of firmware/src driven over whole arrays on the host
 * (spk_host_coders.h), for the tests of the C coders against the Python reference.
 */
#include "spk_host_coders.h"
#include "model_cdf.h"
#include "range_coder.h"
#include "rice_coders.h"
#include "huffman_prior.h"

uint32_t spk_hc_cdf(const int32_t *edges, uint32_t family, uint32_t k, uint32_t L, int32_t ls)
{
    spk_cdf_model_t m;
    spk_cdf_init(&m, edges, family);
    return spk_cdf_eval(&m, k, L, spk_cdf_clamp_log2s(ls));
}

int spk_hc_encode(int coder, const int16_t *x, const int16_t *L, const int32_t *ls, uint32_t n,
                  uint32_t param, const int32_t *edges, uint32_t family,
                  uint8_t *out, uint32_t cap, uint32_t *n_out)
{
    uint32_t t;
    spk_status_t st = SPK_OK;
    *n_out = 0u;
    if (n == 0u) {
        return 0;
    }
    if (coder == 4) {
        spk_cdf_model_t m;
        spk_rc_enc_t e;
        spk_cdf_init(&m, edges, family);
        spk_rc_enc_init(&e, out, cap);
        spk_rc_encode_first(&e, (uint32_t)x[0]);
        for (t = 1u; t < n; t++) {
            spk_rc_encode_one(&e, &m, (uint32_t)x[t], (uint32_t)L[t], ls[t]);
        }
        st = spk_rc_enc_finish(&e);
        *n_out = e.pos;
    } else {
        spk_bitwriter_t bw;
        spk_bw_init(&bw, out, cap);
        if (coder == 2) {
            spk_rice_fixed_t s;
            st = spk_rice_fixed_begin(&s, param, (uint32_t)x[0], &bw);
            for (t = 1u; t < n && st == SPK_OK; t++) {
                spk_rice_fixed_encode_one(&s, (uint32_t)x[t], (uint32_t)L[t], &bw);
            }
        } else if (coder == 3) {
            spk_rice_scaled_begin((uint32_t)x[0], &bw);
            for (t = 1u; t < n; t++) {
                spk_rice_scaled_encode_one((uint32_t)x[t], (uint32_t)L[t], ls[t], &bw);
            }
        } else if (coder == 5) {
            static spk_huff_t h;      /* ~10 KB: off the stack */
            st = spk_huff_begin(&h, param, (uint32_t)x[0], &bw);
            for (t = 1u; t < n && st == SPK_OK; t++) {
                spk_huff_encode_one(&h, (uint32_t)x[t], (uint32_t)L[t], &bw);
            }
        } else {
            return (int)SPK_ERR_RANGE;
        }
        if (st == SPK_OK) {
            st = spk_bw_finish(&bw);
        }
        *n_out = bw.pos;
    }
    return (int)st;
}

int spk_hc_decode(int coder, const uint8_t *payload, uint32_t n_bytes, const int16_t *L,
                  const int32_t *ls, uint32_t n, const int32_t *edges, uint32_t family,
                  int16_t *x, uint32_t binary_search)
{
    uint32_t t;
    if (n == 0u) {
        return (n_bytes == 0u) ? 0 : (int)SPK_ERR_RANGE;
    }
    if (coder == 4) {
        spk_cdf_model_t m;
        spk_rc_dec_t d;
        spk_cdf_init(&m, edges, family);
        spk_rc_dec_init(&d, payload, n_bytes);
        x[0] = (int16_t)spk_rc_decode_first(&d);
        if (binary_search) {
            for (t = 1u; t < n; t++) {
                uint32_t r, c_lo, c_hi, v;
                const int32_t s = spk_cdf_clamp_log2s(ls[t]);
                const uint32_t tg = spk_rc_target(&d, &r);
                v = spk_cdf_find_binary(&m, tg, (uint32_t)L[t], s, &c_lo, &c_hi);
                spk_rc_consume(&d, r, c_lo, c_hi);
                x[t] = (int16_t)v;
            }
        } else {
            for (t = 1u; t < n; t++) {
                x[t] = (int16_t)spk_rc_decode_one(&d, &m, (uint32_t)L[t], ls[t]);
            }
        }
        return (int)spk_rc_dec_finish(&d);
    } else {
        spk_bitreader_t br;
        spk_br_init(&br, payload, n_bytes);
        if (coder == 2) {
            spk_rice_fixed_t s;
            uint32_t x0;
            if (spk_rice_fixed_start(&s, &br, &x0) != SPK_OK) {
                return (int)SPK_ERR_RANGE;
            }
            x[0] = (int16_t)x0;
            for (t = 1u; t < n; t++) {
                x[t] = (int16_t)spk_rice_fixed_decode_one(&s, (uint32_t)L[t], &br);
            }
        } else if (coder == 3) {
            x[0] = (int16_t)spk_br_read(&br, 10u);
            for (t = 1u; t < n; t++) {
                x[t] = (int16_t)spk_rice_scaled_decode_one((uint32_t)L[t], ls[t], &br);
            }
        } else if (coder == 5) {
            static spk_huff_t h;
            spk_status_t st;
            x[0] = (int16_t)spk_huff_start(&h, &br, &st);
            if (st != SPK_OK) {
                return (int)st;
            }
            for (t = 1u; t < n; t++) {
                x[t] = (int16_t)spk_huff_decode_one(&h, (uint32_t)L[t], &br);
            }
        } else {
            return (int)SPK_ERR_RANGE;
        }
        if (spk_br_status(&br) != SPK_OK) {
            return (int)SPK_ERR_OVERRUN;
        }
        /* the zero padding: fewer than 8 bits may be left over */
        return (8u * n_bytes - spk_br_consumed(&br) < 8u) ? 0 : (int)SPK_ERR_RANGE;
    }
}
