"""Instructions per sample of the baseline firmware, measured in QEMU on real recordings.

Runs the Cortex-M build of the baseline codec (firmware/hil/hil_main.c, frames of 64
samples) in QEMU with -icount on N dev recordings, checks that every payload equals the
Python reference's byte for byte, and writes

    bench/results/baseline-instructions.json    every figure, per file and in total
    bench/results/baseline-instructions.md      the table

Instructions are executed guest instructions of the spk_baseline_encode call (see
firmware/hil/hil_main.c for how the CMSDK timer under -icount counts them). They are not
cycles: a cycle figure needs a cycle model on top (codegen/measure/cycles.py).

    python bench/instructions_baseline.py                  # 5 files, cortex-m4
    python bench/instructions_baseline.py --files 150 --target cortex-m3
"""
from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from codegen.hil.baseline import run_hil_baseline  # noqa: E402
from codegen.target import toolchain  # noqa: E402
from codegen.target.elf import DEFAULT_FRAME, build_elf  # noqa: E402
from codegen.target.targets import DEFAULT_TARGET, TARGETS  # noqa: E402
from spikey import baseline  # noqa: E402
from spikey.codec import encode_recording  # noqa: E402
from spikey.recordings import read_wav, to_codes  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "neuralink-dev"
OUT = REPO / "bench" / "results"
DESIGN_ESTIMATE = 45   # the project's estimate before measuring: integer first difference + adaptive Rice, instructions/sample


def measure(files, target, frame, workdir, progress=True):
    elf = build_elf(target, Path(workdir) / "elf", frame=frame)     # built in the run's temporary folder
    rows = []
    try:
        from tqdm import tqdm
        it = tqdm(files, desc=f"QEMU {target}", unit="file", disable=not progress, file=sys.stderr)
    except ImportError:
        it = files
    for i, path in enumerate(it):
        rec = read_wav(path)
        run = run_hil_baseline(elf, rec.samples, Path(workdir) / str(i))
        ref = baseline.encode_codes(to_codes(rec.samples))
        if run.payload != ref:
            raise SystemExit(f"error: {path.name}: QEMU payload differs from the Python reference")
        wav_bytes = path.stat().st_size
        full = run.frame_samples == frame          # a short final frame would skew per-sample figures
        full = full if full.any() else np.ones_like(full)
        per_sample = run.frame_insns[full] / run.frame_samples[full]
        rows.append({
            "file": path.name, "samples": run.samples, "frames": len(run.frame_insns),
            "insns": int(run.frame_insns.sum()), "insns_per_sample": run.insns_per_sample,
            "worst_frame_insns": run.worst_frame_insns,
            "worst_frame_insns_per_sample": float(per_sample.max()),
            "median_frame_insns": float(np.median(run.frame_insns)),
            "payload_bytes": len(run.payload), "container_bytes": len(encode_recording(rec)),
            "wav_bytes": wav_bytes, "encode_stack": run.total["encode_stack"],
            "stack_max": run.total["stack_max"],
        })
    return elf, rows


def summarize(elf, rows, target, frame):
    samples = sum(r["samples"] for r in rows)
    insns = sum(r["insns"] for r in rows)
    wav = sum(r["wav_bytes"] for r in rows)
    return {
        "target": target, "qemu_machine": TARGETS[target].qemu_machine, "frame": frame,
        "icount_shift": elf.icount_shift, "files": len(rows), "samples": samples,
        "insns_per_sample_mean": insns / samples,
        "worst_frame_insns": max(r["worst_frame_insns"] for r in rows),
        "worst_frame_insns_per_sample": max(r["worst_frame_insns_per_sample"] for r in rows),
        "ratio_container": wav / sum(r["container_bytes"] for r in rows),
        "ratio_payload_only": wav / sum(r["payload_bytes"] for r in rows),
        "design_estimate_insns_per_sample": DESIGN_ESTIMATE,
        "flash_bytes_elf": elf.flash, "ram_bytes_elf": elf.ram, "stack_reserved": elf.stack_reserved,
        "codec_flash_bytes": elf.codec_flash, "codec_ram_bytes": elf.codec_ram,
        "codec_objects": elf.codec_objects,
        "encode_stack_max": max(r["encode_stack"] for r in rows),
        "stack_max": max(r["stack_max"] for r in rows),
    }


