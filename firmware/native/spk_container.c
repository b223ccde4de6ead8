/*
 * spk_container.c - the container, version 3 (spk_container.h; spikey/container.py).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "spk_container.h"

#define SPK_MAX_MODE_PARAMS 256u
#define SPK_MAX_PEERS 64u

void spk_buf_put(spk_buf_t *b, const void *bytes, size_t n)
{
    if (b->failed)
        return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1024u;
        uint8_t *p;
        while (cap < b->n + n)
            cap *= 2u;
        p = (uint8_t *)realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, bytes, n);
    b->n += n;
}

void spk_buf_varint(spk_buf_t *b, uint64_t v)
{
    uint8_t out[10];
    size_t n = 0u;
    do {
        uint8_t byte = (uint8_t)(v & 0x7Fu);
        v >>= 7;
        out[n++] = (uint8_t)(byte | (v ? 0x80u : 0u));
    } while (v);
    spk_buf_put(b, out, n);
}

void spk_buf_u32(spk_buf_t *b, uint32_t v)
{
    const uint8_t out[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    spk_buf_put(b, out, 4u);
}

uint32_t spk_crc32(uint32_t crc, const uint8_t *data, size_t n)
{
    static uint32_t table[256];
    static int ready;
    size_t i;
    if (!ready) {
        uint32_t k, c;
        int j;
        for (k = 0u; k < 256u; k++) {
            c = k;
            for (j = 0; j < 8; j++)
                c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[k] = c;
        }
        ready = 1;
    }
    crc = ~crc;
    for (i = 0u; i < n; i++)
        crc = table[(crc ^ data[i]) & 0xFFu] ^ (crc >> 8);
    return ~crc;
}

typedef struct {
    const uint8_t *p;
    size_t n;
} spk_name_t;

/* --- reading: the reference's _Reader ------------------------------------------------------ */

typedef struct {
    const uint8_t *data;
    size_t n, pos;
    const char *err;     /* the first error; later reads fail too */
} spk_reader_t;

static const uint8_t *spk_take(spk_reader_t *r, uint64_t n)
{
    const uint8_t *p;
    if (r->err)
        return NULL;
    if (n > r->n - r->pos) {
        r->err = "corrupt bitstream: a field runs past the end";
        return NULL;
    }
    p = r->data + r->pos;
    r->pos += (size_t)n;
    return p;
}

/* An unsigned LEB128 field of at most 64 bits (limits.check_varint): its tenth byte may
 * only hold bit 63 and must end the field. */
static uint64_t spk_varint(spk_reader_t *r)
{
    uint64_t v = 0u;
    unsigned shift = 0u;
    for (;;) {
        const uint8_t *b = spk_take(r, 1u);
        if (!b)
            return 0u;
        if (shift == 63u && (*b & 0x7Eu)) {
            r->err = "corrupt bitstream: an integer field over 64 bits";
            return 0u;
        }
        v |= (uint64_t)(*b & 0x7Fu) << shift;
        shift += 7u;
        if (!(*b & 0x80u))
            return v;
        if (shift >= 64u) {
            r->err = "corrupt bitstream: an integer field over 64 bits";
            return 0u;
        }
    }
}

/* Bytes not read yet: a bound on how many fields of at least one byte can follow. */
static size_t spk_left(const spk_reader_t *r)
{
    return r->n - r->pos;
}

static uint32_t spk_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* UTF-8 as Python decodes it (strict: no surrogates, no overlong forms, at most U+10FFFF). */
static int spk_utf8_ok(const uint8_t *s, size_t n)
{
    size_t i = 0u;
    while (i < n) {
        uint8_t c = s[i];
        size_t k, len;
        uint32_t cp;
        if (c < 0x80u) {
            i++;
            continue;
        }
        if (c >= 0xC2u && c <= 0xDFu) {
            len = 2u;
            cp = c & 0x1Fu;
        } else if (c >= 0xE0u && c <= 0xEFu) {
            len = 3u;
            cp = c & 0x0Fu;
        } else if (c >= 0xF0u && c <= 0xF4u) {
            len = 4u;
            cp = c & 0x07u;
        } else {
            return 0;
        }
        if (i + len > n)
            return 0;
        for (k = 1u; k < len; k++) {
            if ((s[i + k] & 0xC0u) != 0x80u)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3Fu);
        }
        if ((len == 3u && (cp < 0x800u || (cp >= 0xD800u && cp <= 0xDFFFu))) ||
            (len == 4u && (cp < 0x10000u || cp > 0x10FFFFu)))
            return 0;
        i += len;
    }
    return 1;
}

