"""The event mode's build parameters and their bytes in the container's ``mode params``.

    p = EventParams.for_rate(19531)      # the defaults (docs/bitstream.md, "Event mode")
    raw = p.pack(); EventParams.unpack(raw) == p

Layout (varints, unsigned LEB128), in this order: layout version (1), taps, tap frac,
y frac, band low Hz, band high Hz, threshold (Q8, in units of the running median of |y|),
refractory samples, SBP bin samples, SBP shift, tracker shift, warm-up samples, frame
samples. Every field is checked against the limits below when a stream is read.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar

from ..container import varint as _varint
from ..errors import CodecError
from ..fixed import rdiv, round_real

LAYOUT = 1
MAD_TO_SIGMA = 0.6745            # median |y| of Gaussian noise, in sigma
DEFAULT_THRESHOLD_SIGMA = 4.5
FRAME = 16                       # samples per frame: 0.82 ms at 19,531 Hz (a crossing waits at most 15)


@dataclass(frozen=True)
class EventParams:
    taps: int = 97               # odd FIR length; the lag is (taps - 1) / 2 samples
    tap_frac: int = 15           # taps are int16 q * 2^-tap_frac
    y_frac: int = 4              # filtered samples y are code units * 2^-y_frac
    band_lo: int = 300           # Hz, the band the taps are fitted to (spikey.events.design)
    band_hi: int = 6000
    threshold_q8: int = 1708     # crossing level = threshold_q8 / 256 * median |y| (4.5 sigma)
    refractory: int = 20         # samples after a spike without another
    bin_samples: int = 391       # SBP bin (20 ms at 19,531 Hz)
    sbp_shift: int = 2           # SBP coded as mean |y| >> sbp_shift (units 2^(sbp_shift - y_frac) codes)
    tracker_shift: int = 10      # median tracker step m >> tracker_shift after the warm-up
    warmup: int = 2048           # samples (from the first valid output) with faster steps
    frame: int = FRAME

    LIMITS: ClassVar[dict] = {"taps": (3, 127), "tap_frac": (8, 15), "y_frac": (0, 8), "band_lo": (1, 1 << 20),
              "band_hi": (1, 1 << 20), "threshold_q8": (1, 1 << 14), "refractory": (1, 1 << 16),
              "bin_samples": (1, 1 << 16), "sbp_shift": (0, 12), "tracker_shift": (4, 16),
              "warmup": (0, 1 << 20), "frame": (1, 32)}

    @classmethod
    def for_rate(cls, rate: int, bin_ms: int = 20, threshold_sigma: float = DEFAULT_THRESHOLD_SIGMA,
                 **kw) -> EventParams:
        """The defaults at a sample rate: a bin of ``bin_ms`` ms rounded to whole samples."""
        return cls(bin_samples=max(int(rdiv(rate * bin_ms, 1000)), 1),
                   threshold_q8=round_real(threshold_sigma / MAD_TO_SIGMA * 256), **kw)

    @property
    def lag(self) -> int:
        return (self.taps - 1) // 2

    def check(self) -> EventParams:
        for f in fields(self):
            lo, hi = self.LIMITS[f.name]
            v = getattr(self, f.name)
            if not lo <= v <= hi:
                raise CodecError(f"event parameter {f.name} = {v} outside [{lo}, {hi}]")
        if self.taps % 2 == 0:
            raise CodecError(f"event parameter taps = {self.taps} must be odd")
        if self.band_lo >= self.band_hi:
            raise CodecError("event parameters: band low must be below band high")
        return self

    def pack(self) -> bytes:
        return b"".join(_varint(v) for v in (LAYOUT, *(getattr(self, f.name) for f in fields(self))))

    @classmethod
    def unpack(cls, raw: bytes) -> EventParams:
        values, n, shift = [], 0, 0
        for byte in raw:
            n |= (byte & 0x7F) << shift
            shift += 7
            if shift > 35:
                raise CodecError("corrupt bitstream: oversized event parameter")
            if not byte & 0x80:
                values.append(n)
                n = shift = 0
        names = [f.name for f in fields(cls)]
        if shift or not values or values[0] != LAYOUT:
            raise CodecError("corrupt bitstream: event parameters of an unknown layout")
        if len(values) != len(names) + 1:
            raise CodecError(f"corrupt bitstream: {len(values) - 1} event parameters, expected {len(names)}")
        return cls(**dict(zip(names, values[1:]))).check()
