"""The event mode's C: spk_events.{h,c} from the event parameters and the int16 taps
(templates events.h.j2, events.c.j2); ``compile_sources`` adds the runtime sources it is
built with (the range coder and the event coder of firmware/src). Same parameters, same bytes.

    src = generate_events(params, rate)      # file name -> text: the generated files only
"""
from __future__ import annotations

import numpy as np

from spikey import firmware
from spikey.errors import CodecError
from spikey.events import pipeline, stream
from spikey.events.params import EventParams

from ..errors import BuildError
from .env import render

RUNTIME = "runtime.events"    # the firmware manifest's sources of the event mode


def check_bounds(p: EventParams, h: np.ndarray) -> dict:
    """The proofs the C relies on (spikey.events.pipeline.bounds); BuildError if one fails."""
    try:
        return pipeline.bounds(p.check(), h)
    except CodecError as e:
        raise BuildError(str(e)) from None


def generate_events(p: EventParams, rate: int) -> dict:
    try:
        h = pipeline.taps_for(p.check(), rate)
    except CodecError as e:
        raise BuildError(str(e)) from None
    b = check_bounds(p, h)
    pairs = p.lag
    table = [int(v) for v in h[:pairs + 1]] + [0]
    rows = [", ".join(f"{v}" for v in table[i:i + 12]) for i in range(0, len(table), 12)]
    ctx = {**{k: getattr(p, k) for k in ("taps", "tap_frac", "y_frac", "band_lo", "band_hi", "threshold_q8",
                                         "refractory", "bin_samples", "sbp_shift", "tracker_shift", "warmup",
                                         "frame")},
           "rate": rate, "lag": p.lag, "pairs": pairs, "pair_steps": list(range(0, pairs - 1, 2)),
           "odd_pair": pairs % 2 == 1, "taps_rows": rows, "m0": pipeline.m0(p),
           "max_sbp": p.frame // p.bin_samples + 1, "identity": stream.identity(p, rate).hex(), **b}
    return {"spk_events.h": render("events.h.j2", **ctx), "spk_events.c": render("events.c.j2", **ctx)}


def compile_sources(p: EventParams, rate: int) -> dict:
    """What a build of the event mode compiles: the generated files and the runtime's."""
    return {**generate_events(p, rate), **{src.name: src.read_text() for src in firmware.sources(RUNTIME)}}
