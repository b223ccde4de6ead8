/*
 * hil_codec.c - hardware-in-the-loop driver for the learned codec under QEMU.
 *
 * Reads `input.spk` from QEMU's working directory through semihosting, encodes it with
 * the frame API of spk_codec.h (generated) exactly as the implant would, and streams the payload
 * bytes to `payload.bin` frame by frame. The model's coder table (code edges, family)
 * comes from the generated `spk_hil_model.c` (codegen/emit/tables.py); the predictor from
 * the generated spk_pred/spk_net sources.
 *
 * Input file (little-endian):
 *     u32 magic 0x484B5053 ("SPKH"), u32 version 2, u32 mode (0 per-file, 1 joint),
 *     u32 coder id (spk_coder_id_t), u32 frame F, u32 channels C, u32 peers K,
 *     u32 length[C], u32 param[C]       (param: rice_fixed k / huffman_prior p, else 0)
 *     i32 peer[C][K]                    (joint, MiddleOut: channel indices, -1 = none)
 *     int16 codes in coding order:
 *       per-file: channel 0 whole, then channel 1, ...: each channel is its own stream,
 *                 coded in frames of F samples (one spk_codec_encode call per frame);
 *       joint:    one stream, time-major: for t = 0, 1, ...: x_c[t] of every channel c
 *                 with t < length[c], in index order (spikey.learned's order); coded F
 *                 time steps at a time (a joint frame: F spk_codec_encode_step calls).
 * A file without the magic is one channel of raw codes, per-file, range coder, F =
 * SPK_HIL_FRAME (the form codegen/measure/cycles.py's trace writes to `input.s16`); its stream is
 * not flushed (the payload lacks its last bytes), so that no codec function runs outside
 * the measured encode calls.
 *
 * Output: payload.bin = the streams' payloads one after another (per-file: one per
 * channel; joint: one), each equal to spikey.learned.LearnedCodec.encode_channels.
 *
 * Instructions (-icount + CMSDK timer, arithmetic as in hil_main.c): counted around each
 * spk_codec_encode call (one channel's frame) and around each joint frame's F
 * spk_codec_encode_step calls (every channel's samples of F time steps), minus the timer
 * reads' own cost. Stack: the probe window below the
 * caller's frame is painted before each call and checked after it (encode_stack); the
 * bottom SPK_HIL_GUARD_WORDS of the main stack (painted at reset) are checked after
 * every frame: a hit ends the run with "SPIKEY error stack overflow" (exit 2).
 *
 * Console records (key=value, parsed by codegen/hil/qemu.py):
 *     SPIKEY calib overhead_ticks=.. overhead_insns=.. icount_shift=.. timer_hz=.. frame=..
 *     SPIKEY frame s=.. j=.. c=.. n=.. ticks=.. insns=..      (per-file: one per encode call;
 *                                                              joint: one per frame, c=0)
 *     SPIKEY stream s=.. bytes=.. status=..                   (one per stream)
 *     SPIKEY total mode=.. coder=.. channels=.. frames=.. samples=.. insns=.. insns_hi=.. worst_insns=..
 *            worst_joint_insns=.. payload_bytes=.. encode_stack=.. stack_max=.. stack_size=..
 *            chan_bytes=.. codec_bytes=..      (insns: low 32 bits of the 64-bit total, insns_hi: high)
 * Exit status: 0 ok, 1 bad input / I/O / codec error, 2 stack overflow, 100 + n fault.
 *
 * Build-time options: SPK_HIL_FRAME (64: frame of a raw input file), SPK_HIL_FRAME_MAX
 * (largest F accepted, default SPK_HIL_FRAME), SPK_HIL_MAX_CHANNELS (joint channels held
 * in static RAM, default 4), SPK_HIL_MAX_ERROR (the near-lossless bound D of every stream,
 * spk_codec_set_max_error; default 0, lossless), SPK_HIL_MAX_PEERS (peers per channel, default 8), SPK_HIL_HUFFMAN (1: static prior-Huffman tables, ~25 KB; 0:
 * that coder is refused), SPK_ICOUNT_SHIFT, SPK_HIL_QUIET (no frame records),
 * SPK_HIL_FAULT_TEST / SPK_HIL_HANG_TEST / SPK_HIL_STACK_TEST (fault, spin forever,
 * overflow the stack: the run must end with a status, not hang).
 */
