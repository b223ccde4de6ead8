/*
 * startup.c - vector table, reset handler and fault handlers for the Spikey
 * Cortex-M targets (Armv7-M: M3/M4/M7; Armv8-M Mainline: M33; Armv8.1-M: M55),
 * plus the stack-paint check.
 *
 * Reset: enable the FPU and, on Armv8.1-M, the MVE (Helium) unit, which shares its
 * coprocessor access bits (CPACR CP10/CP11: MVE instructions are "FP extension"
 * accesses, so an integer-only MVE build needs them too), copy .data from flash,
 * zero .bss, paint the unused stack, enable the separate MemManage/BusFault/
 * UsageFault exceptions (so each fault reports its own name rather than being
 * escalated to HardFault), call main() and exit with its status via semihosting.
 *
 * Faults: print "SPIKEY FAULT <name> pc=... lr=... cfsr=... hfsr=... mmfar=...
 * bfar=..." and exit with status 100 + exception number (see semihost.h), so a
 * fault ends the run with a recognisable status instead of hanging.
 */
#include <stdint.h>
#include "semihost.h"
#include "startup.h"

#ifndef SPK_N_IRQ
#define SPK_N_IRQ 32
#endif

/* System Control Block registers (Armv7-M ARM, B3.2) */
#define SCB_SHCSR (*(volatile uint32_t *)0xE000ED24u)
#define SCB_CFSR  (*(volatile uint32_t *)0xE000ED28u)
#define SCB_HFSR  (*(volatile uint32_t *)0xE000ED2Cu)
#define SCB_MMFAR (*(volatile uint32_t *)0xE000ED34u)
#define SCB_BFAR  (*(volatile uint32_t *)0xE000ED38u)
#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)
#define SHCSR_MEMFAULTENA (1u << 16)
#define SHCSR_BUSFAULTENA (1u << 17)
#define SHCSR_USGFAULTENA (1u << 18)

/* Provided by the linker script */
extern uint32_t __stack_limit[], __stack_top[];
extern uint32_t __data_start[], __data_end[], __data_load[];
extern uint32_t __bss_start[], __bss_end[];

extern int main(void);

void Reset_Handler(void) __attribute__((noreturn));
void Default_Handler(void);
void NMI_Handler(void);
void HardFault_Handler(void);
void MemManage_Handler(void);
void BusFault_Handler(void);
void UsageFault_Handler(void);
void spk_fault_report(const uint32_t *frame, uint32_t exception) __attribute__((noreturn, used));

typedef void (*spk_vector_t)(void);

__attribute__((section(".isr_vector"), used))
const spk_vector_t spk_vector_table[16 + SPK_N_IRQ] = {
    [0]  = (spk_vector_t)__stack_top,       /* initial main stack pointer */
    [1]  = Reset_Handler,
    [2]  = NMI_Handler,
    [3]  = HardFault_Handler,
    [4]  = MemManage_Handler,
    [5]  = BusFault_Handler,
    [6]  = UsageFault_Handler,
    [7]  = Default_Handler,                 /* SecureFault (Armv8-M with TrustZone; reserved on Armv7-M) */
    [11] = Default_Handler,                 /* SVCall */
    [12] = Default_Handler,                 /* DebugMonitor */
    [14] = Default_Handler,                 /* PendSV */
    [15] = Default_Handler,                 /* SysTick */
    [16 ... 16 + SPK_N_IRQ - 1] = Default_Handler,
};

void Reset_Handler(void)
{
    uint32_t *src, *dst;
    uint32_t sp;

#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
    SCB_CPACR |= (0xFu << 20);              /* CP10, CP11: full access (FPU and MVE) */
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    for (src = __data_load, dst = __data_start; dst < __data_end;) {
        *dst++ = *src++;
    }
    for (dst = __bss_start; dst < __bss_end;) {
        *dst++ = 0u;
    }
    /* Paint the stack below this frame (the compiler never stores below sp). */
    sp = spk_stack_pointer();
    for (dst = __stack_limit; (uint32_t)dst < sp;) {
        *(volatile uint32_t *)dst++ = SPK_STACK_PAINT;
    }
    SCB_SHCSR |= SHCSR_MEMFAULTENA | SHCSR_BUSFAULTENA | SHCSR_USGFAULTENA;
    __asm__ volatile("dsb\n\tisb" ::: "memory");

    spk_semi_exit(main());
}

uint32_t spk_stack_size(void)
{
    return (uint32_t)__stack_top - (uint32_t)__stack_limit;
}

uint32_t spk_stack_max_used(void)
{
    const volatile uint32_t *p = __stack_limit;

    while (p < __stack_top && *p == SPK_STACK_PAINT) {
        p++;
    }
    return (uint32_t)__stack_top - (uint32_t)p;
}

/*
 * Fault entry: find the exception frame (MSP or PSP, from EXC_RETURN bit 2) and
 * hand it with the exception number to spk_fault_report. Naked: no prologue may
 * touch a possibly broken stack before we read it.
 */
#define SPK_FAULT_ENTRY(name, number)                         \
    __attribute__((naked)) void name(void)                    \
    {                                                         \
        __asm__ volatile("movs r1, #" #number "\n\t"          \
                         "tst lr, #4\n\t"                     \
                         "ite eq\n\t"                         \
                         "mrseq r0, msp\n\t"                  \
                         "mrsne r0, psp\n\t"                  \
                         "b spk_fault_report\n\t");           \
    }

SPK_FAULT_ENTRY(NMI_Handler, 2)
SPK_FAULT_ENTRY(HardFault_Handler, 3)
SPK_FAULT_ENTRY(MemManage_Handler, 4)
SPK_FAULT_ENTRY(BusFault_Handler, 5)
SPK_FAULT_ENTRY(UsageFault_Handler, 6)

/* Any other exception: its number from IPSR. */
__attribute__((naked)) void Default_Handler(void)
{
    __asm__ volatile("mrs r1, ipsr\n\t"
                     "tst lr, #4\n\t"
                     "ite eq\n\t"
                     "mrseq r0, msp\n\t"
                     "mrsne r0, psp\n\t"
                     "b spk_fault_report\n\t");
}

void spk_fault_report(const uint32_t *frame, uint32_t exception)
{
    static const char *const names[7] = {
        "exception", "exception", "NMI", "HardFault", "MemManage", "BusFault", "UsageFault",
    };
    const uint32_t number = exception & 0x1ffu;

    spk_semi_write0("SPIKEY FAULT ");
    spk_semi_write0(number < 7u ? names[number] : "exception");
    spk_semi_write0(" exception=");
    spk_semi_put_u32(number);
    spk_semi_write0(" pc=");
    spk_semi_put_hex(frame[6]);
    spk_semi_write0(" lr=");
    spk_semi_put_hex(frame[5]);
    spk_semi_write0(" cfsr=");
    spk_semi_put_hex(SCB_CFSR);
    spk_semi_write0(" hfsr=");
    spk_semi_put_hex(SCB_HFSR);
    spk_semi_write0(" mmfar=");
    spk_semi_put_hex(SCB_MMFAR);
    spk_semi_write0(" bfar=");
    spk_semi_put_hex(SCB_BFAR);
    spk_semi_write0("\n");
    spk_semi_exit(SPK_EXIT_FAULT_BASE + (int32_t)(number < 155u ? number : 155u));
}
