/*
 * spikey_codec.c - the native codec program: `spikey-codec encode IN OUT` and
 * `spikey-codec decode IN OUT`, the bytes of `spikey encode` / `spikey decode` (the
 * learned model with the range coder, one recording per stream) without Python.
 *
 * Linked by `codegen build --target host` (codegen/host/program.py) from the build's C
 * API (spikey.h), the generated model and the runtime. The pipeline of spikey/codec.py:
 * samples -> 10-bit codes ((v + 32768) >> 6), samples off the ADC grid escaped, the codes
 * coded by spikey.h, all wrapped in a version-3 container (spk_container.h); whenever
 * that stream would be longer than the samples themselves, the stored fallback (codec 7,
 * spikey/stored.py) is written instead, as spikey.codec._shorter chooses it. Decoding
 * checks the container, the payload's bounds, the model identity and the original file's
 * CRC-32, in spikey.codec's order and with its messages; streams it does not decode (other
 * coders and modes, packets, joint frames) are refused by name, pointing at spikey decode.
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

#define SPK_WHY 2048u

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

/* The stored fallback (spikey/stored.py): codec id 7, the samples verbatim (int16 LE), no
 * escapes; its model id is the first 8 bytes of SHA-256("stored:pcm16le,channel-major"). */
#define SPK_STORED_CODEC_ID 7u
static const uint8_t spk_stored_model_id[8] = {0x98, 0xe3, 0x52, 0x2f, 0x50, 0xf9, 0xbc, 0xa9};

/* Bytes of a varint of v (as spk_buf_varint writes it). */
static size_t spk_varint_bytes(uint64_t v)
{
    size_t n = 1u;
    while (v >>= 7)
        n++;
    return n;
}

/* A per-file stream's header up to and including its channel's WAV CRC (container.pack up
 * to the payload's length); escapes: the channel's samples off the grid (0: none written). */
static void spk_put_header(spk_buf_t *b, uint32_t codec, const uint8_t model_id[8], const spk_wav_t *w,
                           const uint8_t *data, size_t n_file, int canonical, const int16_t *codes, size_t n_esc)
{
    const uint8_t vc[2] = {SPK_CONTAINER_VERSION, (uint8_t)codec};
    const uint8_t mode = SPK_CONTAINER_LOSSLESS, kind = canonical ? 0u : 1u;
    size_t i;
    uint32_t prev = 0u;
    spk_buf_put(b, "SPKY", 4u);
    spk_buf_put(b, vc, 2u);
    spk_buf_put(b, model_id, 8u);
    spk_buf_put(b, &mode, 1u);
    spk_buf_varint(b, 0u);                 /* mode params: none */
    spk_buf_varint(b, 1u);                 /* channels */
    spk_buf_varint(b, 0u);                 /* frame: one channel, coded whole */
    spk_buf_varint(b, 0u);                 /* name: empty for a single file */
    spk_buf_varint(b, w->n_samples);
    spk_buf_varint(b, w->sample_rate);
    spk_buf_put(b, &kind, 1u);
    if (!canonical) {
        spk_buf_varint(b, w->start);
        spk_buf_put(b, data, w->start);
        spk_buf_varint(b, n_file - w->end);
        spk_buf_put(b, data + w->end, n_file - w->end);
    }
    spk_buf_varint(b, n_esc);
    for (i = 0u; i < w->n_samples && n_esc; i++) {
        const uint8_t *s = data + w->start + 2u * i;
        const int16_t v = (int16_t)(uint16_t)(s[0] | (s[1] << 8));
        if (spk_grid[codes[i]] != v) {
            spk_buf_varint(b, (uint32_t)i - prev);
            spk_buf_put(b, s, 2u);
            prev = (uint32_t)i;
        }
    }
    spk_buf_u32(b, spk_crc32(0u, data, n_file));
}

/* The payload field and the stream's CRC: the stream is complete. */
static void spk_put_payload(spk_buf_t *b, const uint8_t *payload, size_t n)
{
    spk_buf_varint(b, n);
    spk_buf_put(b, payload, n);
    spk_buf_u32(b, spk_crc32(0u, b->p, b->n));
}

/* Whether the recording's header is the canonical one rebuilt from its counts (and a
 * canonical header can hold its rate: limits.canonical_rate). */
static int spk_is_canonical(const spk_wav_t *w, const uint8_t *data, size_t n_file)
{
    uint8_t head[SPK_WAV_CANONICAL_BYTES];
    if (w->sample_rate > SPK_MAX_SAMPLE_RATE || w->end != n_file || w->start != SPK_WAV_CANONICAL_BYTES)
        return 0;
    spk_wav_canonical(head, w->sample_rate, (uint32_t)w->n_samples);
    return memcmp(head, data, w->start) == 0;
}

/* The encoder's payload capacity (spikey.model.host.encode_capacity): what the stored
 * fallback would take plus a little; a payload that does not fit is never the shorter. */
static uint32_t spk_encode_capacity(size_t n)
{
    const uint64_t cap = 2u * (uint64_t)n + 128u;
    return cap > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)cap;
}

