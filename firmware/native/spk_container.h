/*
 * spk_container.h - the Spikey container, version 3 (docs/bitstream.md; the reference is
 * spikey/container.py), for the native codec program: one channel written, any stream
 * read and checked field by field with the reference's one-line reasons.
 *
 * Nothing a header declares is trusted before it is checked against what the stream can
 * hold: every length is checked against the bytes left, before anything is allocated.
 */
#ifndef SPK_CONTAINER_H
#define SPK_CONTAINER_H

#include <stddef.h>
#include <stdint.h>

#define SPK_CONTAINER_VERSION 3u
#define SPK_CONTAINER_LOSSLESS 0u
/* The format's limits (spikey/limits.py). */
#define SPK_MAX_SAMPLES     2147483629u      /* (2^32 - 1 - 36) / 2: a PCM16 WAV's RIFF size field */
#define SPK_MAX_SAMPLE_RATE 2147483647u      /* (2^32 - 1) / 2: a canonical header's byte rate */
#define SPK_MAX_FRAME       4294967295u
#define SPK_MAX_NAME_BYTES  255u

/* A growing byte buffer (host only: the program's output). */
typedef struct {
    uint8_t *p;
    size_t n, cap;
    int failed;          /* out of memory: every later append is dropped */
} spk_buf_t;

void spk_buf_put(spk_buf_t *b, const void *bytes, size_t n);
void spk_buf_varint(spk_buf_t *b, uint64_t v);
void spk_buf_u32(spk_buf_t *b, uint32_t v);

/* zlib's CRC-32 of data[0..n), continued from crc (0 to start). */
uint32_t spk_crc32(uint32_t crc, const uint8_t *data, size_t n);

/* One channel of a stream (pointers into the stream's bytes). */
typedef struct {
    const uint8_t *name;               /* UTF-8, n_name bytes (empty in a per-file stream) */
    size_t n_name;
    uint64_t samples, sample_rate;
    int canonical;                     /* header kind 0: rebuilt from the counts */
    const uint8_t *prefix, *suffix;    /* verbatim only */
    size_t n_prefix, n_suffix;
    uint64_t n_escapes;
    const uint8_t *escapes;            /* n_escapes x (varint delta, i16), already checked */
    uint32_t wav_crc;
} spk_chan_t;

typedef struct {
    uint32_t codec, mode;
    uint8_t model_id[8];
    uint64_t n_channels, frame;
    const uint8_t *mode_params;        /* the mode's parameters (n_mode_params bytes) */
    size_t n_mode_params;
    spk_chan_t first;                  /* channel 0 (the only one of a per-file stream) */
    uint64_t total_samples;            /* every channel's samples */
    int any_escapes;                   /* some channel has escapes */
    const uint8_t *payload;
    size_t n_payload;
} spk_stream_t;

/* Read and check data[0..n). Returns 0, or -1 with a one-line reason in why. */
int spk_container_unpack(const uint8_t *data, size_t n, spk_stream_t *s, char *why, size_t why_cap);

/* The next escape of a checked list: *p advances; *pos accumulates the deltas. */
void spk_container_escape(const uint8_t **p, uint64_t *pos, int16_t *value);

#endif /* SPK_CONTAINER_H */
