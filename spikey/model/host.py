"""A compiled model's codec built for the host: the generated C (compiled/), the runtime's
coders (firmware manifest ``runtime.coders``) and the host glue (``host.codec``:
firmware/host/spk_host_codec.c and spk_host_pred.c), compiled through cffi (spikey.native,
cached by the content of every source).

This is the codec's fast path; the Python reference (codegen.reference.codec) must produce
the same bytes, and tests check that it does.
"""
from __future__ import annotations

import numpy as np

from .. import firmware, limits, native
from ..errors import CodecError
from .compiled import CompiledModel

# The host's own instruction set (AVX2 where it has it: the network's columns kernel,
# spikey_vec.h); -O3 on top of DEFAULT_CFLAGS' -O2 (the later flag wins). Hidden visibility:
# the module exports only its init function (cffi marks it), so the optimiser may inline
# the predictor into the decode loop (about 3 % of the decode time).
CFLAGS = (*native.DEFAULT_CFLAGS, "-Wconversion", "-Wno-sign-conversion", "-O3", "-march=native", "-flto",
          "-fvisibility=hidden")
LDFLAGS = ("-flto", "-O3", "-march=native")
GLUE = ("spk_host_codec.h", "spk_host_pred.h")
# Codes per C call: about 0.1 s of decoding, so Ctrl-C and other signals take effect
# promptly and a chunk's buffers stay small.
CHUNK_CODES = 1 << 20


def codec_files(sources: dict) -> dict:
    """Every file of the host codec module: the generated sources, the runtime's coders and
    the host glue (name -> text)."""
    files = dict(sources)
    for p in firmware.sources("runtime.coders") + firmware.sources("host.codec"):
        files[p.name] = p.read_text()
    return files


def predict_codes(ffi, lib, codes) -> tuple[np.ndarray, np.ndarray]:
    """(L, log2s_q8) int64 of one channel through spk_pred_host_run, in any module built
    with firmware/host/spk_host_pred.c: row t predicts x[t+1] (as the reference's predict)."""
    x = np.ascontiguousarray(codes, dtype=np.int16)
    L = np.zeros(len(x), np.int32)
    ls = np.zeros(len(x), np.int32)
    lib.spk_pred_host_run(ffi.from_buffer("int16_t[]", x), len(x), ffi.from_buffer("int32_t[]", L),
                          ffi.from_buffer("int32_t[]", ls))
    return L.astype(np.int64), ls.astype(np.int64)


def cdef() -> str:
    return (native.cdef_of(firmware.path("host/spk_host_codec.h"))
            + native.cdef_of(firmware.path("host/spk_host_pred.h")))


