"""Build the hand-written firmware runtime for the host as a cffi extension, and wrap it.

The firmware C is compiled unchanged (out-of-line API mode) together with a small glue
layer that drives the frame API the way the implant does: one state, one bit writer,
frame after frame. ``codegen.cffi_module`` caches the extension by a hash of every source,
the glue, the flags and the Python/cffi versions, so repeated runs load it.

    hb = HostBaseline()                  # builds or loads the cached extension
    payload = hb.encode_codes(codes)     # == spikey.baseline.encode_codes(codes)
    codes2 = hb.decode_codes(payload, len(codes))
"""
from __future__ import annotations

import numpy as np

from . import cffi_module
from .toolchain import FIRMWARE

SOURCES = ("bitstream.c", "adaptive_rice.c", "baseline.c")
CFLAGS = (*cffi_module.DEFAULT_CFLAGS, "-Wconversion", "-Wno-sign-conversion")

CDEF = """
typedef enum { SPK_OK = 0, SPK_ERR_OVERFLOW = 1, SPK_ERR_OVERRUN = 2, SPK_ERR_RANGE = 3 } spk_status_t;
int spk_host_encode(const int16_t *codes, uint32_t n, uint32_t frame,
                    uint8_t *out, uint32_t cap, uint32_t *n_out);
int spk_host_decode(const uint8_t *payload, uint32_t n_bytes, int16_t *codes, uint32_t n, uint32_t frame);
int spk_host_rice_encode(const uint16_t *u, uint32_t n, uint8_t *out, uint32_t cap, uint32_t *n_out);
uint32_t spk_rice_k(uint32_t m);
uint32_t spk_adc_to_code(int16_t v);
int16_t spk_adc_from_code(uint32_t code);
uint32_t spk_zigzag(int32_t r);
int32_t spk_unzigzag(uint32_t u);
int32_t spk_wrap10(int32_t d);
uint32_t spk_floor_log2_u32(uint32_t x);
int32_t spk_cpu_smlad(uint32_t x, uint32_t y, int32_t acc);
"""

# Host glue: the frame loop an implant would run, over one caller-provided buffer.
GLUE = r"""
#include "baseline.h"

static int spk_host_encode(const int16_t *codes, uint32_t n, uint32_t frame,
                           uint8_t *out, uint32_t cap, uint32_t *n_out)
{
    spk_baseline_state_t st;
    spk_bitwriter_t bw;
    spk_status_t status = SPK_OK;
    uint32_t i;

    spk_baseline_init(&st);
    spk_bw_init(&bw, out, cap);
    for (i = 0u; i < n && status == SPK_OK; i += frame) {
        const uint32_t len = (n - i < frame) ? n - i : frame;
        status = spk_baseline_encode(&st, codes + i, len, &bw);
    }
    if (status == SPK_OK) {
        status = spk_bw_finish(&bw);
    }
    *n_out = bw.pos;
    return (int)status;
}

static int spk_host_decode(const uint8_t *payload, uint32_t n_bytes, int16_t *codes, uint32_t n,
                           uint32_t frame)
{
    spk_baseline_state_t st;
    spk_bitreader_t br;
    uint32_t i;

    spk_baseline_init(&st);
    spk_br_init(&br, payload, n_bytes);
    for (i = 0u; i < n; i += frame) {
        const uint32_t len = (n - i < frame) ? n - i : frame;
        (void)spk_baseline_decode(&st, &br, codes + i, len);
    }
    return (int)spk_br_status(&br);
}

static int spk_host_rice_encode(const uint16_t *u, uint32_t n, uint8_t *out, uint32_t cap,
                                uint32_t *n_out)
{
    spk_rice_state_t st;
    spk_bitwriter_t bw;
    spk_status_t status = SPK_OK;
    uint32_t i;

    spk_rice_init(&st);
    spk_bw_init(&bw, out, cap);
    for (i = 0u; i < n && status == SPK_OK; i++) {
        status = spk_rice_encode(&st, u[i], &bw);
    }
    if (status == SPK_OK) {
        status = spk_bw_finish(&bw);
    }
    *n_out = bw.pos;
    return (int)status;
}
"""

def build_host():
    """Compile (or load from the cffi cache) the firmware runtime with the host glue."""
    files = {name: (FIRMWARE / "src" / name).read_text() for name in SOURCES}
    files["host_glue.h"] = GLUE
    return cffi_module.build(files, CDEF, "host_glue.h", include_dirs=[FIRMWARE / "include", FIRMWARE / "src"],
                             cflags=CFLAGS)


class HostBaseline:
    """The baseline codec as compiled C on the host (the second of the three implementations)."""

    def __init__(self, frame: int = 64):
        if frame < 1:
            raise ValueError("frame must be at least one sample")
        self.module = build_host()
        self.ffi, self.lib = self.module.ffi, self.module.lib
        self.frame = frame

    def encode_codes(self, codes, capacity: int | None = None) -> bytes:
        """Encode int16 10-bit codes (any frame size); OverflowError if `capacity` bytes are too few."""
        codes = np.ascontiguousarray(codes, dtype=np.int16)
        n = len(codes)
        cap = (n * 26 + 7) // 8 + 1 if capacity is None else capacity
        out = np.zeros(max(cap, 1), dtype=np.uint8)
        n_out = self.ffi.new("uint32_t *")
        status = self.lib.spk_host_encode(self.ffi.from_buffer("int16_t[]", codes), n, self.frame,
                                          self.ffi.from_buffer("uint8_t[]", out), cap, n_out)
        if status == self.lib.SPK_ERR_OVERFLOW:
            raise OverflowError(f"payload does not fit in {cap} bytes")
        if status != self.lib.SPK_OK:
            raise RuntimeError(f"spk_host_encode returned status {status}")
        return out[:n_out[0]].tobytes()

    def decode_codes(self, payload: bytes, n: int) -> np.ndarray:
        """Decode n codes; raises spikey.errors.CodecError when the payload is too short."""
        from spikey.errors import CodecError

        codes = np.zeros(n, dtype=np.int16)
        buf = np.frombuffer(payload, dtype=np.uint8) if payload else np.zeros(1, np.uint8)
        status = self.lib.spk_host_decode(self.ffi.from_buffer("uint8_t[]", buf), len(payload),
                                          self.ffi.from_buffer("int16_t[]", codes), n, self.frame)
        if status == self.lib.SPK_ERR_OVERRUN:
            raise CodecError("corrupt bitstream: Rice payload ends early")
        if status != self.lib.SPK_OK:
            raise RuntimeError(f"spk_host_decode returned status {status}")
        return codes
