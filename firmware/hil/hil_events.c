/*
 * hil_events.c - hardware-in-the-loop driver for the event mode (spk_events.h, generated)
 * under QEMU, frame by frame as the implant would run it.
 *
 * Input `input.evt` (little-endian): u32 magic 0x45564B53 ("SKVE"), u32 mode (0 per-file,
 * 1 joint, 2 one channel a sample per call: see run_per_sample), u32 channels C (<= SPK_HIL_MAX_CHANNELS), u32 length[C], then int16 codes:
 * per-file channel after channel; joint time-major (for t: x_c[t] of every channel with
 * t < length[c]).
 *
 * Output `payload.bin`: per-file, each channel's payload (its frames' bytes streamed as
 * the coder completes them, then the flush); joint, one payload: per frame a varint byte
 * count and the frame's flushed bytes. Equal to spikey.events.stream.encode_channels.
 *
 * Instructions (-icount + CMSDK timer, arithmetic of hil_common.h), minus the timer reads'
 * cost: per-file, around spk_ev_process (pipe: filter, detector, SBP) and around
 * spk_ev_code of each frame (insns = both); joint, around a whole frame of every channel
 * (process, code, flush; pipe = 0, not measured apart). Records:
 *     SPIKEY calib ...
 *     SPIKEY frame s=.. j=.. c=.. n=.. ticks=.. insns=.. pipe=..
 *     SPIKEY stream s=.. bytes=..
 *     SPIKEY total frames=.. samples=.. insns=.. pipe=.. worst_insns=.. chan_bytes=.. encode_stack=..
 * Without input.evt, `input.s16` is one channel of raw codes and only spk_ev_process is
 * timed per frame (insns = pipe): the form codegen/measure/cycles.py traces.
 * Exit status: 0 ok, 1 bad input / I/O / codec error, 100 + n fault.
 */
#include <stdint.h>
#include "spk_events.h"
#include "semihost.h"
#include "startup.h"
#include "spikey_cpu.h"

#ifndef SPK_HIL_FRAME
#define SPK_HIL_FRAME 20u
#endif
#ifndef SPK_ICOUNT_SHIFT
#define SPK_ICOUNT_SHIFT 8u
#endif
#ifndef SPK_HIL_MAX_CHANNELS
#define SPK_HIL_MAX_CHANNELS 8u
#endif
#include "hil_common.h"

#define HIL_MAGIC 0x45564B53u
#define SPK_HIL_PROBE_WORDS 256u
#define SPK_HIL_OUT_BYTES 4096u

static spk_ev_chan_t chans[SPK_HIL_MAX_CHANNELS];
static uint32_t lengths[SPK_HIL_MAX_CHANNELS];
static int16_t frame_codes[SPK_HIL_MAX_CHANNELS][SPK_EV_FRAME];
static uint8_t out_bytes[SPK_HIL_OUT_BYTES];
static spk_rc_enc_t enc;

static uint32_t n_frames, n_samples, worst_insns, encode_stack;
static uint64_t total_insns, total_pipe;

static int read_u32(int32_t f, uint32_t *v)
{
    return spk_semi_read(f, v, 4u) == 0u ? 0 : -1;
}

static void frame_record(uint32_t s, uint32_t j, uint32_t c, uint32_t n, uint32_t ticks, uint32_t insns,
                         uint32_t pipe)
{
#ifndef SPK_HIL_QUIET
    spk_semi_write0("SPIKEY frame");
    put_kv("s", s);
    put_kv("j", j);
    put_kv("c", c);
    put_kv("n", n);
    put_kv("ticks", ticks);
    put_kv("insns", insns);
    put_kv("pipe", pipe);
    spk_semi_write0("\n");
#else
    (void)s; (void)j; (void)c; (void)ticks;
#endif
    worst_insns = insns > worst_insns ? insns : worst_insns;
    total_insns += insns;
    total_pipe += pipe;
    n_samples += n;
    n_frames++;
}

