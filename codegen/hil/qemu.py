"""Run a HIL program in QEMU, and the one result type every HIL run gives.

    res = run_qemu(elf, workdir, timeout=60)      # the raw run: status, exit code, console
    run = hil_run(elf, res, workdir / "payload.bin", ...)   # its records, checked: a HilRun

Instruction counts come from QEMU's -icount mode (firmware/hil/hil_common.h): QEMU
advances the virtual clock by exactly 2**icount_shift ns per guest instruction and the
CMSDK timer ticks every 40 ns, so instructions = ticks * 40 / 2**shift. The ELF is compiled
for one shift; run_qemu refuses another. QEMU 7.2 writes the semihosting console to its
stderr (stdout carries the -nographic serial and monitor mux, unused here); both are kept.

Every HIL program prints the same records (hil_common.h): ``SPIKEY calib`` (the cost of
the timer reads), one ``SPIKEY frame`` per measured encode call (s: stream, j: frame,
c: channel, n: samples, ticks, insns), one ``SPIKEY stream`` per payload (bytes) and one
``SPIKEY total``.
"""
from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import BuildError
from ..target import toolchain
from ..target.elf import ICOUNT_SHIFT, ElfBuild
from ..target.targets import DEFAULT_TARGET, Target, get_target

FAULT_BASE = 100
FAULT_NAMES = {2: "NMI", 3: "HardFault", 4: "MemManage", 5: "BusFault", 6: "UsageFault"}


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
    """One run of a HIL program: its payloads, per-frame instruction counts and records."""
    payloads: list                   # bytes per stream (per-file: one per channel; joint: one)
    frames: np.ndarray               # per measured call: (stream, frame, channel, samples, insns)
    total: dict                      # the SPIKEY total record
    calib: dict                      # the SPIKEY calib record
    qemu: QemuResult
    joint: bool = False

    @property
    def payload(self) -> bytes:
        return b"".join(self.payloads)

    @property
    def frame_insns(self) -> np.ndarray:
        return self.frames[:, 4] if len(self.frames) else np.zeros(0, np.int64)

    @property
    def frame_samples(self) -> np.ndarray:
        return self.frames[:, 3] if len(self.frames) else np.zeros(0, np.int64)

    @property
    def joint_insns(self) -> np.ndarray:
        """Instructions per joint frame (its time steps of every channel); per-file: = frame_insns."""
        if not self.joint or not len(self.frames):
            return self.frame_insns
        return np.bincount(self.frames[:, 1], weights=self.frames[:, 4]).astype(np.int64)

    @property
    def samples(self) -> int:
        return int(self.frame_samples.sum())

    @property
    def insns_per_sample(self) -> float:
        return float(self.frame_insns.sum()) / max(self.samples, 1)

    @property
    def worst_frame_insns(self) -> int:
        return int(self.frame_insns.max()) if len(self.frames) else 0

    def stream(self, s: int) -> "HilRun":
        """The run of stream ``s`` alone (a per-file run's channel s)."""
        return HilRun([self.payloads[s]], self.frames[self.frames[:, 0] == s], self.total, self.calib, self.qemu)


def run_qemu(elf: ElfBuild | str | os.PathLike, workdir, timeout: float = 60.0, icount_shift: int | None = None,
             *, target: str | Target | None = None, extra_args: tuple[str, ...] = ()) -> QemuResult:
    """Run an ELF in QEMU with semihosting and -icount; never hangs past `timeout` seconds.

    `elf` is an ElfBuild (which knows its target and shift) or a path plus `target`.
    Semihosting file names are relative to `workdir`. `extra_args` go before -kernel
    (codegen/measure/cycles.py adds its -d exec trace options there).
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


def records(console: str, kind: str) -> list[dict[str, int]]:
    """The ``SPIKEY <kind> key=value ...`` records of a console, in order."""
    recs = []
    for line in console.splitlines():
        if line.startswith(f"SPIKEY {kind} ") or line == f"SPIKEY {kind}":
            recs.append({k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)})
    return recs


def hil_run(elf: ElfBuild, res: QemuResult, payload_path: Path, *, joint: bool = False,
            streams: int | None = None) -> HilRun:
    """The records of a finished run, checked: one total and one calib record; every
    frame's instruction count equal to its ticks converted here; the frames adding up to
    the total; the stream records (``streams`` of them, when given) adding up to the
    payload file. Raises BuildError (the run's tail quoted) otherwise."""
    if res.status != "ok":
        raise BuildError(res.describe())
    totals, calib = records(res.console, "total"), records(res.console, "calib")
    recs, stream_recs = records(res.console, "frame"), records(res.console, "stream")
    if len(totals) != 1 or len(calib) != 1 or not Path(payload_path).is_file():
        raise BuildError("HIL output is incomplete (no SPIKEY total/calib record or payload file):\n" + res.describe())
    total = totals[0]
    total["insns"] += total.pop("insns_hi", 0) << 32
    frames = np.array([[r.get("s", 0), r.get("j", i), r.get("c", 0), r["n"], r["insns"]] for i, r in enumerate(recs)],
                      dtype=np.int64).reshape(-1, 5)
    if len(frames):
        ticks = np.array([r["ticks"] for r in recs], dtype=np.int64)
        per_insn = elf.target.timer_hz << elf.icount_shift            # ticks per instruction * 1e9
        insns = (ticks * 10 ** 9 + per_insn // 2) // per_insn - calib[0]["overhead_insns"]
        if not np.array_equal(insns, frames[:, 4]):
            raise BuildError("instruction counts from timer ticks disagree with the firmware's own conversion")
        if int(frames[:, 4].sum()) != total["insns"] or len(frames) != total["frames"]:
            raise BuildError("per-frame records do not add up to the SPIKEY total record")
    data = Path(payload_path).read_bytes()
    sizes = [s["bytes"] for s in stream_recs] if stream_recs else [len(data)]
    if sum(sizes) != len(data) or (streams is not None and len(sizes) != streams):
        raise BuildError(f"stream records ({sizes}) do not match {Path(payload_path).name} ({len(data)} bytes)")
    payloads, at = [], 0
    for n in sizes:
        payloads.append(data[at:at + n])
        at += n
    return HilRun(payloads=payloads, frames=frames, total=total, calib=calib[0], qemu=res, joint=joint)
