/*
 * huffman_prior.h - static canonical Huffman code per stream from a one-parameter
 * Laplace prior of the residual. The exact rule of spikey/coders/huffman_prior.py
 * (spec: docs/coders.md §4).
 *
 *   header: x[0] (10 bits), p (6 bits, 0..48)
 *   prior : w(u) = C(513 + r) - C(512 + r), r = unzigzag(u), C the model CDF with
 *           uniform edges, Laplace, L = 512, log2s_q8 = (p - 8) * 64 (w >= 1, sum 2^18)
 *   code  : Huffman lengths by the two-queue method over leaves sorted by (w, u)
 *           ascending, a leaf winning ties; canonical codes in (length, u) order.
 *   symbol: u = zigzag(wrap10(x - L)), decoded bit by bit with first-code-per-length.
 *
 * Building the tables costs ~1 insertion sort and one Huffman pass over 1024 symbols
 * (once per stream). Memory: the struct holds the tables (~9 KB) and the build
 * scratch (~16 KB); codes are at most 31 bits.
 */
#ifndef SPIKEY_HUFFMAN_PRIOR_H
#define SPIKEY_HUFFMAN_PRIOR_H

#include <stdint.h>
#include "spikey_status.h"
#include "bitstream.h"
#include "rice_coders.h"

#define SPK_HUFF_N       1024u
#define SPK_HUFF_P_BITS  6u
#define SPK_HUFF_P_MAX   48u
#define SPK_HUFF_MAX_LEN 31u

typedef struct {
    uint32_t code[SPK_HUFF_N];          /* canonical code of u (encoder) */
    uint8_t len[SPK_HUFF_N];            /* its length, 1..31 */
    uint16_t sym[SPK_HUFF_N];           /* symbols in (length, u) order (decoder) */
    uint32_t count[SPK_HUFF_MAX_LEN + 2u];
    uint32_t first[SPK_HUFF_MAX_LEN + 2u];
    uint32_t offset[SPK_HUFF_MAX_LEN + 2u];
    /* build scratch */
    int32_t edges[SPK_CDF_N_CODES + 1u];
    uint32_t w[SPK_HUFF_N];
    uint32_t iw[SPK_HUFF_N];
    uint16_t order[SPK_HUFF_N];
    uint16_t parent[2u * SPK_HUFF_N];
    uint8_t depth[2u * SPK_HUFF_N];
} spk_huff_t;

/* Build the code for parameter p. SPK_ERR_RANGE if p > 48 or a code would exceed 31 bits. */
spk_status_t spk_huff_build(spk_huff_t *h, uint32_t p);

/* Encoder: build the code and write the header (x0, p). */
spk_status_t spk_huff_begin(spk_huff_t *h, uint32_t p, uint32_t x0, spk_bitwriter_t *bw);

static inline void spk_huff_encode_one(const spk_huff_t *h, uint32_t x, uint32_t L, spk_bitwriter_t *bw)
{
    const uint32_t u = spk_resid_u(x, L);
    spk_bw_put_long(bw, h->code[u], h->len[u]);
}

/* Decoder: read the header, build the code, return x[0]; *status SPK_ERR_RANGE on a bad p. */
uint32_t spk_huff_start(spk_huff_t *h, spk_bitreader_t *br, spk_status_t *status);

/* Decode one code. The code is complete (Kraft sum 1), so every bit string decodes; the
 * fall-through after 31 bits (returns L) is unreachable and only bounds the loop. */
static inline uint32_t spk_huff_decode_one(const spk_huff_t *h, uint32_t L, spk_bitreader_t *br)
{
    uint32_t code = 0u, ln;
    for (ln = 1u; ln <= SPK_HUFF_MAX_LEN; ln++) {
        uint32_t i;
        code = (code << 1) | spk_br_read(br, 1u);
        i = code - h->first[ln];
        if (i < h->count[ln]) {      /* unsigned: also rejects code < first */
            return spk_resid_x(h->sym[h->offset[ln] + i], L);
        }
    }
    return L;
}

#endif /* SPIKEY_HUFFMAN_PRIOR_H */
