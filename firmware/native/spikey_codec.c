/*
 * spikey_codec.c - the native codec program: `spikey-codec encode IN OUT` and
 * `spikey-codec decode IN OUT`, the bytes of `spikey encode` / `spikey decode` (the
 * learned model with the range coder, one recording per stream) without Python.
 *
 * Linked by `codegen build --target host` (codegen/host/program.py) from the build's C
 * API (spikey.h), the generated model and the runtime. The pipeline of spikey/codec.py:
 * samples -> 10-bit codes ((v + 32768) >> 6), samples off the ADC grid escaped, the codes
 * coded by spikey.h, all wrapped in a version-3 container (spk_container.h). Decoding
 * checks the container, the model identity, the payload and the original file's CRC-32.
 * Bad input ends in one line on stderr and exit status 1, and leaves no output file:
 * the output is written to a temporary name in its folder and renamed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "spikey.h"
#include "spk_container.h"
#include "spk_wav.h"

#define SPK_WHY 256u
/* Codes one payload byte can hold at most: a code's frequency is at most 2^18 - 1023 of the
 * range coder's 2^18, so it costs at least -log2(1 - 1023 / 2^18) = 0.00564 bits, and 8 bits
 * hold at most 1419 codes. A stream that claims more is corrupt (the decoder would run past
 * its end); it is refused before its count is trusted with an allocation. */
#define SPK_CODES_PER_BYTE 1500u

static const char *spk_prog = "spikey-codec";

/* The length of msg's first line, as Python's str.splitlines() cuts it (the Python CLI
 * prints that line): at \n \r \v \f, \x1c-\x1e, U+0085, U+2028 or U+2029 (UTF-8). */
static size_t spk_first_line(const char *msg)
{
    const unsigned char *p = (const unsigned char *)msg;
    size_t i;
    for (i = 0u; p[i]; i++) {
        if ((p[i] >= 10 && p[i] <= 13) || (p[i] >= 28 && p[i] <= 30) || (p[i] == 0xC2 && p[i + 1] == 0x85) ||
            (p[i] == 0xE2 && p[i + 1] == 0x80 && (p[i + 2] == 0xA8 || p[i + 2] == 0xA9)))
            break;
    }
    return i;
}

/* One line on stderr, "spikey-codec: error: <reason>"; returns the exit status 1. */
static int spk_fail(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s: error: %.*s\n", spk_prog, (int)spk_first_line(msg), msg);
    return 1;
}

