"""The build report: power, latency, memory and radio budget of one firmware build.

    report = make_report(measurements, core, radio, budget)   # dict, every figure sourced
    write_report(build_dir, measurements, core, radio, budget) # report.json / report.md / report.png

Inputs: `measurements` (measurements.json, schema "spikey-measurements/1", see
docs/build-report.md), and three profiles (codegen/report/profiles.py): a core, a radio, a budget.

Every figure is {"value", "unit", "source"} where source is one of
    "measured: <how>"                      taken from measurements.json
    "profile: <file>:<key> (<citation>)"   an assumption from a profile
    "derived: <formula>"                   computed from the two above
A missing measurement has value null and "missing": "<why>"; every figure derived from it
is missing too (never 0). Figures that depend on the cycle model also carry
"range": [low, high] (the model's error bars, see codegen/measure/cycles.py).
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

from .datapath import datapath_figures, radio_markdown, radio_range
from .profiles import Profile

SCHEMA = "spikey-measurements/1"
REPORT_SCHEMA = "spikey-report/1"

# (key, label) in the order the report prints them
ROWS = [
    ("flash_bytes", "flash (firmware image)"),
    ("codec_flash_bytes", "flash (codec's share of the image)"),
    ("static_ram_bytes", "static RAM (.data + .bss)"),
    ("stack_bytes", "worst-case stack (encode)"),
    ("state_bytes_per_channel", "state per channel"),
    ("ram_for_channels_bytes", "RAM for all channels"),
    ("insns_per_sample", "instructions / sample (mean)"),
    ("insns_worst_frame", "instructions, worst frame"),
    ("cpi", "cycles / instruction (model)"),
    ("cycles_per_sample", "cycles / sample (mean)"),
    ("cycles_worst_frame", "cycles, worst frame"),
    ("cycles_per_sample_worst", "cycles / sample (worst frame)"),
    ("clock_needed_mhz", "clock for all channels, mean load"),
    ("clock_needed_worst_mhz", "clock for all channels, worst frame"),
    ("clock_max_mhz", "core maximum clock"),
    ("channels_per_core", "channels one core serves at max clock"),
    ("cores_needed", "cores needed"),
    ("compute_power_mw", "compute power (CPU)"),
    ("datapath_energy_pj", "datapath energy / channel / sample"),
    ("datapath_power_mw", "compute power (datapath)"),
    ("bits_per_sample", "compressed bits / sample"),
    ("compression_ratio", "compression ratio (vs 16-bit samples)"),
    ("radio_bitrate_mbps", "radio bitrate"),
    ("radio_power_mw", "radio power"),
    ("total_power_mw", "total power (compute + radio)"),
    ("datapath_total_power_mw", "total power (datapath + radio)"),
    ("frame_ms", "frame duration (buffering)"),
    ("coder_lag_symbols", "range coder lag"),
    ("coder_lag_ms", "range coder lag (joint stream of all channels)"),
    ("latency_ms", "latency per frame"),
    ("datapath_latency_ms", "latency per frame (datapath)"),
]


class Fig(dict):
    """A report figure: a dict with value, unit, source (and range, missing)."""


def _fig(value, unit, source, rng=None, missing=None) -> Fig:
    f = Fig(value=value, unit=unit, source=source)
    if rng is not None:
        f["range"] = [rng[0], rng[1]]
    if value is None:
        f["missing"] = missing or "not measured"
    return f


def _measured(m: dict, key: str, unit: str) -> Fig:
    e = (m.get("figures") or {}).get(key)
    if e is None:
        return _fig(None, unit, f"measured: {key}", missing=f"{key} is not in measurements.json")
    if e.get("value") is None:
        return _fig(None, e.get("unit", unit), f"measured: {key}", missing=e.get("missing") or "not measured")
    return _fig(e["value"], e.get("unit", unit), f"measured: {e.get('how', '?')}", rng=e.get("range"))


def _profile(p: Profile, key: str) -> Fig:
    f = p.figures[key]
    return _fig(f["value"], f["unit"], p.ref(key))


def _derive(unit: str, formula: str, fn, *inputs: tuple[str, Fig]) -> Fig:
    """Apply fn to the inputs' values (and to their range ends, where they have ranges)."""
    missing = [f"{name} ({f.get('missing')})" for name, f in inputs if f["value"] is None]
    if missing:
        return _fig(None, unit, f"derived: {formula}", missing="needs " + "; ".join(missing))
    vals = [f["value"] for _, f in inputs]
    value = fn(*vals)
    rng = None
    if any("range" in f for _, f in inputs):
        lo = fn(*[f.get("range", [f["value"]] * 2)[0] for _, f in inputs])
        hi = fn(*[f.get("range", [f["value"]] * 2)[1] for _, f in inputs])
        rng = [min(lo, hi, value), max(lo, hi, value)]     # corners move together (one CPI range)
    return _fig(value, unit, f"derived: {formula}", rng=rng)


