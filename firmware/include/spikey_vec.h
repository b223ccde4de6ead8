/*
 * spikey_vec.h - 8-lane int32 vectors for the generated Dense layers' "columns" kernel.
 *
 * The columns kernel (codegen.cgen, kernel="columns": the host build) keeps 8 output rows
 * of a layer in one vector accumulator and adds one input pair at a time to all of them.
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
 * (codegen.quantize does for every int32 accumulator); VPMADDWD's own pair sum can only
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
 * Requantise 16 accumulators (a: rows 0..7, b: rows 8..15) to int16 and store them to y:
 *   y[l] = sat16(acc[l] >> s[l]), then max(y, 0) when relu
 * with s[l] in [0, 31] (the rounding offset 2^(s-1) is already in the accumulator: the
 * biases carry it, so this is requant16 of docs/fixed-point.md, rounding half up).
 * Saturation is VPACKSSDW's signed clamp, which is sat16; the shifts are arithmetic.
 */
static inline void spk_v8_requant16(spk_v8_t a, spk_v8_t b, const int32_t *s, int relu, int16_t *y)
{
#if SPK_VEC_AVX2
    const __m256i sa = _mm256_srav_epi32(a, _mm256_loadu_si256((const __m256i *)s));
    const __m256i sb = _mm256_srav_epi32(b, _mm256_loadu_si256((const __m256i *)(s + 8)));
    __m256i r = _mm256_permute4x64_epi64(_mm256_packs_epi32(sa, sb), 0xd8);   /* rows in order */
    if (relu)
        r = _mm256_max_epi16(r, _mm256_setzero_si256());
    _mm256_storeu_si256((__m256i *)y, r);
#else
    int l;
    for (l = 0; l < 16; l++) {
        const int32_t v = (l < 8 ? a.v[l] : b.v[l - 8]) >> s[l];
        const int32_t q = v > 32767 ? 32767 : (v < -32768 ? -32768 : v);
        y[l] = (int16_t)(relu && q < 0 ? 0 : q);
    }
#endif
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

#endif /* SPIKEY_VEC_H */
