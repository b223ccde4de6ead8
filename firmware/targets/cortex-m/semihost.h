/*
 * semihost.h - minimal Arm semihosting (no libc, no heap): console output, host
 * file I/O and exit with a status. Works under QEMU with
 * `-semihosting-config enable=on,target=native`; paths are relative to QEMU's
 * working directory.
 *
 * Each call is a BKPT 0xAB trap with the operation in r0 and a pointer to its
 * parameter block in r1 (Arm "Semihosting for AArch32 and AArch64", v2.0).
 * Without a debugger or semihosting-enabled emulator attached, BKPT faults: these
 * helpers are for the HIL build only, never for the codec itself.
 */
#ifndef SPIKEY_SEMIHOST_H
#define SPIKEY_SEMIHOST_H

#include <stdint.h>

/* SYS_OPEN modes (ISO C fopen equivalents) */
#define SPK_SEMI_MODE_RB 1u   /* "rb" */
#define SPK_SEMI_MODE_WB 5u   /* "wb" */

/* Exit statuses used by the Spikey firmware (the HIL runner decodes them). */
#define SPK_EXIT_OK          0
#define SPK_EXIT_ERROR       1     /* bad input, I/O failure, codec error */
#define SPK_EXIT_FAULT_BASE  100   /* + exception number: 102 NMI, 103 HardFault,
                                      104 MemManage, 105 BusFault, 106 UsageFault,
                                      100 + n for any other unexpected exception n */

/* Open a host file; returns a handle >= 0 or -1. */
int32_t spk_semi_open(const char *path, uint32_t mode);
/* Close a handle; 0 on success. */
int32_t spk_semi_close(int32_t fh);
/* Write len bytes; returns the number of bytes NOT written (0 on success). */
uint32_t spk_semi_write(int32_t fh, const void *buf, uint32_t len);
/* Read up to len bytes; returns the number of bytes NOT read (len at end of file). */
uint32_t spk_semi_read(int32_t fh, void *buf, uint32_t len);
/* Length of an open file in bytes, or -1. */
int32_t spk_semi_flen(int32_t fh);
/* Print a NUL-terminated string on the host console (QEMU's stdout). */
void spk_semi_write0(const char *s);
/* Print an unsigned integer in decimal / a word in hex (0x%08x). */
void spk_semi_put_u32(uint32_t v);
void spk_semi_put_hex(uint32_t v);
/* End the program with an exit status (SYS_EXIT_EXTENDED, ADP_Stopped_ApplicationExit). */
void spk_semi_exit(int32_t status) __attribute__((noreturn));

#endif /* SPIKEY_SEMIHOST_H */