static int spk_encode(const char *in, const char *out)
{
    size_t n_file, i, n, n_esc = 0u, stored_size;
    char why[SPK_WHY];
    uint8_t *data = spk_read(in, &n_file), *payload;
    int16_t *codes;
    spk_wav_t w;
    spk_buf_t b = {0};
    spikey_t enc;
    uint32_t n_payload = 0u, cap;
    int canonical, rc, coded;
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
    cap = spk_encode_capacity(n);
    codes = (int16_t *)malloc((n ? n : 1u) * sizeof(int16_t));
    payload = (uint8_t *)malloc(cap);
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
    spikey_encoder_init(&enc, payload, cap);
    spikey_encode_frame(&enc, codes, (uint32_t)n);
    rc = spikey_flush(&enc, &n_payload);
    if (rc != SPIKEY_OK && rc != SPIKEY_ERR_OVERFLOW) {
        free(data);
        free(codes);
        free(payload);
        return spk_fail("the C encoder failed with status %d", rc);
    }
    canonical = spk_is_canonical(&w, data, n_file);
    /* The stored fallback's length (codec._stored): its header, the payload's length, 2n, CRC. */
    spk_put_header(&b, SPK_STORED_CODEC_ID, spk_stored_model_id, &w, data, n_file, canonical, codes, 0u);
    stored_size = b.n + spk_varint_bytes(2u * n) + 2u * n + 4u;
    b.n = 0u;
    coded = (rc == SPIKEY_OK);
    if (coded) {
        spk_put_header(&b, SPIKEY_CODEC_ID, spikey_model_id, &w, data, n_file, canonical, codes, n_esc);
        spk_put_payload(&b, payload, n_payload);
        coded = b.n <= stored_size;     /* codec._shorter: the coded stream unless storing is shorter */
    }
    if (!coded) {
        b.n = 0u;
        spk_put_header(&b, SPK_STORED_CODEC_ID, spk_stored_model_id, &w, data, n_file, canonical, codes, 0u);
        spk_put_payload(&b, data + w.start, 2u * n);
    }
    free(codes);
    free(payload);
    rc = b.failed ? spk_fail("out of memory for the stream") : spk_write_atomic(out, b.p, b.n);
    free(data);
    free(b.p);
    return rc;
}

static void spk_hex(const uint8_t *id, char out[17])
{
    int i;
    for (i = 0; i < 8; i++)
        sprintf(out + 2 * i, "%02x", id[i]);
}

/* The most codes a payload of n bytes can hold (limits.max_codes), per codec id: every
 * codeword of the bit coders (1, 2, 3, 5) has at least one bit; the range coder (4) holds
 * at most 1419 a byte (limits.CODES_PER_BYTE: a code's frequency is at least 1 of 2^18).
 * 0 for a codec with no such bound (its own checks apply). */
static uint64_t spk_max_codes(uint32_t codec, size_t n)
{
    if (codec == 1u || codec == 2u || codec == 3u || codec == 5u)
        return 8u * (uint64_t)n;
    if (codec == 4u)
        return 1419u * (uint64_t)n;
    return 0u;
}

/* The declared samples against what the payload can hold (limits.check_payload_holds),
 * before anything is allocated. 0, or 1 after the reason. */
static int spk_check_payload_holds(const spk_stream_t *s)
{
    const uint64_t most = spk_max_codes(s->codec, s->n_payload);
    if (most && s->total_samples > most)
        return spk_fail("corrupt bitstream: %llu samples declared, but a %zu-byte payload holds at most %llu",
                        (unsigned long long)s->total_samples, s->n_payload, (unsigned long long)most);
    return 0;
}

/* A lossless stream's parameters (packets.resync_of): empty, or the resync interval R
 * (a varint of at most 5 bytes, 1 .. 2^32 - 1). *resync: R, or 0 when empty. 0, or 1
 * after the reason. */
static int spk_resync_of(const spk_stream_t *s, uint64_t *resync)
{
    uint64_t v = 0u;
    size_t i;
    *resync = 0u;
    if (!s->n_mode_params)
        return 0;
    for (i = 0u; i < s->n_mode_params && i < 5u; i++) {
        v |= (uint64_t)(s->mode_params[i] & 0x7Fu) << (7u * i);
        if (!(s->mode_params[i] & 0x80u))
            break;
    }
    if (i >= 5u || i + 1u != s->n_mode_params || v < 1u || v > 0xFFFFFFFFu)
        return spk_fail("corrupt bitstream: bad lossless mode parameters");
    *resync = v;
    return 0;
}

/* Another mode, codec, model or layout than this program decodes: refused by name, pointing
 * at spikey decode; in the order spikey.codec checks a stream (payload bounds, codec, model,
 * mode parameters, channel count). 0, or 1 after the reason. */