class HostCodec:
    """The learned codec of one compiled model, as host C."""

    def __init__(self, model: CompiledModel, sanitize: bool = False):
        """sanitize: UBSan (abort on any undefined behaviour), for the tests."""
        self.module = native.build(codec_files(model.sources), cdef(), GLUE,
                                   include_dirs=firmware.include_dirs("host"), cflags=CFLAGS, ldflags=LDFLAGS,
                                   sanitize=sanitize)
        self.ffi, self.lib = self.module.ffi, self.module.lib
        self.edges = np.ascontiguousarray(model.edges, dtype=np.int32)
        self.family = model.family_id

    def _u32(self, values):
        a = np.ascontiguousarray(values, dtype=np.uint32)
        return a, self.ffi.from_buffer("uint32_t[]", a)

    def predict(self, codes) -> tuple[np.ndarray, np.ndarray]:
        """(L, log2s_q8) int64: row t predicts x[t+1]."""
        return predict_codes(self.ffi, self.lib, codes)

    def _peers(self, peers, n_chan: int):
        """(array, cdata, K) of the peers (n_chan, K) as int16 (-1 = none); K = 0 for None."""
        p = np.zeros((n_chan, 0), np.int64) if peers is None else np.asarray(peers, dtype=np.int64).reshape(n_chan, -1)
        if p.size and (p.min() < -1 or p.max() >= n_chan):
            raise ValueError(f"peers must be channel indices in [0, {n_chan}) or -1")
        a = np.ascontiguousarray(p if p.size else np.zeros(1), dtype=np.int16)
        return a, self.ffi.from_buffer("int16_t[]", a), p.shape[1]

    def encode(self, coder_id: int, channels: list, frame: int, params, peers=None,
               max_error: int = 0, cap: int | None = None) -> tuple[int, bytes]:
        """Code the channels' codes into one payload; returns (status, payload).

        frame 0: per-file (each channel whole); frame > 0: one joint stream, time-major; peers
        (channels, K) int (-1 = none) or None: the MiddleOut peers (ignored without MiddleOut);
        max_error: the near-lossless bound D (0: lossless). cap: the most payload bytes to write (default :func:`encode_capacity`); status
        SPK_ERR_OVERFLOW (1) if the payload would be longer. Runs in bounded chunks."""
        lengths = [len(c) for c in channels]
        cap = encode_capacity(coder_id, sum(lengths), len(channels)) if cap is None else cap
        out = np.zeros(max(cap, 1), np.uint8)
        n, n_p = self._u32(lengths)
        p, p_p = self._u32(params)
        pa, pc, k = self._peers(peers, len(channels))
        fb = self.ffi.from_buffer
        s = self.lib.spk_hx_enc_open(coder_id, len(channels), n_p, frame, p_p, fb("int32_t[]", self.edges),
                                     self.family, max_error, pc, k, fb("uint8_t[]", out), cap)
        if s == self.ffi.NULL:
            raise MemoryError("host codec session")
        try:
            for chunk in _chunks_in(channels, frame):
                x = np.ascontiguousarray(chunk, dtype=np.int16)
                units = len(x) if frame == 0 else len(x) // max(len(channels), 1)
                self.lib.spk_hx_run(s, fb("int16_t[]", x if x.size else np.zeros(1, np.int16)), units)
                if self.lib.spk_hx_status(s) != 0:
                    break
            n_out = self.ffi.new("uint32_t *")
            st = self.lib.spk_hx_finish(s, n_out)
        finally:
            self.lib.spk_hx_close(s)
        return st, out[:n_out[0]].tobytes()

    def encode_stream(self, coder_id: int, n: int, chunks, cap: int) -> tuple[int, np.ndarray]:
        """One channel of ``n`` codes, given as an iterable of code arrays (per-file, frame 0,
        no header parameter), into at most ``cap`` bytes: (status, the payload as a view of
        its buffer). The buffer is zeroed lazily by the OS, so memory follows the payload
        written, not ``cap``."""
        out = np.zeros(max(cap, 1), np.uint8)
        n_p = self._u32([n])[1]
        fb = self.ffi.from_buffer
        s = self.lib.spk_hx_enc_open(coder_id, 1, n_p, 0, self.ffi.NULL, fb("int32_t[]", self.edges), self.family, 0,
                                     self.ffi.NULL, 0, fb("uint8_t[]", out), cap)
        if s == self.ffi.NULL:
            raise MemoryError("host codec session")
        try:
            done = 0
            for chunk in chunks:
                x = np.ascontiguousarray(chunk, dtype=np.int16)
                if x.size:
                    self.lib.spk_hx_run(s, fb("int16_t[]", x), len(x))
                done += len(x)
                if self.lib.spk_hx_status(s) != 0:
                    break
            n_out = self.ffi.new("uint32_t *")
            st = self.lib.spk_hx_finish(s, n_out)
        finally:
            self.lib.spk_hx_close(s)
        if st == 0 and done != n:
            raise ValueError(f"encode_stream was given {done} codes, not {n}")
        return st, out[:n_out[0]]

    def decode_iter(self, coder_id: int, payload: bytes, n: int):
        """One per-file channel of ``n`` codes decoded CHUNK_CODES at a time (a generator of
        int16 arrays); CodecError as soon as the payload is read past its end, or at the end
        if it was not consumed exactly."""
        buf = np.frombuffer(payload, np.uint8) if len(payload) else np.zeros(1, np.uint8)
        n_p = self._u32([n])[1]
        fb = self.ffi.from_buffer
        s = self.lib.spk_hx_dec_open(coder_id, fb("uint8_t[]", buf), len(payload), 1, n_p, 0,
                                     fb("int32_t[]", self.edges), self.family, 0, self.ffi.NULL, 0)
        if s == self.ffi.NULL:
            raise MemoryError("host codec session")
        bad = CodecError("corrupt bitstream: the payload does not decode to the recorded sample counts")
        try:
            for at in range(0, n, CHUNK_CODES):
                x = np.zeros(min(CHUNK_CODES, n - at), np.int16)
                if self.lib.spk_hx_run(s, fb("int16_t[]", x), len(x)) != len(x) or self.lib.spk_hx_status(s):
                    raise bad
                yield x
            if self.lib.spk_hx_finish(s, self.ffi.NULL):
                raise bad
        finally:
            self.lib.spk_hx_close(s)

    def decode(self, coder_id: int, payload: bytes, lengths: list, frame: int, peers=None, max_error: int = 0):
        """(status, [codes per channel]) decoded from the payload (frame, peers and max_error as
        for encode).

        Runs in bounded chunks and stops as soon as the payload is read past its end, so the
        memory it takes follows what the payload holds, not the declared lengths."""
        lengths = [int(m) for m in lengths]
        n, n_p = self._u32(lengths)
        buf = np.frombuffer(payload, np.uint8) if payload else np.zeros(1, np.uint8)
        pa, pc, k = self._peers(peers, len(lengths))
        fb = self.ffi.from_buffer
        s = self.lib.spk_hx_dec_open(coder_id, fb("uint8_t[]", buf), len(payload), len(lengths), n_p, frame,
                                     fb("int32_t[]", self.edges), self.family, max_error, pc, k)
        if s == self.ffi.NULL:
            raise MemoryError("host codec session")
        width = max(len(lengths), 1) if frame else 1
        total = sum(lengths) if frame == 0 else max(lengths, default=0)
        units = max(CHUNK_CODES // width, 1)
        parts, done = [], 0
        try:
            while done < total:
                x = np.zeros(min(units, total - done) * width, np.int16)
                got = self.lib.spk_hx_run(s, fb("int16_t[]", x), min(units, total - done))
                parts.append(x[:got * width])
                done += got
                if self.lib.spk_hx_status(s) != 0 or got == 0:
                    break
            st = self.lib.spk_hx_status(s) or (self.lib.spk_hx_finish(s, self.ffi.NULL) if done == total else 2)
        finally:
            self.lib.spk_hx_close(s)
        if st != 0:
            return st, []
        x = np.concatenate(parts) if parts else np.zeros(0, np.int16)
        if frame == 0:
            return st, np.split(x, np.cumsum(lengths)[:-1]) if lengths else []
        steps = x.reshape(-1, width)
        return st, [steps[:m, i].copy() for i, m in enumerate(lengths)]


def encode_capacity(coder_id: int, n_codes: int, n_chan: int) -> int:
    """The payload bytes an encoder may write: no more than the stored fallback would take
    (2 bytes a code, spikey.stored) plus a little, and within the coder's payload limit
    (spikey.limits.max_payload: a uint32 byte count, 2**29 bytes for the bit coders)."""
    return min(2 * n_codes + 64 * n_chan + 64, limits.max_payload(coder_id))


def _chunks_in(channels: list, frame: int):
    """The codes an encoder session takes, in calls of about CHUNK_CODES codes: frame 0 the
    channels one after another, joint streams time-major (0 where a channel has ended)."""
    if frame == 0:
        for c in channels:
            for at in range(0, len(c), CHUNK_CODES):
                yield c[at:at + CHUNK_CODES]
        return
    width = max(len(channels), 1)
    steps = max((len(c) for c in channels), default=0)
    per = max(CHUNK_CODES // width, 1)
    for t in range(0, steps, per):
        block = np.zeros((min(per, steps - t), width), np.int16)
        for i, c in enumerate(channels):
            part = c[t:t + per]
            block[:len(part), i] = part
        yield block.reshape(-1)
