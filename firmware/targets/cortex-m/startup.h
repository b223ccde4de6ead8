/*
 * startup.h - what the Cortex-M startup code offers the program: stack-use
 * measurement by stack painting, and the CMSDK APB timer used to count executed
 * instructions under QEMU -icount.
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
 * CMSDK APB timer (ARM DDI 0479, "APB timer"): a 32-bit down-counter at
 * SPK_TIMER_BASE clocked at SPK_TIMER_HZ. Registers: CTRL +0x0 (bit 0 enable),
 * VALUE +0x4, RELOAD +0x8.
 */
#ifndef SPK_TIMER_BASE
#define SPK_TIMER_BASE 0x40000000u
#endif
#ifndef SPK_TIMER_HZ
#define SPK_TIMER_HZ 25000000u
#endif
#define SPK_TIMER_CTRL   (*(volatile uint32_t *)(SPK_TIMER_BASE + 0x0u))
#define SPK_TIMER_VALUE  (*(volatile uint32_t *)(SPK_TIMER_BASE + 0x4u))
#define SPK_TIMER_RELOAD (*(volatile uint32_t *)(SPK_TIMER_BASE + 0x8u))

/* Start the timer free-running from 0xffffffff, reloading to 0xffffffff. */
static inline void spk_timer_start(void)
{
    SPK_TIMER_CTRL = 0u;
    SPK_TIMER_RELOAD = 0xffffffffu;
    SPK_TIMER_VALUE = 0xffffffffu;
    SPK_TIMER_CTRL = 1u;
}

/* Current counter value (counts down). Elapsed ticks = earlier - later (mod 2^32). */
static inline uint32_t spk_timer_read(void)
{
    return SPK_TIMER_VALUE;
}

#endif /* SPIKEY_STARTUP_H */
