/*
 * fixedpoint_harness.c - host test harness for spikey_fixed.h, used by
 * tests/test_fixedpoint.py (declarations in fixedpoint_harness.h).
 */
#include "fixedpoint_harness.h"

/* For checking the LUT interpolation at every input in one call: out[x + 32768] =
 * spk_lut_interp(t, x) for every int16 x (the test compares it with the Python rule). */
void spk_lut_all(const int16_t *t, int16_t *out)
{
    int32_t x;
    for (x = -32768; x <= 32767; x++) {
        out[x + 32768] = spk_lut_interp(t, (int16_t)x);
    }
}
