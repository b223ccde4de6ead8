/*
 * spikey_fixed.h -- the integer rules of Spikey's generated model code, one inline each.
 *
 * This header is the C spelling of docs/fixed-point.md; spikey/fixed.py is the
 * Python spelling (the reference). Every function here is bit-exact with its Python
 * twin named in its comment. Conventions:
 *
 *   - a tensor with "frac" f holds value = q * 2^-f, q an int16_t;
 *   - rounding rule:   spk_rshr32 / spk_rshr64   (round half up: add 2^(s-1), then >> s);
 *   - saturation rule: spk_sat16_32 / spk_sat16_64 (clamp to [-32768, 32767]);
 *   - every other function is composed of these two and of exact integer arithmetic.
 *
 * No function here can overflow for the operands the generated code passes: the
 * quantiser's static range analysis (codegen/quant/quantize.py) proves, for every legal input,
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

/* The rounding offset 2^(s-1), 0 for s == 0 (0 <= s <= 31): what spk_rshr32 adds before
 * it shifts. Generated code that starts an accumulator at bias + this offset ends it with
 * spk_rshr32_folded. Python: fixed.round_offset. */
SPK_INLINE int32_t spk_round_offset32(int s)
{
    return (int32_t)(((uint32_t)1 << s) >> 1);
}

/* As spk_round_offset32 for int64 (0 <= s <= 63). */
SPK_INLINE int64_t spk_round_offset64(int s)
{
    return (int64_t)(((uint64_t)1 << s) >> 1);
}

/* Rounding right shift, round half up: floor((x + 2^(s-1)) / 2^s); s == 0: x.
 * Python: fixed.rshr. Precondition: 0 <= s <= 31 and x + 2^(s-1) fits int32
 * (proved by the range analysis). -5 >> 1 rounds to -2, -7 >> 1 to -3, 5 >> 1 to 3. */
SPK_INLINE int32_t spk_rshr32(int32_t x, int s)
{
    return (x + spk_round_offset32(s)) >> s;
}

/* As spk_rshr32 for int64: 0 <= s <= 63 and x + 2^(s-1) fits int64. Python: fixed.rshr. */
SPK_INLINE int64_t spk_rshr64(int64_t x, int s)
{
    return (x + spk_round_offset64(s)) >> s;
}

/* The same rounding shift of an accumulator whose start value already holds the offset
 * spk_round_offset32(s) (the generated code folds it into a bias or a filter's start, so
 * the sum of the terms is shifted directly): acc >> s == spk_rshr32(acc - offset, s).
 * Precondition: 0 <= s <= 31; acc within the bound the range analysis proved. */
SPK_INLINE int32_t spk_rshr32_folded(int32_t acc, int s)
{
    return acc >> s;
}

/* As spk_rshr32_folded for int64 (0 <= s <= 63). */
SPK_INLINE int64_t spk_rshr64_folded(int64_t acc, int s)
{
    return acc >> s;
}

/* --- saturation rule ------------------------------------------------------------------ */

/* Clamp an int32 to [-32768, 32767]. Python: fixed.sat16. Any input is valid. */
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

/* Clamp an int64 to [-32768, 32767]. Python: fixed.sat16. Any input is valid. */
SPK_INLINE int16_t spk_sat16_64(int64_t x)
{
    return (int16_t)(x < SPK_INT16_MIN ? SPK_INT16_MIN : (x > SPK_INT16_MAX ? SPK_INT16_MAX : x));
}

/* --- requantisation: rounding then saturation ------------------------------------------ */

/* int32 accumulator at scale 2^-(f_out + s) -> int16 at 2^-f_out.
 * s > 0: sat16(rshr(acc, s)); s <= 0: sat16(acc * 2^-s), done exactly in int64.
 * Python: fixed.requant16. Precondition: as spk_rshr32 (s > 0), |acc| * 2^-s < 2^63. */
SPK_INLINE int16_t spk_requant16_32(int32_t acc, int s)
{
    if (s >= 0)
        return spk_sat16_32(spk_rshr32(acc, s));
    return spk_sat16_64((int64_t)acc * ((int64_t)1 << -s));
}

/* As spk_requant16_32 for an int64 accumulator. Python: fixed.requant16. */
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

