/*
 * spikey_fixed.h -- the integer rules of Spikey's generated model code, one inline each.
 *
 * This header is the C spelling of docs/fixed-point.md; codegen/fixedpoint.py is the
 * Python spelling (the reference). Every function here is bit-exact with its Python
 * twin named in its comment. Conventions:
 *
 *   - a tensor with "frac" f holds value = q * 2^-f, q an int16_t;
 *   - rounding rule:   spk_rshr32 / spk_rshr64   (round half up: add 2^(s-1), then >> s);
 *   - saturation rule: spk_sat16_32 / spk_sat16_64 (clamp to [-32768, 32767]);
 *   - every other function is composed of these two and of exact integer arithmetic.
 *
 * No function here can overflow for the operands the generated code passes: the
 * quantiser's static range analysis (codegen/quantize.py) proves, for every legal input,
 * that each accumulator (every partial sum, in any order) plus its rounding offset fits
 * the accumulator type; the per-function preconditions below are what it proves.
 *
 * Implementation-defined behaviour relied on (checked at compile time below):
 *   - right shift of a negative signed integer is arithmetic (floor division by 2^s).
 *     GCC, Clang, armcc/armclang and IAR all document this.
 *   - conversion of an in-range value to a narrower signed type is exact (always true).
 *
 * Cortex-M4 fast paths (ACLE <arm_acle.h>, when __ARM_FEATURE_SAT / __ARM_FEATURE_DSP /
 * __ARM_FEATURE_SIMD32 are defined): SSAT for saturation, SMLAD / SMLALD dual 16x16
 * multiply-accumulate, SXTB16 to widen packed int8 weights. The portable fallbacks give
 * identical results (exact integer arithmetic both ways). Define SPK_NO_DSP to force the
 * portable paths on any target.
 */
#ifndef SPIKEY_FIXED_H
#define SPIKEY_FIXED_H

#include <stdint.h>
#include <string.h>

#if !defined(SPK_NO_DSP) && defined(__ARM_FEATURE_DSP) && defined(__ARM_FEATURE_SIMD32)
#include <arm_acle.h>
#define SPK_DSP 1
#else
#define SPK_DSP 0
#endif
#if !defined(SPK_NO_DSP) && defined(__ARM_FEATURE_SAT)
#include <arm_acle.h>
#define SPK_SAT 1
#else
#define SPK_SAT 0
#endif

#ifndef SPK_INLINE
#define SPK_INLINE static inline
#endif

/* A 4-byte copy the compiler turns into one (unaligned-capable) load, even freestanding. */
#if defined(__GNUC__)
#define SPK_MEMCPY __builtin_memcpy
#else
#define SPK_MEMCPY memcpy
#endif

/* C99 static assertions (negative array size on failure): arithmetic right shift. */
typedef char spk_assert_asr32[(((int32_t)-3) >> 1) == (int32_t)-2 ? 1 : -1];
typedef char spk_assert_asr64[(((int64_t)-3) >> 1) == (int64_t)-2 ? 1 : -1];

#define SPK_INT16_MIN (-32768)
#define SPK_INT16_MAX 32767

/* --- rounding rule ------------------------------------------------------------------- */

/* Rounding right shift, round half up: floor((x + 2^(s-1)) / 2^s); s == 0: x.
 * Python: fixedpoint.rshr. Precondition: 0 <= s <= 31 and x + 2^(s-1) fits int32
 * (proved by the range analysis). -5 >> 1 rounds to -2, -7 >> 1 to -3, 5 >> 1 to 3. */
SPK_INLINE int32_t spk_rshr32(int32_t x, int s)
{
    return s > 0 ? (x + ((int32_t)1 << (s - 1))) >> s : x;
}

/* As spk_rshr32 for int64: 0 <= s <= 63 and x + 2^(s-1) fits int64. Python: rshr. */
SPK_INLINE int64_t spk_rshr64(int64_t x, int s)
{
    return s > 0 ? (x + ((int64_t)1 << (s - 1))) >> s : x;
}

/* --- saturation rule ------------------------------------------------------------------ */

