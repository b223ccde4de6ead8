/*
 * joint_c_fake_glue.h - host test glue for the step driver's integer peer mean
 * (spk_codec_encode_step of the generated frame API spk_codec.c, rendered from
 * codegen/emit/templates/codec.c.j2), used by tests/test_joint_c.py through cffi with the
 * stand-in predictor joint_c_fake_pred.h; definition in joint_c_fake_glue.c.
 *
 * The test reads this header as its cffi cdef with the lines starting with '#' dropped:
 * keep it to plain declarations besides the include guard and the includes.
 */
#ifndef SPIKEY_TESTS_JOINT_C_FAKE_GLUE_H
#define SPIKEY_TESTS_JOINT_C_FAKE_GLUE_H

#include <stdint.h>

/* One joint step of n_chan channels' first samples; m[2c], m[2c+1] = channel c's peer mean. */
void spk_fake_step(const int16_t *x, const uint8_t *active, uint32_t n_chan, const int16_t *peers,
                   uint32_t n_peers, int32_t *m);

#endif /* SPIKEY_TESTS_JOINT_C_FAKE_GLUE_H */