/* Division by a positive k, rounded half up: floor((2 x + k) / (2 k)) (floor division, so
 * negative x too). Python: fixed.rdiv. Precondition: k > 0 and 2 x + k, 2 k fit int32. */
SPK_INLINE int32_t spk_rdiv32(int32_t x, int32_t k)
{
    const int32_t num = 2 * x + k, den = 2 * k;
    const int32_t q = num / den;
    return (num % den != 0 && num < 0) ? q - 1 : q;
}

/* --- element-wise ------------------------------------------------------------------------ */

/* max(x, 0). Python: fixed.relu. */
SPK_INLINE int16_t spk_relu16(int16_t x)
{
    return x > 0 ? x : 0;
}

/* rshr(a * b, s), the int16 x int16 product in int32 (|a * b| <= 2^30).
 * Precondition: 0 <= s <= 30. Python: fixed.mul_rshr. */
SPK_INLINE int32_t spk_mul_rshr(int16_t a, int16_t b, int s)
{
    return spk_rshr32((int32_t)a * (int32_t)b, s);
}

/* Table function with linear interpolation: Q3.12 input -> int16 (Q0.15 for sigmoid and
 * tanh). u = x + 32768, k = u >> 8, r = u & 255, y = t[k] + rshr((t[k+1] - t[k]) * r, 8).
 * t has 257 knots at x = -8 + k/16 (emitted by codegen from codegen.ops.lstm.make_lut).
 * |t[k+1] - t[k]| * 255 < 2^25: no overflow. Python: fixed.lut_interp. */
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
 * Python: fixed.dot. */
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
 * Python: fixed.dot. */
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

/* Four taps of a symmetric FIR (h[j] = h[N-1-j]) in one window w: a = w + j, b = w + N-2-j,
 * acc + h[0] a[0] + h[1] a[1] + h[1] b[0] + h[0] b[1], i.e. taps j, j+1 and their mirrors
 * N-2-j, N-1-j. M4: SMLAD for a, SMLADX (the halves of b crossed) for b, one coefficient word.
 * Precondition: the sum fits int32 in any order (the caller's bound: |acc| + sum |h| max|w| <
 * 2^31). Python: fixed.dot of the taps with the window. */
SPK_INLINE int32_t spk_sym_mac4(const int16_t *a, const int16_t *b, const int16_t *h, int32_t acc)
{
#if SPK_DSP
    const int32_t hw = spk__ld2(h);
    return __smladx(spk__ld2(b), hw, __smlad(spk__ld2(a), hw, acc));
#else
    return acc + (int32_t)h[0] * ((int32_t)a[0] + (int32_t)b[1]) + (int32_t)h[1] * ((int32_t)a[1] + (int32_t)b[0]);
#endif
}

/* int8 weights are stored interleaved in groups of four: w0 w2 w1 w3 (a trailing group of
 * fewer than four is stored in order). On the M4 one 32-bit load gives both pairs through
 * SXTB16 (bytes 0,2 -> w0,w1) and SXTB16 of the word rotated by 8 (bytes 1,3 -> w2,w3),
 * matching the natural order of x. codegen.emit.cformat.interleave_s8 makes the layout. */
#if SPK_DSP
SPK_INLINE void spk__unpack_s8(const int8_t *w, int32_t *w01, int32_t *w23)
{
    uint32_t v;
    SPK_MEMCPY(&v, w, 4);
#if defined(__GNUC__)
    /* both from one loaded word, the rotation folded into the second SXTB16 */
    int32_t a, b;
    __asm__("sxtb16 %0, %2\n\tsxtb16 %1, %2, ror #8" : "=&r"(a), "=r"(b) : "r"(v));
    *w01 = a;
    *w23 = b;
#else
    *w01 = __sxtb16((int32_t)v);
    *w23 = __sxtb16((int32_t)((v >> 8) | (v << 24)));
#endif
}
#endif

/* acc + sum x[i] * w[i] for int8 weights in the interleaved layout, int32 accumulator.
 * Python: fixed.dot (on the natural order). */
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

/* As spk_dot_s8_32 with an int64 accumulator. M4: SMLALD. Python: fixed.dot. */
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

/* SPK_UNROLL: the next loop (a short constant trip count) is unrolled completely (GCC /
 * Clang); elsewhere it stays a loop. Same integers either way. */
#if defined(__GNUC__)
#define SPK_UNROLL _Pragma("GCC unroll 32")
#else
#define SPK_UNROLL
#endif

