/*
 * huffman_prior.c - building the per-stream canonical Huffman code (see huffman_prior.h).
 */
#include "huffman_prior.h"
#include "model_cdf.h"

/* Strict order of leaves: by weight, then by symbol. */
static int leaf_less(const spk_huff_t *h, uint32_t a, uint32_t b)
{
    return (h->w[a] < h->w[b]) || (h->w[a] == h->w[b] && a < b);
}

spk_status_t spk_huff_build(spk_huff_t *h, uint32_t p)
{
    const uint32_t n = SPK_HUFF_N;
    spk_cdf_model_t m;
    uint32_t i, u, li = 0u, ii = 0u, made = 0u, ln, c, o;
    int32_t ls;

    if (p > SPK_HUFF_P_MAX) {
        return SPK_ERR_RANGE;
    }
    ls = ((int32_t)p - 8) * 64;
    for (i = 0u; i <= SPK_CDF_N_CODES; i++) {
        h->edges[i] = (int32_t)(i << 16) - 32768;
    }
    spk_cdf_init(&m, h->edges, SPK_CDF_LAPLACE);
    for (u = 0u; u < n; u++) {
        const uint32_t k = (uint32_t)(512 + spk_unzigzag(u));
        h->w[u] = spk_cdf_eval(&m, k + 1u, 512u, ls) - spk_cdf_eval(&m, k, 512u, ls);
    }
    /* insertion sort of the leaves by (w, u) ascending */
    for (u = 0u; u < n; u++) {
        uint32_t j = u;
        while (j > 0u && leaf_less(h, u, h->order[j - 1u])) {
            h->order[j] = h->order[j - 1u];
            j--;
        }
        h->order[j] = (uint16_t)u;
    }
    /* two-queue Huffman: leaves 0..n-1, internal node m at index n + m */
    while (made < n - 1u) {
        uint32_t pick[2], wsum = 0u, t;
        for (t = 0u; t < 2u; t++) {
            if (li < n && (ii >= made || h->w[h->order[li]] <= h->iw[ii])) {
                pick[t] = h->order[li];
                wsum += h->w[h->order[li]];
                li++;
            } else {
                pick[t] = n + ii;
                wsum += h->iw[ii];
                ii++;
            }
        }
        h->iw[made] = wsum;
        h->parent[pick[0]] = (uint16_t)(n + made);
        h->parent[pick[1]] = (uint16_t)(n + made);
        made++;
    }
    h->depth[2u * n - 2u] = 0u;
    for (i = 2u * n - 3u; i >= n; i--) {
        const uint32_t d = h->depth[h->parent[i]] + 1u;
        h->depth[i] = (uint8_t)((d > 255u) ? 255u : d);
    }
    for (ln = 0u; ln < SPK_HUFF_MAX_LEN + 2u; ln++) {
        h->count[ln] = 0u;
    }
    for (u = 0u; u < n; u++) {
        const uint32_t d = h->depth[h->parent[u]] + 1u;
        if (d > SPK_HUFF_MAX_LEN) {
            return SPK_ERR_RANGE;
        }
        h->len[u] = (uint8_t)d;
        h->count[d]++;
    }
    /* canonical codes: first code and symbol offset per length */
    c = 0u;
    o = 0u;
    for (ln = 1u; ln <= SPK_HUFF_MAX_LEN; ln++) {
        c = (ln > 1u) ? (c + h->count[ln - 1u]) << 1 : 0u;
        h->first[ln] = c;
        h->offset[ln] = o;
        o += h->count[ln];
    }
    {
        uint32_t next[SPK_HUFF_MAX_LEN + 2u];
        for (ln = 1u; ln <= SPK_HUFF_MAX_LEN; ln++) {
            next[ln] = 0u;
        }
        for (u = 0u; u < n; u++) {      /* u ascending: (length, u) order within a length */
            ln = h->len[u];
            h->code[u] = h->first[ln] + next[ln];
            h->sym[h->offset[ln] + next[ln]] = (uint16_t)u;
            next[ln]++;
        }
    }
    return SPK_OK;
}

spk_status_t spk_huff_begin(spk_huff_t *h, uint32_t p, uint32_t x0, spk_bitwriter_t *bw)
{
    const spk_status_t s = spk_huff_build(h, p);
    if (s != SPK_OK || x0 > 1023u) {
        return SPK_ERR_RANGE;
    }
    spk_bw_put(bw, (x0 << SPK_HUFF_P_BITS) | p, 10u + SPK_HUFF_P_BITS);
    return bw->overflow ? SPK_ERR_OVERFLOW : SPK_OK;
}

uint32_t spk_huff_start(spk_huff_t *h, spk_bitreader_t *br, spk_status_t *status)
{
    const uint32_t x0 = spk_br_read(br, 10u);
    const uint32_t p = spk_br_read(br, SPK_HUFF_P_BITS);
    *status = spk_huff_build(h, p);
    return x0;
}
