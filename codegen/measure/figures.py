"""Measure a firmware build for the report: memory, stack, instructions, cycles, compression.

    m = measure_baseline_build(out_dir, data_dir)   # writes measurements.json + report.*

Writes `measurements.json` (schema "spikey-measurements/1", docs/build-report.md):

    {"schema": "spikey-measurements/1",
     "build": {name, target, qemu_machine, elf, frame, icount_shift, tools, date},
     "data": {description, files, samples},
     "figures": {<key>: {"value": v, "unit": u, "how": "..."}             measured
                        | {"value": null, "unit": u, "missing": "why"}},  not measured
     "cycle_model": {...codegen.measure.cycles.cycle_model()...} | null}

Keys: flash_bytes, codec_flash_bytes, static_ram_bytes, stack_bytes, state_bytes_per_channel,
insns_per_sample, insns_worst_frame, frame_samples, cpi, cycles_per_sample, cycles_worst_frame,
bits_per_sample, compression_ratio. A learned model's build reuses `measure_elf_build` with its
own ELF, encode function, reference encoder and state type.
"""
from __future__ import annotations

import datetime
import json
import re
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

from spikey import baseline, firmware
from spikey.recordings import to_codes

from ..data import recordings
from ..emit.env import render
from ..errors import BuildError
from ..hil.baseline import run_hil_baseline
from ..report import profiles
from ..report.report import write_report
from ..target import toolchain
from ..target.elf import DEFAULT_FRAME, build_elf, cflags
from ..target.mapfile import linked_bytes
from ..target.targets import get_target
from .cycles import call_graph, disassemble, measure_cycles
from .extra import add_baseline_measurements

TRACE_FRAMES = 8           # frames per traced slice: enough for the mix (scaled by exact -icount totals)


def _m(value, unit, how) -> dict:
    return {"value": value, "unit": unit, "how": how}


def _missing(unit, why) -> dict:
    return {"value": None, "unit": unit, "missing": why}


def static_stack(target, sources=None) -> dict:
    """-fstack-usage of every function in `sources` (C files; default: the baseline's runtime),
    compiled as in build_elf: {function: (bytes, qualifier)}."""
    gcc = toolchain.arm_gcc()
    out = {}
    sources = firmware.sources("runtime.baseline") if sources is None else [Path(s) for s in sources]
    with tempfile.TemporaryDirectory(prefix="spikey-su-") as tmp:
        for src in sources:
            obj = Path(tmp) / (Path(src).stem + ".o")
            toolchain.run([gcc, *cflags(target), "-fstack-usage", "-c", str(src), "-o", str(obj)],
                          f"compiling {src} with -fstack-usage")
            su = obj.with_suffix(".su")
            for line in su.read_text().splitlines():
                loc, size, qual = line.split("\t")
                name = loc.rsplit(":", 1)[-1]
                out[name] = (int(size), qual)
    return out


def sizeof_type(target, header: str, type_name: str) -> int:
    """sizeof(type_name) for the target, read from a compiled probe object (no guessing)."""
    gcc = toolchain.arm_gcc()
    with tempfile.TemporaryDirectory(prefix="spikey-sizeof-") as tmp:
        src = Path(tmp) / "probe.c"
        src.write_text(render("sizeof_probe.c.j2", header=header, type_name=type_name))
        obj = Path(tmp) / "probe.o"
        toolchain.run([gcc, *cflags(target), "-fno-common", "-c", str(src), "-o", str(obj)], f"sizeof({type_name})")
        nm = toolchain.run(["arm-none-eabi-nm", "-S", str(obj)], "arm-none-eabi-nm").stdout
    m = re.search(r"^[0-9a-f]+ ([0-9a-f]+) \w spk_sizeof_probe$", nm, re.M)
    if not m:
        raise BuildError(f"could not read sizeof({type_name}) from the probe object")
    return int(m.group(1), 16)


