"""The event mode's part of bench/results.py (``--only events``): measured, then rendered.

    part_events(ctx)      spikey bench --mode events on the default model's 30 validation files
                          -> bench/results/events/bench.{json,md,png}; codegen build --target
                          cortex-m4 --mode events -> bench/results/build-report/events-cortex-m4/
                          (without obj/ and the ELF)
    section()             docs/results.md's "Event mode" section between <!-- results:events -->
                          and <!-- /results:events -->, from those two JSON files alone

The event mode has no trained model; the validation files are used so that every figure of
docs/results.md is on the same recordings.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = REPO / "bench" / "results" / "events"
BUILD_OUT = REPO / "bench" / "results" / "build-report" / "events-cortex-m4"
BEGIN, END = "<!-- results:events -->", "<!-- /results:events -->"


def part_events(ctx) -> None:
    from codegen.build_events import build_events
    from spikey.events import bench as eb

    paths = eb.input_paths(ctx.data, ctx.limit, validation=True)
    ctx.log(f"events: spikey bench --mode events {ctx.data} --validation ({len(paths)} files)")
    rep, plot = eb.measure(paths, log=ctx.log)
    rep["git"] = ctx.git
    eb.write(rep, plot, Path(os.path.relpath(OUT, REPO)))
    out = Path(os.path.relpath(BUILD_OUT, REPO))
    ctx.log(f"events: codegen build --target cortex-m4 --mode events --out {out} --data {ctx.data}")
    build_events("cortex-m4", out, ctx.data, log=ctx.log)
    for name in ("obj", "hil_events.elf"):
        p = out / name
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()


def section() -> str:
    """The section, or nothing when the event results were never measured here."""
    if not (OUT / "bench.json").is_file() or not (BUILD_OUT / "report.json").is_file():
        return ""
    rep = json.loads((OUT / "bench.json").read_text())
    report = json.loads((BUILD_OUT / "report.json").read_text())
    F = report["figures"]
    md = (OUT / "bench.md").read_text().strip()

    def fig(k, fmt):
        f = F.get(k)
        return "missing" if not f or f["value"] is None else format(f["value"], fmt) + f" {f['unit']}"

    lines = [BEGIN, "## Event mode", "",
             f"Measured by `python bench/results.py --only events` (git {rep.get('git', '?')}): "
             "`spikey bench --mode events` on the 30 validation recordings and `codegen build --target "
             "cortex-m4 --mode events` (bench/results/events/, bench/results/build-report/events-cortex-m4/).", "",
             md, "", "![one file: the reference trace, its clear and lenient spikes, the decoded spikes; SBP]"
             "(../bench/results/events/bench.png)", "",
             "On the Cortex-M4 (QEMU, the build report, n1-asic profile for 1024 channels):", "",
             "| figure | value |", "| --- | ---: |",
             f"| instructions/sample, filter + detector + SBP (target <= 200) | {fig('pipe_insns_per_sample', '.1f')} |",
             f"| instructions/sample with coding | {fig('insns_per_sample', '.1f')} |",
             f"| joint link for 1024 channels | {fig('link_mbps', '.3f')} |",
             f"| radio power | {fig('radio_power_mw', '.2f')} |",
             f"| compute power (CPU) | {fig('compute_power_mw', '.1f')} |",
             f"| compute power (datapath, n1-datapath: operation counts x energy per operation) | "
             f"{fig('datapath_power_mw', '.2f')} |",
             f"| total power (datapath + radio) | {fig('datapath_total_power_mw', '.2f')} |",
             f"| latency, crossing to its joint frame complete (target <= 1 ms) | {fig('latency_ms', '.3f')} |",
             f"| state per channel | {fig('state_bytes_per_channel', '.0f')} |", "",
             "| budget | verdict |", "| --- | --- |"]
    lines += [f"| {v['budget']} | {v['text']} |" for v in report["verdicts"]]
    lines += [END, ""]
    return "\n".join(lines)