/* --- multi-row kernels of the generated Dense layers -------------------------------------
 *
 * The generated code computes a block of output rows at once: each unit of inputs is loaded
 * once and used by every row of the block, whose accumulators stay in registers (CMSIS-NN
 * style). x (the inputs) and w (the block's weights, codegen.ops.dense.dense_layout; the bias,
 * holding the rounding offset, starts each accumulator) are read strictly in order through
 * advancing pointers, a unit of inputs at a time (spk_ldx2 / spk_ldx4), each unit feeding
 * one or two rows per step (spk_mac2x2 / 2x1 for int16 weights, spk_mac4x2 / 4x1 for
 * int8). On the M4 with GCC / Clang every step is one asm block (LDR / LDRD with
 * write-back, SXTB16, SMLAD / SMLALD) so the compiler keeps the loads in the step instead
 * of hoisting and spilling them; the weight arrays are 4-byte aligned (SPK_ALIGN4) and
 * every unit starts at a multiple of 4 bytes. Elsewhere they are the plain C below (the
 * same integers: exact sums, bounded by the range analysis). */
#if SPK_DSP && defined(__GNUC__)
#define SPK_ASM_KERNELS 1
#define SPK_ALIGN4 __attribute__((aligned(4)))
typedef int32_t spk_x2_t;                        /* x[0] | x[1] << 16 */
typedef struct { int32_t x01, x23; } spk_x4_t;
#else
#define SPK_ASM_KERNELS 0
#define SPK_ALIGN4
typedef struct { int16_t v[2]; } spk_x2_t;
typedef struct { int16_t v[4]; } spk_x4_t;
#endif

/* The next two inputs; *x += 2. */
SPK_INLINE spk_x2_t spk_ldx2(const int16_t **x)
{
    spk_x2_t v;
#if SPK_ASM_KERNELS
    const int16_t *p = *x;
    __asm__("ldr %0, [%1], #4" : "=r"(v), "+r"(p) : : "memory");
    *x = p;
#else
    v.v[0] = (*x)[0];
    v.v[1] = (*x)[1];
    *x += 2;
#endif
    return v;
}

/* The next four inputs; *x += 4. */
SPK_INLINE spk_x4_t spk_ldx4(const int16_t **x)
{
    spk_x4_t v;
#if SPK_ASM_KERNELS
    const int16_t *p = *x;
    __asm__("ldr %0, [%2], #4\n\tldr %1, [%2], #4" : "=&r"(v.x01), "=&r"(v.x23), "+r"(p) : : "memory");
    *x = p;
#else
    int k;
    for (k = 0; k < 4; k++)
        v.v[k] = (*x)[k];
    *x += 4;
#endif
    return v;
}

#if !SPK_ASM_KERNELS
/* acc + x . w term by term (every partial sum is within the proved bound) */
SPK_INLINE int32_t spk__mac2_32(int32_t acc, spk_x2_t x, const int16_t *w)
{
    acc += (int32_t)x.v[0] * w[0];
    return acc + (int32_t)x.v[1] * w[1];
}
SPK_INLINE int64_t spk__mac2_64(int64_t acc, spk_x2_t x, const int16_t *w)
{
    acc += (int32_t)x.v[0] * w[0];
    return acc + (int32_t)x.v[1] * w[1];
}
SPK_INLINE int32_t spk__mac4_32(int32_t acc, spk_x4_t x, const int8_t *w)   /* w stored w0 w2 w1 w3 */
{
    acc += (int32_t)x.v[0] * w[0];
    acc += (int32_t)x.v[1] * w[2];
    acc += (int32_t)x.v[2] * w[1];
    return acc + (int32_t)x.v[3] * w[3];
}
SPK_INLINE int64_t spk__mac4_64(int64_t acc, spk_x4_t x, const int8_t *w)
{
    acc += (int32_t)x.v[0] * w[0];
    acc += (int32_t)x.v[1] * w[2];
    acc += (int32_t)x.v[2] * w[1];
    return acc + (int32_t)x.v[3] * w[3];
}
#endif

