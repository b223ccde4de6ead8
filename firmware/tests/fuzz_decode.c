/*
 * fuzz_decode.c - libFuzzer entry point for the host decoder (spk_host_codec.h) over the
 * generated codec of a model: any bytes must decode or be refused without a crash, an
 * out-of-bounds access or undefined behaviour (built with -fsanitize=fuzzer,address,undefined
 * by bench/fuzz_native.py).
 *
 * Input layout: byte 0 picks the coder (2 + b % 4: rice_fixed, rice_scaled, range,
 * huffman_prior), byte 1 the layout (bit 7: joint with frame 64, bits 0-1: channels - 1
 * for joint), bytes 2-3 the samples per channel (little-endian, modulo 512: the predictor
 * is the slow part under the sanitizers), the rest is the payload. The decode runs in
 * chunks of 256 units and stops at the first error, as the runtime does. Edges are
 * uniform (E[k] = k * 2^16 - 2^15).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include "spk_host_codec.h"

#define FUZZ_MAX_CHAN 4u
#define FUZZ_CHUNK 256u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int32_t edges[1025];
    static int16_t x[FUZZ_CHUNK * FUZZ_MAX_CHAN];
    uint32_t n[FUZZ_MAX_CHAN], n_chan, frame, i, total = 0u, done = 0u;
    spk_hx_t *s;
    if (size < 4u)
        return 0;
    for (i = 0u; i < 1025u; i++)
        edges[i] = (int32_t)(i << 16) - 32768;
    frame = (data[1] & 0x80u) ? 64u : 0u;
    n_chan = frame ? 1u + (data[1] & 3u) : 1u;
    for (i = 0u; i < n_chan; i++) {
        n[i] = ((uint32_t)data[2] | ((uint32_t)data[3] << 8)) % 512u;
        n[i] = n[i] > i * 7u ? n[i] - i * 7u : 0u;      /* unequal lengths */
        total = n[i] > total ? n[i] : total;
    }
    if (!frame)
        total = n[0];
    s = spk_hx_dec_open(2 + data[0] % 4, data + 4, (uint32_t)(size - 4u), n_chan, n, frame, edges, 0u, 0u, NULL, 0u);
    if (!s)
        return 0;
    while (done < total) {
        const uint32_t got = spk_hx_run(s, x, FUZZ_CHUNK);
        done += got;
        if (got == 0u || spk_hx_status(s) != 0)
            break;
    }
    (void)spk_hx_finish(s, NULL);
    spk_hx_close(s);
    return 0;
}
