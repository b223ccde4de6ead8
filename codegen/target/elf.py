"""Cross-compile the firmware for a Cortex-M target into an ELF (a HIL program, run in
QEMU by codegen.hil).

    elf = build_elf("cortex-m4", out_dir)      # OUT/cortex-m4-<hash>/hil_baseline.elf

The sources come from the firmware manifest (spikey.firmware): the codec (the baseline's
runtime, or a generated model's sources with the runtime's coders), the target's start-up
and semihosting, and the HIL program. Every object is built in a folder of ``out_dir``
keyed by a hash of all its inputs, so an unchanged build is not compiled again.

Instruction counts come from QEMU's -icount mode (firmware/hil/hil_common.h does the
arithmetic): the ELF is compiled for one -icount shift (``SPK_ICOUNT_SHIFT``), and the
runner refuses another.
"""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

from spikey import firmware

from . import toolchain
from .targets import Target, get_target

ICOUNT_SHIFT = 8          # 256 ns per instruction: 6.4 timer ticks, exact to well under 1/2
DEFAULT_FRAME = 64        # samples per frame, as the implant would hand them over
OPT = "-O2"
CFLAGS = ("-std=c99", "-Wall", "-Wextra", "-Werror", "-g", "-ffunction-sections", "-fdata-sections",
          "-fno-common")
TARGET_GROUP = "targets.cortex-m"     # the firmware manifest's entry for every Cortex-M target


@dataclass
class ElfBuild:
    elf: Path
    target: Target
    icount_shift: int
    frame: int
    defines: tuple[str, ...]
    sections: dict[str, int]         # section name -> size in bytes (arm-none-eabi-size -A)
    flash: int                       # vector table + code + constants + .data initialisers
    ram: int                         # .data + .bss (static RAM, stack excluded)
    stack_reserved: int              # .stack reserved by the linker script
    codec_objects: dict[str, dict[str, int]] = field(default_factory=dict)  # per codec .o: text/data/bss

    @property
    def codec_flash(self) -> int:
        return sum(o["text"] + o["data"] for o in self.codec_objects.values())

    @property
    def codec_ram(self) -> int:
        return sum(o["data"] + o["bss"] for o in self.codec_objects.values())


def _hash(parts) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else str(p).encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


def _firmware_files() -> list[Path]:
    """Every file of the firmware a target build can read (its tests and host glue are not)."""
    root = firmware.root()
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".c", ".h", ".in", ".S", ".json")
                  and p.relative_to(root).parts[0] not in ("tests", "host"))


def cflags(target: Target) -> list[str]:
    """The compiler flags of every object of a target build (and of its measurements)."""
    return [*target.cpu_flags, OPT, *CFLAGS, *target.c_defines,
            *(f"-I{d}" for d in firmware.include_dirs(TARGET_GROUP))]


def _size_sections(elf: Path) -> dict[str, int]:
    out = toolchain.run([toolchain.arm_size(), "-A", str(elf)], "arm-none-eabi-size").stdout
    sections = {}
    for line in out.splitlines():
        m = re.match(r"^(\.\S+)\s+(\d+)\s+(\d+)", line)
        if m:
            sections[m.group(1)] = int(m.group(2))
    return sections


def _size_objects(objs: list[Path]) -> dict[str, dict[str, int]]:
    out = toolchain.run([toolchain.arm_size(), *map(str, objs)], "arm-none-eabi-size").stdout
    sizes = {}
    for line in out.splitlines()[1:]:
        text, data, bss, _dec, _hex, name = line.split(None, 5)
        sizes[Path(name).name] = {"text": int(text), "data": int(data), "bss": int(bss)}
    return sizes


def build_elf(target: str | Target, build_dir, *, hil: str | None = "baseline", frame: int = DEFAULT_FRAME,
              icount_shift: int = ICOUNT_SHIFT, defines: tuple[str, ...] = (), name: str | None = None,
              quiet: bool = False, generated: dict[str, str] | None = None) -> ElfBuild:
    """Cross-compile a codec + the target's start-up + the HIL program ``hil`` (the firmware
    manifest's ``hil.<hil>``: baseline, predictor or codec; None: the program's main is one
    of the ``generated`` files) into ``build_dir/<target>-<hash>/`` (reused when every input
    is unchanged).

    The codec is the baseline's runtime (``runtime.baseline``), or, given ``generated``
    (file name -> text: a generated model's sources, with whatever runtime sources it
    needs), those files, written into the build folder and compiled as the codec objects."""
    target = get_target(target) if isinstance(target, str) else target
    name = name or f"hil_{hil or 'program'}"
    generated = dict(generated or {})
    gcc = toolchain.arm_gcc()
    if icount_shift < 7:
        raise ValueError("icount_shift must be >= 7 for exact instruction counts (one tick < 1/2 instruction)")
    defines = tuple(defines) + (f"SPK_HIL_FRAME={frame}u", f"SPK_ICOUNT_SHIFT={icount_shift}u") \
        + (("SPK_HIL_QUIET",) if quiet else ())
    flags = [*cflags(target), *(f"-D{d}" for d in defines)]
    root = firmware.root()
    hil_sources = [str(p) for p in firmware.sources(f"hil.{hil}")] if hil else []
    key = _hash([*(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() for f in _firmware_files()),
                 *(n.encode() + b"\0" + t.encode() for n, t in sorted(generated.items())),
                 repr(target), *flags, str(hil), toolchain.version(gcc)])
    out = Path(build_dir) / f"{target.name}-{key}"
    elf = out / f"{name}.elf"
    gen_dir = out / "gen"
    gen_c = tuple(str(gen_dir / n) for n in sorted(generated) if n.endswith(".c"))
    codec = gen_c if generated else tuple(str(p) for p in firmware.sources("runtime.baseline"))
    codec_objs = [out / (Path(s).stem + ".o") for s in codec]
    if not elf.exists():
        out.mkdir(parents=True, exist_ok=True)
        if generated:
            gen_dir.mkdir(exist_ok=True)
            for n, t in generated.items():
                (gen_dir / n).write_text(t)
            flags.append(f"-I{gen_dir}")
        objs = []
        for src in (*codec, *(str(p) for p in firmware.sources(f"{TARGET_GROUP}.sources")), *hil_sources):
            obj = out / (Path(src).stem + ".o")
            toolchain.run([gcc, *flags, "-c", src, "-o", str(obj)], f"compiling {Path(src).name} for {target.name}")
            objs.append(obj)
        ld = out / "link.ld"
        ld.write_text(Template(firmware.path(firmware.manifest()["targets"]["cortex-m"]["linker_script"]).read_text())
                      .substitute(target.linker_values))
        tmp = out / f".{name}.elf.tmp"
        toolchain.run([gcc, *target.cpu_flags, "-nostartfiles", "--specs=nano.specs", "-T", str(ld),
                       "-Wl,--gc-sections", f"-Wl,-Map={out / (name + '.map')}", *map(str, objs), "-o", str(tmp)],
                      f"linking {name} for {target.name}")
        os.replace(tmp, elf)
    sections = _size_sections(elf)
    flash = sum(sections.get(s, 0) for s in (".isr_vector", ".text", ".ARM.exidx", ".data"))
    ram = sections.get(".data", 0) + sections.get(".bss", 0)
    return ElfBuild(elf=elf, target=target, icount_shift=icount_shift, frame=frame, defines=defines,
                    sections=sections, flash=flash, ram=ram, stack_reserved=sections.get(".stack", 0),
                    codec_objects=_size_objects(codec_objs))


