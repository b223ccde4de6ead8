"""`codegen build --mode events`: the event pipeline's C, checked three ways, measured, priced.

    codegen build --target cortex-m4 --mode events [--out DIR] [--data DIR]

Writes into OUT (default ./build/events-<target>/):

    src/               spk_events.{h,c} (generated; built with the runtime's event and range coder)
    build.json         mode "events", the parameters, the filter's proofs, the checks
    hil_events.elf     cortex-m4 only: the pipeline + coder + firmware/hil/hil_events.c
    instructions.json  cortex-m4 only: QEMU == host C == Python reference (per file and joint),
                       instructions/sample (pipeline alone and with coding), worst frame, per-sample tail
    measurements.json, report.{json,md,png}
                       cortex-m4 only: the event mode priced for the budget's channels
                       (codegen/report/events.py)

``host`` compiles the sources with cffi (UBSan) and checks them against the Python
reference on synthetic edge cases and the recordings; ``cortex-m4`` also runs them in QEMU.
"""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np

from spikey.events import pipeline, stream
from spikey.events.params import EventParams
from spikey.model.files import read_meta, resolve
from spikey.recordings import from_samples

from . import build as lossless_build
from .build import OUTPUTS, SCHEMA, _sha, claim_out
from .data import recordings
from .emit.events import check_bounds, generate_events
from .errors import BuildError
from .hil.events import build_events_elf, run_hil_events, run_hil_per_sample
from .host.events import HostEvents
from .measure.cycles import measure_cycles
from .measure.datapath_events import event_ops, measured_rates
from .report import events as events_report
from .report import profiles

FILES = 3
PROFILE = "n1-asic"
FIDELITY = ("spike times + SBP (lossy): QEMU == host C == Python reference; detection quality not measured by the "
            "build (bench/events_results.py: spike F1, SBP r)")
EVENT_OUTPUTS = ("src", "obj", "hil_events.elf", "instructions.json", "measurements.json", "report.json",
                 "report.md", "report.png")


