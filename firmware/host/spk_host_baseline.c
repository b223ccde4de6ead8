/*
 * spk_host_baseline.c - the baseline codec's frame loop on the host (spk_host_baseline.h):
 * the implant's loop, one state and one bit writer, frame after frame, over one buffer.
 */
#include "spk_host_baseline.h"
#include "baseline.h"

int spk_host_encode(const int16_t *codes, uint32_t n, uint32_t frame,
                    uint8_t *out, uint32_t cap, uint32_t *n_out)
{
    spk_baseline_state_t st;
    spk_bitwriter_t bw;
    spk_status_t status = SPK_OK;
    uint32_t i;

    spk_baseline_init(&st);
    spk_bw_init(&bw, out, cap);
    for (i = 0u; i < n && status == SPK_OK; i += frame) {
        const uint32_t len = (n - i < frame) ? n - i : frame;
        status = spk_baseline_encode(&st, codes + i, len, &bw);
    }
    if (status == SPK_OK) {
        status = spk_bw_finish(&bw);
    }
    *n_out = bw.pos;
    return (int)status;
}

int spk_host_decode(const uint8_t *payload, uint32_t n_bytes, int16_t *codes, uint32_t n,
                    uint32_t frame)
{
    spk_baseline_state_t st;
    spk_bitreader_t br;
    uint32_t i;

    spk_baseline_init(&st);
    spk_br_init(&br, payload, n_bytes);
    for (i = 0u; i < n; i += frame) {
        const uint32_t len = (n - i < frame) ? n - i : frame;
        (void)spk_baseline_decode(&st, &br, codes + i, len);
    }
    return (int)spk_br_status(&br);
}

int spk_host_rice_encode(const uint16_t *u, uint32_t n, uint8_t *out, uint32_t cap,
                         uint32_t *n_out)
{
    spk_rice_state_t st;
    spk_bitwriter_t bw;
    spk_status_t status = SPK_OK;
    uint32_t i;

    spk_rice_init(&st);
    spk_bw_init(&bw, out, cap);
    for (i = 0u; i < n && status == SPK_OK; i++) {
        status = spk_rice_encode(&st, u[i], &bw);
    }
    if (status == SPK_OK) {
        status = spk_bw_finish(&bw);
    }
    *n_out = bw.pos;
    return (int)status;
}
