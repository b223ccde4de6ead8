/*
 * fixed_m4_start.c - minimal bare-metal startup of the Cortex-M4 tests run in QEMU
 * (mps2-an386), used by tests/test_fixed_m4.py and tests/test_dense_kernels.py (linked
 * with fixed_m4_link.ld): a two-entry vector table, .data copied and .bss zeroed at reset,
 * and main()'s return value (the test's count of mismatches) made QEMU's exit status
 * through semihosting. Test-only; the firmware's own startup is in firmware/targets.
 */
#include <stdint.h>

extern int main(void);
extern uint32_t _etext, _sdata, _edata, _sbss, _ebss;

/* One semihosting call (BKPT 0xAB): operation op with the argument block arg; returns r0. */
static int sh_call(int op, void *arg)
{
    register int r0 __asm__("r0") = op;
    register void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

/* SYS_EXIT_EXTENDED (0x20), ADP_Stopped_ApplicationExit (0x20026): QEMU exits with code. */
static void sh_exit(int code)
{
    int32_t a[2] = {0x20026, code};
    sh_call(0x20, a);
    for (;;) {
    }
}

/* The reset handler: .data from flash, .bss zeroed, then exit with main()'s return value. */
void reset(void)
{
    uint32_t *s = &_etext, *d = &_sdata;
    while (d < &_edata) {
        *d++ = *s++;
    }
    for (d = &_sbss; d < &_ebss;) {
        *d++ = 0;
    }
    sh_exit(main());
}

/* The initial stack pointer (the top of RAM's first MiB) and the reset vector. */
__attribute__((section(".vectors"), used)) static const void *vectors[2] = {(void *)0x20100000, (void *)reset};