/* Clamp an int32 to [-32768, 32767]. Python: fixedpoint.sat16. Any input is valid. */
SPK_INLINE int16_t spk_sat16_32(int32_t x)
{
#if SPK_SAT
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push   /* GCC 12's __ssat macro trips -Wsign-conversion internally */
#pragma GCC diagnostic ignored "-Wsign-conversion"
#endif
    return (int16_t)__ssat(x, 16);
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#else
    return (int16_t)(x < SPK_INT16_MIN ? SPK_INT16_MIN : (x > SPK_INT16_MAX ? SPK_INT16_MAX : x));
#endif
}

/* Clamp an int64 to [-32768, 32767]. Python: fixedpoint.sat16. Any input is valid. */
SPK_INLINE int16_t spk_sat16_64(int64_t x)
{
    return (int16_t)(x < SPK_INT16_MIN ? SPK_INT16_MIN : (x > SPK_INT16_MAX ? SPK_INT16_MAX : x));
}

/* --- requantisation: rounding then saturation ------------------------------------------ */

/* int32 accumulator at scale 2^-(f_out + s) -> int16 at 2^-f_out.
 * s > 0: sat16(rshr(acc, s)); s <= 0: sat16(acc * 2^-s), done exactly in int64.
 * Python: fixedpoint.requant16. Precondition: as spk_rshr32 (s > 0), |acc| * 2^-s < 2^63. */
SPK_INLINE int16_t spk_requant16_32(int32_t acc, int s)
{
    if (s >= 0)
        return spk_sat16_32(spk_rshr32(acc, s));
    return spk_sat16_64((int64_t)acc * ((int64_t)1 << -s));
}

/* As spk_requant16_32 for an int64 accumulator. Python: fixedpoint.requant16. */
SPK_INLINE int16_t spk_requant16_64(int64_t acc, int s)
{
    if (s >= 0)
        return spk_sat16_64(spk_rshr64(acc, s));
    return spk_sat16_64(acc * ((int64_t)1 << -s));
}

/* Exact multiply by 2^k (k >= 0) in int64: the operand alignment of an Add.
 * Precondition: |x| * 2^k < 2^63. Python: x * (1 << k). */
SPK_INLINE int64_t spk_shl64(int64_t x, int k)
{
    return x * ((int64_t)1 << k);
}

/* --- element-wise ------------------------------------------------------------------------ */

/* max(x, 0). Python: fixedpoint.relu. */
SPK_INLINE int16_t spk_relu16(int16_t x)
{
    return x > 0 ? x : 0;
}

/* rshr(a * b, s), the int16 x int16 product in int32 (|a * b| <= 2^30).
 * Precondition: 0 <= s <= 30. Python: fixedpoint.mul_rshr. */
SPK_INLINE int32_t spk_mul_rshr(int16_t a, int16_t b, int s)
{
    return spk_rshr32((int32_t)a * (int32_t)b, s);
}

/* Table function with linear interpolation: Q3.12 input -> int16 (Q0.15 for sigmoid and
 * tanh). u = x + 32768, k = u >> 8, r = u & 255, y = t[k] + rshr((t[k+1] - t[k]) * r, 8).
 * t has 257 knots at x = -8 + k/16 (emitted by codegen from fixedpoint.make_lut).
 * |t[k+1] - t[k]| * 255 < 2^25: no overflow. Python: fixedpoint.lut_interp. */
SPK_INLINE int16_t spk_lut_interp(const int16_t *t, int16_t x)
{
    uint32_t u = (uint32_t)((int32_t)x + 32768);
    uint32_t k = u >> 8;
    int32_t r = (int32_t)(u & 255u);
    int32_t d = (int32_t)t[k + 1] - (int32_t)t[k];
    return (int16_t)((int32_t)t[k] + spk_rshr32(d * r, 8));
}

/* --- dot products (exact; the range analysis proves every partial sum fits) ------------- */

#if SPK_DSP
SPK_INLINE int32_t spk__ld2(const int16_t *p)   /* two int16 as one word, p[0] in the low half */
{
    int32_t v;
    SPK_MEMCPY(&v, p, 4);
    return v;
}
#endif