static int write_varint(int32_t f, uint32_t v)
{
    uint8_t b[5];
    uint32_t k = 0u;
    do {
        b[k++] = (uint8_t)((v & 0x7fu) | (v > 0x7fu ? 0x80u : 0u));
        v >>= 7;
    } while (v != 0u);
    return spk_semi_write(f, b, k) == 0u ? (int)k : -1;
}

/* input.s16 (no input.evt): one channel of raw codes, the pipeline alone timed per frame
 * (insns = pipe = spk_ev_process), the form codegen/measure/cycles.py traces. */
static int run_raw(int32_t fin, int32_t fout)
{
    const uint32_t overhead = hil_calibrate(SPK_EV_FRAME);
    uint32_t j, missing = spk_semi_read(fin, frame_codes[0], 2u * SPK_EV_FRAME);
    uint32_t n = (2u * SPK_EV_FRAME - missing) / 2u;
    spk_rc_enc_init(&enc, out_bytes, sizeof out_bytes);
    if (n != 0u) {
        spk_ev_reset(&chans[0], frame_codes[0][0]);
    }
    for (j = 0u; n != 0u; j++) {
        uint32_t t0, t1, pipe;
        SPK_COMPILER_BARRIER();
        t0 = spk_timer_read();
        SPK_COMPILER_BARRIER();
        spk_ev_process(&chans[0], frame_codes[0], n);
        SPK_COMPILER_BARRIER();
        t1 = spk_timer_read();
        SPK_COMPILER_BARRIER();
        pipe = ticks_to_insns(t0 - t1) - overhead;
        frame_record(0u, j, 0u, n, t0 - t1, pipe, pipe);
        spk_ev_code(&chans[0], &enc);
        spk_rc_enc_rewind(&enc);
        if (missing != 0u) {
            break;
        }
        missing = spk_semi_read(fin, frame_codes[0], 2u * SPK_EV_FRAME);
        n = (2u * SPK_EV_FRAME - missing) / 2u;
    }
    (void)spk_semi_close(fout);
    (void)spk_semi_close(fin);
    spk_semi_write0("SPIKEY total");
    put_kv("frames", n_frames);
    put_kv("samples", n_samples);
    put_kv("insns", (uint32_t)total_insns);
    put_kv("pipe", (uint32_t)total_pipe);
    spk_semi_write0("\n");
    return SPK_EXIT_OK;
}

/* Mode 2: channel 0 fed one sample per spk_ev_process call, each call timed, and each
 * frame's spk_ev_code call timed: the work left after a frame's last sample arrives is
 * one sample's pipeline plus the coding (worst_sample, worst_code), and in a joint frame the
 * coder's flush (finish: timed once, at the end). */
static int run_per_sample(int32_t fin, int32_t fout, uint32_t n, uint32_t overhead)
{
    uint32_t t, worst_sample = 0u, worst_code = 0u, worst_finish;
    uint64_t sum = 0u;
    int16_t x;
    spk_rc_enc_init(&enc, out_bytes, sizeof out_bytes);
    for (t = 0u; t < n; t++) {
        uint32_t t0, t1, insns;
        if (spk_semi_read(fin, &x, 2u) != 0u) {
            return fail("input.evt ends early");
        }
        if (t == 0u) {
            spk_ev_reset(&chans[0], x);
        }
        SPK_COMPILER_BARRIER();
        t0 = spk_timer_read();
        SPK_COMPILER_BARRIER();
        spk_ev_process(&chans[0], &x, 1u);
        SPK_COMPILER_BARRIER();
        t1 = spk_timer_read();
        SPK_COMPILER_BARRIER();
        insns = ticks_to_insns(t0 - t1) - overhead;
        worst_sample = insns > worst_sample ? insns : worst_sample;
        sum += insns;
        if (t % SPK_EV_FRAME == SPK_EV_FRAME - 1u || t == n - 1u) {
            SPK_COMPILER_BARRIER();
            t0 = spk_timer_read();
            SPK_COMPILER_BARRIER();
            spk_ev_code(&chans[0], &enc);
            SPK_COMPILER_BARRIER();
            t1 = spk_timer_read();
            SPK_COMPILER_BARRIER();
            insns = ticks_to_insns(t0 - t1) - overhead;
            worst_code = insns > worst_code ? insns : worst_code;
            if (spk_semi_write(fout, out_bytes, enc.pos) != 0u) {
                return fail("cannot write payload.bin");
            }
            spk_rc_enc_rewind(&enc);
        }
    }
    {
        uint32_t t0, t1;
        spk_status_t st;
        SPK_COMPILER_BARRIER();
        t0 = spk_timer_read();
        SPK_COMPILER_BARRIER();
        st = spk_rc_enc_finish(&enc);
        SPK_COMPILER_BARRIER();
        t1 = spk_timer_read();
        SPK_COMPILER_BARRIER();
        worst_finish = ticks_to_insns(t0 - t1) - overhead;
        if (st != SPK_OK || spk_semi_write(fout, out_bytes, enc.pos) != 0u) {
            return fail("cannot finish payload.bin");
        }
    }
    (void)spk_semi_close(fout);
    (void)spk_semi_close(fin);
    spk_semi_write0("SPIKEY total");
    put_kv("finish", worst_finish);
    put_kv("frames", 0u);
    put_kv("samples", n);
    put_kv("insns", (uint32_t)sum);
    put_kv("worst_sample", worst_sample);
    put_kv("worst_code", worst_code);
    spk_semi_write0("\n");
    return SPK_EXIT_OK;
}