#include <stdint.h>
#include "spk_codec.h"
#include "semihost.h"
#include "startup.h"
#include "spikey_cpu.h"

#ifndef SPK_HIL_FRAME
#define SPK_HIL_FRAME 64u
#endif
#ifndef SPK_HIL_FRAME_MAX
#define SPK_HIL_FRAME_MAX SPK_HIL_FRAME
#endif
#ifndef SPK_HIL_MAX_CHANNELS
#define SPK_HIL_MAX_CHANNELS 4u
#endif
#ifndef SPK_HIL_MAX_PEERS
#define SPK_HIL_MAX_PEERS 8u
#endif
#ifndef SPK_HIL_MAX_ERROR
#define SPK_HIL_MAX_ERROR 0u
#endif
#ifndef SPK_HIL_HUFFMAN
#define SPK_HIL_HUFFMAN 1
#endif
#ifndef SPK_ICOUNT_SHIFT
#define SPK_ICOUNT_SHIFT 8u
#endif
#include "hil_common.h"
#define SPK_HIL_PROBE_WORDS 1024u
#define SPK_HIL_GUARD_WORDS 16u
#define SPK_HIL_MAGIC 0x484B5053u
#define SPK_HIL_EXIT_STACK 2
/* Output room per encode call: far above any coder's worst case per sample (< 8 bytes). */
#define SPK_HIL_OUT_BYTES (16u * SPK_HIL_FRAME_MAX * SPK_HIL_MAX_CHANNELS + 64u)


/* The model's coder table (generated: spk_hil_model.c). */
extern const int32_t spk_hil_edges[1025];
extern const uint32_t spk_hil_family;
extern uint32_t __stack_limit[];

static spk_codec_chan_t chans[SPK_HIL_MAX_CHANNELS];
static uint32_t lengths[SPK_HIL_MAX_CHANNELS];
static uint32_t params[SPK_HIL_MAX_CHANNELS];
static int16_t codes[SPK_HIL_MAX_CHANNELS * SPK_HIL_FRAME_MAX];
static int16_t peers[SPK_HIL_MAX_CHANNELS * SPK_HIL_MAX_PEERS];
static int16_t step_x[SPK_HIL_FRAME_MAX][SPK_HIL_MAX_CHANNELS];    /* a joint frame: x_t per step */
static uint8_t step_active[SPK_HIL_FRAME_MAX][SPK_HIL_MAX_CHANNELS];
static uint8_t out_bytes[SPK_HIL_OUT_BYTES];
static spk_codec_t codec;
static spk_cdf_model_t cdf;
#if SPK_HIL_HUFFMAN
static spk_huff_t huff;
#define SPK_HIL_HUFF (&huff)
#else
#define SPK_HIL_HUFF ((spk_huff_t *)0)
#endif

static int32_t fin, fout;
static uint32_t overhead_insns;
static uint64_t total_insns;
static uint32_t n_calls, n_samples, worst_insns, worst_joint, payload_bytes, encode_stack;

/* The bottom of the main stack still holds the reset-time paint. */
static int stack_intact(void)
{
    const volatile uint32_t *p = __stack_limit;
    uint32_t i;
    for (i = 0u; i < SPK_HIL_GUARD_WORDS; i++) {
        if (p[i] != SPK_STACK_PAINT) {
            return 0;
        }
    }
    return 1;
}

static int stack_overflow(void)
{
    spk_semi_write0("SPIKEY error stack overflow (the bottom of the main stack was overwritten)\n");
    return SPK_HIL_EXIT_STACK;
}

