/*
 * startup.h - what the Cortex-M startup code offers the program: stack-use
 * measurement by stack painting, and the timer (CMSDK APB timer or SysTick) used to
 * count executed instructions under QEMU -icount.
 */
#ifndef SPIKEY_STARTUP_H
#define SPIKEY_STARTUP_H

#include <stdint.h>

#define SPK_STACK_PAINT 0xA5A5A5A5u

/* Size of the main stack reserved by the linker script, in bytes. */
uint32_t spk_stack_size(void);

/*
 * Deepest stack use since reset, in bytes: the reset handler paints the whole
 * stack below its own frame with SPK_STACK_PAINT; this scans for the lowest
 * word that was overwritten. Returns spk_stack_size() if the bottom word was hit
 * (an overflow may have happened).
 */
uint32_t spk_stack_max_used(void);

/* Current stack pointer. */
static inline uint32_t spk_stack_pointer(void)
{
    uint32_t sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    return sp;
}

/*
 * The instruction-count timer, one of two (the target table's "timer" field):
 *
 * CMSDK APB timer (ARM DDI 0479, "APB timer"): a 32-bit down-counter at
 * SPK_TIMER_BASE clocked at SPK_TIMER_HZ. Registers: CTRL +0x0 (bit 0 enable),
 * VALUE +0x4, RELOAD +0x8.
 *
 * SysTick (SPK_TIMER_SYSTICK; Armv7-M / Armv8-M ARM, "The system timer, SysTick"): a
 * 24-bit down-counter on the processor clock (SPK_TIMER_HZ). Registers: SYST_CSR
 * 0xE000E010 (bit 0 enable, bit 2 processor clock), SYST_RVR 0xE000E014 (reload),
 * SYST_CVR 0xE000E018 (current value; a write clears it). A span of 2^24 ticks or more
 * wraps: 2^24 / 32 MHz = 524 ms of virtual time, about 2 million instructions at
 * -icount shift 8; every span the HIL programs time is far shorter.
 *
 * Elapsed ticks between two reads: spk_timer_ticks(earlier, later).
 */
#ifndef SPK_TIMER_HZ
#define SPK_TIMER_HZ 25000000u
#endif
#if defined(SPK_TIMER_SYSTICK)
#define SPK_SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SPK_SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SPK_SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SPK_TIMER_MASK 0x00ffffffu
/* QEMU 7.2's SysTick, read under -icount, gives every timed span 2 instructions fewer than
 * the CMSDK timer on the same code, whatever the span's length (measured on mps2-an505,
 * which has both: baseline HIL spans of 16 to 4096 samples, 762 to 182,537 instructions;
 * hil_tests/test_qemu_cores.py checks it). hil_calibrate subtracts it from the overhead. */
#define SPK_TIMER_SKEW_INSNS 2u

/* Start SysTick free-running on the processor clock, no interrupt, reloading to 2^24 - 1. */
static inline void spk_timer_start(void)
{
    SPK_SYST_CSR = 0u;
    SPK_SYST_RVR = SPK_TIMER_MASK;
    SPK_SYST_CVR = 0u;
    SPK_SYST_CSR = 0x5u;
}

static inline uint32_t spk_timer_read(void)
{
    return SPK_SYST_CVR;
}
#else
#ifndef SPK_TIMER_BASE
#define SPK_TIMER_BASE 0x40000000u
#endif
#define SPK_TIMER_CTRL   (*(volatile uint32_t *)(SPK_TIMER_BASE + 0x0u))
#define SPK_TIMER_VALUE  (*(volatile uint32_t *)(SPK_TIMER_BASE + 0x4u))
#define SPK_TIMER_RELOAD (*(volatile uint32_t *)(SPK_TIMER_BASE + 0x8u))
#define SPK_TIMER_MASK 0xffffffffu
#define SPK_TIMER_SKEW_INSNS 0u

/* Start the timer free-running from 0xffffffff, reloading to 0xffffffff. */
static inline void spk_timer_start(void)
{
    SPK_TIMER_CTRL = 0u;
    SPK_TIMER_RELOAD = 0xffffffffu;
    SPK_TIMER_VALUE = 0xffffffffu;
    SPK_TIMER_CTRL = 1u;
}

/* Current counter value (counts down). */
static inline uint32_t spk_timer_read(void)
{
    return SPK_TIMER_VALUE;
}
#endif

/* Ticks from the read `earlier` to the read `later` (the counter counts down and wraps
 * modulo its width). */
static inline uint32_t spk_timer_ticks(uint32_t earlier, uint32_t later)
{
    return (earlier - later) & SPK_TIMER_MASK;
}

#endif /* SPIKEY_STARTUP_H */
