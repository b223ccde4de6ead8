"""Host (cffi) build of the event mode's C: the generated spk_events sources, the runtime's
event coder and range coder, and the host glue firmware/host/spk_host_events.c.

    he = HostEvents(params, rate)
    payload = he.encode(codes_list, joint)        # == spikey.events.stream.encode_channels
    spikes, sbp = he.detect(codes)                # == spikey.events.pipeline.run
"""
from __future__ import annotations

import numpy as np

from spikey import firmware, native
from spikey.events.params import EventParams

from ..emit.events import compile_sources

CFLAGS = (*native.DEFAULT_CFLAGS, "-Wconversion", "-Wno-sign-conversion")
GLUE = "spk_host_events.h"


class HostEvents:
    def __init__(self, params: EventParams, rate: int, sanitize: bool = False):
        self.params = params
        files = compile_sources(params, rate)
        files.update({p.name: p.read_text() for p in firmware.sources("host.events")})
        self.module = native.build(files, native.cdef_of(firmware.path(f"host/{GLUE}")), GLUE,
                                   include_dirs=firmware.include_dirs("host"), cflags=CFLAGS, sanitize=sanitize)
        self.ffi, self.lib = self.module.ffi, self.module.lib

    def encode(self, channels: list, joint: bool) -> bytes:
        lengths = np.array([len(c) for c in channels], np.uint32)
        parts = [np.asarray(c, np.int16) for c in channels] + [np.zeros(1, np.int16)]
        codes = np.ascontiguousarray(np.concatenate(parts))
        cap = 64 + 8 * int(lengths.sum()) // 20 + 16 * (int(lengths.max(initial=0)) // 20 + 1)
        out = np.zeros(cap, np.uint8)
        n_out = self.ffi.new("uint32_t *")
        fb = self.ffi.from_buffer
        st = self.lib.spk_he_encode(fb("int16_t[]", codes), fb("uint32_t[]", lengths), len(channels), int(joint),
                                    fb("uint8_t[]", out), cap, n_out)
        if st != 0:
            raise RuntimeError(f"spk_he_encode returned status {st}")
        return out[:n_out[0]].tobytes()

    def detect(self, codes):
        x = np.ascontiguousarray(np.concatenate([np.asarray(codes, np.int16), np.zeros(1, np.int16)]))
        n = len(codes)
        spikes = np.zeros(n // max(self.params.refractory, 1) + 2, np.int64)
        sbp = np.zeros(n // self.params.bin_samples + 2, np.int32)
        n_sbp = self.ffi.new("uint32_t *")
        fb = self.ffi.from_buffer
        k = self.lib.spk_he_detect(fb("int16_t[]", x), n, fb("int64_t[]", spikes), len(spikes),
                                   fb("int32_t[]", sbp), len(sbp), n_sbp)
        if k < 0:
            raise RuntimeError("spk_he_detect: a buffer was too small")
        return spikes[:k].copy(), sbp[:n_sbp[0]].astype(np.int64)
