/*
 * spikey_vec.h - 8-lane int32 vectors for the host build of the generated code (kernel
 * "columns"): the Dense layers' columns kernel and the predictor's input quantisation.
 *
 * The columns kernel (codegen.ops.dense) keeps 8 output rows of a layer in one vector
 * accumulator and adds one input pair at a time to all of them; spk_v8_quant16 quantises
 * 16 network inputs at once (codegen.emit.predictor, predictor.c.j2).
 * With AVX2 (__AVX2__, e.g. -march=native on x86-64) a vector is one __m256i and
 * spk_v8_mac_pair is VPMADDWD + VPADDD; elsewhere it is a struct of 8 int32 and plain C.
 * Both paths compute the same integers: exact sums (docs/fixed-point.md section 4 bounds
 * every partial sum, in any order, below 2^31), one rounding rule and one saturation rule.
 * Like spikey_cpu.h, this is a place where target intrinsics are mapped; the firmware's
 * Cortex-M builds never include it (they use the rows kernel of spikey_fixed.h).
 */
#ifndef SPIKEY_VEC_H
#define SPIKEY_VEC_H

#include <stdint.h>
#include <string.h>
#include "spikey_fixed.h"

#if defined(__AVX2__)
#include <immintrin.h>
#define SPK_VEC_AVX2 1
#else
#define SPK_VEC_AVX2 0
#endif

#if SPK_VEC_AVX2
typedef __m256i spk_v8_t;
#else
typedef struct { int32_t v[8]; } spk_v8_t;
#endif

/* x[0] and x[1] as one 32-bit word, x[0] in the low half (the order of an int16 pair in
 * memory on a little-endian host, built arithmetically so it holds on any host). */
static inline int32_t spk_v8_pair(int16_t x0, int16_t x1)
{
    return (int32_t)((uint32_t)(uint16_t)x0 | ((uint32_t)(uint16_t)x1 << 16));
}

/* The pair x[0], x[1] as spk_v8_pair builds it: one 4-byte load with AVX2 (x86 is
 * little-endian), two loads elsewhere. */
static inline int32_t spk_v8_load_pair(const int16_t *x)
{
#if SPK_VEC_AVX2
    int32_t p;
    memcpy(&p, x, sizeof p);
    return p;
#else
    return spk_v8_pair(x[0], x[1]);
#endif
}

/* Eight int32 from p (no alignment needed): a layer's biases, rounding offset included. */
static inline spk_v8_t spk_v8_load(const int32_t *p)
{
#if SPK_VEC_AVX2
    return _mm256_loadu_si256((const __m256i *)p);
#else
    spk_v8_t r;
    memcpy(r.v, p, sizeof r.v);
    return r;
#endif
}

/*
 * acc[l] + x0 * w[2l] + x1 * w[2l+1] for the 8 lanes l, with xp = spk_v8_pair(x0, x1)
 * and w 16 int16 (8 lanes of one weight pair each). Each product is exact (|.| <= 2^30);
 * the sums are exact when the caller's range proof bounds every partial sum below 2^31
 * (codegen.quant.quantize does for every int32 accumulator); VPMADDWD's own pair sum can only
 * wrap at (-2^15)^2 * 2 = 2^31, which that proof also excludes.
 */
static inline spk_v8_t spk_v8_mac_pair(spk_v8_t acc, int32_t xp, const int16_t *w)
{
#if SPK_VEC_AVX2   /* VPDPWSSD (AVX-VNNI) measured slower here: its 5-cycle chain vs VPADDD's 1 */
    const __m256i wv = _mm256_loadu_si256((const __m256i *)w);
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_set1_epi32(xp), wv));
#else
    const int32_t x0 = (int16_t)(uint16_t)((uint32_t)xp & 0xffffu);
    const int32_t x1 = (int16_t)(uint16_t)((uint32_t)xp >> 16);
    int l;
    for (l = 0; l < 8; l++)
        acc.v[l] += x0 * w[2 * l] + x1 * w[2 * l + 1];
    return acc;
#endif
}

/*
 * Saturate 16 int32 lanes (a: 0..7, b: 8..15) to int16 and store them to y[0..15], in order;
 * then max(y, 0) when relu. Saturation is VPACKSSDW's signed clamp: sat16.
 */
static inline void spk_v8_pack16(spk_v8_t a, spk_v8_t b, int relu, int16_t *y)
{
#if SPK_VEC_AVX2
    __m256i r = _mm256_permute4x64_epi64(_mm256_packs_epi32(a, b), 0xd8);   /* lanes in order */
    if (relu)
        r = _mm256_max_epi16(r, _mm256_setzero_si256());
    _mm256_storeu_si256((__m256i *)y, r);
#else
    int l;
    for (l = 0; l < 16; l++) {
        const int16_t q = spk_sat16_32(l < 8 ? a.v[l] : b.v[l - 8]);
        y[l] = relu ? spk_relu16(q) : q;
    }
#endif
}

/* acc >> s lane by lane, s in [0, 31]: arithmetic (spikey_fixed.h asserts it for C's >>). */
static inline spk_v8_t spk_v8_sra(spk_v8_t a, spk_v8_t s)
{
#if SPK_VEC_AVX2
    return _mm256_srav_epi32(a, s);
#else
    int l;
    for (l = 0; l < 8; l++)
        a.v[l] >>= s.v[l];
    return a;
#endif
}