/* The whole file; NULL after printing the reason (the messages of spikey.codec.read_input). */
static uint8_t *spk_read(const char *path, size_t *n)
{
    FILE *f;
    struct stat st;
    uint8_t *p;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            spk_fail("no such file: %s", path);
        else
            spk_fail("cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        spk_fail("is a directory: %s", path);
        return NULL;
    }
    f = fopen(path, "rb");
    if (!f) {
        spk_fail("cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    p = (uint8_t *)malloc(st.st_size > 0 ? (size_t)st.st_size : 1u);
    *n = p ? fread(p, 1u, (size_t)st.st_size, f) : 0u;
    if (!p || ferror(f) || *n != (size_t)st.st_size) {
        spk_fail("cannot read %s: %s", path, p ? "short read" : "out of memory");
        fclose(f);
        free(p);
        return NULL;
    }
    fclose(f);
    return p;
}

/* Write data to path through a temporary file in its folder and a rename; the file gets
 * the permissions a plain open() would give it (0666 & ~umask). 0, or 1 after the reason. */
static int spk_write_atomic(const char *path, const uint8_t *data, size_t n)
{
    const char *slash = strrchr(path, '/');
    size_t dir = slash ? (size_t)(slash - path) + 1u : 0u;
    char *tmp = (char *)malloc(strlen(path) + 16u);
    mode_t mask;
    int fd;
    FILE *f;
    if (!tmp)
        return spk_fail("cannot write %s: out of memory", path);
    memcpy(tmp, path, dir);
    sprintf(tmp + dir, ".%s.XXXXXX", path + dir);
    fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return spk_fail("cannot write %s: %s", path, strerror(e));
    }
    mask = umask(0);
    umask(mask);
    f = fdopen(fd, "wb");
    if (!f || fwrite(data, 1u, n, f) != n || fchmod(fd, 0666 & ~mask) != 0 || fclose(f) != 0 ||
        rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        free(tmp);
        return spk_fail("cannot write %s: %s", path, strerror(e));
    }
    free(tmp);
    return 0;
}

/* The 10-bit ADC grid (spikey/recordings/adc.py): code -> the int16 value it stands for. */
static int16_t spk_grid[1024];

static void spk_grid_init(void)
{
    int32_t k;
    for (k = 0; k < 512; k++)
        spk_grid[k] = (int16_t)((65535 * k + 1020) / 1023 - 32768);
    for (k = 512; k < 1024; k++)
        spk_grid[k] = (int16_t)(-1 - spk_grid[1023 - k]);
}

static int16_t spk_code(int16_t v)
{
    return (int16_t)(((int32_t)v + 32768) >> 6);
}

static int spk_encode(const char *in, const char *out)
{
    size_t n_file, i, n, n_esc = 0u;
    char why[SPK_WHY];
    uint8_t *data = spk_read(in, &n_file), head[SPK_WAV_CANONICAL_BYTES], *payload;
    int16_t *codes;
    spk_wav_t w;
    spk_buf_t b = {0};
    spikey_t enc;
    uint32_t n_payload = 0u, prev = 0u;
    int canonical, rc;
    if (!data)
        return 1;
    if (spk_wav_parse(data, n_file, &w, why, sizeof why) != 0) {
        free(data);
        return spk_fail("%s", why);
    }
    n = w.n_samples;
    if (n > 0x3FFFFFF0u / 4u) {
        free(data);
        return spk_fail("recording of %zu samples is too long for one stream", n);
    }
    codes = (int16_t *)malloc((n ? n : 1u) * sizeof(int16_t));
    payload = (uint8_t *)malloc(4u * n + 128u);
    if (!codes || !payload) {
        free(data);
        free(codes);
        free(payload);
        return spk_fail("out of memory for %zu samples", n);
    }
    for (i = 0u; i < n; i++) {
        const int16_t v = (int16_t)(uint16_t)(data[w.start + 2u * i] | (data[w.start + 2u * i + 1u] << 8));
        codes[i] = spk_code(v);
        n_esc += (spk_grid[codes[i]] != v);
    }
    spikey_encoder_init(&enc, payload, (uint32_t)(4u * n + 128u));
    spikey_encode_frame(&enc, codes, (uint32_t)n);
    if (spikey_flush(&enc, &n_payload) != SPIKEY_OK) {
        free(data);
        free(codes);
        free(payload);
        return spk_fail("the C encoder failed");
    }
    spk_wav_canonical(head, w.sample_rate, (uint32_t)n);
    canonical = (w.end == n_file && w.start == SPK_WAV_CANONICAL_BYTES && memcmp(head, data, w.start) == 0);

    spk_buf_put(&b, "SPKY", 4u);
    {
        const uint8_t vc[2] = {SPK_CONTAINER_VERSION, SPIKEY_CODEC_ID};
        const uint8_t mode = SPK_CONTAINER_LOSSLESS;
        spk_buf_put(&b, vc, 2u);
        spk_buf_put(&b, spikey_model_id, SPIKEY_MODEL_ID_BYTES);
        spk_buf_put(&b, &mode, 1u);
    }
    spk_buf_varint(&b, 0u);                 /* mode params: none */
    spk_buf_varint(&b, 1u);                 /* channels */
    spk_buf_varint(&b, 0u);                 /* frame: one channel, coded whole */
    spk_buf_varint(&b, 0u);                 /* name: empty for a single file */
    spk_buf_varint(&b, n);
    spk_buf_varint(&b, w.sample_rate);
    {
        const uint8_t kind = canonical ? 0u : 1u;
        spk_buf_put(&b, &kind, 1u);
    }
    if (!canonical) {
        spk_buf_varint(&b, w.start);
        spk_buf_put(&b, data, w.start);
        spk_buf_varint(&b, n_file - w.end);
        spk_buf_put(&b, data + w.end, n_file - w.end);
    }
    spk_buf_varint(&b, n_esc);
    for (i = 0u; i < n && n_esc; i++) {
        const uint8_t *s = data + w.start + 2u * i;
        const int16_t v = (int16_t)(uint16_t)(s[0] | (s[1] << 8));
        if (spk_grid[codes[i]] != v) {
            spk_buf_varint(&b, (uint32_t)i - prev);
            spk_buf_put(&b, s, 2u);
            prev = (uint32_t)i;
        }
    }
    spk_buf_u32(&b, spk_crc32(0u, data, n_file));
    spk_buf_varint(&b, n_payload);
    spk_buf_put(&b, payload, n_payload);
    spk_buf_u32(&b, spk_crc32(0u, b.p, b.n));
    free(data);
    free(codes);
    free(payload);
    rc = b.failed ? spk_fail("out of memory for the stream") : spk_write_atomic(out, b.p, b.n);
    free(b.p);
    return rc;
}

static void spk_hex(const uint8_t *id, char out[17])
{
    int i;
    for (i = 0; i < 8; i++)
        sprintf(out + 2 * i, "%02x", id[i]);
}

static int spk_decode(const char *in, const char *out)
{
    size_t n_in, i, n_wav;
    char why[SPK_WHY], a[17], b[17];
    uint8_t *data = spk_read(in, &n_in), *wav, head[SPK_WAV_CANONICAL_BYTES];
    const uint8_t *prefix, *e;
    size_t n_prefix;
    int16_t *codes;
    spk_stream_t s;
    spikey_t dec;
    uint64_t pos = 0u;
    int rc;
    if (!data)
        return 1;
    if (spk_container_unpack(data, n_in, &s, why, sizeof why) != 0) {
        free(data);
        return spk_fail("%s", why);
    }
    rc = 1;
    if (s.mode != SPK_CONTAINER_LOSSLESS) {
        spk_fail("bitstream is %s; spikey-codec decodes lossless streams: use spikey decode",
                 s.mode == 1u ? "near-lossless" : "events");
    } else if (s.codec != SPIKEY_CODEC_ID) {
        spk_fail("bitstream uses codec id %u, which spikey-codec does not decode (it reads the learned model with "
                 "the range coder): use spikey decode", (unsigned)s.codec);
    } else if (memcmp(s.model_id, spikey_model_id, SPIKEY_MODEL_ID_BYTES) != 0) {
        spk_hex(s.model_id, a);
        spk_hex(spikey_model_id, b);
        spk_fail("bitstream was made by model %s; this decoder's model is %s (build spikey-codec for that model)",
                 a, b);
    } else if (s.frame != 0u) {
        spk_fail("bitstream holds %llu channels (joint frames): decode it with spikey decode --joint",
                 (unsigned long long)s.n_channels);
    } else if (s.n_channels != 1u) {
        spk_fail("a per-file stream holds one channel, not %llu", (unsigned long long)s.n_channels);
    } else if (s.first.samples > SPK_CODES_PER_BYTE * ((uint64_t)s.n_payload + 8u) || s.first.samples > 0x3FFFFFF0u) {
        /* more codes than the payload can hold: refused before anything is allocated */
        spk_fail("corrupt bitstream: the payload does not decode to the recorded sample counts");
    } else {
        rc = 0;
    }
    if (rc) {
        free(data);
        return 1;
    }
    codes = (int16_t *)malloc((size_t)(s.first.samples ? s.first.samples : 1u) * sizeof(int16_t));
    if (!codes) {
        free(data);
        return spk_fail("out of memory for %llu samples", (unsigned long long)s.first.samples);
    }
    spikey_decoder_init(&dec, s.n_payload ? s.payload : data, (uint32_t)s.n_payload);
    spikey_decode_frame(&dec, codes, (uint32_t)s.first.samples);
    if (spikey_decoder_finish(&dec) != SPIKEY_OK) {
        free(data);
        free(codes);
        return spk_fail("corrupt bitstream: the payload does not decode to the recorded sample counts");
    }
    if (s.first.canonical) {
        spk_wav_canonical(head, (uint32_t)s.first.sample_rate, (uint32_t)s.first.samples);
        prefix = head;
        n_prefix = SPK_WAV_CANONICAL_BYTES;
    } else {
        prefix = s.first.prefix;
        n_prefix = s.first.n_prefix;
    }
    n_wav = n_prefix + 2u * (size_t)s.first.samples + s.first.n_suffix;
    wav = (uint8_t *)malloc(n_wav);
    if (!wav) {
        free(data);
        free(codes);
        return spk_fail("out of memory for the recording");
    }
    memcpy(wav, prefix, n_prefix);
    for (i = 0u; i < s.first.samples; i++) {
        const uint16_t v = (uint16_t)spk_grid[codes[i]];
        wav[n_prefix + 2u * i] = (uint8_t)v;
        wav[n_prefix + 2u * i + 1u] = (uint8_t)(v >> 8);
    }
    e = s.first.escapes;
    for (i = 0u; i < s.first.n_escapes; i++) {
        int16_t v;
        spk_container_escape(&e, &pos, &v);
        wav[n_prefix + 2u * pos] = (uint8_t)(uint16_t)v;
        wav[n_prefix + 2u * pos + 1u] = (uint8_t)((uint16_t)v >> 8);
    }
    if (s.first.n_suffix)
        memcpy(wav + n_prefix + 2u * s.first.samples, s.first.suffix, s.first.n_suffix);
    free(codes);
    if (spk_crc32(0u, wav, n_wav) != s.first.wav_crc) {
        free(data);
        free(wav);
        return spk_fail("decoded recording does not match the original's CRC");
    }
    rc = spk_write_atomic(out, wav, n_wav);
    free(data);
    free(wav);
    return rc;
}

int main(int argc, char **argv)
{
    spk_grid_init();
    if (argc == 4 && strcmp(argv[1], "encode") == 0)
        return spk_encode(argv[2], argv[3]);
    if (argc == 4 && strcmp(argv[1], "decode") == 0)
        return spk_decode(argv[2], argv[3]);
    fprintf(stderr, "usage: %s encode IN.wav OUT | decode IN OUT.wav\n", spk_prog);
    return 2;
}
