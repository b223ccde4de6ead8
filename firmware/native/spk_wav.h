/*
 * spk_wav.h - RIFF/WAVE PCM16 mono parsing in memory, for the native codec program.
 *
 * The rules of spikey/recordings/wav.py (parse_wav), check for check and message for
 * message: a recording is its prefix (every byte before the samples), its samples and its
 * suffix (every byte after them), so that prefix + samples + suffix is the file again.
 * Anything that is not PCM16 mono is refused with a one-line reason.
 */
#ifndef SPK_WAV_H
#define SPK_WAV_H

#include <stddef.h>
#include <stdint.h>

#define SPK_WAV_CANONICAL_BYTES 44u

typedef struct {
    uint32_t sample_rate;
    size_t start;        /* offset of the first sample = length of the prefix */
    size_t n_samples;    /* int16 little-endian samples at data[start..] */
    size_t end;          /* offset after the last sample; the suffix is data[end..len) */
} spk_wav_t;

/* Parse data[0..len). Returns 0, or -1 with a one-line reason in why[0..why_cap). */
int spk_wav_parse(const uint8_t *data, size_t len, spk_wav_t *w, char *why, size_t why_cap);

/* The 44-byte header of a plain PCM16 mono WAV of n samples (wav.py canonical_prefix). */
void spk_wav_canonical(uint8_t out[SPK_WAV_CANONICAL_BYTES], uint32_t sample_rate, uint32_t n_samples);

#endif /* SPK_WAV_H */
