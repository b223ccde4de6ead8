/*
 * spk_wav.c - RIFF/WAVE PCM16 mono parsing (spk_wav.h); the rules of spikey/recordings/wav.py.
 */
#include <stdio.h>
#include <string.h>
#include "spk_wav.h"

#define SPK_WAVE_FORMAT_PCM        0x0001u
#define SPK_WAVE_FORMAT_IEEE_FLOAT 0x0003u
#define SPK_WAVE_FORMAT_EXTENSIBLE 0xFFFEu

/* KSDATAFORMAT_SUBTYPE_PCM: the PCM format tag and the standard GUID tail. */
static const uint8_t spk_wav_pcm_guid[16] = {0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00,
                                             0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71};

static uint32_t spk_wav_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint32_t spk_wav_u16(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8);
}

static void spk_wav_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* A fmt chunk body: 0 and its sample rate, or -1 with the reason. */
static int spk_wav_fmt(const uint8_t *b, size_t size, uint32_t *rate, char *why, size_t cap)
{
    uint32_t tag, channels, bits;
    if (size < 16u) {
        snprintf(why, cap, "fmt chunk is %zu bytes, expected at least 16", size);
        return -1;
    }
    tag = spk_wav_u16(b);
    channels = spk_wav_u16(b + 2);
    bits = spk_wav_u16(b + 14);
    if (tag == SPK_WAVE_FORMAT_EXTENSIBLE) {
        if (size < 40u) {
            snprintf(why, cap, "WAVE_FORMAT_EXTENSIBLE fmt chunk is too short");
            return -1;
        }
        if (memcmp(b + 24, spk_wav_pcm_guid, 16) != 0) {
            snprintf(why, cap, "not PCM: WAVE_FORMAT_EXTENSIBLE with a non-PCM sub-format");
            return -1;
        }
    } else if (tag == SPK_WAVE_FORMAT_IEEE_FLOAT) {
        snprintf(why, cap, "not PCM16: %u-bit IEEE float samples", (unsigned)bits);
        return -1;
    } else if (tag != SPK_WAVE_FORMAT_PCM) {
        snprintf(why, cap, "not PCM: format tag 0x%04x", (unsigned)tag);
        return -1;
    }
    if (channels != 1u) {
        snprintf(why, cap, "not mono: %u channels", (unsigned)channels);
        return -1;
    }
    if (bits != 16u) {
        snprintf(why, cap, "not PCM16: %u-bit samples", (unsigned)bits);
        return -1;
    }
    *rate = spk_wav_u32(b + 4);
    return 0;
}

/* Whether Python's str.strip() removes the latin-1 character c (str.isspace). */
static int spk_wav_space(uint8_t c)
{
    return c == ' ' || (c >= 9 && c <= 13) || (c >= 28 && c <= 31) || c == 0x85 || c == 0xA0;
}

/* A chunk id as wav.py names it: decoded as latin-1, stripped of white space, written as
 * UTF-8 (as Python prints it); out holds at most 8 bytes and a NUL. */
static void spk_wav_name(const uint8_t *id, char out[9])
{
    size_t a = 0u, b = 4u, i, n = 0u;
    while (a < b && spk_wav_space(id[a]))
        a++;
    while (b > a && spk_wav_space(id[b - 1]))
        b--;
    for (i = a; i < b; i++) {
        if (id[i] < 0x80u) {
            out[n++] = (char)id[i];
        } else {
            out[n++] = (char)(0xC0u | (id[i] >> 6));
            out[n++] = (char)(0x80u | (id[i] & 0x3Fu));
        }
    }
    out[n] = '\0';
}

int spk_wav_parse(const uint8_t *data, size_t len, spk_wav_t *w, char *why, size_t cap)
{
    size_t riff_end, pos = 12u, start = 0u, end = 0u;
    int have_rate = 0, have_data = 0;
    uint32_t rate = 0u;
    if (len == 0u) {
        snprintf(why, cap, "empty file");
        return -1;
    }
    if (len < 12u || memcmp(data, "RIFF", 4) != 0 || memcmp(data + 8, "WAVE", 4) != 0) {
        snprintf(why, cap, "not a WAV file (no RIFF/WAVE header)");
        return -1;
    }
    riff_end = 8u + (size_t)spk_wav_u32(data + 4);
    if (riff_end > len) {
        snprintf(why, cap, "truncated: RIFF header declares %zu bytes, file has %zu", riff_end, len);
        return -1;
    }
    while (pos + 8u <= riff_end) {
        const uint8_t *id = data + pos;
        size_t size = spk_wav_u32(data + pos + 4), body = pos + 8u;
        if (body + size > riff_end) {
            char name[9];
            spk_wav_name(id, name);
            snprintf(why, cap, "truncated: chunk '%s' declares %zu bytes, %zu remain", name, size, riff_end - body);
            return -1;
        }
        if (memcmp(id, "fmt ", 4) == 0) {
            if (have_rate) {
                snprintf(why, cap, "more than one fmt chunk");
                return -1;
            }
            if (spk_wav_fmt(data + body, size, &rate, why, cap) != 0)
                return -1;
            have_rate = 1;
        } else if (memcmp(id, "data", 4) == 0) {
            if (have_data) {
                snprintf(why, cap, "more than one data chunk");
                return -1;
            }
            if (!have_rate) {
                snprintf(why, cap, "data chunk before fmt chunk");
                return -1;
            }
            start = body;
            end = body + size;
            have_data = 1;
        }
        pos = body + size + (size & 1u);
    }
    if (!have_rate) {
        snprintf(why, cap, "no fmt chunk");
        return -1;
    }
    if (!have_data) {
        snprintf(why, cap, "no data chunk");
        return -1;
    }
    if ((end - start) % 2u) {
        snprintf(why, cap, "data chunk holds %zu bytes, not a whole number of 16-bit samples", end - start);
        return -1;
    }
    w->sample_rate = rate;
    w->start = start;
    w->n_samples = (end - start) / 2u;
    w->end = end;
    return 0;
}

void spk_wav_canonical(uint8_t out[SPK_WAV_CANONICAL_BYTES], uint32_t sample_rate, uint32_t n_samples)
{
    const uint32_t data_bytes = 2u * n_samples;
    memcpy(out, "RIFF", 4);
    spk_wav_put32(out + 4, 36u + data_bytes);
    memcpy(out + 8, "WAVEfmt ", 8);
    spk_wav_put32(out + 16, 16u);
    out[20] = 1u;   /* PCM */
    out[21] = 0u;
    out[22] = 1u;   /* mono */
    out[23] = 0u;
    spk_wav_put32(out + 24, sample_rate);
    spk_wav_put32(out + 28, 2u * sample_rate);
    out[32] = 2u;   /* block align */
    out[33] = 0u;
    out[34] = 16u;  /* bits */
    out[35] = 0u;
    memcpy(out + 36, "data", 4);
    spk_wav_put32(out + 40, data_bytes);
}