/* *a0 += x . (*w)[0..1], *a1 += x . (*w)[2..3]; *w += 4. M4: LDRD, two SMLAD. */
SPK_INLINE void spk_mac2x2_s16_32(spk_x2_t x, const int16_t **w, int32_t *a0, int32_t *a1)
{
#if SPK_ASM_KERNELS
    const int16_t *p = *w;
    int32_t w0, w1, A = *a0, B = *a1;
    __asm__("ldrd %[w0], %[w1], [%[p]], #8\n\t"
            "smlad %[A], %[x], %[w0], %[A]\n\t"
            "smlad %[B], %[x], %[w1], %[B]"
            : [A] "+r"(A), [B] "+r"(B), [p] "+r"(p), [w0] "=&r"(w0), [w1] "=&r"(w1) : [x] "r"(x) : "memory");
    *w = p;
    *a0 = A;
    *a1 = B;
#else
    *a0 = spk__mac2_32(*a0, x, *w);
    *a1 = spk__mac2_32(*a1, x, *w + 2);
    *w += 4;
#endif
}

/* *a0 += x . (*w)[0..1]; *w += 2. M4: LDR, SMLAD. */
SPK_INLINE void spk_mac2x1_s16_32(spk_x2_t x, const int16_t **w, int32_t *a0)
{
#if SPK_ASM_KERNELS
    const int16_t *p = *w;
    int32_t w0, A = *a0;
    __asm__("ldr %[w0], [%[p]], #4\n\t"
            "smlad %[A], %[x], %[w0], %[A]"
            : [A] "+r"(A), [p] "+r"(p), [w0] "=&r"(w0) : [x] "r"(x) : "memory");
    *w = p;
    *a0 = A;
#else
    *a0 = spk__mac2_32(*a0, x, *w);
    *w += 2;
#endif
}

/* As spk_mac2x2_s16_32 with int64 accumulators. M4: LDRD, two SMLALD. */
SPK_INLINE void spk_mac2x2_s16_64(spk_x2_t x, const int16_t **w, int64_t *a0, int64_t *a1)
{
#if SPK_ASM_KERNELS
    const int16_t *p = *w;
    int32_t w0, w1;
    int64_t A = *a0, B = *a1;
    __asm__("ldrd %[w0], %[w1], [%[p]], #8\n\t"
            "smlald %Q[A], %R[A], %[x], %[w0]\n\t"
            "smlald %Q[B], %R[B], %[x], %[w1]"
            : [A] "+r"(A), [B] "+r"(B), [p] "+r"(p), [w0] "=&r"(w0), [w1] "=&r"(w1) : [x] "r"(x) : "memory");
    *w = p;
    *a0 = A;
    *a1 = B;
#else
    *a0 = spk__mac2_64(*a0, x, *w);
    *a1 = spk__mac2_64(*a1, x, *w + 2);
    *w += 4;
#endif
}

/* As spk_mac2x1_s16_32 with an int64 accumulator. M4: LDR, SMLALD. */
SPK_INLINE void spk_mac2x1_s16_64(spk_x2_t x, const int16_t **w, int64_t *a0)
{
#if SPK_ASM_KERNELS
    const int16_t *p = *w;
    int32_t w0;
    int64_t A = *a0;
    __asm__("ldr %[w0], [%[p]], #4\n\t"
            "smlald %Q[A], %R[A], %[x], %[w0]"
            : [A] "+r"(A), [p] "+r"(p), [w0] "=&r"(w0) : [x] "r"(x) : "memory");
    *w = p;
    *a0 = A;
#else
    *a0 = spk__mac2_64(*a0, x, *w);
    *w += 2;
#endif
}

/* int8 weights, four inputs, two rows: *a0 += x . row 0's four weights, *a1 += x . row 1's
 * (each stored w0 w2 w1 w3); *w += 8. M4: LDRD, four SXTB16, four SMLAD. */