def measure_elf_build(elf_build, recordings, data_description: str, *, name: str, root: str,
                      reference: Callable[[np.ndarray], bytes] | None, state_header: str, state_type: str,
                      run_hil: Callable = run_hil_baseline, wait_states=(0, 0), trace_frames: int = TRACE_FRAMES,
                      workdir=None) -> dict:
    """Every measurement of one HIL ELF on the given recordings (see the module docstring)."""
    target = elf_build.target
    figs: dict[str, dict] = {}
    frame = elf_build.frame
    rows, slices = [], []
    with tempfile.TemporaryDirectory(prefix="spikey-measure-") as tmp:
        work = Path(workdir or tmp)
        for i, (fname, samples, wav_bytes) in enumerate(recordings):
            run = run_hil(elf_build, samples, work / f"rec{i}")
            verified = None
            if reference is not None:
                verified = run.payload == reference(samples)
                if not verified:
                    raise BuildError(f"{fname}: QEMU payload differs from the Python reference")
            rows.append({"file": fname, "samples": run.samples, "insns": int(run.frame_insns.sum()),
                         "worst_frame_insns": run.worst_frame_insns, "payload_bytes": len(run.payload),
                         "wav_bytes": wav_bytes, "encode_stack": run.total.get("encode_stack"),
                         "stack_max": run.total.get("stack_max"), "verified": verified})
            mid = (len(samples) // 2 // frame) * frame
            slices.append(samples[mid:mid + trace_frames * frame])
        samples_total = sum(r["samples"] for r in rows)
        insns_total = sum(r["insns"] for r in rows)
        n_files = len(rows)
        timer = "SysTick" if target.timer == "systick" else "CMSDK timer"
        how_q = (f"QEMU {target.qemu_machine} -icount shift={elf_build.icount_shift}, {timer} around each "
                 f"{frame}-sample encode call, {n_files} recordings, {samples_total:,} samples")
        figs["insns_per_sample"] = _m(insns_total / samples_total, "insn", how_q + "; total instructions / samples")
        worst = max(r["worst_frame_insns"] for r in rows)
        figs["insns_worst_frame"] = _m(worst, "insn", how_q + "; largest frame")
        figs["frame_samples"] = _m(frame, "samples", "HIL build option SPK_HIL_FRAME")
        payload = sum(r["payload_bytes"] for r in rows)
        check = "payload equal to the Python reference byte for byte" if reference else "payload not cross-checked"
        figs["bits_per_sample"] = _m(8 * payload / samples_total, "bit",
                                     f"firmware payload bytes x 8 / samples over {n_files} recordings ({check})")
        figs["compression_ratio"] = _m(16 * samples_total / (8 * payload), "x",
                                       "16-bit samples / firmware payload bits (data only, challenge rule)")
        try:
            if not trace_frames:
                raise BuildError(f"no cycle model for {target.name}: codegen/measure/cycles.py has Cortex-M4 "
                                 "timings only")
            cm = measure_cycles(elf_build, slices, root=root, wait_states=wait_states, workdir=work / "trace")
        except BuildError as e:
            cm = None
            why = str(e).splitlines()[0] if not trace_frames else f"cycle trace failed: {str(e).splitlines()[0]}"
            for key, unit in (("cpi", "cycles/insn"), ("cycles_per_sample", "cycles"), ("cycles_worst_frame", "cycles")):
                figs[key] = _missing(unit, why)
    if cm is not None:
        lo, pt, hi = cm["cpi"]
        how_c = (f"cycle model (codegen/measure/cycles.py): {cm['traced_instructions']:,} instructions of "
                 f"{cm['traced_frames']} traced frames priced with Cortex-M4 TRM timings, flash wait states "
                 f"{wait_states[0]} (point) / {wait_states[1]} (max) per taken branch")
        figs["cpi"] = {**_m(pt, "cycles/insn", how_c), "range": [lo, hi]}
        ips = figs["insns_per_sample"]["value"]
        figs["cycles_per_sample"] = {**_m(ips * pt, "cycles", how_c + " x measured instructions/sample"),
                                     "range": [ips * lo, ips * hi]}
        figs["cycles_worst_frame"] = {**_m(worst * pt, "cycles", how_c + " x worst-frame instructions; upper bound "
                                           "uses the largest per-frame max CPI"),
                                      "range": [worst * cm["cpi_frame_min"], worst * cm["cpi_frame_max"]]}
    figs["flash_bytes"] = _m(elf_build.flash, "B", f"arm-none-eabi-size -A {elf_build.elf.name}: .isr_vector + "
                             ".text + .ARM.exidx + .data (whole HIL image: codec, startup, semihosting I/O)")
    figs["codec_flash_bytes"] = codec_share(elf_build)
    figs["static_ram_bytes"] = _m(elf_build.ram, "B", f"arm-none-eabi-size -A {elf_build.elf.name}: .data + .bss")
    insns, syms = disassemble(elf_build.elf)
    funcs = call_graph(root, insns, syms)
    try:
        su = static_stack(target)
        static = [su.get(f) for f in funcs]
        painted = max((r["encode_stack"] or 0) for r in rows)
        if all(s is not None and s[1] == "static" for s in static):
            total = sum(s[0] for s in static)
            figs["stack_bytes"] = _m(max(total, painted), "B",
                                     f"-fstack-usage: {' + '.join(f'{f} {s[0]} B' for f, s in zip(funcs, static))} "
                                     f"(static, summed over the call graph: an upper bound); painted-stack probe "
                                     f"in QEMU measured {painted} B")
        else:
            figs["stack_bytes"] = _m(painted, "B", "painted-stack probe in QEMU (deepest over all frames); "
                                     "-fstack-usage not static for every function of the call graph")
    except BuildError as e:
        figs["stack_bytes"] = _missing("B", f"-fstack-usage failed: {str(e).splitlines()[0]}")
    try:
        figs["state_bytes_per_channel"] = _m(sizeof_type(target, state_header, state_type), "B",
                                             f"sizeof({state_type}) compiled for {target.name}")
    except BuildError as e:
        figs["state_bytes_per_channel"] = _missing("B", str(e).splitlines()[0])
    tools = [toolchain.version(toolchain.arm_gcc()), toolchain.version(toolchain.qemu_system_arm())]
    return {
        "schema": "spikey-measurements/1",
        "build": {"name": name, "target": target.name, "qemu_machine": target.qemu_machine,
                  "elf": str(elf_build.elf), "frame": frame, "icount_shift": elf_build.icount_shift,
                  "tools": tools, "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")},
        "data": {"description": data_description, "files": rows, "samples": samples_total},
        "figures": figs,
        "cycle_model": cm,
    }


