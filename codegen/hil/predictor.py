"""The generated predictor's HIL program (firmware/hil/hil_predict.c): run one channel's
predictions on the target, for the check of the cross-compiled predictor against the
Python reference and its state, stack and instruction counts."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import BuildError
from ..target.elf import ElfBuild
from .qemu import hil_run, run_qemu


def run_hil_predict(elf: ElfBuild, codes: np.ndarray, workdir) -> tuple[np.ndarray, np.ndarray, dict]:
    """Run the predictor ELF on one channel's codes: (L, log2s_q8, the SPIKEY total record)."""
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    np.asarray(codes, dtype="<i2").tofile(work / "codes.s16")
    out = work / "pred.bin"
    if out.exists():
        out.unlink()
    run = hil_run(elf, run_qemu(elf, work, timeout=300), out)
    v = np.frombuffer(run.payload, dtype="<i2").astype(np.int64).reshape(-1, 2)
    if len(v) != run.total.get("samples", -1):
        raise BuildError(f"pred.bin holds {len(v)} predictions, the HIL reported {run.total.get('samples')}")
    return v[:, 0], v[:, 1], run.total