static int spk_check_decodable(const spk_stream_t *s)
{
    char a[17], b[17];
    uint64_t resync;
    if (s->mode != SPK_CONTAINER_LOSSLESS)
        return spk_fail("bitstream is %s; spikey-codec decodes lossless streams: use spikey decode",
                        s->mode == 1u ? "near-lossless" : "events");
    if (spk_check_payload_holds(s))
        return 1;
    if (s->codec != SPIKEY_CODEC_ID)
        return spk_fail("bitstream uses codec id %u, which spikey-codec does not decode (it reads the learned "
                        "model with the range coder): use spikey decode", (unsigned)s->codec);
    if (memcmp(s->model_id, spikey_model_id, SPIKEY_MODEL_ID_BYTES) != 0) {
        spk_hex(s->model_id, a);
        spk_hex(spikey_model_id, b);
        return spk_fail("bitstream was made by model %s; this decoder's model is %s (build spikey-codec for that "
                        "model)", a, b);
    }
    if (spk_resync_of(s, &resync))
        return 1;
    if (resync)
        return spk_fail("bitstream is packetised (--resync %llu); spikey-codec decodes unpacketised streams: use "
                        "spikey decode", (unsigned long long)resync);
    if (s->frame == 0u && s->n_channels != 1u)
        return spk_fail("a per-file stream holds one channel, not %llu", (unsigned long long)s->n_channels);
    return 0;
}

/* A joint stream is not one recording (codec.decode_stream). 0, or 1 after the reason. */
static int spk_check_per_file(const spk_stream_t *s)
{
    if (s->frame != 0u || s->n_channels != 1u)
        return spk_fail("bitstream holds %llu channels (joint frames): decode it with spikey decode --joint",
                        (unsigned long long)s->n_channels);
    return 0;
}

/* A stored stream (codec 7: stored.decode_samples): no escapes, exactly 2 bytes a sample.
 * 0, or 1 after the reason. */
static int spk_check_stored(const spk_stream_t *s)
{
    if (s->any_escapes)
        return spk_fail("corrupt bitstream: escapes in a stored stream");
    if (s->n_payload != 2u * s->total_samples)
        return spk_fail("corrupt bitstream: a stored payload of %zu bytes for %llu samples (2 bytes each)",
                        s->n_payload, (unsigned long long)s->total_samples);
    return 0;
}

/* The channel's samples into out (n_samples int16 LE): the stored payload verbatim, or the
 * range-coded codes mapped to the grid with the escapes restored. 0, or 1 after the reason. */
static int spk_decode_samples(const spk_stream_t *s, const uint8_t *fallback, uint8_t *out)
{
    const uint8_t *e = s->first.escapes;
    uint64_t pos = 0u, i;
    spikey_t dec;
    int16_t *codes;
    if (s->codec == SPK_STORED_CODEC_ID) {
        memcpy(out, s->payload, s->n_payload);
        return 0;
    }
    codes = (int16_t *)malloc((size_t)(s->first.samples ? s->first.samples : 1u) * sizeof(int16_t));
    if (!codes)
        return spk_fail("out of memory for %llu samples", (unsigned long long)s->first.samples);
    spikey_decoder_init(&dec, s->n_payload ? s->payload : fallback, (uint32_t)s->n_payload);
    spikey_decode_frame(&dec, codes, (uint32_t)s->first.samples);
    if (spikey_decoder_finish(&dec) != SPIKEY_OK) {
        free(codes);
        return spk_fail("corrupt bitstream: the payload does not decode to the recorded sample counts");
    }
    for (i = 0u; i < s->first.samples; i++) {
        const uint16_t v = (uint16_t)spk_grid[codes[i]];
        out[2u * i] = (uint8_t)v;
        out[2u * i + 1u] = (uint8_t)(v >> 8);
    }
    free(codes);
    for (i = 0u; i < s->first.n_escapes; i++) {
        int16_t v;
        spk_container_escape(&e, &pos, &v);
        out[2u * pos] = (uint8_t)(uint16_t)v;
        out[2u * pos + 1u] = (uint8_t)((uint16_t)v >> 8);
    }
    return 0;
}

static int spk_decode(const char *in, const char *out)
{
    size_t n_in, n_wav, n_prefix;
    char why[SPK_WHY];
    uint8_t *data = spk_read(in, &n_in), *wav, head[SPK_WAV_CANONICAL_BYTES];
    const uint8_t *prefix;
    spk_stream_t s;
    int rc;
    if (!data)
        return 1;
    if (spk_container_unpack(data, n_in, &s, why, sizeof why) != 0) {
        free(data);
        return spk_fail("%s", why);
    }
    if (s.mode == SPK_CONTAINER_LOSSLESS && s.codec == SPK_STORED_CODEC_ID)
        rc = spk_check_stored(&s) || spk_check_per_file(&s);
    else
        rc = spk_check_decodable(&s) || spk_check_per_file(&s);
    if (rc) {
        free(data);
        return 1;
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
        return spk_fail("out of memory for the recording");
    }
    memcpy(wav, prefix, n_prefix);
    if (spk_decode_samples(&s, data, wav + n_prefix)) {
        free(data);
        free(wav);
        return 1;
    }
    if (s.first.n_suffix)
        memcpy(wav + n_prefix + 2u * s.first.samples, s.first.suffix, s.first.n_suffix);
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