def _verdict(name: str, used: Fig, limit: Fig, what: str) -> dict:
    """'fits: uses 0.31x of 10 mW' / 'fails: needs 183x the 10 mW budget'; missing stays missing."""
    lim = f"{_fmt(limit['value'])} {limit['unit']}"
    if used["value"] is None:
        return {"budget": name, "limit": lim, "used": None, "factor": None, "pass": None,
                "text": f"missing ({used.get('missing')})", "what": what}
    factor = used["value"] / limit["value"]
    ok = factor <= 1.0
    text = (f"fits: uses {factor:.3g}x of {lim}" if ok else f"fails: needs {factor:.3g}x the {lim} budget")
    out = {"budget": name, "limit": lim, "used": used["value"], "unit": used["unit"], "factor": factor,
           "pass": ok, "text": text, "what": what}
    if "range" in used:
        lo, hi = (x / limit["value"] for x in used["range"])
        out["factor_range"] = [lo, hi]
        if (lo <= 1.0) != (hi <= 1.0):
            out["text"] += f" (model range {lo:.3g}x-{hi:.3g}x crosses the limit)"
    return out


def make_report(measurements: dict, profile: Profile, radio: Profile, budget: Profile) -> dict:
    if measurements.get("schema") != SCHEMA:
        raise ValueError(f"measurements schema is {measurements.get('schema')!r}, expected {SCHEMA!r}")
    m = measurements
    F: dict[str, Fig] = {}
    for key, unit in [("flash_bytes", "B"), ("codec_flash_bytes", "B"), ("static_ram_bytes", "B"),
                      ("stack_bytes", "B"), ("state_bytes_per_channel", "B"), ("insns_per_sample", "insn"),
                      ("insns_worst_frame", "insn"), ("frame_samples", "samples"), ("cpi", "cycles/insn"),
                      ("cycles_per_sample", "cycles"), ("cycles_worst_frame", "cycles"),
                      ("bits_per_sample", "bit"), ("compression_ratio", "x"), ("coder_lag_symbols", "symbols")]:
        F[key] = _measured(m, key, unit)
    ch, fs = _profile(budget, "channels"), _profile(budget, "sample_rate_hz")
    fmax = _profile(profile, "clock_max_mhz")
    uw_mhz, static = _profile(profile, "active_uw_per_mhz"), _profile(profile, "static_uw")
    F["channels"], F["sample_rate_hz"], F["clock_max_mhz"] = ch, fs, fmax
    F["active_uw_per_mhz"], F["static_uw"] = uw_mhz, static
    F["energy_nj_per_bit"] = _profile(radio, "energy_nj_per_bit")
    F["link_capacity_mbps"] = _profile(radio, "link_capacity_mbps")
    F["flash_available_bytes"] = _profile(profile, "flash_bytes")
    F["ram_available_bytes"] = _profile(profile, "ram_bytes")

    F["ram_for_channels_bytes"] = _derive(
        "B", "static_ram_bytes + stack_bytes + channels x state_bytes_per_channel",
        lambda r, s, c, st: r + s + c * st, ("static_ram_bytes", F["static_ram_bytes"]),
        ("stack_bytes", F["stack_bytes"]), ("channels", ch), ("state_bytes_per_channel", F["state_bytes_per_channel"]))
    F["cycles_per_sample_worst"] = _derive(
        "cycles", "cycles_worst_frame / frame_samples", lambda c, n: c / n,
        ("cycles_worst_frame", F["cycles_worst_frame"]), ("frame_samples", F["frame_samples"]))
    F["clock_needed_mhz"] = _derive(
        "MHz", "channels x sample_rate_hz x cycles_per_sample / 1e6", lambda c, f, cps: c * f * cps / 1e6,
        ("channels", ch), ("sample_rate_hz", fs), ("cycles_per_sample", F["cycles_per_sample"]))
    F["clock_needed_worst_mhz"] = _derive(
        "MHz", "channels x sample_rate_hz x cycles_per_sample_worst / 1e6", lambda c, f, cps: c * f * cps / 1e6,
        ("channels", ch), ("sample_rate_hz", fs), ("cycles_per_sample_worst", F["cycles_per_sample_worst"]))
    F["channels_per_core"] = _derive(
        "channels", "floor(clock_max_mhz x 1e6 / (sample_rate_hz x cycles_per_sample_worst))",
        lambda fm, f, cps: math.floor(fm * 1e6 / (f * cps)),
        ("clock_max_mhz", fmax), ("sample_rate_hz", fs), ("cycles_per_sample_worst", F["cycles_per_sample_worst"]))
    F["cores_needed"] = _derive(
        "cores", "ceil(channels / channels_per_core)",
        lambda c, per: math.ceil(c / per) if per >= 1 else float("inf"),
        ("channels", ch), ("channels_per_core", F["channels_per_core"]))
    F["compute_power_mw"] = _derive(
        "mW", "(active_uw_per_mhz x clock_needed_mhz + static_uw x cores_needed) / 1000 "
              "(the core sleeps when idle: dynamic power follows the mean cycle rate)",
        lambda u, need, s, n: (u * need + s * n) / 1000.0,
        ("active_uw_per_mhz", uw_mhz), ("clock_needed_mhz", F["clock_needed_mhz"]), ("static_uw", static),
        ("cores_needed", F["cores_needed"]))
    F["radio_bitrate_mbps"] = _derive(
        "Mbit/s", "channels x sample_rate_hz x bits_per_sample / 1e6 (payload only, measured bits per sample)",
        lambda c, f, b: c * f * b / 1e6, ("channels", ch), ("sample_rate_hz", fs),
        ("bits_per_sample", F["bits_per_sample"]))
    F["radio_power_mw"] = _derive(
        "mW", "radio_bitrate_mbps x energy_nj_per_bit (Mbit/s x nJ/bit = mW)", lambda b, e: b * e,
        ("radio_bitrate_mbps", F["radio_bitrate_mbps"]), ("energy_nj_per_bit", F["energy_nj_per_bit"]))
    F["total_power_mw"] = _derive(
        "mW", "compute_power_mw + radio_power_mw", lambda a, b: a + b,
        ("compute_power_mw", F["compute_power_mw"]), ("radio_power_mw", F["radio_power_mw"]))
    F["frame_ms"] = _derive("ms", "frame_samples / sample_rate_hz x 1000", lambda n, f: n / f * 1000,
                            ("frame_samples", F["frame_samples"]), ("sample_rate_hz", fs))
    F["coder_lag_ms"] = _derive(
        "ms", "coder_lag_symbols / (channels x sample_rate_hz) x 1000 (the channels interleaved in one "
              "joint stream: a lag of k symbols is k / channels time steps)",
        lambda k, c, f: k / (c * f) * 1000, ("coder_lag_symbols", F["coder_lag_symbols"]), ("channels", ch),
        ("sample_rate_hz", fs))
    F["latency_ms"] = _derive(
        "ms", "frame_ms + ceil(channels / cores_needed) x cycles_worst_frame / (clock_max_mhz x 1e6) x 1000 "
              "+ coder_lag_ms (a frame is buffered, then each core encodes its channels' frames one after "
              "another at its maximum clock; the coder holds the last symbols' bytes; radio and decoder "
              "time not included)",
        lambda fr, c, n, cyc, fm, lag: (fr + math.ceil(c / n) * cyc / (fm * 1e6) * 1000 + lag)
        if n != float("inf") else float("inf"),
        ("frame_ms", F["frame_ms"]), ("channels", ch), ("cores_needed", F["cores_needed"]),
        ("cycles_worst_frame", F["cycles_worst_frame"]), ("clock_max_mhz", fmax), ("coder_lag_ms", F["coder_lag_ms"]))
    F.update(datapath_figures(m, F, _fig, _derive))

    limits = {k: _profile(budget, k) for k in ("power_mw", "latency_ms", "link_mbps")}
    verdicts = [
        _verdict("power", F["total_power_mw"], limits["power_mw"], "CPU compute + radio power"),
        _verdict("power (datapath)", F["datapath_total_power_mw"], limits["power_mw"], "datapath compute + radio power"),
        _verdict("latency", F["latency_ms"], limits["latency_ms"], "latency per frame"),
        _verdict("latency (datapath)", F["datapath_latency_ms"], limits["latency_ms"], "latency per frame, datapath"),
        _verdict("link", F["radio_bitrate_mbps"], limits["link_mbps"], "radio bitrate"),
        _verdict("one core", F["clock_needed_worst_mhz"], fmax, "clock for all channels (worst frame) vs max clock"),
        _verdict("flash", F["flash_bytes"], F["flash_available_bytes"], "firmware image vs flash"),
        _verdict("RAM", F["ram_for_channels_bytes"], F["ram_available_bytes"], "RAM for all channels vs RAM"),
    ]
    return {
        "schema": REPORT_SCHEMA,
        "build": m.get("build", {}),
        "data": m.get("data", {}),
        "profiles": {"core": str(profile.path.name), "radio": str(radio.path.name), "budget": str(budget.path.name),
                     "core_description": profile.description, "radio_description": radio.description},
        "figures": dict(F),
        "verdicts": verdicts,
        "radios": radio_range(F, limits["power_mw"]["value"], limits["link_mbps"]["value"]),
        "cycle_model": m.get("cycle_model"),
    }