SPK_INLINE void spk_mac4x2_s8_32(spk_x4_t x, const int8_t **w, int32_t *a0, int32_t *a1)
{
#if SPK_ASM_KERNELS
    const int8_t *p = *w;
    int32_t v0, v1, t0, t1, A = *a0, B = *a1;
    __asm__("ldrd %[v0], %[v1], [%[p]], #8\n\t"
            "sxtb16 %[t0], %[v0]\n\t"
            "sxtb16 %[t1], %[v0], ror #8\n\t"
            "smlad %[A], %[x01], %[t0], %[A]\n\t"
            "smlad %[A], %[x23], %[t1], %[A]\n\t"
            "sxtb16 %[t0], %[v1]\n\t"
            "sxtb16 %[t1], %[v1], ror #8\n\t"
            "smlad %[B], %[x01], %[t0], %[B]\n\t"
            "smlad %[B], %[x23], %[t1], %[B]"
            : [A] "+r"(A), [B] "+r"(B), [p] "+r"(p), [v0] "=&r"(v0), [v1] "=&r"(v1), [t0] "=&r"(t0),
              [t1] "=&r"(t1)
            : [x01] "r"(x.x01), [x23] "r"(x.x23) : "memory");
    *w = p;
    *a0 = A;
    *a1 = B;
#else
    *a0 = spk__mac4_32(*a0, x, *w);
    *a1 = spk__mac4_32(*a1, x, *w + 4);
    *w += 8;
#endif
}

/* int8 weights, four inputs, one row; *w += 4. M4: LDR, two SXTB16, two SMLAD. */
SPK_INLINE void spk_mac4x1_s8_32(spk_x4_t x, const int8_t **w, int32_t *a0)
{
#if SPK_ASM_KERNELS
    const int8_t *p = *w;
    int32_t v0, t0, t1, A = *a0;
    __asm__("ldr %[v0], [%[p]], #4\n\t"
            "sxtb16 %[t0], %[v0]\n\t"
            "sxtb16 %[t1], %[v0], ror #8\n\t"
            "smlad %[A], %[x01], %[t0], %[A]\n\t"
            "smlad %[A], %[x23], %[t1], %[A]"
            : [A] "+r"(A), [p] "+r"(p), [v0] "=&r"(v0), [t0] "=&r"(t0), [t1] "=&r"(t1)
            : [x01] "r"(x.x01), [x23] "r"(x.x23) : "memory");
    *w = p;
    *a0 = A;
#else
    *a0 = spk__mac4_32(*a0, x, *w);
    *w += 4;
#endif
}

/* As spk_mac4x2_s8_32 with int64 accumulators (SMLALD). */
SPK_INLINE void spk_mac4x2_s8_64(spk_x4_t x, const int8_t **w, int64_t *a0, int64_t *a1)
{
#if SPK_ASM_KERNELS
    const int8_t *p = *w;
    int32_t v0, v1, t0, t1;
    int64_t A = *a0, B = *a1;
    __asm__("ldrd %[v0], %[v1], [%[p]], #8\n\t"
            "sxtb16 %[t0], %[v0]\n\t"
            "sxtb16 %[t1], %[v0], ror #8\n\t"
            "smlald %Q[A], %R[A], %[x01], %[t0]\n\t"
            "smlald %Q[A], %R[A], %[x23], %[t1]\n\t"
            "sxtb16 %[t0], %[v1]\n\t"
            "sxtb16 %[t1], %[v1], ror #8\n\t"
            "smlald %Q[B], %R[B], %[x01], %[t0]\n\t"
            "smlald %Q[B], %R[B], %[x23], %[t1]"
            : [A] "+r"(A), [B] "+r"(B), [p] "+r"(p), [v0] "=&r"(v0), [v1] "=&r"(v1), [t0] "=&r"(t0),
              [t1] "=&r"(t1)
            : [x01] "r"(x.x01), [x23] "r"(x.x23) : "memory");
    *w = p;
    *a0 = A;
    *a1 = B;
#else
    *a0 = spk__mac4_64(*a0, x, *w);
    *a1 = spk__mac4_64(*a1, x, *w + 4);
    *w += 8;
#endif
}

/* As spk_mac4x1_s8_32 with an int64 accumulator (SMLALD). */
SPK_INLINE void spk_mac4x1_s8_64(spk_x4_t x, const int8_t **w, int64_t *a0)
{
#if SPK_ASM_KERNELS
    const int8_t *p = *w;
    int32_t v0, t0, t1;
    int64_t A = *a0;
    __asm__("ldr %[v0], [%[p]], #4\n\t"
            "sxtb16 %[t0], %[v0]\n\t"
            "sxtb16 %[t1], %[v0], ror #8\n\t"
            "smlald %Q[A], %R[A], %[x01], %[t0]\n\t"
            "smlald %Q[A], %R[A], %[x23], %[t1]"
            : [A] "+r"(A), [p] "+r"(p), [v0] "=&r"(v0), [t0] "=&r"(t0), [t1] "=&r"(t1)
            : [x01] "r"(x.x01), [x23] "r"(x.x23) : "memory");
    *w = p;
    *a0 = A;
#else
    *a0 = spk__mac4_64(*a0, x, *w);
    *w += 4;
#endif
}

