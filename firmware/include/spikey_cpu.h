/*
 * spikey_cpu.h - the single place where target intrinsics are mapped.
 *
 * Every other file calls the spk_cpu_* functions below and stays portable C99.
 * On an Arm core with the matching feature macro (ACLE: __ARM_FEATURE_CLZ,
 * __ARM_FEATURE_SAT, __ARM_FEATURE_DSP / __ARM_FEATURE_SIMD32) they map to one
 * instruction; elsewhere (the host build through cffi, Cortex-M0) to plain C
 * with the identical result for every input.
 */
#ifndef SPIKEY_CPU_H
#define SPIKEY_CPU_H

#include <stdint.h>

#if defined(__ARM_FEATURE_SAT) || defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
#endif

/* A compiler barrier: no memory access is moved across it. Emits no code. */
#if defined(__GNUC__)
#define SPK_COMPILER_BARRIER() __asm__ volatile("" ::: "memory")
#else
#define SPK_COMPILER_BARRIER() ((void)0)
#endif

/*
 * Count leading zeros of a 32-bit word.
 * Range: x = 0 returns 32 (the Arm CLZ semantics; __builtin_clz(0) is undefined,
 * so zero is handled explicitly off-target). Result in [0, 32].
 */
static inline uint32_t spk_cpu_clz32(uint32_t x)
{
#if defined(__ARM_FEATURE_CLZ) && defined(__GNUC__)
    return (uint32_t)__builtin_clz(x);          /* CLZ instruction: defined for 0 */
#elif defined(__GNUC__)
    return (x == 0u) ? 32u : (uint32_t)__builtin_clz(x);
#else
    uint32_t n = 0u;
    if (x == 0u) { return 32u; }
    while ((x & 0x80000000u) == 0u) { x <<= 1; n++; }
    return n;
#endif
}

/*
 * Signed saturation of a 32-bit value to a `bits`-bit two's complement range
 * [-2^(bits-1), 2^(bits-1) - 1], 1 <= bits <= 32. `bits` must be a compile-time
 * constant on targets with SSAT (the instruction encodes it).
 */
#if defined(__ARM_FEATURE_SAT)
#define spk_cpu_ssat(x, bits) ((int32_t)__ssat((int32_t)(x), (bits)))
#else
static inline int32_t spk_cpu_ssat(int32_t x, uint32_t bits)
{
    const int32_t hi = (int32_t)((1u << (bits - 1u)) - 1u);   /* bits = 32: 0x7fffffff */
    const int32_t lo = -hi - 1;
    return (x > hi) ? hi : ((x < lo) ? lo : x);
}
#endif

/*
 * Dual 16x16 multiply with 32-bit accumulate (SMLAD):
 *   acc + lo16(x)*lo16(y) + hi16(x)*hi16(y)
 * x and y each hold two int16 lanes. The two products are exact (each fits in
 * 31 bits); the accumulation wraps modulo 2^32 like the instruction (SMLAD sets
 * the Q flag instead of saturating). The portable path computes in uint32 so the
 * wrap is defined behaviour; callers must prove their sums fit (codegen's range
 * analysis does) if they rely on the result being the true sum.
 */
static inline int32_t spk_cpu_smlad(uint32_t x, uint32_t y, int32_t acc)
{
#if defined(__ARM_FEATURE_DSP) && defined(__ARM_FEATURE_SIMD32)
    return (int32_t)__smlad((int16x2_t)x, (int16x2_t)y, acc);
#else
    const int32_t xl = (int16_t)(x & 0xffffu), xh = (int16_t)(x >> 16);
    const int32_t yl = (int16_t)(y & 0xffffu), yh = (int16_t)(y >> 16);
    uint32_t sum = (uint32_t)acc + (uint32_t)(xl * yl) + (uint32_t)(xh * yh);
    /* uint32 -> int32 of a value >= 2^31 is implementation-defined in C99; every
     * compiler Spikey supports (GCC, Clang) defines it as the two's complement wrap. */
    return (int32_t)sum;
#endif
}

#endif /* SPIKEY_CPU_H */
