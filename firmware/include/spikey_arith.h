/*
 * spikey_arith.h - the integer arithmetic rules of the Spikey firmware.
 *
 * In the style of CMSIS-NN's arm_nnsupportfunctions.h: each rule is one tiny
 * static inline function, written once, and every module (hand-written or
 * generated) calls it rather than open-coding the arithmetic. Each comment gives
 * the input range, the scaling of the result and what happens on overflow.
 * Nothing here invokes undefined behaviour for any argument in its stated range:
 * shifts and wraps are done on unsigned types.
 *
 * The Python reference (spikey/) mirrors each rule; the mirror is named in the
 * comment.
 */
#ifndef SPIKEY_ARITH_H
#define SPIKEY_ARITH_H

#include <stdint.h>
#include "spikey_cpu.h"

/*
 * Zig-zag map of a signed residual to a non-negative integer:
 *   0, -1, 1, -2, 2, ...  ->  0, 1, 2, 3, 4, ...   (r >= 0: 2r; r < 0: -2r - 1)
 * Range: r in [-2^30, 2^30); result in [0, 2^31). Outside that range the result
 * wraps modulo 2^32 (computed in uint32, so no overflow trap or UB).
 * Mirror: spikey.baseline.zigzag.
 */
static inline uint32_t spk_zigzag(int32_t r)
{
    const uint32_t u = (uint32_t)r;              /* two's complement bits, defined */
    return (u << 1) ^ (0u - (u >> 31));          /* sign mask: 0 or 0xffffffff */
}

/*
 * Inverse zig-zag: 0, 1, 2, 3, 4, ... -> 0, -1, 1, -2, 2, ...
 * Range: u in [0, 2^32 - 2]; result in [-2^31 + 1, 2^31 - 1], exact, no overflow.
 * Mirror: spikey.baseline.unzigzag.
 */
static inline int32_t spk_unzigzag(uint32_t u)
{
    return (u & 1u) ? -(int32_t)(u >> 1) - 1 : (int32_t)(u >> 1);
}

/*
 * Wrap a difference of two 10-bit codes into [-512, 512), i.e. the residual
 * modulo 1024 taken symmetric: ((d + 512) mod 1024) - 512.
 * Range: any int32 d (the modular reduction is done in uint32); result exact.
 * Mirror: spikey.baseline.encode_codes, `((residual + 512) & 1023) - 512`.
 */
static inline int32_t spk_wrap10(int32_t d)
{
    return (int32_t)(((uint32_t)d + 512u) & 1023u) - 512;
}

/*
 * Clamp a signed value to [lo, hi] (lo <= hi). Exact; no overflow possible.
 */
static inline int32_t spk_clamp_s32(int32_t x, int32_t lo, int32_t hi)
{
    return (x < lo) ? lo : ((x > hi) ? hi : x);
}

/*
 * Smaller of two unsigned values. Exact.
 */
static inline uint32_t spk_min_u32(uint32_t a, uint32_t b)
{
    return (a < b) ? a : b;
}

/*
 * floor(log2(x)) for x >= 1, i.e. the bit length of x minus one; result in
 * [0, 31]. x = 0 is outside the range: it returns 0xffffffff (unsigned wrap, no
 * UB). Callers that may see 0 pass x | 1, which is also what the Rice rule wants:
 * floor_log2(0 | 1) = floor_log2(1) = 0.
 * One CLZ instruction on Armv7-M (see spikey_cpu.h for the portable fallback).
 * Mirror: Python's int.bit_length() - 1.
 */
static inline uint32_t spk_floor_log2_u32(uint32_t x)
{
    return 31u - spk_cpu_clz32(x);
}

#endif /* SPIKEY_ARITH_H */
