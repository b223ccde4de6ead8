/*
 * hil_common.h - what every hardware-in-the-loop main shares: executed instructions from
 * the timer (CMSDK or SysTick) under QEMU -icount, a painted stack probe, and the output lines.
 *
 * Define SPK_ICOUNT_SHIFT (the -icount shift the ELF is run with) before including.
 * Under -icount shift=N every instruction advances virtual time by 2^N ns and the timer
 * ticks every 1e9 / SPK_TIMER_HZ ns, so instructions = ticks * 1e9 / SPK_TIMER_HZ / 2^N,
 * rounded to nearest; the +-1 tick of a difference of two reads is below half an instruction for
 * N >= 7, so the rounded count is exact.
 */
#ifndef SPIKEY_HIL_COMMON_H
#define SPIKEY_HIL_COMMON_H

#include <stdint.h>
#include "semihost.h"
#include "startup.h"
#include "spikey_cpu.h"

/* Timer ticks -> instructions, rounded to nearest: ticks * 1e9 / (SPK_TIMER_HZ * 2^N)
 * in 64 bits (exact also when a tick is not a whole number of ns, e.g. 32 MHz). */
static inline uint32_t ticks_to_insns(uint32_t ticks)
{
    const uint64_t per_insn = (uint64_t)SPK_TIMER_HZ << SPK_ICOUNT_SHIFT;   /* ticks/insn * 1e9 */
    return (uint32_t)(((uint64_t)ticks * 1000000000u + per_insn / 2u) / per_insn);
}

/* Paint `words` words below the current stack pointer (inlined: uses no stack itself). */
static inline __attribute__((always_inline)) void probe_paint(uint32_t words)
{
    volatile uint32_t *p = (volatile uint32_t *)spk_stack_pointer();
    uint32_t i;
    for (i = 1u; i <= words; i++) {
        p[-(int32_t)i] = SPK_STACK_PAINT;
    }
}

/* Bytes of the painted probe window that were overwritten, counted from its bottom. */
static inline __attribute__((always_inline)) uint32_t probe_depth(uint32_t top, uint32_t words)
{
    const volatile uint32_t *p = (const volatile uint32_t *)top - words;
    uint32_t i = 0u;
    while (i < words && p[i] == SPK_STACK_PAINT) {
        i++;
    }
    return 4u * (words - i);
}

/* " key=value" on the console. */
static inline void put_kv(const char *key, uint32_t value)
{
    spk_semi_write0(" ");
    spk_semi_write0(key);
    spk_semi_write0("=");
    spk_semi_put_u32(value);
}

/* "SPIKEY error <what>" on the console; returns the error exit status. */
static inline int fail(const char *what)
{
    spk_semi_write0("SPIKEY error ");
    spk_semi_write0(what);
    spk_semi_write0("\n");
    return SPK_EXIT_ERROR;
}

/* Start the timer and measure the measurement itself (two back-to-back reads, between
 * compiler barriers, less the timer's SPK_TIMER_SKEW_INSNS); print the "SPIKEY calib"
 * line. Returns that overhead in instructions, to subtract from every timed call. */
static inline __attribute__((always_inline)) uint32_t hil_calibrate(uint32_t frame)
{
    uint32_t t0, t1, ticks, insns;
    spk_timer_start();
    SPK_COMPILER_BARRIER();
    t0 = spk_timer_read();
    SPK_COMPILER_BARRIER();
    t1 = spk_timer_read();
    SPK_COMPILER_BARRIER();
    ticks = spk_timer_ticks(t0, t1);
    insns = ticks_to_insns(ticks) - SPK_TIMER_SKEW_INSNS;   /* SysTick: startup.h */
    spk_semi_write0("SPIKEY calib");
    put_kv("overhead_ticks", ticks);
    put_kv("overhead_insns", insns);
    put_kv("icount_shift", SPK_ICOUNT_SHIFT);
    put_kv("timer_hz", SPK_TIMER_HZ);
    put_kv("frame", frame);
    spk_semi_write0("\n");
    return insns;
}

#ifndef SPK_HIL_FAULT_ADDR
#define SPK_HIL_FAULT_ADDR 0xF0000000u   /* unmapped on the mps2 boards: BusFault */
#endif

/* The runner's own tests, compiled in on request: SPK_HIL_FAULT_TEST reads an unmapped
 * address (the runner must report the fault), SPK_HIL_HANG_TEST spins forever (its
 * timeout). Without either define this is empty. */
static inline __attribute__((always_inline)) void hil_runner_tests(void)
{
#ifdef SPK_HIL_FAULT_TEST
    spk_semi_write0("SPIKEY fault-test reading an unmapped address\n");
    (void)*(volatile uint32_t *)SPK_HIL_FAULT_ADDR;
#endif
#ifdef SPK_HIL_HANG_TEST
    for (;;) {
        SPK_COMPILER_BARRIER();
    }
#endif
}

#endif /* SPIKEY_HIL_COMMON_H */