/* acc + sum_{i<n} x[i] * w[i], int16 weights, int32 accumulator. M4: SMLAD (two MACs per
 * instruction; an intermediate wrap is harmless because the final sum fits).
 * Python: fixedpoint.dot. */
SPK_INLINE int32_t spk_dot_s16_32(const int16_t *x, const int16_t *w, int n, int32_t acc)
{
#if SPK_DSP
    for (; n >= 2; n -= 2, x += 2, w += 2)
        acc = __smlad(spk__ld2(x), spk__ld2(w), acc);
#endif
    for (; n > 0; n--)
        acc += (int32_t)*x++ * (int32_t)*w++;
    return acc;
}

/* acc + sum x[i] * w[i], int16 weights, int64 accumulator. M4: SMLALD.
 * Python: fixedpoint.dot. */
SPK_INLINE int64_t spk_dot_s16_64(const int16_t *x, const int16_t *w, int n, int64_t acc)
{
#if SPK_DSP
    for (; n >= 2; n -= 2, x += 2, w += 2)
        acc = __smlald(spk__ld2(x), spk__ld2(w), acc);
#endif
    for (; n > 0; n--)
        acc += (int32_t)*x++ * (int32_t)*w++;
    return acc;
}

/* int8 weights are stored interleaved in groups of four: w0 w2 w1 w3 (a trailing group of
 * fewer than four is stored in order). On the M4 one 32-bit load gives both pairs through
 * SXTB16 (bytes 0,2 -> w0,w1) and SXTB16 of the word rotated by 8 (bytes 1,3 -> w2,w3),
 * matching the natural order of x. codegen/cgen.py:interleave_s8 makes the layout. */
#if SPK_DSP
SPK_INLINE void spk__unpack_s8(const int8_t *w, int32_t *w01, int32_t *w23)
{
    uint32_t v;
    SPK_MEMCPY(&v, w, 4);
    *w01 = __sxtb16((int32_t)v);
    *w23 = __sxtb16((int32_t)((v >> 8) | (v << 24)));
}
#endif

/* acc + sum x[i] * w[i] for int8 weights in the interleaved layout, int32 accumulator.
 * Python: fixedpoint.dot (on the natural order). */
SPK_INLINE int32_t spk_dot_s8_32(const int16_t *x, const int8_t *w, int n, int32_t acc)
{
    for (; n >= 4; n -= 4, x += 4, w += 4) {
#if SPK_DSP
        int32_t w01, w23;
        spk__unpack_s8(w, &w01, &w23);
        acc = __smlad(spk__ld2(x), w01, acc);
        acc = __smlad(spk__ld2(x + 2), w23, acc);
#else
        acc += (int32_t)x[0] * w[0];
        acc += (int32_t)x[1] * w[2];
        acc += (int32_t)x[2] * w[1];
        acc += (int32_t)x[3] * w[3];
#endif
    }
    for (; n > 0; n--)
        acc += (int32_t)*x++ * (int32_t)*w++;
    return acc;
}

/* As spk_dot_s8_32 with an int64 accumulator. M4: SMLALD. Python: fixedpoint.dot. */
SPK_INLINE int64_t spk_dot_s8_64(const int16_t *x, const int8_t *w, int n, int64_t acc)
{
    for (; n >= 4; n -= 4, x += 4, w += 4) {
#if SPK_DSP
        int32_t w01, w23;
        spk__unpack_s8(w, &w01, &w23);
        acc = __smlald(spk__ld2(x), w01, acc);
        acc = __smlald(spk__ld2(x + 2), w23, acc);
#else
        acc += (int32_t)x[0] * w[0];
        acc += (int32_t)x[1] * w[2];
        acc += (int32_t)x[2] * w[1];
        acc += (int32_t)x[3] * w[3];
#endif
    }
    for (; n > 0; n--)
        acc += (int32_t)*x++ * (int32_t)*w++;
    return acc;
}

#endif /* SPIKEY_FIXED_H */
