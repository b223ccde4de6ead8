/*
 * spikey_mve.h - the Helium (M-profile Vector Extension, Armv8.1-M: Cortex-M55) kernels of
 * the generated Dense layers: a vector of 8 int16 inputs and its dot product with 8 weights
 * of one row, added to a scalar accumulator ("mve" kernel, codegen.ops.dense; which core
 * uses it: codegen.target.kernels).
 *
 * With __ARM_FEATURE_MVE (gcc -mcpu=cortex-m55) a vector is one int16x8_t Q register and a
 * dot product is one VMLADAVA (int32 accumulator) or VMLALDAVA (int64), int8 weights widened
 * by the load (VLDRB.S16); with GCC the int32 ones are an asm block of the post-incremented
 * load and the dot product (2 instructions; the intrinsics compile to 4 with GCC 12); elsewhere a vector is a struct of 8 int16 and the sums are plain
 * C. Both compute the same integers: every product is exact (|.| <= 2^30) and the caller's
 * range proof (codegen.quant.quantize, docs/fixed-point.md section 4) bounds every partial
 * sum, in any order, below the accumulator's range, so no sum wraps; the instruction's
 * modulo-2^32 (VMLADAVA) accumulation then equals the true sum. Like spikey_cpu.h and
 * spikey_vec.h, this is a place where target intrinsics are mapped.
 *
 * The predictor's input quantisation (codegen.emit.predictor, predictor.c.j2) uses the same
 * vectors: spk_mve_quant16_s16 / _s32, 4 inputs per step.
 */
#ifndef SPIKEY_MVE_H
#define SPIKEY_MVE_H

#include <stdint.h>
#include "spikey_fixed.h"

#if defined(__ARM_FEATURE_MVE) && !defined(SPK_NO_DSP)
#include <arm_mve.h>
#define SPK_MVE 1
typedef int16x8_t spk_mve_x8_t;
#else
#define SPK_MVE 0
typedef struct { int16_t v[8]; } spk_mve_x8_t;
#endif

/* x[0..7] as one vector (no alignment beyond int16 needed). */
static inline spk_mve_x8_t spk_mve_ldx8(const int16_t *x)
{
#if SPK_MVE
    return vldrhq_s16(x);
#else
    spk_mve_x8_t r;
    int l;
    for (l = 0; l < 8; l++)
        r.v[l] = x[l];
    return r;
#endif
}

/* x[0..n-1] and 8 - n zero lanes, 1 <= n <= 7: a predicated load (VCTP16 + VLDRH with
 * zeroing), so nothing past x[n - 1] is read. */
static inline spk_mve_x8_t spk_mve_ldx8_tail(const int16_t *x, uint32_t n)
{
#if SPK_MVE
    return vldrhq_z_s16(x, vctp16q(n));
#else
    spk_mve_x8_t r;
    uint32_t l;
    for (l = 0; l < 8u; l++)
        r.v[l] = l < n ? x[l] : 0;
    return r;
#endif
}

/*
 * acc + sum_{l<8} x[l] * (*w)[l], then *w += 8: the next 8 weights of the row (the weights
 * are read in order through the advancing pointer, so each load is one post-incremented
 * VLDRH / VLDRB). Exact when the caller proved every partial sum fits the accumulator.
 */

/* int16 weights, int32 accumulator. M55: VLDRH, VMLADAVA.S16. */
static inline int32_t spk_mve_mac8_s16_32(int32_t acc, spk_mve_x8_t x, const int16_t **w)
{
#if SPK_MVE && defined(__GNUC__)
    int16x8_t t;   /* Te: an even register (VMLADAVA's accumulator) */
    __asm__("vldrh.16 %q[t], [%[w]], #16\n\t"
            "vmladava.s16 %[a], %q[x], %q[t]"
            : [a] "+Te"(acc), [w] "+r"(*w), [t] "=&w"(t)
            : [x] "w"(x), "m"(*(const int16_t (*)[8])*w));   /* the 8 weights it reads */
    return acc;
#elif SPK_MVE
    acc = vmladavaq_s16(acc, x, vldrhq_s16(*w));
#else
    int l;
    for (l = 0; l < 8; l++)
        acc += (int32_t)x.v[l] * (*w)[l];
#endif
    *w += 8;
    return acc;
}

/* int16 weights, int64 accumulator. M55: VLDRH, VMLALDAVA.S16. */
static inline int64_t spk_mve_mac8_s16_64(int64_t acc, spk_mve_x8_t x, const int16_t **w)
{
#if SPK_MVE
    acc = vmlaldavaq_s16(acc, x, vldrhq_s16(*w));
#else
    int l;
    for (l = 0; l < 8; l++)
        acc += (int64_t)x.v[l] * (*w)[l];
#endif
    *w += 8;
    return acc;
}

