/*
 * bitstream.h - MSB-first bit writer and reader (the bit order of spikey/bitstream.py).
 *
 * A codeword (value, len) is written as the `len` low bits of `value`, most
 * significant first; bytes are filled from their most significant bit; the end of
 * the stream is zero-padded to a whole byte. Leading zero bits are part of `len`,
 * which is how unary prefixes are written.
 *
 * Writer: output goes into a caller-provided buffer. When the buffer is full the
 * writer drops further bytes and sets a sticky overflow flag; it never writes past
 * `cap`. The frame API checks the flag once per frame.
 *
 * Reader: reads from a caller-provided buffer. Bits past the end read as zero and
 * the reader counts them, so overrun is detected once, after a frame: a stream is
 * overrun iff more bits were consumed than it holds (the same rule as the
 * reference decoder, which accepts trailing bytes and refuses a short stream).
 *
 * Limits: buffers below 512 MiB (bit positions are kept in uint32).
 */
#ifndef SPIKEY_BITSTREAM_H
#define SPIKEY_BITSTREAM_H

#include <stdint.h>
#include "spikey_cpu.h"
#include "spikey_status.h"

/* Longest codeword spk_bw_put accepts; spk_bw_put_long takes up to 32 bits. */
#define SPK_BW_MAX_PUT 25u

typedef struct {
    uint8_t *buf;       /* output bytes (caller-owned) */
    uint32_t cap;       /* capacity of buf in bytes */
    uint32_t pos;       /* bytes written to buf so far */
    uint32_t acc;       /* pending bits in the low n_acc bits (higher bits: stale) */
    uint32_t n_acc;     /* number of pending bits, 0..7 between calls */
    uint32_t overflow;  /* sticky: nonzero once a byte was dropped for lack of space */
} spk_bitwriter_t;

typedef struct {
    const uint8_t *buf; /* input bytes (caller-owned) */
    uint32_t n_bytes;   /* size of buf */
    uint32_t next;      /* bytes loaded into the window so far (counts zero bytes past the end) */
    uint32_t win;       /* left-aligned window: bit 31 is the next bit of the stream */
    uint32_t n_win;     /* valid bits in win, 0..32 */
} spk_bitreader_t;

/* Start writing at buf[0]. cap may be 0 (every byte then overflows). */
void spk_bw_init(spk_bitwriter_t *bw, uint8_t *buf, uint32_t cap);

/*
 * Append the `len` low bits of `value`, MSB first.
 * Range: len in [0, SPK_BW_MAX_PUT]; value < 2^len (higher bits must be zero).
 * The accumulator holds at most 7 + 25 = 32 bits, so nothing is lost; all
 * shifts are on uint32 and below 32. Bytes that do not fit in the buffer are
 * dropped and set bw->overflow (sticky).
 */
static inline void spk_bw_put(spk_bitwriter_t *bw, uint32_t value, uint32_t len)
{
    const uint32_t acc = (bw->acc << len) | value;
    uint32_t n = bw->n_acc + len;

    while (n >= 8u) {
        n -= 8u;
        if (bw->pos < bw->cap) {
            bw->buf[bw->pos++] = (uint8_t)(acc >> n);
        } else {
            bw->overflow = 1u;
        }
    }
    bw->acc = acc;
    bw->n_acc = n;
}

/* As spk_bw_put for len in [0, 32] (two puts when len > 16). value < 2^len. */
static inline void spk_bw_put_long(spk_bitwriter_t *bw, uint32_t value, uint32_t len)
{
    if (len > 16u) {
        spk_bw_put(bw, value >> 16, len - 16u);
        spk_bw_put(bw, value & 0xffffu, 16u);
    } else {
        spk_bw_put(bw, value, len);
    }
}

/*
 * Zero-pad the pending bits to a whole byte and flush them.
 * Returns SPK_ERR_OVERFLOW if any byte was ever dropped, else SPK_OK.
 * bw->pos is then the payload length in bytes.
 */
spk_status_t spk_bw_finish(spk_bitwriter_t *bw);

/*
 * Hand the completed bytes to the caller: after the caller has consumed
 * buf[0 .. pos), restart filling at buf[0]. The pending (not yet whole-byte)
 * bits are kept, so a stream can be produced frame by frame through a small
 * buffer and the concatenation equals a single-buffer encode.
 */
static inline void spk_bw_rewind(spk_bitwriter_t *bw)
{
    bw->pos = 0u;
}

/* Start reading buf[0 .. n_bytes). n_bytes < 2^29. */
void spk_br_init(spk_bitreader_t *br, const uint8_t *buf, uint32_t n_bytes);

/*
 * Top the window up to at least 25 valid bits (whole bytes; zeros past the end).
 */
static inline void spk_br_refill(spk_bitreader_t *br)
{
    while (br->n_win <= 24u) {
        const uint32_t byte = (br->next < br->n_bytes) ? br->buf[br->next] : 0u;
        br->win |= byte << (24u - br->n_win);
        br->n_win += 8u;
        br->next++;
    }
}

/*
 * Number of zero bits before the next one bit, counted up to `limit` and no
 * further (limit in [1, 25]). Consumes nothing. Needs a refilled window.
 */
static inline uint32_t spk_br_count_zeros(const spk_bitreader_t *br, uint32_t limit)
{
    /* A one planted at bit (31 - limit) stops the count at `limit`. */
    return spk_cpu_clz32(br->win | (0x80000000u >> limit));
}

/* Drop `len` bits, len in [0, n_win] and len <= 31 (needs a refilled window). */
static inline void spk_br_skip(spk_bitreader_t *br, uint32_t len)
{
    br->win <<= len;
    br->n_win -= len;
}

/*
 * Read `len` bits MSB first as an unsigned integer, len in [0, 24].
 * Refills first. The double shift keeps len = 0 free of a 32-bit shift (UB).
 */
static inline uint32_t spk_br_read(spk_bitreader_t *br, uint32_t len)
{
    uint32_t v;
    spk_br_refill(br);
    v = (br->win >> 1) >> (31u - len);
    spk_br_skip(br, len);
    return v;
}

/* Bits consumed so far (including any zero bits read past the end). */
static inline uint32_t spk_br_consumed(const spk_bitreader_t *br)
{
    return 8u * br->next - br->n_win;
}

/* SPK_ERR_OVERRUN if more bits were consumed than the buffer holds, else SPK_OK. */
static inline spk_status_t spk_br_status(const spk_bitreader_t *br)
{
    return (spk_br_consumed(br) > 8u * br->n_bytes) ? SPK_ERR_OVERRUN : SPK_OK;
}

#endif /* SPIKEY_BITSTREAM_H */
