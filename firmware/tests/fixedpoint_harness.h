/*
 * fixedpoint_harness.h - host test harness for the integer rules of spikey_fixed.h, used by
 * tests/test_fixedpoint.py through cffi (built with UBSan) to check the C inlines
 * bit-exact against the Python rules (spikey.fixed).
 *
 * The test reads this header as its cffi cdef with the lines starting with '#' dropped:
 * the spikey_fixed.h inlines it calls are declared again below (a redeclaration of a
 * static inline, so the compiler checks that the cdef matches them), plus the harness's
 * own function (fixedpoint_harness.c). Keep it to plain declarations besides the include
 * guard and the includes.
 */
#ifndef SPIKEY_TESTS_FIXEDPOINT_HARNESS_H
#define SPIKEY_TESTS_FIXEDPOINT_HARNESS_H

#include "spikey_fixed.h"

/* The spikey_fixed.h inlines under test. */
int32_t spk_rshr32(int32_t x, int s);
int64_t spk_rshr64(int64_t x, int s);
int16_t spk_sat16_32(int32_t x);
int16_t spk_sat16_64(int64_t x);
int16_t spk_requant16_32(int32_t acc, int s);
int16_t spk_requant16_64(int64_t acc, int s);
int64_t spk_shl64(int64_t x, int k);
int16_t spk_relu16(int16_t x);
int32_t spk_mul_rshr(int16_t a, int16_t b, int s);
int16_t spk_lut_interp(const int16_t *t, int16_t x);
int32_t spk_dot_s16_32(const int16_t *x, const int16_t *w, int n, int32_t acc);
int64_t spk_dot_s16_64(const int16_t *x, const int16_t *w, int n, int64_t acc);
int32_t spk_dot_s8_32(const int16_t *x, const int8_t *w, int n, int32_t acc);
int64_t spk_dot_s8_64(const int16_t *x, const int8_t *w, int n, int64_t acc);
int32_t spk_near_bin(int32_t r, int32_t d);
void spk_near_span(int32_t L, int32_t q, int32_t d, uint32_t *lo, uint32_t *hi);
uint32_t spk_near_code(int32_t L, int32_t q, int32_t d);

/* spk_lut_interp of table t at every int16 x: out[x + 32768] (65536 entries). */
void spk_lut_all(const int16_t *t, int16_t *out);

#endif /* SPIKEY_TESTS_FIXEDPOINT_HARNESS_H */
