"""The event mode's HIL program (firmware/hil/hil_events.c): the generated pipeline and the
event coder on the target, frame by frame, with each frame's instructions counted.

    elf = build_events_elf(params, rate, build_dir)
    run = run_hil_events(elf, channels, workdir, joint=False)   # run.payloads, run.frames, ...
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from spikey.events.params import EventParams

from ..emit.events import compile_sources
from ..errors import BuildError
from ..target.elf import ElfBuild, build_elf
from .qemu import QemuResult, records, run_qemu

MAGIC = 0x45564B53
MAX_CHANNELS = 8


@dataclass
class EventsRun:
    payloads: list           # bytes per stream (per file: one per channel; joint: one)
    frames: np.ndarray       # per record: (stream, frame, channel, samples, insns, pipe)
    total: dict
    calib: dict
    qemu: QemuResult

    @property
    def payload(self) -> bytes:
        return b"".join(self.payloads)


def build_events_elf(params: EventParams, rate: int, build_dir, target: str = "cortex-m4") -> ElfBuild:
    return build_elf(target, build_dir, hil="events", frame=params.frame, name="hil_events",
                     defines=(f"SPK_HIL_MAX_CHANNELS={MAX_CHANNELS}u",), generated=compile_sources(params, rate))


def write_input(path, channels: list, joint: bool) -> None:
    lengths = [len(c) for c in channels]
    head = struct.pack(f"<III{len(lengths)}I", MAGIC, int(joint), len(channels), *lengths)
    if joint:
        n = max(lengths)
        body = [c[t] for t in range(n) for c in channels if t < len(c)]
    else:
        body = np.concatenate([np.asarray(c, np.int64) for c in channels])
    Path(path).write_bytes(head + np.asarray(body, "<i2").tobytes())


def run_hil_per_sample(elf: ElfBuild, codes, workdir, timeout: float = 300.0) -> tuple[bytes, dict]:
    """One channel fed a sample per call (mode 2): its payload and the total record
    (insns: the pipeline's sum, worst_sample, worst_code: the largest call of each)."""
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    codes = np.asarray(codes, np.int64)
    (work / "input.evt").write_bytes(struct.pack("<IIII", MAGIC, 2, 1, len(codes)) + codes.astype("<i2").tobytes())
    res = run_qemu(elf, work, timeout)
    totals = records(res.console, "total")
    if res.status != "ok" or len(totals) != 1:
        raise BuildError(res.describe())
    return (work / "payload.bin").read_bytes(), totals[0]


def run_hil_events(elf: ElfBuild, channels: list, workdir, *, joint: bool = False, timeout: float = 300.0) -> EventsRun:
    if not 1 <= len(channels) <= MAX_CHANNELS:
        raise BuildError(f"the events HIL program takes 1 to {MAX_CHANNELS} channels, not {len(channels)}")
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    write_input(work / "input.evt", [np.asarray(c, np.int64) for c in channels], joint)
    out = work / "payload.bin"
    if out.exists():
        out.unlink()
    res = run_qemu(elf, work, timeout)
    if res.status != "ok":
        raise BuildError(res.describe())
    totals, calib = records(res.console, "total"), records(res.console, "calib")
    recs, streams = records(res.console, "frame"), records(res.console, "stream")
    if len(totals) != 1 or len(calib) != 1 or not out.is_file():
        raise BuildError("events HIL output is incomplete:\n" + res.describe())
    total = totals[0]
    total["insns"] += total.pop("insns_hi", 0) << 32
    frames = np.array([[r["s"], r["j"], r["c"], r["n"], r["insns"], r["pipe"]] for r in recs], np.int64).reshape(-1, 6)
    data = out.read_bytes()
    sizes = [s["bytes"] for s in streams]
    if sum(sizes) != len(data) or len(sizes) != (1 if joint else len(channels)):
        raise BuildError(f"events HIL stream records {sizes} do not match payload.bin ({len(data)} bytes)")
    if len(frames) != total["frames"] or int(frames[:, 4].sum()) != total["insns"]:
        raise BuildError("events HIL frame records do not add up to its total")
    payloads, at = [], 0
    for n in sizes:
        payloads.append(data[at:at + n])
        at += n
    return EventsRun(payloads, frames, total, calib[0], res)