/* One channel's counts against what a WAV file can hold (limits.check_channel_fields): at
 * most SPK_MAX_SAMPLES samples; a rate under 2^32, and at most SPK_MAX_SAMPLE_RATE in a
 * canonical header (its byte rate, twice the rate, is 32 bits). 0, or -1 with why set. */
static int spk_check_channel_fields(uint64_t samples, uint64_t rate, int canonical, char *why, size_t cap)
{
    if (samples > SPK_MAX_SAMPLES) {
        snprintf(why, cap, "corrupt bitstream: a channel of %llu samples (a PCM16 WAV holds at most %u)",
                 (unsigned long long)samples, SPK_MAX_SAMPLES);
        return -1;
    }
    if (rate > 0xFFFFFFFFu || (canonical && rate > SPK_MAX_SAMPLE_RATE)) {
        snprintf(why, cap, "corrupt bitstream: sample rate %llu Hz (a canonical WAV header holds at most %u: its "
                 "byte rate is twice it, in 32 bits)", (unsigned long long)rate, SPK_MAX_SAMPLE_RATE);
        return -1;
    }
    return 0;
}

/* One channel (the reference's _unpack_channel); 0 or -1 with r->err or why set. */
static int spk_channel(spk_reader_t *r, spk_chan_t *c, char *why, size_t cap)
{
    uint64_t e, pos = 0u;
    const uint8_t *kind;
    c->n_name = (size_t)spk_varint(r);
    c->name = spk_take(r, c->n_name);
    if (r->err)
        return -1;
    if (!spk_utf8_ok(c->name, c->n_name)) {
        r->err = "corrupt bitstream: channel name is not UTF-8";
        return -1;
    }
    c->samples = spk_varint(r);
    c->sample_rate = spk_varint(r);
    kind = spk_take(r, 1u);
    if (r->err)
        return -1;
    if (spk_check_channel_fields(c->samples, c->sample_rate, *kind == 0u, why, cap) != 0)
        return -1;
    c->canonical = (*kind == 0u);
    c->n_prefix = c->n_suffix = 0u;
    c->prefix = c->suffix = NULL;
    if (*kind == 1u) {
        c->n_prefix = (size_t)spk_varint(r);
        c->prefix = spk_take(r, c->n_prefix);
        c->n_suffix = (size_t)spk_varint(r);
        c->suffix = spk_take(r, c->n_suffix);
    } else if (*kind != 0u) {
        snprintf(why, cap, "corrupt bitstream: unknown header kind %u", (unsigned)*kind);
        return -1;
    }
    c->n_escapes = spk_varint(r);
    if (r->err)
        return -1;
    if (c->n_escapes > c->samples || c->n_escapes > spk_left(r) / 3u) {
        r->err = "corrupt bitstream: more escapes than samples or bytes";
        return -1;
    }
    c->escapes = r->data + r->pos;
    for (e = 0u; e < c->n_escapes && !r->err; e++) {
        const uint64_t d = spk_varint(r);
        pos = (pos + d < pos) ? UINT64_MAX : pos + d;   /* saturated: past every count */
        spk_take(r, 2u);
    }
    if (r->err)
        return -1;
    if (c->n_escapes && pos >= c->samples) {
        r->err = "corrupt bitstream: escape position out of range";
        return -1;
    }
    {
        const uint8_t *crc = spk_take(r, 4u);
        if (!crc)
            return -1;
        c->wav_crc = spk_le32(crc);
    }
    return 0;
}

/* A name as Python's repr() writes it: in single quotes (double quotes if it holds a ' and
 * no "), \\, the quote, \t \n \r and the other ASCII controls escaped; other bytes as they are
 * (their UTF-8, as Python prints a printable character). */
