/*
 * hil_predict.c - hardware-in-the-loop driver for the generated predictor under QEMU.
 *
 * Reads `codes.s16` (little-endian int16 10-bit codes of one channel) through
 * semihosting, runs spk_pred_reset(x[0]) then spk_pred_step(x[t]) for every code,
 * and writes `pred.bin`: per sample, little-endian int16 L then int16 log2s_q8 (both
 * fit: L in [0, 1023], log2s_q8 in [SPK_PRED_LOG2S_MIN_Q8, SPK_PRED_LOG2S_MAX_Q8]).
 * The output equals codegen.reference.predictor.Predictor.predict(codes) value for value.
 *
 * Instructions are counted as in hil_main.c (QEMU -icount + CMSDK timer around each
 * frame of SPK_HIL_FRAME steps, minus the cost of the timer reads).
 *
 * Output (parsed by codegen/hil/predictor.py):
 *     SPIKEY calib overhead_ticks=.. overhead_insns=.. icount_shift=.. timer_hz=.. frame=..
 *     SPIKEY total samples=.. insns=.. worst_insns=.. state_bytes=.. step_stack=..
 *            stack_max=.. stack_size=..
 * Exit status: 0 on success, 1 on an I/O error, 100 + n on a fault.
 */
#include <stdint.h>
#include "spk_pred.h"
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
#define SPK_HIL_PROBE_WORDS 512u

static spk_pred_state_t state;
static int16_t frame_codes[SPK_HIL_FRAME];
static int16_t frame_out[2u * SPK_HIL_FRAME];

int main(void)
{
    int32_t fin, fout;
    uint32_t t0, t1, overhead_insns;
    uint32_t n_samples = 0u, total_insns = 0u, worst_insns = 0u, step_stack = 0u;
    int started = 0;

    fin = spk_semi_open("codes.s16", SPK_SEMI_MODE_RB);
    if (fin < 0) {
        return fail("cannot open codes.s16");
    }
    fout = spk_semi_open("pred.bin", SPK_SEMI_MODE_WB);
    if (fout < 0) {
        return fail("cannot open pred.bin");
    }

    overhead_insns = hil_calibrate(SPK_HIL_FRAME);

    for (;;) {
        const uint32_t missing = spk_semi_read(fin, frame_codes, sizeof frame_codes);
        const uint32_t n = (uint32_t)(sizeof frame_codes - missing) / 2u;
        uint32_t i, insns, sp;

        if (n == 0u) {
            break;
        }
        if (!started) {
            spk_pred_reset(&state, frame_codes[0]);
            started = 1;
        }
        sp = spk_stack_pointer();
        probe_paint(SPK_HIL_PROBE_WORDS);
        SPK_COMPILER_BARRIER();
        t0 = spk_timer_read();
        SPK_COMPILER_BARRIER();
        for (i = 0u; i < n; i++) {
            int32_t L, log2s_q8;
            spk_pred_step(&state, frame_codes[i], &L, &log2s_q8);
            frame_out[2u * i] = (int16_t)L;
            frame_out[2u * i + 1u] = (int16_t)log2s_q8;
        }
        SPK_COMPILER_BARRIER();
        t1 = spk_timer_read();
        SPK_COMPILER_BARRIER();
        i = probe_depth(sp, SPK_HIL_PROBE_WORDS);
        step_stack = (i > step_stack) ? i : step_stack;
        insns = ticks_to_insns(spk_timer_ticks(t0, t1)) - overhead_insns;
        worst_insns = (insns > worst_insns) ? insns : worst_insns;
        total_insns += insns;
        n_samples += n;
        if (spk_semi_write(fout, frame_out, 4u * n) != 0u) {
            return fail("cannot write pred.bin");
        }
        if (missing != 0u) {
            break;
        }
    }
    (void)spk_semi_close(fout);
    (void)spk_semi_close(fin);

    spk_semi_write0("SPIKEY total");
    put_kv("samples", n_samples);
    put_kv("insns", total_insns);
    put_kv("worst_insns", worst_insns);
    put_kv("state_bytes", (uint32_t)sizeof state);
    put_kv("step_stack", step_stack);
    put_kv("stack_max", spk_stack_max_used());
    put_kv("stack_size", spk_stack_size());
    spk_semi_write0("\n");
    return SPK_EXIT_OK;
}
