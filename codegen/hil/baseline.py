"""The baseline codec's HIL program (firmware/hil/hil_main.c): encode a recording on the
target, frame by frame, with each frame's instructions counted.

    elf = build_elf("cortex-m4", out_dir)            # hil="baseline"
    run = run_hil_baseline(elf, samples, workdir)     # run.payload, run.frame_insns, ...
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..target.elf import ElfBuild
from .qemu import HilRun, hil_run, run_qemu


def run_hil_baseline(elf: ElfBuild, samples: np.ndarray, workdir, timeout: float = 120.0) -> HilRun:
    """Encode int16 samples on the target; the payload and per-frame instruction counts.
    Raises BuildError if the run does not end with status 0 or its output is incomplete."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    np.asarray(samples, dtype="<i2").tofile(workdir / "input.s16")
    payload = workdir / "payload.bin"
    if payload.exists():
        payload.unlink()
    return hil_run(elf, run_qemu(elf, workdir, timeout), payload, streams=1)
