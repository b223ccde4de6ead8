"""Cross-compile the firmware for a Cortex-M target and run it in QEMU.

    elf = build_elf("cortex-m4")                         # build/cortex-m/cortex-m4-<hash>/hil_baseline.elf
    run = run_hil_baseline(elf, samples, workdir)         # payload + per-frame instruction counts
    res = run_qemu(elf, workdir, timeout=60)              # the raw run: status, exit code, console

Instruction counts come from QEMU's -icount mode (see firmware/hil/hil_main.c for the
arithmetic): QEMU advances the virtual clock by exactly 2**icount_shift ns per guest
instruction and the CMSDK timer ticks every 40 ns, so instructions = ticks * 40 / 2**shift.
The ELF is compiled for one shift; run_qemu refuses another.

QEMU 7.2 writes the semihosting console to its stderr (stdout carries the -nographic serial
and monitor mux, unused here); both are returned.
"""
from __future__ import annotations

import hashlib
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

import numpy as np

from . import toolchain
from .targets import DEFAULT_TARGET, Target, get_target
from .errors import BuildError
from .toolchain import DEFAULT_BUILD_DIR, FIRMWARE

ICOUNT_SHIFT = 8          # 256 ns per instruction: 6.4 timer ticks, exact to well under 1/2
DEFAULT_FRAME = 64        # samples per frame, as the implant would hand them over
OPT = "-O2"
CFLAGS = ("-std=c99", "-Wall", "-Wextra", "-Werror", "-g", "-ffunction-sections", "-fdata-sections",
          "-fno-common")
CODEC_SOURCES = ("src/bitstream.c", "src/adaptive_rice.c", "src/baseline.c")
TARGET_SOURCES = ("targets/cortex-m/startup.c", "targets/cortex-m/semihost.c")
HIL_SOURCES = ("hil/hil_main.c",)
INCLUDE_DIRS = ("include", "src", "targets/cortex-m")
LINKER_TEMPLATE = "targets/cortex-m/cortex-m.ld.in"

FAULT_BASE = 100
FAULT_NAMES = {2: "NMI", 3: "HardFault", 4: "MemManage", 5: "BusFault", 6: "UsageFault"}


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


@dataclass
class QemuResult:
    status: str                      # "ok", "error", "fault" or "timeout"
    returncode: int | None
    console: str                     # semihosting output (QEMU's stderr)
    stdout: str
    fault: str | None = None         # e.g. "BusFault" when status == "fault"
    command: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.console + self.stdout

    def describe(self) -> str:
        tail = "\n".join(self.text.strip().splitlines()[-5:])
        return f"QEMU run {self.status} (exit {self.returncode}): {' '.join(self.command)}\n{tail}"


@dataclass
class HilRun:
    payload: bytes
    frame_insns: np.ndarray          # instructions of each frame's encode call
    frame_samples: np.ndarray        # samples in each frame
    total: dict[str, int]            # the SPIKEY total record
    calib: dict[str, int]            # the SPIKEY calib record
    qemu: QemuResult

    @property
    def samples(self) -> int:
        return int(self.frame_samples.sum())

    @property
    def insns_per_sample(self) -> float:
        return float(self.frame_insns.sum()) / max(self.samples, 1)

    @property
    def worst_frame_insns(self) -> int:
        return int(self.frame_insns.max()) if len(self.frame_insns) else 0


def _hash(parts) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else str(p).encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


def _firmware_files() -> list[Path]:
    return sorted(p for p in FIRMWARE.rglob("*") if p.is_file() and p.suffix in (".c", ".h", ".in", ".S"))


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


def build_elf(target: str | Target = DEFAULT_TARGET, build_dir=None, *, frame: int = DEFAULT_FRAME,
              icount_shift: int = ICOUNT_SHIFT, defines: tuple[str, ...] = (), name: str = "hil_baseline",
              quiet: bool = False, hil_sources: tuple[str, ...] = HIL_SOURCES,
              generated: dict[str, str] | None = None) -> ElfBuild:
    """Cross-compile codec + startup + HIL main into an ELF (cached by a hash of its inputs).

    ``generated`` (file name -> text, e.g. the generated predictor) is written into the
    build directory, its ``.c`` files compiled as the codec objects in place of
    the baseline codec's, and its directory put on the include path."""
    target = get_target(target) if isinstance(target, str) else target
    generated = dict(generated or {})
    gcc = toolchain.arm_gcc()
    if icount_shift < 7:
        raise ValueError("icount_shift must be >= 7 for exact instruction counts (one tick < 1/2 instruction)")
    defines = tuple(defines) + (f"SPK_HIL_FRAME={frame}u", f"SPK_ICOUNT_SHIFT={icount_shift}u") \
        + (("SPK_HIL_QUIET",) if quiet else ())
    cflags = [*target.cpu_flags, OPT, *CFLAGS, *target.c_defines, *(f"-D{d}" for d in defines),
              *(f"-I{FIRMWARE / d}" for d in INCLUDE_DIRS)]
    key = _hash([*(f.relative_to(FIRMWARE).as_posix().encode() + b"\0" + f.read_bytes() for f in _firmware_files()),
                 *(n.encode() + b"\0" + t.encode() for n, t in sorted(generated.items())),
                 repr(target), *cflags, *hil_sources, toolchain.version(gcc)])
    out = Path(build_dir or os.environ.get("SPIKEY_BUILD_DIR") or DEFAULT_BUILD_DIR) / "cortex-m" / f"{target.name}-{key}"
    elf = out / f"{name}.elf"
    gen_dir = out / "gen"
    gen_c = tuple(str(gen_dir / n) for n in sorted(generated) if n.endswith(".c"))
    codec = gen_c if generated else tuple(str(FIRMWARE / s) for s in CODEC_SOURCES)
    codec_objs = [out / (Path(s).stem + ".o") for s in codec]
    if not elf.exists():
        out.mkdir(parents=True, exist_ok=True)
        if generated:
            gen_dir.mkdir(exist_ok=True)
            for n, t in generated.items():
                (gen_dir / n).write_text(t)
            cflags.append(f"-I{gen_dir}")
        objs = []
        for src in codec + tuple(str(FIRMWARE / s) for s in TARGET_SOURCES + hil_sources):
            obj = out / (Path(src).stem + ".o")
            toolchain.run([gcc, *cflags, "-c", src, "-o", str(obj)], f"compiling {Path(src).name} for {target.name}")
            objs.append(obj)
        ld = out / "link.ld"
        ld.write_text(Template((FIRMWARE / LINKER_TEMPLATE).read_text()).substitute(target.linker_values))
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


