"""The event mode priced for the implant: link, radio power, compute, latency, verdicts.

    m = measurements(q, params, rate, data)        # from codegen.build_events' checked runs
    report = write(out, m, core, radio, budget)    # report.{json,md,png}

Every figure is measured (QEMU -icount, the cycle model's trace, the payloads) or comes
from a profile with its source; the derived ones print their formula. The link is the
joint stream of all the budget's channels: each channel's measured event payload rate plus
the joint frame's own overhead (the coder's flush and the frame's byte count, measured as
the joint payload minus the channels' per-file payloads, per frame). Latency: a crossing
in a frame's first sample waits for the frame's other samples, then, with every channel's
samples processed as they arrive (spk_ev_process a sample at a time), each core's channels
finish their last sample and code their frame, and the frame's coder is flushed.
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

from .datapath import datapath_figures
from .profiles import Profile
from .report import (
    _derive,
    _fig,
    _profile,
    _source_text,
    _value_text,
    _verdict,
    render_png,
)

SCHEMA = "spikey-events-measurements/1"
REPORT_SCHEMA = "spikey-events-report/1"

ROWS = [("bits_per_s_per_channel", "event payload per channel (per-file streams, container included)"),
        ("joint_overhead_bits_per_frame", "joint frame overhead (flush + byte count)"),
        ("link_mbps", "radio bitrate for all channels (joint stream)"),
        ("radio_bitrate_mbps", "radio bitrate (same, for the power sum)"),
        ("radio_power_mw", "radio power"),
        ("pipe_insns_per_sample", "instructions/sample: filter + detector + SBP"),
        ("insns_per_sample", "instructions/sample with coding"),
        ("cpi", "cycles per instruction"),
        ("cycles_per_sample", "cycles/sample"),
        ("clock_needed_mhz", "clock for all channels"),
        ("cores_needed", "cores at the maximum clock"),
        ("compute_power_mw", "compute power"),
        ("total_power_mw", "total power"),
        ("datapath_energy_pj", "datapath energy / channel / sample"),
        ("datapath_power_mw", "compute power (datapath)"),
        ("datapath_total_power_mw", "total power (datapath + radio)"),
        ("datapath_latency_ms", "latency (datapath)"),
        ("compression_ratio", "compression ratio (16-bit samples / link bits)"),
        ("worst_sample_insns", "largest one-sample pipeline call"),
        ("worst_code_insns", "largest frame coding call"),
        ("finish_insns", "coder flush"),
        ("latency_ms", "latency: crossing to its joint frame complete"),
        ("lag_ms", "filter lag (compensated in the spike times)"),
        ("state_bytes_per_channel", "state per channel"),
        ("ram_for_channels_bytes", "RAM for all channels"),
        ("flash_bytes", "flash (HIL image)")]


def _m(value, unit, how) -> dict:
    return {"value": value, "unit": unit, "how": how}


def measurements(q: dict, p, rate: int, data: str) -> dict:
    elf, cm, tail = q["elf"], q["cycle_model"], q["tail"]
    how_q = (f"QEMU {elf.target.qemu_machine} -icount shift={elf.icount_shift}, CMSDK timer around each call, "
             f"{len(q['files'])} recordings (QEMU == host C == Python reference)")
    samples = sum(r["samples"] for r in q["files"])
    payload = sum(r["payload_bytes"] for r in q["files"])
    content_bps = 8 * payload * rate / samples       # bits per second of one channel, averaged over the files
    overhead = (q["joint_payload_bytes"] - payload) * 8 / q["joint_frames"]
    lo, pt, hi = cm["cpi"]
    how_c = (f"cycle model (codegen/measure/cycles.py): {cm['traced_instructions']:,} instructions of "
             f"{cm['traced_frames']} traced spk_ev_process frames priced with Cortex-M4 TRM timings")
    figs = {
        "channel_bits_per_s": _m(content_bps, "bit/s", f"per-file event payloads x 8 / seconds ({how_q})"),
        "bits_per_s_per_channel": _m(sum(q["per_file_container_bits_per_s"]) / len(q["per_file_container_bits_per_s"]),
                                     "bit/s", "spikey.events.stream.encode_recordings per file: whole container "
                                              "bytes x 8 / seconds, mean over the recordings"),
        "joint_overhead_bits_per_frame": _m(overhead, "bit", (f"(joint payload - per-file payloads) x 8 / frames, "
                                                              f"{q['joint_channels']} channels, {q['joint_frames']} "
                                                              "frames")),
        "frame_samples": _m(p.frame, "samples", "event parameter frame"),
        "lag_samples": _m(p.lag, "samples", f"the {p.taps}-tap linear-phase filter's delay, (taps - 1) / 2"),
        "pipe_insns_per_sample": _m(q["pipe_insns_per_sample"], "insn", how_q + "; spk_ev_process, a frame per call"),
        "insns_per_sample": _m(q["insns_per_sample"], "insn", how_q + "; spk_ev_process + spk_ev_code"),
        "cpi": {**_m(pt, "cycles/insn", how_c), "range": [lo, hi]},
        "worst_sample_insns": _m(tail["worst_sample"], "insn", "QEMU, one channel fed a sample per call: the "
                                                             "largest spk_ev_process(1 sample) call"),
        "worst_code_insns": _m(tail["worst_code"], "insn", "QEMU, the same run: the largest spk_ev_code call"),
        "finish_insns": _m(tail["finish"], "insn", "QEMU, the same run: spk_rc_enc_finish"),
        "state_bytes_per_channel": _m(q["state_bytes_per_channel"], "B", "sizeof(spk_ev_chan_t) on the target"),
        "stack_bytes": _m(q["encode_stack_bytes"], "B", "painted stack probe around the calls"),
        "flash_bytes": _m(elf.flash, "B", f"arm-none-eabi-size -A {elf.elf.name} (whole HIL image)"),
        "static_ram_bytes": _m(elf.ram - (8 - 1) * q["state_bytes_per_channel"], "B",
                               f"arm-none-eabi-size -A {elf.elf.name}: .data + .bss less 7 of its 8 channel states"),
    }
    return {"schema": SCHEMA, "build": {"name": "events", "target": elf.target.name, "mode": "events"},
            "data": {"description": data}, "figures": figs, "cycle_model": cm}


def _meas(m: dict, key: str) -> dict:
    e = m["figures"][key]
    return _fig(e["value"], e["unit"], f"measured: {e['how']}", rng=e.get("range"))


def make_report(m: dict, core: Profile, radio: Profile, budget: Profile) -> dict:
    F = {k: _meas(m, k) for k in m["figures"]}
    ch, fs = _profile(budget, "channels"), _profile(budget, "sample_rate_hz")
    fmax = _profile(core, "clock_max_mhz")
    F.update(channels=ch, sample_rate_hz=fs, clock_max_mhz=fmax, active_uw_per_mhz=_profile(core, "active_uw_per_mhz"),
             static_uw=_profile(core, "static_uw"), energy_nj_per_bit=_profile(radio, "energy_nj_per_bit"),
             ram_available_bytes=_profile(core, "ram_bytes"), flash_available_bytes=_profile(core, "flash_bytes"))
    F["link_mbps"] = _derive(
        "Mbit/s", "(channels x channel_bits_per_s + sample_rate_hz / frame_samples x joint_overhead_bits_per_frame) "
                  "/ 1e6",
        lambda c, b, f, n, o: (c * b + f / n * o) / 1e6, ("channels", ch),
        ("channel_bits_per_s", F["channel_bits_per_s"]),
        ("sample_rate_hz", fs), ("frame_samples", F["frame_samples"]),
        ("joint_overhead_bits_per_frame", F["joint_overhead_bits_per_frame"]))
    F["radio_bitrate_mbps"] = F["link_mbps"]
    F["radio_power_mw"] = _derive("mW", "link_mbps x energy_nj_per_bit", lambda b, e: b * e,
                                  ("link_mbps", F["link_mbps"]), ("energy_nj_per_bit", F["energy_nj_per_bit"]))
    F["cycles_per_sample"] = _derive("cycles", "insns_per_sample x cpi", lambda i, c: i * c,
                                     ("insns_per_sample", F["insns_per_sample"]), ("cpi", F["cpi"]))
    F["clock_needed_mhz"] = _derive("MHz", "channels x sample_rate_hz x cycles_per_sample / 1e6",
                                    lambda c, f, cps: c * f * cps / 1e6, ("channels", ch), ("sample_rate_hz", fs),
                                    ("cycles_per_sample", F["cycles_per_sample"]))
    F["cores_needed"] = _derive("cores", "ceil(clock_needed_mhz / clock_max_mhz)", lambda a, b: math.ceil(a / b),
                                ("clock_needed_mhz", F["clock_needed_mhz"]), ("clock_max_mhz", fmax))
    F["compute_power_mw"] = _derive(
        "mW", "(active_uw_per_mhz x clock_needed_mhz + static_uw x cores_needed) / 1000",
        lambda u, need, s, n: (u * need + s * n) / 1000.0, ("active_uw_per_mhz", F["active_uw_per_mhz"]),
        ("clock_needed_mhz", F["clock_needed_mhz"]), ("static_uw", F["static_uw"]), ("cores_needed", F["cores_needed"]))
    F["total_power_mw"] = _derive("mW", "compute_power_mw + radio_power_mw", lambda a, b: a + b,
                                  ("compute_power_mw", F["compute_power_mw"]), ("radio_power_mw", F["radio_power_mw"]))
    F["latency_ms"] = _derive(
        "ms", "((frame_samples - 1) / sample_rate_hz + (ceil(channels / cores_needed) x (worst_sample_insns + "
              "worst_code_insns) + finish_insns) x cpi / (clock_max_mhz x 1e6)) x 1000",
        lambda n, f, c, k, ws, wc, fi, cpi, fm: ((n - 1) / f + (math.ceil(c / k) * (ws + wc) + fi) * cpi
                                                 / (fm * 1e6)) * 1e3,
        ("frame_samples", F["frame_samples"]), ("sample_rate_hz", fs), ("channels", ch),
        ("cores_needed", F["cores_needed"]), ("worst_sample_insns", F["worst_sample_insns"]),
        ("worst_code_insns", F["worst_code_insns"]), ("finish_insns", F["finish_insns"]), ("cpi", F["cpi"]),
        ("clock_max_mhz", fmax))
    F["lag_ms"] = _derive("ms", "lag_samples / sample_rate_hz x 1000 (not in the latency: it is subtracted from "
                                "every reported spike time; a spike is detected this long after it happened)",
                          lambda n, f: n / f * 1e3, ("lag_samples", F["lag_samples"]), ("sample_rate_hz", fs))
    F["ram_for_channels_bytes"] = _derive(
        "B", "static_ram_bytes + stack_bytes + channels x state_bytes_per_channel", lambda r, s, c, st: r + s + c * st,
        ("static_ram_bytes", F["static_ram_bytes"]), ("stack_bytes", F["stack_bytes"]), ("channels", ch),
        ("state_bytes_per_channel", F["state_bytes_per_channel"]))
    F["frame_ms"] = _derive("ms", "frame_samples / sample_rate_hz x 1000", lambda n, f: n / f * 1e3,
                            ("frame_samples", F["frame_samples"]), ("sample_rate_hz", fs))
    F["coder_lag_ms"] = _fig(0.0, "ms", "event coder: a frame is coded and flushed when its last sample is filtered "
                                        "(no symbols held back)")
    F["bits_per_sample"] = _derive("bit", "link_mbps x 1e6 / (channels x sample_rate_hz)",
                                   lambda b, c, f: b * 1e6 / (c * f), ("link_mbps", F["link_mbps"]), ("channels", ch),
                                   ("sample_rate_hz", fs))
    F["compression_ratio"] = _derive("x", "16 / bits_per_sample (the PCM16 WAV's bits per sample)",
                                     lambda b: 16 / b, ("bits_per_sample", F["bits_per_sample"]))
    F.update(datapath_figures(m, F, _fig, _derive))
    limits = {k: _profile(budget, k) for k in ("power_mw", "latency_ms", "link_mbps")}
    verdicts = [
        _verdict("power (datapath)", F["datapath_total_power_mw"], limits["power_mw"],
                 "datapath compute + radio power"),
        _verdict("latency (datapath)", F["datapath_latency_ms"], limits["latency_ms"],
                 "crossing to its frame complete, datapath"),
        _verdict("link", F["link_mbps"], limits["link_mbps"], "joint event stream of all channels"),
        _verdict("latency", F["latency_ms"], limits["latency_ms"], "crossing to its joint frame complete"),
        _verdict("power", F["total_power_mw"], limits["power_mw"], "compute + radio power"),
        _verdict("one core", F["clock_needed_mhz"], fmax, "clock for all channels vs max clock"),
        _verdict("flash", F["flash_bytes"], F["flash_available_bytes"], "HIL image vs flash"),
        _verdict("RAM", F["ram_for_channels_bytes"], F["ram_available_bytes"], "RAM for all channels vs RAM"),
    ]
    return {"schema": REPORT_SCHEMA, "build": m["build"], "data": m["data"],
            "profiles": {"core": core.path.name, "radio": radio.path.name, "budget": budget.path.name,
                         "core_description": core.description, "radio_description": radio.description},
            "figures": F, "verdicts": verdicts, "cycle_model": m.get("cycle_model")}


def render_markdown(r: dict) -> str:
    p, F = r["profiles"], r["figures"]
    lines = [f"# Build report: event mode on {r['build'].get('target', '?')}", "",
             (f"Profiles: core `{p['core']}` ({p['core_description']}), radio `{p['radio']}` "
              f"({p['radio_description']}), budget `{p['budget']}`."), f"Measured on {r['data']['description']}.", "",
             "## Verdict", "", "| budget | verdict |", "| --- | --- |"]
    lines += [f"| {v['budget']} ({v['what']}) | {v['text']} |" for v in r["verdicts"]]
    lines += ["", "## Figures", "", "| figure | value [model range] | source |", "| --- | --- | --- |"]
    lines += [f"| {label} | {_value_text(F[k])} | {_source_text(F[k])} |" for k, label in ROWS]
    lines += ["", "## Assumptions", "", "| assumption | value | source |", "| --- | --- | --- |"]
    for k in ("channels", "sample_rate_hz", "clock_max_mhz", "active_uw_per_mhz", "static_uw", "energy_nj_per_bit",
              "ram_available_bytes", "flash_available_bytes"):
        lines.append(f"| {k} | {_value_text(F[k])} | {_source_text(F[k])} |")
    return "\n".join(lines) + "\n"


def write(out, m: dict, core: Profile, radio: Profile, budget: Profile) -> dict:
    out = Path(out)
    r = make_report(m, core, radio, budget)
    (out / "report.json").write_text(json.dumps(r, indent=2) + "\n")
    (out / "report.md").write_text(render_markdown(r))
    try:
        render_png(r, out / "report.png")
    except ImportError:
        print("codegen: report.png not drawn: matplotlib is not installed (pip install 'spikey[plot]')",
              file=sys.stderr)
    return r
