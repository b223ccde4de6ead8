/*
 * spk_host_baseline.h - the baseline codec (first difference + adaptive Rice) on the host,
 * and the runtime's small inline rules made callable from Python, for the tests of the
 * C against the Python reference (codegen.host.baseline).
 *
 * spk_host_encode / spk_host_decode run the implant's frame loop (frame codes a call) over
 * n codes; cap: bytes of out. spk_host_rice_encode codes values u[i] in [0, 1024) with the
 * adaptive Rice coder alone. Each returns an spk_status_t.
 */
#ifndef SPK_HOST_BASELINE_H
#define SPK_HOST_BASELINE_H

#include <stdint.h>
#include "baseline.h"
#include "spikey_arith.h"
#include "spikey_cpu.h"

int spk_host_encode(const int16_t *codes, uint32_t n, uint32_t frame,
                    uint8_t *out, uint32_t cap, uint32_t *n_out);
int spk_host_decode(const uint8_t *payload, uint32_t n_bytes, int16_t *codes, uint32_t n, uint32_t frame);
int spk_host_rice_encode(const uint16_t *u, uint32_t n, uint8_t *out, uint32_t cap, uint32_t *n_out);

/* Runtime inlines and functions, declared again so the host module exports them
 * (defined in adaptive_rice.h, baseline.h, spikey_arith.h and spikey_cpu.h). */
uint32_t spk_rice_k(uint32_t m);
uint32_t spk_adc_to_code(int16_t v);
int16_t spk_adc_from_code(uint32_t code);
uint32_t spk_zigzag(int32_t r);
int32_t spk_unzigzag(uint32_t u);
int32_t spk_wrap10(int32_t d);
uint32_t spk_floor_log2_u32(uint32_t x);
int32_t spk_cpu_smlad(uint32_t x, uint32_t y, int32_t acc);

#endif /* SPK_HOST_BASELINE_H */
