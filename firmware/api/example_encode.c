/*
 * example_encode.c - the C API (spikey.h) in use: encode one buffer of 10-bit codes frame
 * by frame, as an implant's sampling loop would, then decode the payload and check it.
 *
 * The codes are a deterministic synthetic signal (a slow triangle plus a pseudo-random
 * walk, integer only), so the example needs no data file and runs the same everywhere:
 * on the host (CMake) and on a Cortex-M (PlatformIO; startup.c calls main and reports its
 * return value through semihosting). Returns 0 when the decoded codes equal the input.
 */
#include <stdint.h>
#include "spikey.h"

#define EXAMPLE_SAMPLES 4096u
#define EXAMPLE_FRAME   64u

static int16_t codes[EXAMPLE_SAMPLES];
static int16_t decoded[EXAMPLE_SAMPLES];
static uint8_t payload[SPIKEY_PAYLOAD_MAX_BYTES(EXAMPLE_SAMPLES)];
static spikey_t codec;          /* SPIKEY_STATE_BYTES of state: static, no heap */

/* Length of the payload of the last example_run (for a debugger or a host print). */
volatile uint32_t example_payload_bytes;

static void example_signal(void)
{
    uint32_t i, lcg = 12345u;
    int32_t walk = 0;
    for (i = 0u; i < EXAMPLE_SAMPLES; i++) {
        int32_t tri = (int32_t)(i % 512u);
        lcg = lcg * 1664525u + 1013904223u;
        walk += (int32_t)(lcg >> 29) - 3;            /* steps in [-3, 4] */
        walk = walk > 40 ? 40 : (walk < -40 ? -40 : walk);
        tri = tri < 256 ? tri : 511 - tri;            /* 0..255..0 */
        codes[i] = (int16_t)(512 + (tri - 128) / 4 + walk);
    }
}

int main(void)
{
    uint32_t i, n_bytes = 0u;
    example_signal();
    if (spikey_encoder_init(&codec, payload, sizeof payload) != SPIKEY_OK) {
        return 1;
    }
    for (i = 0u; i < EXAMPLE_SAMPLES; i += EXAMPLE_FRAME) {
        if (spikey_encode_frame(&codec, &codes[i], EXAMPLE_FRAME) != SPIKEY_OK) {
            return 2;
        }
    }
    if (spikey_flush(&codec, &n_bytes) != SPIKEY_OK) {
        return 3;
    }
    example_payload_bytes = n_bytes;
    spikey_decoder_init(&codec, payload, n_bytes);
    for (i = 0u; i < EXAMPLE_SAMPLES; i += EXAMPLE_FRAME) {
        spikey_decode_frame(&codec, &decoded[i], EXAMPLE_FRAME);
    }
    if (spikey_decoder_finish(&codec) != SPIKEY_OK) {
        return 4;
    }
    for (i = 0u; i < EXAMPLE_SAMPLES; i++) {
        if (decoded[i] != codes[i]) {
            return 5;
        }
    }
    return 0;
}
