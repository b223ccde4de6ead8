/*
 * semihost.c - minimal Arm semihosting for the HIL build (see semihost.h).
 */
#include "semihost.h"

#define SYS_OPEN          0x01u
#define SYS_CLOSE         0x02u
#define SYS_WRITE0        0x04u
#define SYS_WRITE         0x05u
#define SYS_READ          0x06u
#define SYS_FLEN          0x0Cu
#define SYS_EXIT          0x18u
#define SYS_EXIT_EXTENDED 0x20u
#define ADP_Stopped_ApplicationExit 0x20026u

static int32_t semi_call(uint32_t op, const void *args)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = args;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return (int32_t)r0;
}

static uint32_t str_len(const char *s)
{
    uint32_t n = 0u;
    while (s[n] != '\0') { n++; }
    return n;
}

int32_t spk_semi_open(const char *path, uint32_t mode)
{
    const uint32_t args[3] = { (uint32_t)path, mode, str_len(path) };
    return semi_call(SYS_OPEN, args);
}

int32_t spk_semi_close(int32_t fh)
{
    const uint32_t args[1] = { (uint32_t)fh };
    return semi_call(SYS_CLOSE, args);
}

uint32_t spk_semi_write(int32_t fh, const void *buf, uint32_t len)
{
    const uint32_t args[3] = { (uint32_t)fh, (uint32_t)buf, len };
    return (uint32_t)semi_call(SYS_WRITE, args);
}

uint32_t spk_semi_read(int32_t fh, void *buf, uint32_t len)
{
    const uint32_t args[3] = { (uint32_t)fh, (uint32_t)buf, len };
    return (uint32_t)semi_call(SYS_READ, args);
}

int32_t spk_semi_flen(int32_t fh)
{
    const uint32_t args[1] = { (uint32_t)fh };
    return semi_call(SYS_FLEN, args);
}

void spk_semi_write0(const char *s)
{
    (void)semi_call(SYS_WRITE0, s);
}

void spk_semi_put_u32(uint32_t v)
{
    char buf[11];
    uint32_t i = sizeof buf - 1u;

    buf[i] = '\0';
    do {
        buf[--i] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0u);
    spk_semi_write0(&buf[i]);
}

void spk_semi_put_hex(uint32_t v)
{
    static const char digits[] = "0123456789abcdef";
    char buf[11];
    uint32_t i;

    buf[0] = '0';
    buf[1] = 'x';
    for (i = 0u; i < 8u; i++) {
        buf[2u + i] = digits[(v >> (28u - 4u * i)) & 0xFu];
    }
    buf[10] = '\0';
    spk_semi_write0(buf);
}

void spk_semi_exit(int32_t status)
{
    const uint32_t args[2] = { ADP_Stopped_ApplicationExit, (uint32_t)status };
    (void)semi_call(SYS_EXIT_EXTENDED, args);
    /* A host without SYS_EXIT_EXTENDED: plain SYS_EXIT (status 0 or 1 only). */
    (void)semi_call(SYS_EXIT, (const void *)(status == 0 ? ADP_Stopped_ApplicationExit : 0x20023u));
    for (;;) { }
}