# ---------------------------------------------------------------- rendering

def _fmt(v) -> str:
    if v is None:
        return "missing"
    if isinstance(v, int) or (isinstance(v, float) and v.is_integer() and abs(v) >= 100):
        return f"{int(v):,}"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.3g}"


def _value_text(f: dict) -> str:
    if f["value"] is None:
        return f"missing ({f.get('missing')})"
    s = f"{_fmt(f['value'])} {f['unit']}"
    if "range" in f:
        s += f" [{_fmt(f['range'][0])} to {_fmt(f['range'][1])}]"
    return s


def _source_text(f: dict) -> str:
    return f["source"].replace("|", "/")


def render_markdown(report: dict) -> str:
    b, d, p, F = report["build"], report["data"], report["profiles"], report["figures"]
    lines = [f"# Build report: {b.get('name', '?')} on {b.get('target', '?')}", ""]
    lines.append(f"Profiles: core `{p['core']}` ({p['core_description']}), radio `{p['radio']}` "
                 f"({p['radio_description']}), budget `{p['budget']}`.")
    if d:
        lines.append(f"Measured on {d.get('description', '?')}.")
    lines += ["", "## Verdict", "", "| budget | verdict |", "| --- | --- |"]
    for v in report["verdicts"]:
        lines.append(f"| {v['budget']} ({v['what']}) | {v['text']} |")
    lines += ["", "## Figures", "", "| figure | value [model range] | source |", "| --- | --- | --- |"]
    for key, label in ROWS:
        f = F[key]
        lines.append(f"| {label} | {_value_text(f)} | {_source_text(f)} |")
    lines += ["", "## Assumptions", "", "| assumption | value | source |", "| --- | --- | --- |"]
    for key in ("channels", "sample_rate_hz", "active_uw_per_mhz", "static_uw", "flash_available_bytes",
                "ram_available_bytes", "energy_nj_per_bit", "link_capacity_mbps"):
        f = F[key]
        lines.append(f"| {key} | {_value_text(f)} | {_source_text(f)} |")
    if report.get("radios"):
        lines += ["", *radio_markdown(report["radios"])]
    cm = report.get("cycle_model")
    if cm:
        lines += ["", "## Cycle model", "",
                  f"Executed instruction mix of {cm['traced_instructions']:,} traced instructions "
                  f"({cm['traced_frames']} frames, functions: {', '.join(cm['functions'])}), priced with the "
                  f"Cortex-M4 TRM timings (codegen/measure/cycles.py). CPI {cm['cpi'][1]:.3f} "
                  f"[{cm['cpi'][0]:.3f} to {cm['cpi'][2]:.3f}]; largest per-frame max CPI {cm['cpi_frame_max']:.3f}.",
                  "", "| class | share of instructions | cycles (min / point / max) |", "| --- | ---: | ---: |"]
        for k, v in cm["mix"].items():
            c = v["cycles"]
            lines.append(f"| {k} | {100 * v['share']:.1f} % | {c[0]:,} / {c[1]:,} / {c[2]:,} |")
        if cm.get("unknown"):
            lines.append(f"\nUnclassified instructions (priced 1 / 1 / 3): {cm['unknown']}")
    tools = b.get("tools")
    if tools:
        lines += ["", "Tools: " + "; ".join(tools)]
    return "\n".join(lines) + "\n"


