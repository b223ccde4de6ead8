"""Which kernels each core's generated code uses: one row per core, as data.

The generated Dense layers come in three C variants that compute the same integers
(codegen.ops.dense): "rows" (blocks of 4 rows; its multiply-accumulates are spikey_fixed.h
inlines that are one SMLAD / SMLALD dual MAC where the core has the DSP extension, plain C
where it does not), "mve" (Helium dot products, spikey_mve.h; the predictor's input
quantisation then also runs in Helium, codegen.emit.predictor) and "columns" (the host's
vectors, spikey_vec.h). ``dense`` picks the template's variant; ``features`` names the ACLE
macros the compiler must define for the core (checked against arm-none-eabi-gcc in
tests/test_cores.py), so a table row cannot claim an instruction the build does not emit.

    kernels_for("cortex-m55").dense     # "mve"
"""
from __future__ import annotations

from dataclasses import dataclass

from .targets import TARGETS


@dataclass(frozen=True)
class Kernels:
    dense: str                     # codegen.emit.cgen.generate(kernel=...): "rows" or "mve"
    features: tuple[str, ...]      # ACLE macros the core's compiler flags define
    absent: tuple[str, ...]        # ... and must not define (the plain-C paths are taken)
    isa: str                       # what the Dense MACs compile to, for reports


_PLAIN = Kernels("rows", (), ("__ARM_FEATURE_DSP", "__ARM_FEATURE_MVE"),
                 "plain C multiply-accumulates (no DSP extension): MUL / MLA / SMULL")
_DSP = Kernels("rows", ("__ARM_FEATURE_DSP", "__ARM_FEATURE_SIMD32"), ("__ARM_FEATURE_MVE",),
               "DSP dual MACs: SMLAD / SMLALD on int16 pairs, SXTB16 for int8 weights")
_MVE = Kernels("mve", ("__ARM_FEATURE_DSP", "__ARM_FEATURE_MVE"), (),
               "Helium: VLDRH / VLDRB.S16 and VMLADAVA / VMLALDAVA, 8 MACs per instruction; "
               "the input quantisation 4 lanes at a time")

KERNELS: dict[str, Kernels] = {
    "cortex-m3": _PLAIN,
    "cortex-m4": _DSP,
    "cortex-m7": _DSP,
    "cortex-m33": _DSP,
    "cortex-m55": _MVE,
}


def kernels_for(target: str) -> Kernels:
    if target not in TARGETS:
        raise KeyError(f"unknown target {target!r}; known targets: {', '.join(sorted(TARGETS))}")
    return KERNELS[target]
