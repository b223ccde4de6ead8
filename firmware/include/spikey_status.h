/*
 * spikey_status.h - status codes shared by every Spikey firmware module.
 *
 * A function that can fail returns spk_status_t; SPK_OK is zero so that
 * `if (status) ...` reads naturally. Errors are sticky where noted (the bit
 * writer's overflow, the bit reader's overrun) so a caller may check once per
 * frame instead of once per sample.
 */
#ifndef SPIKEY_STATUS_H
#define SPIKEY_STATUS_H

typedef enum {
    SPK_OK           = 0,  /* success */
    SPK_ERR_OVERFLOW = 1,  /* bit writer: output buffer too small (output truncated) */
    SPK_ERR_OVERRUN  = 2,  /* bit reader: stream ended before the requested samples */
    SPK_ERR_RANGE    = 3   /* an argument outside its documented range */
} spk_status_t;

#endif /* SPIKEY_STATUS_H */
