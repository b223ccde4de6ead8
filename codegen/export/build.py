"""The export step of `codegen build`: the library, its build files and the PlatformIO
project for every target; on the host also the native codec program."""
from __future__ import annotations

import tempfile
from pathlib import Path

from ..compile import compiled_model
from ..host.program import PROGRAM, build_program
from ..reference.predictor import Predictor
from .library import OUTPUTS as LIBRARY_OUTPUTS
from .library import write_library
from .platformio import PROJECT, write_project

# everything the export may write into a build folder (codegen.build.OUTPUTS)
EXPORTS = (*LIBRARY_OUTPUTS, PROJECT, PROGRAM)


def export(out: Path, target: str, pred: Predictor, measured: dict | None = None, log=print) -> dict:
    """Write the exports into ``out`` (after the generated sources in out/src); returns what
    build.json records of them. ``measured``: a Cortex-M build's instructions.json, whose
    instruction counts and stack the header states as the API's cost."""
    out = Path(out)
    write_library(out, pred.name, pred.identity(), pred.meta, cost_of(measured))
    write_project(out, target, pred.name)
    log(f"codegen: wrote the C API ({out / 'include' / 'spikey.h'}), CMakeLists.txt, library.json and "
        f"the PlatformIO project {out / PROJECT}")
    info = {"header": "include/spikey.h", "cmake": "CMakeLists.txt", "platformio_library": "library.json",
            "platformio_project": PROJECT}
    if target == "host":
        # the program runs on this host: the network with the host's kernel (as the runtime's cffi module)
        with tempfile.TemporaryDirectory(prefix="spikey-program-") as tmp:
            build_program(out, compiled_model(pred).sources, Path(tmp), log)
        info["program"] = PROGRAM
    return info


def cost_of(measured: dict | None) -> dict | None:
    """What spikey.h says of its cost, from a Cortex-M build's instructions.json."""
    if not measured:
        return None
    pf = measured["per_file"]
    return {"target": measured["target"], "machine": measured["qemu_machine"], "frame": measured["frame_samples"],
            "data": measured["data"],
            "insns_per_sample": f"{pf['insns_per_sample']:.0f}", "insns_worst_frame": f"{pf['insns_worst_frame']:,}",
            "stack": measured["encode_stack_bytes"], "state": measured["state_bytes_per_channel"]}