def measure_baseline_build(build_dir, data_dir, target: str = "cortex-m4", files: int = 3, *, profile="cortex-m4",
                           radio=None, budget=None, write: bool = True, frame: int = DEFAULT_FRAME) -> dict:
    """Build the baseline HIL ELF into build_dir, measure it on the first ``files``
    recordings of ``data_dir`` (synthetic ones without), write measurements.json and the
    report there."""
    core, rad, bud = profiles.load_set(profile, radio, budget)
    build_dir = Path(build_dir)
    elf = build_elf(get_target(target), build_dir / "obj", frame=frame)
    recs = recordings(data_dir, files)
    m = measure_elf_build(elf, list(zip(recs.names, recs.samples, recs.wav_bytes)), recs.description,
                          name="baseline", root="spk_baseline_encode",
                          reference=lambda s: baseline.encode_codes(to_codes(s)),
                          state_header="baseline.h", state_type="spk_baseline_state_t",
                          wait_states=(int(core.value("flash_wait_states")), int(core.value("flash_wait_states_max"))))
    m["build"]["wait_states_profile"] = core.path.name
    add_baseline_measurements(m, [(n, to_codes(x), b) for n, x, b in zip(recs.names, recs.samples, recs.wav_bytes)])
    build_dir.mkdir(parents=True, exist_ok=True)
    (build_dir / "measurements.json").write_text(json.dumps(m, indent=2) + "\n")
    if write:
        write_report(build_dir, m, core, rad, bud)
    return m


def codec_share(elf_build) -> dict:
    """The codec's bytes in the linked image's flash (a part of flash_bytes): its objects'
    input sections that --gc-sections kept, from the linker's map file."""
    objs = sorted(elf_build.codec_objects)
    try:
        sizes = linked_bytes(elf_build.elf.with_suffix(".map"), objs)
    except (OSError, ValueError) as e:
        return {"value": None, "unit": "B", "missing": f"no linker map: {e}"}
    return _m(sum(sizes.values()), "B", f"the codec objects' input sections in the flash of {elf_build.elf.name} "
              "(linker map, after --gc-sections): " + ", ".join(f"{k} {v}" for k, v in sizes.items() if v)
              + f"; their unlinked size (arm-none-eabi-size of the .o) is {elf_build.codec_flash} B")