static void spk_repr(const uint8_t *s, size_t n, char *out, size_t cap)
{
    const char q = (memchr(s, '\'', n) && !memchr(s, '"', n)) ? '"' : '\'';
    size_t i, k = 0u;
    if (cap < 8u)
        return;
    out[k++] = q;
    for (i = 0u; i < n && k + 6u < cap; i++) {
        const uint8_t c = s[i];
        if (c == '\\' || c == (uint8_t)q) {
            out[k++] = '\\';
            out[k++] = (char)c;
        } else if (c == '\t' || c == '\n' || c == '\r') {
            out[k++] = '\\';
            out[k++] = c == '\t' ? 't' : c == '\n' ? 'n' : 'r';
        } else if (c < 0x20u || c == 0x7Fu) {
            k += (size_t)snprintf(out + k, cap - k, "\\x%02x", (unsigned)c);
        } else {
            out[k++] = (char)c;
        }
    }
    out[k++] = q;
    out[k] = '\0';
}

/* Why a name cannot be a channel's file name (limits.name_problem), or NULL if it can. */
static const char *spk_name_problem(const uint8_t *s, size_t n)
{
    size_t i;
    if (n == 0u)
        return "empty";
    if ((n == 1u && s[0] == '.') || (n == 2u && s[0] == '.' && s[1] == '.'))
        return "a directory reference";
    for (i = 0u; i < n; i++) {
        if (s[i] == '/' || s[i] == '\\' || s[i] < 32u || s[i] == 127u)
            return "a path separator or control character";
    }
    if (n > SPK_MAX_NAME_BYTES)
        return "longer than 255 bytes";
    return NULL;
}

/* The channel names (limits.check_names): none in a per-file stream; in a joint stream each
 * a safe file name, no two alike (the first failing name, in channel order, is named).
 * 0, or -1 with why set. */
static int spk_check_names(const spk_name_t *names, uint64_t n, int joint, char *why, size_t cap)
{
    char shown[SPK_MAX_NAME_BYTES * 4u + 8u];
    uint64_t i, j;
    for (i = 0u; i < n; i++) {
        const char *problem;
        if (!joint) {
            if (names[i].n) {
                snprintf(why, cap, "corrupt bitstream: a per-file stream's channel has a name");
                return -1;
            }
            continue;
        }
        problem = spk_name_problem(names[i].p, names[i].n);
        for (j = 0u; !problem && j < i; j++) {
            if (names[j].n == names[i].n && memcmp(names[j].p, names[i].p, names[i].n) == 0)
                problem = "";
        }
        if (problem) {
            spk_repr(names[i].p, names[i].n, shown, sizeof shown);
            if (problem[0])
                snprintf(why, cap, "corrupt bitstream: channel name %s is %s", shown, problem);
            else
                snprintf(why, cap, "corrupt bitstream: two channels named %s", shown);
            return -1;
        }
    }
    return 0;
}

void spk_container_escape(const uint8_t **p, uint64_t *pos, int16_t *value)
{
    const uint8_t *q = *p;
    uint64_t d = 0u;
    unsigned shift = 0u;
    do {
        if (shift < 64u)
            d |= (uint64_t)(*q & 0x7Fu) << shift;
        shift += 7u;
    } while (*q++ & 0x80u);
    *pos += d;
    *value = (int16_t)(uint16_t)((uint32_t)q[0] | ((uint32_t)q[1] << 8));
    *p = q + 2;
}

/* Integrity first (container.unpack): the magic, the CRC, then the version. */
static int spk_check_integrity(const uint8_t *data, size_t n, char *why, size_t cap)
{
    if (n < 4u || memcmp(data, "SPKY", 4) != 0) {
        snprintf(why, cap, "not a Spikey bitstream (bad magic)");
        return -1;
    }
    if (n < 20u || spk_le32(data + n - 4u) != spk_crc32(0u, data, n - 4u)) {
        snprintf(why, cap, "corrupt or truncated bitstream (CRC mismatch)");
        return -1;
    }
    if (data[4] != SPK_CONTAINER_VERSION) {
        snprintf(why, cap, "bitstream is container version %u; this spikey reads version %u", (unsigned)data[4],
                 SPK_CONTAINER_VERSION);
        return -1;
    }
    return 0;
}

/* The MiddleOut topology (container._read_peers): K <= SPK_MAX_PEERS, no more slots than
 * bytes, then every slot read before any is checked against the channel count. */