#ifdef SPK_HIL_STACK_TEST
/* Recurse until the stack runs out (the guard check, or the fault it causes, ends the run). */
static uint32_t spk_hil_deep(volatile uint32_t depth)
{
    volatile uint32_t pad[64];
    pad[depth & 63u] = depth;
    if (!stack_intact()) {
        return depth;
    }
    return spk_hil_deep(depth + 1u) + pad[depth & 63u];
}
#endif

static int read_u32s(uint32_t *dst, uint32_t n)
{
    return spk_semi_read(fin, dst, 4u * n) == 0u;
}

static int read_codes(int16_t *dst, uint32_t n)
{
    return spk_semi_read(fin, dst, 2u * n) == 0u;
}

/* Stream whatever the coder completed, and restart its buffer. */
static int ship(void)
{
    uint32_t *pos = (codec.coder == SPK_CODER_RANGE) ? &codec.rc_enc.pos : &codec.bw.pos;
    if (*pos != 0u && spk_semi_write(fout, out_bytes, *pos) != 0u) {
        return 0;
    }
    payload_bytes += *pos;
    *pos = 0u;
    return 1;
}

/* The timer, between compiler barriers (inlined into the timed function, as in
 * hil_calibrate, so that only the code between two reads is counted). */
static inline __attribute__((always_inline)) uint32_t timer_mark(void)
{
    uint32_t t;
    SPK_COMPILER_BARRIER();
    t = spk_timer_read();
    SPK_COMPILER_BARRIER();
    return t;
}

/* Book one timed span (ticks t0 - t1, the probe below sp) as encode record (s, j, c, n);
 * returns its instruction count. */
static uint32_t book(uint32_t s, uint32_t j, uint32_t c, uint32_t n, uint32_t t0, uint32_t t1, uint32_t sp)
{
    const uint32_t depth = probe_depth(sp, SPK_HIL_PROBE_WORDS);
    const uint32_t insns = ticks_to_insns(spk_timer_ticks(t0, t1)) - overhead_insns;
    encode_stack = (depth > encode_stack) ? depth : encode_stack;
#ifndef SPK_HIL_QUIET
    spk_semi_write0("SPIKEY frame");
    put_kv("s", s);
    put_kv("j", j);
    put_kv("c", c);
    put_kv("n", n);
    put_kv("ticks", spk_timer_ticks(t0, t1));
    put_kv("insns", insns);
    spk_semi_write0("\n");
#else
    (void)s;
    (void)j;
    (void)c;
#endif
    worst_insns = (insns > worst_insns) ? insns : worst_insns;
    total_insns += insns;
    n_samples += n;
    n_calls++;
    return insns;
}

/* One timed encode call: n codes of channel c. Returns its instruction count. */
static uint32_t encode_timed(uint32_t s, uint32_t j, uint32_t c, const int16_t *x, uint32_t n)
{
    uint32_t t0, t1;
    const uint32_t sp = spk_stack_pointer();
    probe_paint(SPK_HIL_PROBE_WORDS);
    t0 = timer_mark();
    spk_codec_encode(&codec, &chans[c], x, n);
    t1 = timer_mark();
    return book(s, j, c, n, t0, t1, sp);
}

/* One timed joint frame: `steps` time steps of the n_chan channels (step_x, step_active),
 * n samples in all. Returns its instruction count. */
static uint32_t encode_steps_timed(uint32_t j, uint32_t steps, uint32_t n_chan, uint32_t n_peers, uint32_t n)
{
    uint32_t t0, t1, i;
    const uint32_t sp = spk_stack_pointer();
    probe_paint(SPK_HIL_PROBE_WORDS);
    t0 = timer_mark();
    for (i = 0u; i < steps; i++) {
        spk_codec_encode_step(&codec, chans, n_chan, step_x[i], step_active[i], peers, n_peers);
    }
    t1 = timer_mark();
    return book(0u, j, 0u, n, t0, t1, sp);
}

static int finish_stream(void)
{
    uint32_t n_bytes = 0u;
    const spk_status_t st = spk_codec_enc_finish(&codec, &n_bytes);
    (void)n_bytes;            /* = the buffer's fill, shipped below */
    if (st != SPK_OK) {
        return fail("the encoder reported an error (output overflow or a refused parameter)");
    }
    if (!ship()) {
        return fail("cannot write payload.bin");
    }
    return SPK_EXIT_OK;
}