def render_md(summary, rows, tools):
    s = summary
    lines = [
        "# Baseline firmware: instructions per sample (QEMU)",
        "",
        f"Target `{s['target']}` (QEMU `{s['qemu_machine']}`), frames of {s['frame']} samples, "
        f"`-icount shift={s['icount_shift']}`; {s['files']} dev recordings, {s['samples']:,} samples; "
        "every payload equal to the Python reference byte for byte.",
        "",
        "| figure | value |",
        "| --- | --- |",
        f"| instructions / sample, mean | {s['insns_per_sample_mean']:.2f} |",
        f"| worst frame, instructions | {s['worst_frame_insns']} |",
        f"| worst full frame, instructions / sample | {s['worst_frame_insns_per_sample']:.2f} |",
        f"| estimate before measuring, instructions / sample | ~{s['design_estimate_insns_per_sample']} |",
        f"| ratio (WAV bytes / container bytes) | {s['ratio_container']:.3f} |",
        f"| ratio (WAV bytes / payload bytes) | {s['ratio_payload_only']:.3f} |",
        f"| codec flash (bitstream + rice + baseline objects) | {s['codec_flash_bytes']} B |",
        f"| codec static RAM | {s['codec_ram_bytes']} B (state is caller-owned: 8 B per channel + 24 B writer) |",
        f"| encode stack (deepest, below the caller) | {s['encode_stack_max']} B |",
        f"| HIL ELF flash / static RAM / max stack | {s['flash_bytes_elf']} B / {s['ram_bytes_elf']} B / {s['stack_max']} B |",
        "",
        "| file | samples | instr/sample | worst frame | worst full frame / sample | ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(f"| {r['file']} | {r['samples']:,} | {r['insns_per_sample']:.2f} | {r['worst_frame_insns']} "
                     f"| {r['worst_frame_insns_per_sample']:.2f} | {r['wav_bytes'] / r['container_bytes']:.3f} |")
    lines += ["", "Instructions are executed guest instructions of `spk_baseline_encode` per frame "
              "(timer-read overhead subtracted), not cycles.", "",
              "Tools: " + "; ".join(tools), ""]
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--files", type=int, default=5, help="number of dev recordings (sorted by name); default 5")
    p.add_argument("--target", default=DEFAULT_TARGET, choices=sorted(TARGETS))
    p.add_argument("--frame", type=int, default=DEFAULT_FRAME, help="samples per frame (default 64)")
    p.add_argument("--data", type=Path, default=DATA, help=f"folder of WAVs (default {DATA})")
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args(argv)

    missing = toolchain.missing_tools()
    if missing:
        raise SystemExit(f"error: {', '.join(missing)} not installed; install with: {toolchain.INSTALL_HINT}")
    files = sorted(args.data.glob("*.wav"))[:args.files]
    if not files:
        raise SystemExit(f"error: no WAV files in {args.data}")
    with tempfile.TemporaryDirectory(prefix="spikey-bench-") as work:
        elf, rows = measure(files, args.target, args.frame, work)
    summary = summarize(elf, rows, args.target, args.frame)
    tools = [toolchain.version(toolchain.arm_gcc()), toolchain.version(toolchain.qemu_system_arm())]
    report = {"summary": summary, "per_file": rows, "tools": tools,
              "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "git": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                                    capture_output=True, text=True).stdout.strip()}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "baseline-instructions.json").write_text(json.dumps(report, indent=2) + "\n")
    md = render_md(summary, rows, tools)
    (args.out / "baseline-instructions.md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