def render_png(report: dict, path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), gridspec_kw={"width_ratios": [1.2, 1]})
    ax = axes[0]
    vs = report["verdicts"]
    names = [f"{v['budget']}\n({v['limit']})" for v in vs]
    for i, v in enumerate(vs):
        if v["factor"] is None:
            ax.barh(i, 1, color="none", edgecolor="grey", hatch="//")
            ax.text(1, i, " missing", va="center", color="grey")
            continue
        color = "tab:green" if v["pass"] else "tab:red"
        ax.barh(i, v["factor"], color=color)
        if "factor_range" in v:
            lo, hi = v["factor_range"]
            ax.plot([lo, hi], [i, i], color="black", lw=1.5)
        ax.text(v["factor"], i, f" {v['factor']:.3g}x", va="center")
    ax.axvline(1.0, color="black", ls="--", lw=1)
    ax.set_xscale("log")
    ax.set_yticks(range(len(vs)), names)
    ax.invert_yaxis()
    ax.set_xlabel("share of budget used (x of limit, log scale; black bar: cycle-model range)")
    ax.set_title(f"{report['build'].get('name', '?')} on {report['profiles']['core']}: budgets")
    ax = axes[1]
    F = report["figures"]
    parts = [("compute", F["compute_power_mw"]), ("radio", F["radio_power_mw"])]
    for i, (name, f) in enumerate(parts):
        if f["value"] is None:
            ax.bar(i, 0)
            ax.text(i, 0, "missing", ha="center", va="bottom", color="grey")
        else:
            ax.bar(i, f["value"], color=["tab:blue", "tab:orange"][i])
            ax.text(i, f["value"], f"{f['value']:.3g} mW", ha="center", va="bottom")
    ax.axhline(_power_limit(report), color="black", ls="--", lw=1, label="power budget")
    ax.set_yscale("log")
    ax.set_xticks(range(len(parts)), [p[0] for p in parts])
    ax.set_ylabel("mW (log scale)")
    ax.set_title("power")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _power_limit(report: dict) -> float:
    for v in report["verdicts"]:
        if v["budget"] == "power":
            return float(v["limit"].split()[0].replace(",", ""))
    return 10.0


