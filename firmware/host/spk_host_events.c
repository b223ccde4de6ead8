/*
 * spk_host_events.c - the host glue of spk_host_events.h: drives spk_events.h (generated)
 * over whole channels exactly as firmware/hil/hil_events.c does on the target.
 */
#include <stdlib.h>
#include "spk_host_events.h"
#include "spk_events.h"

static uint32_t put_varint(uint8_t *out, uint32_t at, uint32_t cap, uint32_t v, int *full)
{
    do {
        const uint32_t byte = (v & 0x7fu) | (v > 0x7fu ? 0x80u : 0u);
        if (at < cap) {
            out[at] = (uint8_t)byte;
        } else {
            *full = 1;
        }
        at++;
        v >>= 7;
    } while (v != 0u);
    return at;
}

int spk_he_encode(const int16_t *codes, const uint32_t *lengths, uint32_t n_chan, uint32_t joint,
                  uint8_t *out, uint32_t cap, uint32_t *n_out)
{
    spk_ev_chan_t *ch;
    const int16_t **at;
    spk_rc_enc_t enc;
    uint32_t c, j, max_len = 0u, pos = 0u;
    int full = 0;
    if (n_chan == 0u || (!joint && n_chan != 1u)) {
        return 3;
    }
    ch = (spk_ev_chan_t *)malloc(n_chan * sizeof *ch);
    at = (const int16_t **)malloc(n_chan * sizeof *at);
    if (ch == NULL || at == NULL) {
        free(ch);
        free((void *)at);
        return 3;
    }
    for (c = 0u; c < n_chan; c++) {
        at[c] = codes;
        codes += lengths[c];
        max_len = lengths[c] > max_len ? lengths[c] : max_len;
        if (lengths[c] != 0u) {
            spk_ev_reset(&ch[c], at[c][0]);
        }
    }
    if (!joint) {
        spk_rc_enc_init(&enc, out, cap);
        for (j = 0u; j * SPK_EV_FRAME < lengths[0]; j++) {
            const uint32_t n = lengths[0] - j * SPK_EV_FRAME < SPK_EV_FRAME ? lengths[0] - j * SPK_EV_FRAME : SPK_EV_FRAME;
            spk_ev_process(&ch[0], at[0] + j * SPK_EV_FRAME, n);
            spk_ev_code(&ch[0], &enc);
        }
        full = spk_rc_enc_finish(&enc) != SPK_OK;
        pos = enc.pos;
    } else {
        uint8_t frame_buf[4096];
        for (j = 0u; j * SPK_EV_FRAME < max_len; j++) {
            uint32_t i;
            spk_rc_enc_init(&enc, frame_buf, sizeof frame_buf);
            for (c = 0u; c < n_chan; c++) {
                if (j * SPK_EV_FRAME < lengths[c]) {
                    const uint32_t left = lengths[c] - j * SPK_EV_FRAME;
                    spk_ev_process(&ch[c], at[c] + j * SPK_EV_FRAME, left < SPK_EV_FRAME ? left : SPK_EV_FRAME);
                    spk_ev_code(&ch[c], &enc);
                }
            }
            if (spk_rc_enc_finish(&enc) != SPK_OK) {
                full = 1;
            }
            pos = put_varint(out, pos, cap, enc.pos, &full);
            for (i = 0u; i < enc.pos; i++, pos++) {
                if (pos < cap) {
                    out[pos] = frame_buf[i];
                } else {
                    full = 1;
                }
            }
        }
    }
    free(ch);
    free((void *)at);
    *n_out = pos;
    return full ? 1 : 0;
}

int32_t spk_he_detect(const int16_t *codes, uint32_t n, int64_t *spikes, uint32_t spike_cap,
                      int32_t *sbp, uint32_t sbp_cap, uint32_t *n_sbp)
{
    spk_ev_chan_t ch;
    uint32_t t, k, n_spikes = 0u;
    *n_sbp = 0u;
    if (n == 0u) {
        return 0;
    }
    spk_ev_reset(&ch, codes[0]);
    for (t = 0u; t < n; t++) {
        spk_ev_process(&ch, codes + t, 1u);     /* one sample at a time, as they arrive */
        if (t % SPK_EV_FRAME != SPK_EV_FRAME - 1u && t != n - 1u) {
            continue;
        }
        for (k = 0u; k < ch.n_spikes; k++) {
            if (n_spikes == spike_cap) {
                return -1;
            }
            spikes[n_spikes++] = (int64_t)(t - t % SPK_EV_FRAME + ch.offsets[k]) - (int64_t)SPK_EV_LAG;
        }
        for (k = 0u; k < ch.n_sbp; k++) {
            if (*n_sbp == sbp_cap) {
                return -1;
            }
            sbp[(*n_sbp)++] = ch.sbp[k];
        }
        ch.n_spikes = 0u;
        ch.n_sbp = 0u;
    }
    return (int32_t)n_spikes;
}