int main(void)
{
    int32_t fin, fout;
    uint32_t magic, mode, n_chan, c, j, overhead, max_len = 0u;

    hil_runner_tests();
    fin = spk_semi_open("input.evt", SPK_SEMI_MODE_RB);
    fout = spk_semi_open("payload.bin", SPK_SEMI_MODE_WB);
    if (fout < 0) {
        return fail("cannot open payload.bin");
    }
    if (fin < 0) {
        fin = spk_semi_open("input.s16", SPK_SEMI_MODE_RB);
        if (fin < 0) {
            return fail("cannot open input.evt or input.s16");
        }
        return run_raw(fin, fout);
    }
    if (read_u32(fin, &magic) || magic != HIL_MAGIC || read_u32(fin, &mode) || mode > 2u ||
        read_u32(fin, &n_chan) || n_chan == 0u || n_chan > SPK_HIL_MAX_CHANNELS) {
        return fail("bad input.evt header");
    }
    for (c = 0u; c < n_chan; c++) {
        if (read_u32(fin, &lengths[c])) {
            return fail("bad input.evt lengths");
        }
        max_len = lengths[c] > max_len ? lengths[c] : max_len;
    }
    overhead = hil_calibrate(SPK_EV_FRAME);

    if (mode == 2u) {
        return run_per_sample(fin, fout, lengths[0], overhead);
    }
    if (mode == 0u) {
        for (c = 0u; c < n_chan; c++) {
            uint32_t bytes = 0u;
            spk_rc_enc_init(&enc, out_bytes, sizeof out_bytes);
            for (j = 0u; j * SPK_EV_FRAME < lengths[c]; j++) {
                const uint32_t left = lengths[c] - j * SPK_EV_FRAME;
                const uint32_t n = left < SPK_EV_FRAME ? left : SPK_EV_FRAME;
                uint32_t t0, t1, t2, sp, d, pipe;
                if (spk_semi_read(fin, frame_codes[0], 2u * n) != 0u) {
                    return fail("input.evt ends early");
                }
                if (j == 0u) {
                    spk_ev_reset(&chans[c], frame_codes[0][0]);
                }
                sp = spk_stack_pointer();
                probe_paint(SPK_HIL_PROBE_WORDS);
                SPK_COMPILER_BARRIER();
                t0 = spk_timer_read();
                SPK_COMPILER_BARRIER();
                spk_ev_process(&chans[c], frame_codes[0], n);
                SPK_COMPILER_BARRIER();
                t1 = spk_timer_read();
                SPK_COMPILER_BARRIER();
                spk_ev_code(&chans[c], &enc);
                SPK_COMPILER_BARRIER();
                t2 = spk_timer_read();
                SPK_COMPILER_BARRIER();
                d = probe_depth(sp, SPK_HIL_PROBE_WORDS);
                encode_stack = d > encode_stack ? d : encode_stack;
                pipe = ticks_to_insns(t0 - t1) - overhead;
                frame_record(c, j, c, n, t0 - t2, pipe + ticks_to_insns(t1 - t2) - overhead, pipe);
                if (enc.overflow || spk_semi_write(fout, out_bytes, enc.pos) != 0u) {
                    return fail("cannot write payload.bin");
                }
                bytes += enc.pos;
                spk_rc_enc_rewind(&enc);
            }
            if (spk_rc_enc_finish(&enc) != SPK_OK || spk_semi_write(fout, out_bytes, enc.pos) != 0u) {
                return fail("cannot finish payload.bin");
            }
            bytes += enc.pos;
            spk_semi_write0("SPIKEY stream");
            put_kv("s", c);
            put_kv("bytes", bytes);
            spk_semi_write0("\n");
        }
    } else {
        uint32_t bytes = 0u;
        for (j = 0u; j * SPK_EV_FRAME < max_len; j++) {
            uint32_t t, t0, t1, n = 0u;
            int k;
            for (t = j * SPK_EV_FRAME; t < (j + 1u) * SPK_EV_FRAME; t++) {
                for (c = 0u; c < n_chan; c++) {
                    if (t < lengths[c] && spk_semi_read(fin, &frame_codes[c][t - j * SPK_EV_FRAME], 2u) != 0u) {
                        return fail("input.evt ends early");
                    }
                }
            }
            for (c = 0u; c < n_chan; c++) {
                if (j == 0u && lengths[c] != 0u) {
                    spk_ev_reset(&chans[c], frame_codes[c][0]);
                }
            }
            spk_rc_enc_init(&enc, out_bytes, sizeof out_bytes);
            SPK_COMPILER_BARRIER();
            t0 = spk_timer_read();
            SPK_COMPILER_BARRIER();
            for (c = 0u; c < n_chan; c++) {
                if (j * SPK_EV_FRAME < lengths[c]) {
                    const uint32_t left = lengths[c] - j * SPK_EV_FRAME;
                    const uint32_t m = left < SPK_EV_FRAME ? left : SPK_EV_FRAME;
                    spk_ev_process(&chans[c], frame_codes[c], m);
                    spk_ev_code(&chans[c], &enc);
                    n += m;
                }
            }
            (void)spk_rc_enc_finish(&enc);
            SPK_COMPILER_BARRIER();
            t1 = spk_timer_read();
            SPK_COMPILER_BARRIER();
            if (enc.overflow) {
                return fail("joint frame overflows its buffer");
            }
            frame_record(0u, j, 0u, n, t0 - t1, ticks_to_insns(t0 - t1) - overhead, 0u);
            k = write_varint(fout, enc.pos);
            if (k < 0 || spk_semi_write(fout, out_bytes, enc.pos) != 0u) {
                return fail("cannot write payload.bin");
            }
            bytes += (uint32_t)k + enc.pos;
        }
        spk_semi_write0("SPIKEY stream");
        put_kv("s", 0u);
        put_kv("bytes", bytes);
        spk_semi_write0("\n");
    }
    (void)spk_semi_close(fout);
    (void)spk_semi_close(fin);
    spk_semi_write0("SPIKEY total");
    put_kv("frames", n_frames);
    put_kv("samples", n_samples);
    put_kv("insns", (uint32_t)total_insns);
    put_kv("insns_hi", (uint32_t)(total_insns >> 32));
    put_kv("pipe", (uint32_t)total_pipe);
    put_kv("worst_insns", worst_insns);
    put_kv("chan_bytes", (uint32_t)sizeof(spk_ev_chan_t));
    put_kv("encode_stack", encode_stack);
    put_kv("stack_max", spk_stack_max_used());
    spk_semi_write0("\n");
    return SPK_EXIT_OK;
}
