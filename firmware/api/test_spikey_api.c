/*
 * test_spikey_api.c - unit tests of the C API (spikey.h), run on the host: by the CMake
 * build (ctest), by `pio test -e native` (the exported PlatformIO project's custom runner
 * reads the PASS/FAIL lines) and by tests/test_export.py.
 *
 * Prints one line per test, "PASS name" or "FAIL name: reason", then "DONE <failures>";
 * exits with the number of failures.
 */
#include <stdio.h>
#include <string.h>
#include "spikey.h"

#define N 6000u

static int16_t x[N], y[N];
static uint8_t buf[SPIKEY_PAYLOAD_MAX_BYTES(N) + 16u], other[SPIKEY_PAYLOAD_MAX_BYTES(N)];
static spikey_t s;
static int failures;

static void check(const char *name, int ok, const char *why)
{
    if (ok) {
        printf("PASS %s\n", name);
    } else {
        printf("FAIL %s: %s\n", name, why);
        failures++;
    }
}

/* A recording-like signal: a slow wave plus a bounded pseudo-random walk (codes 0..1023). */
static void make_signal(uint32_t seed)
{
    uint32_t i, lcg = seed;
    int32_t walk = 0;
    for (i = 0u; i < N; i++) {
        int32_t tri = (int32_t)(i % 600u);
        lcg = lcg * 1664525u + 1013904223u;
        walk += (int32_t)(lcg >> 28) - 7;
        walk = walk > 60 ? 60 : (walk < -60 ? -60 : walk);
        tri = tri < 300 ? tri : 599 - tri;
        x[i] = (int16_t)(512 + tri / 3 - 50 + walk);
    }
}

/* Encode x[0..n) in frames of `frame` codes into out; returns the payload length. */
static uint32_t encode(uint8_t *out, uint32_t cap, uint32_t n, uint32_t frame, spikey_status_t *st)
{
    uint32_t i, n_bytes = 0u;
    spikey_encoder_init(&s, out, cap);
    for (i = 0u; i < n; i += frame)
        spikey_encode_frame(&s, &x[i], (n - i < frame) ? n - i : frame);
    *st = spikey_flush(&s, &n_bytes);
    return n_bytes;
}

static spikey_status_t decode(const uint8_t *p, uint32_t n_bytes, uint32_t n, uint32_t frame)
{
    uint32_t i;
    memset(y, 0xff, sizeof y);
    spikey_decoder_init(&s, p, n_bytes);
    for (i = 0u; i < n; i += frame)
        spikey_decode_frame(&s, &y[i], (n - i < frame) ? n - i : frame);
    return spikey_decoder_finish(&s);
}

static void test_round_trip(void)
{
    static const uint32_t frames[] = {1u, 7u, 64u, N};
    uint32_t f;
    spikey_status_t st;
    make_signal(1u);
    for (f = 0u; f < 4u; f++) {
        uint32_t n_bytes = encode(buf, sizeof buf, N, frames[f], &st);
        int ok = st == SPIKEY_OK && n_bytes > 0u && n_bytes < 2u * N && decode(buf, n_bytes, N, frames[f]) == SPIKEY_OK &&
                 memcmp(x, y, sizeof x) == 0;
        check(f == 0u ? "round_trip_frame_1" : f == 1u ? "round_trip_frame_7" : f == 2u ? "round_trip_frame_64"
                                                                                          : "round_trip_whole",
              ok, "decoded codes differ from the input");
    }
}

static void test_frames_do_not_change_bytes(void)
{
    spikey_status_t a, b;
    uint32_t na, nb;
    make_signal(2u);
    na = encode(buf, sizeof buf, N, 64u, &a);
    nb = encode(other, sizeof other, N, N, &b);
    check("frames_do_not_change_bytes", a == SPIKEY_OK && b == SPIKEY_OK && na == nb && memcmp(buf, other, na) == 0,
          "a stream coded in 64-code frames differs from the same codes in one call");
}

static void test_compresses(void)
{
    spikey_status_t st;
    uint32_t n_bytes;
    make_signal(3u);
    n_bytes = encode(buf, sizeof buf, N, 64u, &st);
    /* 10-bit codes of a smooth signal: well under 10 bits per code */
    check("compresses_below_raw", st == SPIKEY_OK && 8u * n_bytes < 8u * N, "payload not below 8 bits/code");
}

static void test_worst_case_bound(void)
{
    uint32_t i, n_bytes;
    spikey_status_t st;
    for (i = 0u; i < N; i++)
        x[i] = (int16_t)((i * 2654435761u >> 7) & 1u ? 1023 : 0);   /* the least predictable extremes */
    memset(buf, 0xA5, sizeof buf);
    n_bytes = encode(buf, SPIKEY_PAYLOAD_MAX_BYTES(N), N, 64u, &st);
    check("worst_case_fits_bound", st == SPIKEY_OK && n_bytes <= SPIKEY_PAYLOAD_MAX_BYTES(N) &&
                                       decode(buf, n_bytes, N, 64u) == SPIKEY_OK && memcmp(x, y, sizeof x) == 0,
          "extreme codes overflowed SPIKEY_PAYLOAD_MAX_BYTES or did not round-trip");
}

