"""The baseline codec's C runtime built for the host (cffi), and a wrapper, for the tests of
the C against the Python reference.

The firmware C is compiled unchanged together with the host glue firmware/host/
spk_host_baseline.c, which drives the frame API the way the implant does: one state, one bit
writer, frame after frame. spikey.native caches the module by a hash of every source, the
flags and the Python/cffi versions, so repeated runs load it.

    hb = HostBaseline()                  # builds or loads the cached extension
    payload = hb.encode_codes(codes)     # == spikey.baseline.encode_codes(codes)
    codes2 = hb.decode_codes(payload, len(codes))
"""
from __future__ import annotations

import numpy as np

from spikey import firmware, native
from spikey.errors import CodecError

CFLAGS = (*native.DEFAULT_CFLAGS, "-Wconversion", "-Wno-sign-conversion")
GLUE = "spk_host_baseline.h"


def build_host():
    """Compile (or load from the cffi cache) the baseline runtime with its host glue
    (firmware manifest ``runtime.baseline`` + ``host.baseline``)."""
    files = {p.name: p.read_text() for p in firmware.sources("runtime.baseline") + firmware.sources("host.baseline")}
    cdef = native.cdef_of(firmware.path("include/spikey_status.h")) + native.cdef_of(firmware.path(f"host/{GLUE}"))
    return native.build(files, cdef, GLUE, include_dirs=firmware.include_dirs("host"), cflags=CFLAGS)


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
        codes = np.zeros(n, dtype=np.int16)
        buf = np.frombuffer(payload, dtype=np.uint8) if payload else np.zeros(1, np.uint8)
        status = self.lib.spk_host_decode(self.ffi.from_buffer("uint8_t[]", buf), len(payload),
                                          self.ffi.from_buffer("int16_t[]", codes), n, self.frame)
        if status == self.lib.SPK_ERR_OVERRUN:
            raise CodecError("corrupt bitstream: Rice payload ends early")
        if status != self.lib.SPK_OK:
            raise RuntimeError(f"spk_host_decode returned status {status}")
        return codes