def run_qemu(elf: ElfBuild | str | os.PathLike, workdir, timeout: float = 60.0, icount_shift: int | None = None,
             *, target: str | Target | None = None, extra_args: tuple[str, ...] = ()) -> QemuResult:
    """Run an ELF in QEMU with semihosting and -icount; never hangs past `timeout` seconds.

    `elf` is an ElfBuild (which knows its target and shift) or a path plus `target`.
    Semihosting file names are relative to `workdir`. `extra_args` go before -kernel
    (codegen/cycles.py adds its -d exec trace options there).
    """
    if isinstance(elf, ElfBuild):
        tgt = elf.target if target is None else (get_target(target) if isinstance(target, str) else target)
        if icount_shift is not None and icount_shift != elf.icount_shift:
            raise BuildError(f"{elf.elf.name} was built for -icount shift={elf.icount_shift}, not {icount_shift}")
        icount_shift, path = elf.icount_shift, elf.elf
    else:
        tgt = get_target(target or DEFAULT_TARGET) if not isinstance(target, Target) else target
        icount_shift, path = (ICOUNT_SHIFT if icount_shift is None else icount_shift), Path(elf)
    cmd = [toolchain.qemu_system_arm(), "-M", tgt.qemu_machine, "-nographic",
           "-semihosting-config", "enable=on,target=native", "-icount", f"shift={icount_shift}",
           *extra_args, "-kernel", str(Path(path).resolve())]
    Path(workdir).mkdir(parents=True, exist_ok=True)
    try:
        proc = subprocess.run(cmd, cwd=workdir, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return QemuResult("timeout", None, _text(e.stderr), _text(e.stdout), command=cmd)
    console, stdout = _text(proc.stderr), _text(proc.stdout)
    rc = proc.returncode
    if rc == 0:
        return QemuResult("ok", rc, console, stdout, command=cmd)
    m = re.search(r"SPIKEY FAULT (\w+)", console)
    if FAULT_BASE <= rc < FAULT_BASE + 100 or m:
        name = m.group(1) if m else FAULT_NAMES.get(rc - FAULT_BASE, f"exception {rc - FAULT_BASE}")
        return QemuResult("fault", rc, console, stdout, fault=name, command=cmd)
    return QemuResult("error", rc, console, stdout, command=cmd)


def _text(b) -> str:
    if b is None:
        return ""
    return b.decode(errors="replace") if isinstance(b, bytes) else b


def _records(console: str, kind: str) -> list[dict[str, int]]:
    recs = []
    for line in console.splitlines():
        if line.startswith(f"SPIKEY {kind} ") or line == f"SPIKEY {kind}":
            recs.append({k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)})
    return recs


def run_hil_baseline(elf: ElfBuild, samples: np.ndarray, workdir, timeout: float = 120.0) -> HilRun:
    """Encode int16 samples on the target; returns the payload and per-frame instruction counts.

    Raises BuildError if the run does not end with status 0 or its output is incomplete.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    np.asarray(samples, dtype="<i2").tofile(workdir / "input.s16")
    payload_path = workdir / "payload.bin"
    if payload_path.exists():
        payload_path.unlink()
    res = run_qemu(elf, workdir, timeout)
    if res.status != "ok":
        raise BuildError(res.describe())
    totals, calib = _records(res.console, "total"), _records(res.console, "calib")
    frames = _records(res.console, "frame")
    if len(totals) != 1 or len(calib) != 1:
        raise BuildError("HIL output is incomplete (no SPIKEY total/calib record):\n" + res.describe())
    total = totals[0]
    if frames:
        ns_per_tick = 10 ** 9 // elf.target.timer_hz
        insns = np.array([round(f["ticks"] * ns_per_tick / 2 ** elf.icount_shift) for f in frames]) - calib[0]["overhead_insns"]
        reported = np.array([f["insns"] for f in frames])
        if not np.array_equal(insns, reported):
            raise BuildError("instruction counts from timer ticks disagree with the firmware's own conversion")
        if int(reported.sum()) != total["insns"] or len(frames) != total["frames"]:
            raise BuildError("per-frame records do not add up to the SPIKEY total record")
    else:
        reported = np.zeros(0, dtype=np.int64)
    return HilRun(payload=payload_path.read_bytes(), frame_insns=reported,
                  frame_samples=np.array([f["n"] for f in frames], dtype=np.int64),
                  total=total, calib=calib[0], qemu=res)