static void test_overflow_is_reported_not_written(void)
{
    spikey_status_t st;
    uint32_t i, intact = 1u;
    make_signal(4u);
    memset(buf, 0xA5, sizeof buf);
    encode(buf, 100u, N, 64u, &st);
    for (i = 100u; i < sizeof buf; i++)
        intact &= buf[i] == 0xA5u;
    check("overflow_reported", st == SPIKEY_ERR_OVERFLOW, "a too small buffer did not give SPIKEY_ERR_OVERFLOW");
    check("overflow_never_writes_past_cap", intact != 0u, "bytes past cap were written");
}

static void test_out_of_range_code(void)
{
    spikey_status_t a, b;
    uint32_t n_bytes;
    make_signal(5u);
    x[10] = 1024;
    spikey_encoder_init(&s, buf, sizeof buf);
    a = spikey_encode_frame(&s, x, 64u);
    b = spikey_encode_frame(&s, x + 64, 64u);       /* sticky */
    check("code_1024_refused", a == SPIKEY_ERR_RANGE && b == SPIKEY_ERR_RANGE &&
                                   spikey_flush(&s, &n_bytes) == SPIKEY_ERR_RANGE,
          "an out-of-range code was not refused (sticky)");
    x[10] = -1;
    spikey_encoder_init(&s, buf, sizeof buf);
    check("code_minus_1_refused", spikey_encode_frame(&s, x, 64u) == SPIKEY_ERR_RANGE, "code -1 was accepted");
}

static void test_truncated_payload(void)
{
    spikey_status_t st;
    uint32_t n_bytes;
    make_signal(6u);
    n_bytes = encode(buf, sizeof buf, N, 64u, &st);
    check("truncated_payload_refused", st == SPIKEY_OK && decode(buf, n_bytes / 2u, N, 64u) == SPIKEY_ERR_OVERRUN,
          "half a payload decoded without SPIKEY_ERR_OVERRUN");
    {
        /* the error shows in the frame that runs out, and stays */
        uint32_t i, first_bad = N;
        spikey_decoder_init(&s, buf, n_bytes / 2u);
        for (i = 0u; i < N; i += 64u) {
            if (spikey_decode_frame(&s, &y[i], (N - i < 64u) ? N - i : 64u) != SPIKEY_OK && first_bad == N)
                first_bad = i;
        }
        check("overrun_is_reported_by_the_frame", first_bad < N && first_bad > N / 4u &&
                                                      spikey_decode_frame(&s, y, 1u) == SPIKEY_ERR_OVERRUN,
              "running out of payload was not reported by a frame (sticky)");
    }
    check("trailing_bytes_refused", decode(buf, n_bytes + 3u, N, 64u) != SPIKEY_OK,
          "a payload with trailing bytes decoded without an error");
    check("fewer_codes_refused", decode(buf, n_bytes, N - 100u, 64u) != SPIKEY_OK,
          "decoding fewer codes than were coded left no error");
}

static void test_misuse(void)
{
    uint32_t n_bytes;
    int16_t c = 0;
    memset(&s, 0, sizeof s);
    check("uninitialised_refused", spikey_encode_frame(&s, &c, 1u) == SPIKEY_ERR_STATE &&
                                       spikey_decode_frame(&s, &c, 1u) == SPIKEY_ERR_STATE &&
                                       spikey_flush(&s, &n_bytes) == SPIKEY_ERR_STATE &&
                                       spikey_decoder_finish(&s) == SPIKEY_ERR_STATE,
          "a zeroed spikey_t was used");
    check("null_refused", spikey_encoder_init(NULL, buf, 1u) == SPIKEY_ERR_RANGE &&
                              spikey_encoder_init(&s, NULL, 1u) == SPIKEY_ERR_RANGE &&
                              spikey_decoder_init(&s, NULL, 1u) == SPIKEY_ERR_RANGE &&
                              spikey_encode_frame(NULL, &c, 1u) == SPIKEY_ERR_RANGE,
          "a NULL argument was accepted");
    spikey_encoder_init(&s, buf, sizeof buf);
    check("decode_on_encoder_refused", spikey_decode_frame(&s, &c, 1u) == SPIKEY_ERR_STATE,
          "an encoder decoded");
    spikey_flush(&s, &n_bytes);
    check("encode_after_flush_refused", spikey_encode_frame(&s, &c, 1u) == SPIKEY_ERR_STATE,
          "an encoder coded after its flush");
}

static void test_empty(void)
{
    spikey_status_t st;
    uint32_t n_bytes = encode(buf, sizeof buf, 0u, 64u, &st);
    check("empty_stream", st == SPIKEY_OK && n_bytes == 0u && decode(buf, 0u, 0u, 64u) == SPIKEY_OK,
          "zero codes did not give an empty payload that decodes");
}

static void test_sizes(void)
{
    check("state_bytes", SPIKEY_STATE_BYTES == sizeof(spikey_t) && SPIKEY_STATE_BYTES > 0u &&
                             SPIKEY_SCRATCH_BYTES == 0u,
          "SPIKEY_STATE_BYTES is not sizeof(spikey_t), or the API claims scratch memory");
    check("model_id_set", (spikey_model_id[0] | spikey_model_id[1] | spikey_model_id[7]) != 0u,
          "the model identity is zero");
}

int main(void)
{
    test_round_trip();
    test_frames_do_not_change_bytes();
    test_compresses();
    test_worst_case_bound();
    test_overflow_is_reported_not_written();
    test_out_of_range_code();
    test_truncated_payload();
    test_misuse();
    test_empty();
    test_sizes();
    printf("DONE %d\n", failures);
    return failures;
}
