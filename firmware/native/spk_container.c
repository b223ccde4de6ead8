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

static uint64_t spk_varint(spk_reader_t *r)
{
    uint64_t v = 0u;
    unsigned shift = 0u;
    for (;;) {
        const uint8_t *b = spk_take(r, 1u);
        if (!b)
            return 0u;
        if (shift < 64u)
            v |= (uint64_t)(*b & 0x7Fu) << shift;
        shift += 7u;
        if (!(*b & 0x80u))
            return v;
        if (shift > 63u) {
            r->err = "corrupt bitstream: oversized integer field";
            return 0u;
        }
    }
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

/* One channel (the reference's _unpack_channel); 0 or -1 with r->err or why set. */
static int spk_channel(spk_reader_t *r, spk_chan_t *c, char *why, size_t cap)
{
    uint64_t n_name = spk_varint(r), e, pos = 0u;
    const uint8_t *name = spk_take(r, n_name), *kind;
    if (r->err)
        return -1;
    if (!spk_utf8_ok(name, (size_t)n_name)) {
        r->err = "corrupt bitstream: channel name is not UTF-8";
        return -1;
    }
    c->samples = spk_varint(r);
    c->sample_rate = spk_varint(r);
    kind = spk_take(r, 1u);
    if (r->err)
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
    if (c->n_escapes > c->samples) {
        r->err = "corrupt bitstream: more escapes than samples";
        return -1;
    }
    c->escapes = r->data + r->pos;
    for (e = 0u; e < c->n_escapes && !r->err; e++) {
        pos += spk_varint(r);
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

int spk_container_unpack(const uint8_t *data, size_t n, spk_stream_t *s, char *why, size_t cap)
{
    spk_reader_t r;
    const uint8_t *p;
    uint64_t n_params, k, i, peer;
    if (n < 4u || memcmp(data, "SPKY", 4) != 0) {
        snprintf(why, cap, "not a Spikey bitstream (bad magic)");
        return -1;
    }
    if (n < 6u) {
        snprintf(why, cap, "truncated bitstream");
        return -1;
    }
    if (data[4] != SPK_CONTAINER_VERSION) {
        snprintf(why, cap, "bitstream is container version %u; this spikey reads version %u", (unsigned)data[4],
                 SPK_CONTAINER_VERSION);
        return -1;
    }
    if (n < 20u || spk_le32(data + n - 4u) != spk_crc32(0u, data, n - 4u)) {
        snprintf(why, cap, "corrupt or truncated bitstream (CRC mismatch)");
        return -1;
    }
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
    spk_take(&r, n_params);
    s->n_channels = spk_varint(&r);
    s->frame = spk_varint(&r);
    if (!r.err && s->n_channels > n) {
        snprintf(why, cap, "corrupt bitstream: more channels than bytes");
        return -1;
    }
    if (!r.err && s->frame) {
        k = spk_varint(&r);
        if (!r.err && k > SPK_MAX_PEERS) {
            snprintf(why, cap, "corrupt bitstream: %llu peers per channel (at most %u)", (unsigned long long)k,
                     SPK_MAX_PEERS);
            return -1;
        }
        for (i = 0u; i < s->n_channels * k && !r.err; i++) {
            peer = spk_varint(&r);
            if (!r.err && peer > s->n_channels) {
                /* the reference reads every peer first; a later field running out wins there */
                uint64_t j;
                for (j = i + 1u; j < s->n_channels * k && !r.err; j++)
                    spk_varint(&r);
                if (!r.err) {
                    snprintf(why, cap, "corrupt bitstream: a peer index past the last channel");
                    return -1;
                }
            }
        }
    }
    for (i = 0u; i < s->n_channels && !r.err; i++) {
        spk_chan_t c;
        if (spk_channel(&r, &c, why, cap) != 0) {
            if (why[0])
                return -1;
            break;
        }
        if (i == 0u)
            s->first = c;
    }
    {
        uint64_t len = spk_varint(&r);
        p = spk_take(&r, len);
        s->payload = p;
        s->n_payload = (size_t)len;
    }
    if (r.err) {
        snprintf(why, cap, "%s", r.err);
        return -1;
    }
    if (r.pos != r.n) {
        snprintf(why, cap, "corrupt bitstream: trailing bytes");
        return -1;
    }
    return 0;
}