static int spk_peers(spk_reader_t *r, uint64_t n_channels, char *why, size_t cap)
{
    uint64_t k = spk_varint(r), i, worst = 0u;
    if (r->err)
        return -1;
    if (k > SPK_MAX_PEERS) {
        snprintf(why, cap, "corrupt bitstream: %llu peers per channel (at most %u)", (unsigned long long)k,
                 SPK_MAX_PEERS);
        return -1;
    }
    if (n_channels * k > spk_left(r)) {     /* n_channels <= bytes left, k <= 64: no overflow */
        snprintf(why, cap, "corrupt bitstream: more peer slots than bytes");
        return -1;
    }
    for (i = 0u; i < n_channels * k && !r->err; i++) {
        const uint64_t peer = spk_varint(r);
        worst = peer > worst ? peer : worst;
    }
    if (r->err)
        return -1;
    if (worst > n_channels) {
        snprintf(why, cap, "corrupt bitstream: a peer index past the last channel");
        return -1;
    }
    return 0;
}

int spk_container_unpack(const uint8_t *data, size_t n, spk_stream_t *s, char *why, size_t cap)
{
    spk_reader_t r;
    spk_name_t *names = NULL;
    uint64_t n_params, i;
    int rc = -1;
    if (spk_check_integrity(data, n, why, cap) != 0)
        return -1;
    why[0] = '\0';
    r.data = data;
    r.n = n - 4u;
    r.pos = 5u;
    r.err = NULL;
    s->codec = spk_take(&r, 1u)[0];
    memcpy(s->model_id, spk_take(&r, 8u), 8u);
    s->mode = spk_take(&r, 1u)[0];
    if (s->mode > 2u) {
        snprintf(why, cap, "corrupt bitstream: unknown mode %u", (unsigned)s->mode);
        return -1;
    }
    n_params = spk_varint(&r);
    if (!r.err && n_params > SPK_MAX_MODE_PARAMS) {
        snprintf(why, cap, "corrupt bitstream: %llu bytes of mode parameters (at most %u)",
                 (unsigned long long)n_params, SPK_MAX_MODE_PARAMS);
        return -1;
    }
    s->mode_params = spk_take(&r, n_params);
    s->n_mode_params = (size_t)n_params;
    s->n_channels = spk_varint(&r);
    s->frame = spk_varint(&r);
    if (!r.err && s->frame > SPK_MAX_FRAME) {
        snprintf(why, cap, "corrupt bitstream: a frame of %llu samples (at most %u)", (unsigned long long)s->frame,
                 SPK_MAX_FRAME);
        return -1;
    }
    if (!r.err && s->n_channels > spk_left(&r)) {
        snprintf(why, cap, "corrupt bitstream: more channels than bytes");
        return -1;
    }
    if (!r.err && s->frame && spk_peers(&r, s->n_channels, why, cap) != 0 && why[0])
        return -1;
    if (!r.err) {
        names = (spk_name_t *)malloc((size_t)(s->n_channels ? s->n_channels : 1u) * sizeof *names);
        if (!names) {
            snprintf(why, cap, "out of memory for %llu channels", (unsigned long long)s->n_channels);
            return -1;
        }
    }
    s->total_samples = 0u;
    s->any_escapes = 0;
    for (i = 0u; i < s->n_channels && !r.err; i++) {
        spk_chan_t c;
        if (spk_channel(&r, &c, why, cap) != 0)
            break;
        if (i == 0u)
            s->first = c;
        names[i].p = c.name;
        names[i].n = c.n_name;
        s->total_samples += c.samples;
        s->any_escapes |= c.n_escapes != 0u;
    }
    if (why[0])
        goto done;
    if (!r.err && spk_check_names(names, s->n_channels, s->frame != 0u, why, cap) != 0)
        goto done;
    {
        uint64_t len = spk_varint(&r);
        s->payload = spk_take(&r, len);
        s->n_payload = (size_t)len;
    }
    if (r.err) {
        snprintf(why, cap, "%s", r.err);
        goto done;
    }
    if (r.pos != r.n) {
        snprintf(why, cap, "corrupt bitstream: trailing bytes");
        goto done;
    }
    rc = 0;
done:
    free(names);
    return rc;
}