/*
 * Requantise 16 accumulators (a: rows 0..7, b: rows 8..15) to int16 and store them to y:
 *   y[l] = sat16(acc[l] >> s[l]), then max(y, 0) when relu
 * with s[l] in [0, 31] (the rounding offset 2^(s-1) is already in the accumulator: the
 * biases carry it, so this is requant16 of docs/fixed-point.md, rounding half up).
 */
static inline void spk_v8_requant16(spk_v8_t a, spk_v8_t b, const int32_t *s, int relu, int16_t *y)
{
    spk_v8_pack16(spk_v8_sra(a, spk_v8_load(s)), spk_v8_sra(b, spk_v8_load(s + 8)), relu, y);
}

/* a + b lane by lane: two partial sums of one accumulator (exact under the same proof). */
static inline spk_v8_t spk_v8_add(spk_v8_t a, spk_v8_t b)
{
#if SPK_VEC_AVX2
    return _mm256_add_epi32(a, b);
#else
    int l;
    for (l = 0; l < 8; l++)
        a.v[l] += b.v[l];
    return a;
#endif
}

/* The zero vector: the partner of an odd last block in spk_v8_requant16. */
static inline spk_v8_t spk_v8_zero(void)
{
#if SPK_VEC_AVX2
    return _mm256_setzero_si256();
#else
    spk_v8_t r;
    memset(r.v, 0, sizeof r.v);
    return r;
#endif
}

/* Eight int16 from p (no alignment needed), sign-extended to int32. */
static inline spk_v8_t spk_v8_load16(const int16_t *p)
{
#if SPK_VEC_AVX2
    return _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)p));
#else
    spk_v8_t r;
    int l;
    for (l = 0; l < 8; l++)
        r.v[l] = p[l];
    return r;
#endif
}

/* The vector (v0, ..., v7), lane 0 first. */
static inline spk_v8_t spk_v8_set(int32_t v0, int32_t v1, int32_t v2, int32_t v3, int32_t v4, int32_t v5, int32_t v6,
                                  int32_t v7)
{
#if SPK_VEC_AVX2
    return _mm256_setr_epi32(v0, v1, v2, v3, v4, v5, v6, v7);
#else
    const spk_v8_t r = { { v0, v1, v2, v3, v4, v5, v6, v7 } };
    return r;
#endif
}

/* v with lane `lane` (a constant in [0, 7]) replaced by x. */
static inline spk_v8_t spk_v8_put(spk_v8_t v, int lane, int32_t x)
{
#if SPK_VEC_AVX2
    const __m256i at = _mm256_cmpeq_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(lane));
    return _mm256_blendv_epi8(v, _mm256_set1_epi32(x), at);
#else
    v.v[lane] = x;
    return v;
#endif
}

/*
 * The predictor's input quantisation (docs/fixed-point.md section 8) of 16 lanes
 * (a: lanes 0..7, b: 8..15), stored to y[0..15]:
 *   y[l] = sat16(rshr(v[l] * 2^f, r[l])),  r[l] = (sh & m[l]) + k[l]
 * (spk_rshr32 and spk_sat16_32 of spikey_fixed.h; the AVX2 path adds the same offset
 * 2^r >> 1 and shifts, lane by lane). m[l] is -1 where the lane's shift includes sh, else
 * 0; f and every r[l] lie in [0, 30], and v * 2^f + 2^(r-1) fits int32 for every legal v
 * (codegen.reference.compile.choose_f_in proves it), so nothing wraps.
 */
static inline void spk_v8_quant16(spk_v8_t a, spk_v8_t b, int f, int32_t sh, const int32_t *k, const int32_t *m,
                                  int16_t *y)
{
#if SPK_VEC_AVX2
    const __m256i s = _mm256_set1_epi32(sh), one = _mm256_set1_epi32(1);
    const __m256i ra = _mm256_add_epi32(_mm256_and_si256(s, spk_v8_load(m)), spk_v8_load(k));
    const __m256i rb = _mm256_add_epi32(_mm256_and_si256(s, spk_v8_load(m + 8)), spk_v8_load(k + 8));
    const __m256i xa = _mm256_add_epi32(_mm256_slli_epi32(a, f), _mm256_srli_epi32(_mm256_sllv_epi32(one, ra), 1));
    const __m256i xb = _mm256_add_epi32(_mm256_slli_epi32(b, f), _mm256_srli_epi32(_mm256_sllv_epi32(one, rb), 1));
    spk_v8_pack16(_mm256_srav_epi32(xa, ra), _mm256_srav_epi32(xb, rb), 0, y);
#else
    int l;
    for (l = 0; l < 8; l++) {
        a.v[l] = spk_rshr32(a.v[l] * ((int32_t)1 << f), (sh & m[l]) + k[l]);
        b.v[l] = spk_rshr32(b.v[l] * ((int32_t)1 << f), (sh & m[l + 8]) + k[l + 8]);
    }
    spk_v8_pack16(a, b, 0, y);
#endif
}

#endif /* SPIKEY_VEC_H */
