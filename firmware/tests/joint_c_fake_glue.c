/*
 * joint_c_fake_glue.c - host test glue for the step driver's integer peer mean, used by
 * tests/test_joint_c.py (built for the host with UBSan, with the frame API spk_codec.h /
 * spk_codec.c rendered from codegen/emit/templates/codec.{h,c}.j2 against the stand-in
 * predictor joint_c_fake_pred.h).
 */
#include "joint_c_fake_glue.h"
#include "spk_codec.h"

/* For checking the peer mean spk_codec_encode_step hands the head: one joint step of
 * n_chan (at most 8) channels' first samples x with peers[c * n_peers ..] and the active
 * flags; the stand-in head returns that mean, read back as m[2c], m[2c+1] = channel c's
 * (L, log2s_q8). */
void spk_fake_step(const int16_t *x, const uint8_t *active, uint32_t n_chan, const int16_t *peers,
                   uint32_t n_peers, int32_t *m)
{
    spk_codec_chan_t ch[8];
    spk_codec_t k;
    uint8_t out[64];
    uint32_t c;
    for (c = 0u; c < n_chan; c++) {
        spk_codec_chan_init(&ch[c], 0u);
    }
    spk_codec_enc_init(&k, SPK_CODER_RANGE, 0, 0, out, sizeof out);
    spk_codec_encode_step(&k, ch, n_chan, x, active, peers, n_peers);
    for (c = 0u; c < n_chan; c++) {
        m[2 * c] = ch[c].L;
        m[2 * c + 1] = ch[c].log2s_q8;
    }
}