int main(void)
{
    uint32_t hdr[7], mode, coder, frame, n_chan, n_peers = 0u, c, s, j;
    int raw = 0, rc;
    uint32_t stream_start;

    hil_runner_tests();
#ifdef SPK_HIL_STACK_TEST
    spk_semi_write0("SPIKEY stack-test recursing\n");
    (void)spk_hil_deep(0u);
    return stack_overflow();
#endif

    fin = spk_semi_open("input.spk", SPK_SEMI_MODE_RB);
    if (fin < 0) {
        fin = spk_semi_open("input.s16", SPK_SEMI_MODE_RB);
        raw = 1;
    }
    if (fin < 0) {
        return fail("cannot open input.spk (or input.s16)");
    }
    if (raw) {
        int32_t len = spk_semi_flen(fin);
        if (len < 0) {
            return fail("cannot size input.s16");
        }
        mode = 0u;
        coder = SPK_CODER_RANGE;
        frame = SPK_HIL_FRAME;
        n_chan = 1u;
        lengths[0] = (uint32_t)len / 2u;
        params[0] = 0u;
    } else {
        if (!read_u32s(hdr, 7u) || hdr[0] != SPK_HIL_MAGIC || hdr[1] != 2u) {
            return fail("input.spk: bad header (magic SPKH, version 2)");
        }
        mode = hdr[2];
        coder = hdr[3];
        frame = hdr[4];
        n_chan = hdr[5];
        n_peers = hdr[6];
        if (mode > 1u || frame == 0u || frame > SPK_HIL_FRAME_MAX) {
            return fail("input.spk: mode must be 0 or 1 and frame in [1, SPK_HIL_FRAME_MAX]");
        }
        if (n_chan == 0u || n_chan > SPK_HIL_MAX_CHANNELS) {
            return fail("input.spk: channels must be in [1, SPK_HIL_MAX_CHANNELS]");
        }
        if (n_peers > SPK_HIL_MAX_PEERS) {
            return fail("input.spk: peers must be at most SPK_HIL_MAX_PEERS");
        }
        if (!read_u32s(lengths, n_chan) || !read_u32s(params, n_chan)) {
            return fail("input.spk: truncated header");
        }
        for (c = 0u; c < n_chan * n_peers; c++) {
            uint32_t p;
            if (!read_u32s(&p, 1u)) {
                return fail("input.spk: truncated header");
            }
            peers[c] = (int16_t)(int32_t)p;   /* -1 = none; a channel index otherwise */
        }
    }
    if (coder != SPK_CODER_RANGE && coder != SPK_CODER_RICE_SCALED && coder != SPK_CODER_RICE_FIXED
        && coder != SPK_CODER_HUFFMAN_PRIOR) {
        return fail("input.spk: unknown coder id");
    }
    if (coder == SPK_CODER_HUFFMAN_PRIOR && !SPK_HIL_HUFFMAN) {
        return fail("this build has no prior-Huffman tables (SPK_HIL_HUFFMAN=0)");
    }
    fout = spk_semi_open("payload.bin", SPK_SEMI_MODE_WB);
    if (fout < 0) {
        return fail("cannot open payload.bin");
    }

    overhead_insns = hil_calibrate(frame);

    spk_cdf_init(&cdf, spk_hil_edges, spk_hil_family);

    if (mode == 0u) {
        /* per-file: each channel its own stream, coded in frames of `frame` samples */
        for (s = 0u; s < n_chan; s++) {
            uint32_t left = lengths[s];
            spk_codec_chan_init(&chans[0], params[s]);
            spk_codec_enc_init(&codec, (spk_coder_id_t)coder, &cdf, SPK_HIL_HUFF, out_bytes, sizeof out_bytes);
            spk_codec_set_max_error(&codec, SPK_HIL_MAX_ERROR);
            stream_start = payload_bytes;
            for (j = 0u; left != 0u; j++) {
                const uint32_t n = (left < frame) ? left : frame;
                if (!read_codes(codes, n)) {
                    return fail("input: fewer codes than the header promises");
                }
                (void)encode_timed(s, j, 0u, codes, n);
                worst_joint = (worst_insns > worst_joint) ? worst_insns : worst_joint;
                if (!stack_intact()) {
                    return stack_overflow();
                }
                if (!ship()) {
                    return fail("cannot write payload.bin");
                }
                left -= n;
            }
            /* raw input (the cycle trace's): no flush, so nothing of the codec runs outside
               the measured calls (the trace attributes every traced instruction to one) */
            rc = raw ? SPK_EXIT_OK : finish_stream();
            if (rc != SPK_EXIT_OK) {
                return rc;
            }
            spk_semi_write0("SPIKEY stream");
            put_kv("s", s);
            put_kv("bytes", payload_bytes - stream_start);
            spk_semi_write0("\n");
        }
    } else {
        /* joint: one stream, time-major; a joint frame = `frame` time steps of every channel */
        uint32_t steps = 0u, t = 0u;
        for (c = 0u; c < n_chan; c++) {
            spk_codec_chan_init(&chans[c], params[c]);
            steps = (lengths[c] > steps) ? lengths[c] : steps;
        }
        spk_codec_enc_init(&codec, (spk_coder_id_t)coder, &cdf, SPK_HIL_HUFF, out_bytes, sizeof out_bytes);
        spk_codec_set_max_error(&codec, SPK_HIL_MAX_ERROR);
        for (j = 0u; t < steps; j++) {
            const uint32_t m = (steps - t < frame) ? steps - t : frame;
            uint32_t i, n = 0u, at = 0u, joint;
            /* the frame's samples of every live channel arrive together, time-major */
            for (i = 0u; i < m; i++) {
                for (c = 0u; c < n_chan; c++) {
                    n += (t + i < lengths[c]) ? 1u : 0u;
                }
            }
            if (!read_codes(codes, n)) {
                return fail("input: fewer codes than the header promises");
            }
            for (i = 0u; i < m; i++) {
                for (c = 0u; c < n_chan; c++) {
                    step_active[i][c] = (uint8_t)((t + i < lengths[c]) ? 1u : 0u);
                    step_x[i][c] = step_active[i][c] ? codes[at++] : (int16_t)0;
                }
            }
            joint = encode_steps_timed(j, m, n_chan, n_peers, n);
            worst_joint = (joint > worst_joint) ? joint : worst_joint;
            t += m;
            if (!stack_intact()) {
                return stack_overflow();
            }
            if (!ship()) {
                return fail("cannot write payload.bin");
            }
        }
        rc = finish_stream();
        if (rc != SPK_EXIT_OK) {
            return rc;
        }
        spk_semi_write0("SPIKEY stream");
        put_kv("s", 0u);
        put_kv("bytes", payload_bytes);
        spk_semi_write0("\n");
    }
    (void)spk_semi_close(fout);
    (void)spk_semi_close(fin);

    spk_semi_write0("SPIKEY total");
    put_kv("mode", mode);
    put_kv("coder", coder);
    put_kv("channels", n_chan);
    put_kv("frames", n_calls);
    put_kv("samples", n_samples);
    put_kv("insns", (uint32_t)total_insns);
    put_kv("insns_hi", (uint32_t)(total_insns >> 32));
    put_kv("worst_insns", worst_insns);
    put_kv("worst_joint_insns", worst_joint);
    put_kv("payload_bytes", payload_bytes);
    put_kv("encode_stack", encode_stack);
    put_kv("stack_max", spk_stack_max_used());
    put_kv("stack_size", spk_stack_size());
    put_kv("chan_bytes", (uint32_t)sizeof(spk_codec_chan_t));
    put_kv("codec_bytes", (uint32_t)sizeof(spk_codec_t));
    spk_semi_write0("\n");
    return SPK_EXIT_OK;
}
