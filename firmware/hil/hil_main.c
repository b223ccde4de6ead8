/*
 * hil_main.c - hardware-in-the-loop driver for the baseline codec under QEMU.
 *
 * Reads `input.s16` (little-endian int16 samples: the data chunk of a WAV file)
 * from QEMU's working directory through semihosting, maps each sample to its
 * 10-bit ADC code, encodes the codes frame by frame (SPK_HIL_FRAME samples, as
 * the implant would) with the baseline frame API, and streams the payload to
 * `payload.bin`. The payload equals spikey.baseline.encode_codes(to_codes(x)).
 *
 * Instruction counts. QEMU is run with `-icount shift=N`: every executed guest
 * instruction advances the virtual clock by exactly 2^N ns, and the CMSDK timer
 * (SPK_TIMER_HZ = 25 MHz, one tick per 40 ns) counts that virtual time. So
 *
 *     instructions = ticks * (1e9 / SPK_TIMER_HZ) / 2^N = ticks * 40 / 2^N.
 *
 * The timer value is derived from the virtual clock at tick granularity, so a
 * difference of two reads is exact to +-1 tick = +-40/2^N instructions; with
 * N >= 7 (128 ns per instruction, 3.2 ticks per instruction) that is below half
 * an instruction and rounding gives the exact count. (QEMU ends a translation
 * block at each I/O access under -icount, so each timer read sees the exact
 * number of instructions retired before it.) Each frame's count is the
 * difference of two timer reads around the encode call, minus the cost of the
 * timer reads themselves (measured by two back-to-back reads at start-up: 1).
 * Checked two ways (gcc 12.2, -O2, cortex-m4): shifts 7, 8 and 10 give identical
 * counts; and a constant input, whose steady-state frame of 64 samples takes a
 * known path, measures 2553 = 16 (prologue) + 56 x 38 (sample, no byte out) +
 * 8 x 49 (sample + one byte out) + 10 (epilogue) + 8 (call site and the second
 * timer load) - 1 (calibration), counted by hand from the disassembly. IT
 * instructions and skipped conditional instructions count as executed.
 *
 * Output (one record per line, key=value, parsed by codegen/hil/qemu.py):
 *     SPIKEY calib overhead_ticks=.. overhead_insns=.. icount_shift=.. timer_hz=..
 *     SPIKEY frame i=.. n=.. ticks=.. insns=..                (one per frame)
 *     SPIKEY total frames=.. samples=.. insns=.. worst_insns=.. worst_frame=..
 *            payload_bytes=.. encode_stack=.. stack_max=.. stack_size=..
 * Exit status: 0 on success, 1 on an I/O or codec error, 100 + n on a fault.
 *
 * Build-time options: SPK_HIL_FRAME (64), SPK_ICOUNT_SHIFT (must match QEMU's
 * -icount shift), SPK_HIL_QUIET (no per-frame lines), SPK_HIL_FAULT_TEST (read
 * an unmapped address first, to check that faults end the run with a status),
 * SPK_HIL_HANG_TEST (spin forever, to check the runner's timeout).
 */
#include <stdint.h>
#include "baseline.h"
#include "semihost.h"
#include "startup.h"
#include "spikey_cpu.h"

#ifndef SPK_HIL_FRAME
#define SPK_HIL_FRAME 64u
#endif
#ifndef SPK_ICOUNT_SHIFT
#define SPK_ICOUNT_SHIFT 8u
#endif
#include "hil_common.h"
/* Words painted below the caller's frame before each encode, to find its stack depth. */
#define SPK_HIL_PROBE_WORDS 512u


static int16_t frame_samples[SPK_HIL_FRAME];
static int16_t frame_codes[SPK_HIL_FRAME];
static uint8_t frame_bytes[SPK_BASELINE_FRAME_BYTES(SPK_HIL_FRAME)];

int main(void)
{
    spk_baseline_state_t state;
    spk_bitwriter_t bw;
    int32_t fin, fout;
    uint32_t t0, t1, overhead_insns;
    uint32_t n_frames = 0u, n_samples = 0u, payload_bytes = 0u;
    uint32_t total_insns = 0u, worst_insns = 0u, worst_frame = 0u, encode_stack = 0u;

    hil_runner_tests();

    fin = spk_semi_open("input.s16", SPK_SEMI_MODE_RB);
    if (fin < 0) {
        return fail("cannot open input.s16");
    }
    fout = spk_semi_open("payload.bin", SPK_SEMI_MODE_WB);
    if (fout < 0) {
        return fail("cannot open payload.bin");
    }

    overhead_insns = hil_calibrate(SPK_HIL_FRAME);

    spk_baseline_init(&state);
    spk_bw_init(&bw, frame_bytes, sizeof frame_bytes);

    for (;;) {
        const uint32_t missing = spk_semi_read(fin, frame_samples, sizeof frame_samples);
        const uint32_t n = (uint32_t)(sizeof frame_samples - missing) / 2u;
        spk_status_t status;
        uint32_t i, ticks, insns, sp;

        if (n == 0u) {
            break;
        }
        for (i = 0u; i < n; i++) {
            frame_codes[i] = (int16_t)spk_adc_to_code(frame_samples[i]);
        }

        sp = spk_stack_pointer();
        probe_paint(SPK_HIL_PROBE_WORDS);
        SPK_COMPILER_BARRIER();
        t0 = spk_timer_read();
        SPK_COMPILER_BARRIER();
        status = spk_baseline_encode(&state, frame_codes, n, &bw);
        SPK_COMPILER_BARRIER();
        t1 = spk_timer_read();
        SPK_COMPILER_BARRIER();
        i = probe_depth(sp, SPK_HIL_PROBE_WORDS);
        encode_stack = (i > encode_stack) ? i : encode_stack;

        if (status != SPK_OK) {
            return fail("encode overflowed its frame buffer");
        }
        ticks = spk_timer_ticks(t0, t1);
        insns = ticks_to_insns(ticks) - overhead_insns;
#ifndef SPK_HIL_QUIET
        spk_semi_write0("SPIKEY frame");
        put_kv("i", n_frames);
        put_kv("n", n);
        put_kv("ticks", ticks);
        put_kv("insns", insns);
        spk_semi_write0("\n");
#endif
        if (insns > worst_insns) {
            worst_insns = insns;
            worst_frame = n_frames;
        }
        total_insns += insns;
        n_samples += n;
        n_frames++;

        /* Ship the frame's whole bytes; the pending bits stay in the writer. */
        if (spk_semi_write(fout, frame_bytes, bw.pos) != 0u) {
            return fail("cannot write payload.bin");
        }
        payload_bytes += bw.pos;
        spk_bw_rewind(&bw);
        if (missing != 0u) {
            break;
        }
    }

    if (spk_bw_finish(&bw) != SPK_OK || spk_semi_write(fout, frame_bytes, bw.pos) != 0u) {
        return fail("cannot finish payload.bin");
    }
    payload_bytes += bw.pos;
    (void)spk_semi_close(fout);
    (void)spk_semi_close(fin);

    spk_semi_write0("SPIKEY total");
    put_kv("frames", n_frames);
    put_kv("samples", n_samples);
    put_kv("insns", total_insns);
    put_kv("worst_insns", worst_insns);
    put_kv("worst_frame", worst_frame);
    put_kv("payload_bytes", payload_bytes);
    put_kv("encode_stack", encode_stack);
    put_kv("stack_max", spk_stack_max_used());
    put_kv("stack_size", spk_stack_size());
    spk_semi_write0("\n");
    return SPK_EXIT_OK;
}