def write_report(build_dir, measurements: dict, profile: Profile, radio: Profile, budget: Profile) -> dict:
    build_dir = Path(build_dir)
    build_dir.mkdir(parents=True, exist_ok=True)
    report = make_report(measurements, profile, radio, budget)
    (build_dir / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (build_dir / "report.md").write_text(render_markdown(report))
    try:
        render_png(report, build_dir / "report.png")
    except ImportError:      # matplotlib is the [plot] extra
        print("codegen: report.png not drawn: matplotlib is not installed (pip install 'spikey[plot]')",
              file=sys.stderr)
    return report


def render_compare(a: dict, b: dict) -> str:
    """Two reports side by side (figures and verdicts)."""
    na, nb = (f"{r['build'].get('name', '?')} / {r['profiles']['core']}" for r in (a, b))
    lines = [f"| figure | A: {na} | B: {nb} | B / A |", "| --- | --- | --- | ---: |"]
    for key, label in ROWS:
        fa, fb = a["figures"][key], b["figures"][key]
        ratio = (f"{fb['value'] / fa['value']:.3g}" if fa["value"] not in (None, 0) and fb["value"] is not None
                 else "-")
        lines.append(f"| {label} | {_value_text(fa)} | {_value_text(fb)} | {ratio} |")
    lines += ["", "| budget | A | B |", "| --- | --- | --- |"]
    for va, vb in zip(a["verdicts"], b["verdicts"]):
        lines.append(f"| {va['budget']} | {va['text']} | {vb['text']} |")
    return "\n".join(lines) + "\n"