def edge_cases(n: int = 3000) -> dict:
    """Synthetic channels that reach the pipeline's corners (name -> codes)."""
    rng = np.random.default_rng(15)
    t = np.arange(n)
    noise = np.clip(512 + rng.normal(0, 6, n), 0, 1023).astype(np.int64)
    spikes = noise.copy()
    for s in range(100, n - 30, 137):
        spikes[s:s + 8] -= np.array([20, 60, 120, 90, 40, 10, 5, 2])
    return {"constant": np.full(n, 700, np.int64), "zeros": np.zeros(n, np.int64), "full": np.full(n, 1023, np.int64),
            "square": np.where((t // 7) % 2, 1023, 0).astype(np.int64), "noise": noise,
            "spikes": np.clip(spikes, 0, 1023), "one": np.array([5]), "short": noise[:57]}


def host_check(he: HostEvents, p: EventParams, rate: int, chans: list) -> dict:
    h = pipeline.taps_for(p, rate)
    cases = {**edge_cases(), **{f"recording{i}": c for i, c in enumerate(chans)}}
    for name, x in cases.items():
        ev = pipeline.run(x, h, p)
        s, b = he.detect(x)
        if not (np.array_equal(ev.spikes, s) and np.array_equal(ev.sbp, b)):
            raise BuildError(f"{name}: host C events differ from the Python reference")
        if he.encode([x], False) != stream.encode_channels([x], rate, p, False):
            raise BuildError(f"{name}: host C event payload differs from the Python reference")
    joint = list(cases.values())
    if he.encode(joint, True) != stream.encode_channels(joint, rate, p, True):
        raise BuildError("joint event stream: host C differs from the Python reference")
    return {"cases": sorted(cases), "joint_channels": len(joint), "equal": True,
            "how": "host C (cffi, UBSan) == Python reference: spikes, SBP (fed one sample at a time) and payloads"}


def qemu_check(p: EventParams, rate: int, recs, out: Path, target: str, log) -> dict:
    chans = recs.codes
    elf = build_events_elf(p, rate, out / "obj", target)
    log(f"codegen: running {elf.elf.name} in QEMU on {recs.description}")
    with tempfile.TemporaryDirectory(prefix="spikey-events-") as tmp:
        per = run_hil_events(elf, chans, Path(tmp) / "per-file")
        joint = run_hil_events(elf, chans, Path(tmp) / "joint", joint=True)
        again = run_hil_events(elf, chans[:1], Path(tmp) / "again")
        tail_payload, tail = run_hil_per_sample(elf, chans[0], Path(tmp) / "per-sample")
        mids = [x[(len(x) // 2 // p.frame) * p.frame:][:p.frame] for x in chans]
        cm = measure_cycles(elf, mids, root="spk_ev_process", workdir=Path(tmp) / "trace")
    rows = []
    for name, x, wav, pl in zip(recs.names, chans, recs.wav_bytes, per.payloads):
        ref = stream.encode_channels([x], rate, p, False)
        if pl != ref:
            raise BuildError(f"{name}: QEMU event payload differs from the Python reference")
        rows.append({"file": name, "samples": len(x), "payload_bytes": len(pl), "wav_bytes": wav,
                     "three_way_equal": True})
    if joint.payload != stream.encode_channels(chans, rate, p, True):
        raise BuildError("joint event stream: QEMU differs from the Python reference")
    if tail_payload != per.payloads[0]:
        raise BuildError("QEMU fed a sample per call wrote other bytes than fed a frame per call")
    f = per.frames
    a = again.frames
    if not np.array_equal(f[f[:, 0] == 0][:, 4], a[:, 4]):
        raise BuildError("event instruction counts differ between two runs of the same input")
    samples = int(f[:, 3].sum())
    code = f[:, 4] - f[:, 5]
    jf = joint.frames
    shutil.copy2(elf.elf, out / elf.elf.name)
    return {"elf": elf, "files": rows, "cycle_model": cm, "tail": tail,
            "pipe_insns_per_sample": float(f[:, 5].sum() / samples),
            "insns_per_sample": float(f[:, 4].sum() / samples),
            "insns_worst_frame": int(f[:, 4].max()), "code_insns_worst_frame": int(code.max()),
            "joint_insns_per_frame_mean": float(jf[:-1, 4].mean()) if len(jf) > 1 else float(jf[:, 4].mean()),
            "joint_insns_worst_frame": int(jf[:, 4].max()), "joint_channels": len(chans),
            "joint_payload_bytes": len(joint.payload), "joint_frames": len(jf),
            "state_bytes_per_channel": int(per.total["chan_bytes"]),
            "encode_stack_bytes": int(per.total["encode_stack"])}


def build_events(target: str, out_dir=None, data_dir=None, files: int = FILES, log=print) -> dict:
    out = Path(out_dir) if out_dir is not None else Path("build") / f"events-{target}"
    claim_out(out)
    (out / "build.json").write_text(json.dumps({"schema": SCHEMA, "status": "building", "mode": "events",
                                                "outputs": sorted(set(OUTPUTS) | set(EVENT_OUTPUTS))}, indent=2) + "\n")
    meta = read_meta(resolve(None))
    recs = recordings(data_dir, files, meta)
    core, rad, bud = profiles.load_set(PROFILE, None, None)
    rate = int(bud.value("sample_rate_hz"))
    p = EventParams.for_rate(rate).check()
    h = pipeline.taps_for(p, rate)
    bounds = check_bounds(p, h)
    src = generate_events(p, rate)
    (out / "src").mkdir(exist_ok=True)
    for name, text in src.items():
        (out / "src" / name).write_text(text)
    log(f"codegen: event mode, {p.taps}-tap filter (lag {p.lag}), bin {p.bin_samples}, frame {p.frame}; "
        f"wrote {len(src)} sources to {out / 'src'}")
    he = HostEvents(p, rate, sanitize=True)
    info = {"schema": SCHEMA, "status": "done", "mode": "events", "target": target,
            "identity": stream.identity(p, rate).hex(), "sample_rate": rate,
            "params": {k: getattr(p, k) for k in p.__dataclass_fields__}, "mode_params_hex": p.pack().hex(),
            "taps": [int(v) for v in h], "bounds": bounds, "fidelity": FIDELITY, "data": recs.description,
            "sources": {n: _sha(t) for n, t in sorted(src.items())}}
    info["host_check"] = host_check(he, p, rate, recs.codes)
    log(f"codegen: host C == Python reference on {len(info['host_check']['cases'])} channels and a joint stream")
    if target != "host":
        q = qemu_check(p, rate, recs, out, target, log)
        per_file_bits = []
        for name, x in zip(recs.names, recs.samples):
            data = stream.encode_recordings({name: _rec(x, rate)}, joint=False, p=p)
            per_file_bits.append(8 * len(data) / (len(x) / rate))
        q["per_file_container_bits_per_s"] = per_file_bits
        instr = {k: v for k, v in q.items() if k not in ("elf", "cycle_model")}
        instr.update({"schema": "spikey-instructions/1", "mode": "events", "target": target,
                      "data": recs.description, "three_way": {"per_file_streams": len(q["files"]),
                                                              "joint_streams": 1, "equal": True}})
        (out / "instructions.json").write_text(json.dumps(instr, indent=2) + "\n")
        log(f"codegen: QEMU == host C == Python reference ({len(q['files'])} per-file streams, 1 joint); "
            f"{q['pipe_insns_per_sample']:.1f} instructions/sample for filter + detector + SBP, "
            f"{q['insns_per_sample']:.1f} with coding")
        m = events_report.measurements(q, p, rate, recs.description)
        rates = measured_rates([pipeline.run(x, h, p) for x in recs.codes], p)
        m["datapath"] = event_ops(p, h, rates["spikes_per_sample"], rates["sbp_bits_per_bin"], recs.description)
        (out / "measurements.json").write_text(json.dumps(m, indent=2) + "\n")
        rep = events_report.write(out, m, core, rad, bud)
        info["three_way"] = instr["three_way"]
        info["instructions"] = {k: q[k] for k in ("pipe_insns_per_sample", "insns_per_sample", "insns_worst_frame")}
        info["verdicts"] = {v["budget"]: v["text"] for v in rep["verdicts"]}
        log(f"codegen: wrote {out / 'report.md'}: " + "; ".join(f"{k} {v}" for k, v in info["verdicts"].items()))
    info["outputs"] = sorted(p.name for p in out.iterdir() if p.name != "build.json")
    (out / "build.json").write_text(json.dumps(info, indent=2) + "\n")
    log(f"codegen: wrote {out / 'build.json'}")
    return info


def _rec(samples, rate):
    return from_samples(np.asarray(samples, np.int16), rate)


def run(args) -> int:
    """`codegen build`: --mode events here, lossless by codegen.build."""
    if args.mode != "events":
        return lossless_build.run(args)
    if args.model or args.weights != "int16" or args.per_channel or args.loss_files is not None:
        raise BuildError("--mode events takes no --model, --weights, --per-channel or --loss-files")
    build_events(args.target, args.out, args.data)
    return 0
