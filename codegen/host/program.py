"""The native codec program: ``spikey-codec encode IN OUT`` / ``decode IN OUT``, linked by
the host cc from a build's library (include/: spikey.h and the runtime's headers; lib/:
the C API and the runtime), the model's generated C with the host's kernel (the runtime's
own, codegen.compile) in place of the build's src/, and the program's sources (firmware manifest ``native.program``: WAV parsing, the container,
main). No Python at run time; the same bytes as ``spikey encode`` with the range coder,
the stored fallback (codec 7) included (tests/test_native_program.py checks it).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from spikey import firmware

from ..errors import ToolchainMissing
from ..target import toolchain

PROGRAM = "spikey-codec"
# -march=native: the program is built on the machine that runs it, as the cffi module is;
# with the host kernel's AVX2 columns that halves its time.
CFLAGS = ("-std=c99", "-D_POSIX_C_SOURCE=200809L", "-O3", "-march=native", "-flto", "-Wall", "-Wextra", "-Werror")


def host_cc() -> str:
    for name in (os.environ.get("CC") or "", "cc", "gcc"):
        if name and shutil.which(name):
            return shutil.which(name)
    raise ToolchainMissing("no host C compiler (cc or gcc) on PATH; install it with: apt-get install gcc")


SANITIZE = ("-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all")


def build_program(out: Path, host_sources: dict, work: Path, log=print, sanitize: bool = False,
                  name: str = PROGRAM) -> Path:
    """Link ``out/spikey-codec`` from ``out/include`` and ``out/lib``, ``host_sources`` (name
    -> text) and the program's sources, in the library's layout inside ``work`` (spikey.h
    includes ../src/spk_codec.h: there, the host sources); written through a temporary
    name, so a failed link leaves no program. ``sanitize``: with AddressSanitizer and UBSan
    (abort on the first error), for the tests; ``name``: the program's file name."""
    out, work = Path(out), Path(work)
    shutil.copytree(out / "include", work / "include")
    (work / "src").mkdir()
    for file, text in host_sources.items():
        (work / "src" / file).write_text(text)
    sources = [*sorted((work / "src").glob("*.c")), *sorted((out / "lib").glob("*.c")),
               *firmware.sources("native.program")]
    includes = [work / "include", *firmware.include_dirs("native")]
    flags = [*CFLAGS, *(SANITIZE if sanitize else ())]
    tmp = out / f".{name}.tmp"
    log(f"codegen: linking {out / name} (host cc {' '.join(CFLAGS[2:5])})")
    toolchain.run([host_cc(), *flags, *(f"-I{d}" for d in includes), *map(str, sources), "-o", str(tmp)],
                  f"linking {name}")
    os.replace(tmp, out / name)
    return out / name