/* Clamp to [0, 32767]: spk_relu16(spk_sat16_32(x)) in one step (USAT on the M4). */
SPK_INLINE int16_t spk_sat16_relu_32(int32_t x)
{
#if SPK_SAT
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-conversion"
#endif
    return (int16_t)__usat(x, 15);
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#else
    return (int16_t)(x < 0 ? 0 : (x > SPK_INT16_MAX ? SPK_INT16_MAX : x));
#endif
}

/* requant16 (then ReLU when relu != 0) of an accumulator whose start value already held
 * the rounding offset 2^(s-1) (the generated code folds it into the bias when s > 0):
 * s > 0: sat16(acc >> s) == requant16(acc - 2^(s-1), s); s <= 0: as spk_requant16_32.
 * Python: fixed.requant16 (then relu). */
SPK_INLINE int16_t spk_requant16_b32(int32_t acc, int s, int relu)
{
    if (s < 0) {
        int16_t y = spk_sat16_64((int64_t)acc * ((int64_t)1 << -s));
        return relu ? spk_relu16(y) : y;
    }
    return relu ? spk_sat16_relu_32(spk_rshr32_folded(acc, s)) : spk_sat16_32(spk_rshr32_folded(acc, s));
}

/* As spk_requant16_b32 for an int64 accumulator. */
SPK_INLINE int16_t spk_requant16_b64(int64_t acc, int s, int relu)
{
    int16_t y = s < 0 ? spk_sat16_64(acc * ((int64_t)1 << -s)) : spk_sat16_64(spk_rshr64_folded(acc, s));
    return relu ? spk_relu16(y) : y;
}

/* As spk_requant16_b64 when the range analysis proved |acc >> s| < 2^31 (s >= 0): the
 * shifted value is narrowed exactly to int32 and saturated there (SSAT / USAT). */
SPK_INLINE int16_t spk_requant16_b64n(int64_t acc, int s, int relu)
{
    return spk_requant16_b32((int32_t)spk_rshr64_folded(acc, s), 0, relu);
}

/* --- near-lossless quantisation (docs/coders.md section 6) ----------------------------- */

#define SPK_NEAR_MAX_ERROR 255  /* the largest error bound D (Python: fixed.NEAR_MAX_ERROR) */

/* The quantised residual: the bin q of step 2d + 1 nearest to the residual r,
 * q = floor((r + d) / (2d + 1)), so |r - q (2d + 1)| <= d. Preconditions: |r| <= 1023,
 * 0 <= d <= SPK_NEAR_MAX_ERROR. Taken as an unsigned division of the shifted numerator
 * r + d + 1024 (2d + 1) in [1, 2^20) (no overflow, no signed division), minus 1024.
 * Python: fixed.near_bin. */
SPK_INLINE int32_t spk_near_bin(int32_t r, int32_t d)
{
    const uint32_t step = 2u * (uint32_t)d + 1u;
    return (int32_t)(((uint32_t)(r + d) + 1024u * step) / step) - 1024;
}

/* The codes [*lo, *hi] of bin q about the location L, clamped to [0, 1023]:
 * c = L + q (2d + 1), lo = max(c - d, 0), hi = min(c + d, 1023). |c| < 2^21 for the bins
 * of a 10-bit code. Python: fixed.near_span. */
SPK_INLINE void spk_near_span(int32_t L, int32_t q, int32_t d, uint32_t *lo, uint32_t *hi)
{
    const int32_t c = L + q * (2 * d + 1);
    *lo = (uint32_t)(c - d < 0 ? 0 : c - d);
    *hi = (uint32_t)(c + d > 1023 ? 1023 : c + d);
}

/* The reconstructed code of bin q: L + q (2d + 1) clamped to [0, 1023].
 * Python: fixed.near_code. */
SPK_INLINE uint32_t spk_near_code(int32_t L, int32_t q, int32_t d)
{
    const int32_t c = L + q * (2 * d + 1);
    return (uint32_t)(c < 0 ? 0 : (c > 1023 ? 1023 : c));
}

#endif /* SPIKEY_FIXED_H */