/* int8 weights (sign-extended by the load), int32 accumulator. M55: VLDRB.S16,
 * VMLADAVA.S16. */
static inline int32_t spk_mve_mac8_s8_32(int32_t acc, spk_mve_x8_t x, const int8_t **w)
{
#if SPK_MVE && defined(__GNUC__)
    int16x8_t t;   /* Te: an even register (VMLADAVA), l: a low one (widening VLDRB) */
    __asm__("vldrb.s16 %q[t], [%[w]], #8\n\t"
            "vmladava.s16 %[a], %q[x], %q[t]"
            : [a] "+Te"(acc), [w] "+l"(*w), [t] "=&w"(t)
            : [x] "w"(x), "m"(*(const int8_t (*)[8])*w));    /* the 8 weights it reads */
    return acc;
#elif SPK_MVE
    acc = vmladavaq_s16(acc, x, vldrbq_s16(*w));
#else
    int l;
    for (l = 0; l < 8; l++)
        acc += (int32_t)x.v[l] * (*w)[l];
#endif
    *w += 8;
    return acc;
}

/* int8 weights, int64 accumulator. M55: VLDRB.S16, VMLALDAVA.S16. */
static inline int64_t spk_mve_mac8_s8_64(int64_t acc, spk_mve_x8_t x, const int8_t **w)
{
#if SPK_MVE
    acc = vmlaldavaq_s16(acc, x, vldrbq_s16(*w));
#else
    int l;
    for (l = 0; l < 8; l++)
        acc += (int64_t)x.v[l] * (*w)[l];
#endif
    *w += 8;
    return acc;
}

/*
 * y[i] = spk_sat16_32(spk_rshr32(x[i] * m, r)) for i < n: the predictor's input rule (m = 2^f_in,
 * r = sh + k >= 0). The caller proved x[i] * m + 2^(r-1) fits int32 for every legal input
 * (codegen.reference.compile.choose_f_in). M55, 4 lanes per step, the last predicated (VCTP32,
 * so nothing past x[n-1] / y[n-1] is touched): widening VLDRH (int16 x) or VLDRW, VMUL by m,
 * VRSHL by -r (the rounding shift adds 2^(r-1) before shifting: rshr's round half up, exact
 * for in-range sums), VQMOVNB (clamp to int16: sat16), narrowing VSTRH.
 */
#if SPK_MVE
static inline int32x4_t spk_mve_quant_lanes(int32x4_t v, int32_t m, int32_t r)
{
    const int32x4_t q = vrshlq_n_s32(vmulq_n_s32(v, m), -r);
    /* the narrowed value lands in each 32-bit lane's low half, the one VSTRH.32 stores */
    return vreinterpretq_s32_s16(vqmovnbq_s32(vreinterpretq_s16_s32(q), q));
}
#endif

static inline void spk_mve_quant16_s16(int16_t *y, const int16_t *x, int32_t n, int32_t m, int32_t r)
{
    int32_t i;
#if SPK_MVE
    for (i = 0; i + 4 <= n; i += 4)
        vstrhq_s32(y + i, spk_mve_quant_lanes(vldrhq_s32(x + i), m, r));
    if (i < n) {
        const mve_pred16_t p = vctp32q((uint32_t)(n - i));
        vstrhq_p_s32(y + i, spk_mve_quant_lanes(vldrhq_z_s32(x + i, p), m, r), p);
    }
#else
    for (i = 0; i < n; i++)
        y[i] = spk_sat16_32(spk_rshr32((int32_t)x[i] * m, r));
#endif
}

static inline void spk_mve_quant16_s32(int16_t *y, const int32_t *x, int32_t n, int32_t m, int32_t r)
{
    int32_t i;
#if SPK_MVE
    for (i = 0; i + 4 <= n; i += 4)
        vstrhq_s32(y + i, spk_mve_quant_lanes(vldrwq_s32(x + i), m, r));
    if (i < n) {
        const mve_pred16_t p = vctp32q((uint32_t)(n - i));
        vstrhq_p_s32(y + i, spk_mve_quant_lanes(vldrwq_z_s32(x + i, p), m, r), p);
    }
#else
    for (i = 0; i < n; i++)
        y[i] = spk_sat16_32(spk_rshr32(x[i] * m, r));
#endif
}

#endif /* SPIKEY_MVE_H */
