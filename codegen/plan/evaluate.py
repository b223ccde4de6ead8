"""A plan's verdicts: each build's measurements re-priced with the plan's profiles.

    plan = evaluate(entries, core, radio, budget)
    plan["rows"], plan["fits"], plan["best"], plan["closest"]

A build is judged twice, once per way of computing (codegen/report: the CPU of the core
profile, and the n1-datapath ASIC estimate):
    cpu       power (CPU + radio), latency, link, one core, flash, RAM
    datapath  power (datapath + radio), latency (datapath), link
It fits when every verdict of one way passes; a missing figure is a missing verdict, never
a pass. The best build that fits has the highest compression ratio (then the lowest power).
When none fits, the closest is the one whose worst factor over its budgets is smallest, and
the plan says what would have to change for it to fit.
"""
from __future__ import annotations

import math

from ..report import events as events_report
from ..report.report import SCHEMA as MEASUREMENTS_SCHEMA
from ..report.report import make_report

REPORTS = {MEASUREMENTS_SCHEMA: make_report, events_report.SCHEMA: events_report.make_report}

WAYS = {
    "cpu": ("power", "latency", "link", "one core", "flash", "RAM"),
    "datapath": ("power (datapath)", "latency (datapath)", "link"),
}
POWER = {"cpu": "total_power_mw", "datapath": "datapath_total_power_mw"}
LATENCY = {"cpu": "latency_ms", "datapath": "datapath_latency_ms"}


def _fig(F: dict, key: str) -> dict:
    """A report figure for the plan; an unbounded one (the core cannot keep up with one
    channel: infinitely many cores) is missing, saying so, so that plan.json stays JSON."""
    f = F.get(key) or {"value": None, "missing": f"{key} not in the report"}
    out = {k: f.get(k) for k in ("value", "unit", "source", "range", "missing") if f.get(k) is not None}
    if out.get("value") is not None and math.isinf(out["value"]):
        out["value"] = None
        out["missing"] = "unbounded: one core cannot code one channel's worst frame in real time"
    if "range" in out and any(math.isinf(v) for v in out["range"]):
        out["range_note"] = "the upper end is unbounded"
        out["range"] = [v if not math.isinf(v) else None for v in out["range"]]
    return out


def _finite(v: dict) -> dict:
    """A verdict whose factor is unbounded keeps its failure, with the factor as None and why."""
    v = dict(v)
    for k in ("used", "factor"):
        if isinstance(v.get(k), float) and math.isinf(v[k]):
            v[k] = None
            v["unbounded"] = True
    if "factor_range" in v:
        v["factor_range"] = [None if math.isinf(x) else x for x in v["factor_range"]]
    return v


def fidelity(build: dict, measured: dict | None = None) -> str:
    """What a decoded sample is worth: exact for lossless; a lossy mode states its own (build.json
    "fidelity", e.g. "max error 2 codes"), or the plan says it is missing. ``measured`` (mode ->
    text, e.g. the event benchmark's "spike F1 0.99, SBP r 0.97 (source)") comes first."""
    mode = build.get("mode", "lossless")
    if measured and measured.get(mode):
        return str(measured[mode])
    if build.get("fidelity"):
        return str(build["fidelity"])
    return "exact (lossless)" if mode == "lossless" else "missing (build.json states no fidelity)"


def row(entry: dict, core, radio, budget, measured_fidelity: dict | None = None) -> dict:
    b = entry.get("build") or {}
    r = {"name": entry["name"], "dir": entry["dir"], "model": b.get("model", "events" if b.get("mode") == "events"
                                                                        else "?"),
         "mode": b.get("mode", "lossless"), "max_error": b.get("max_error") or 0, "frame": b.get("frame"),
         "fidelity": fidelity(b, measured_fidelity),
         "missing": entry.get("missing")}
    m = entry.get("measurements")
    if m is None or m.get("schema") not in REPORTS:
        r["missing"] = r["missing"] or f"measurements schema {m.get('schema')!r}"
        r["verdicts"] = {}
        r["fits"] = {w: None for w in WAYS}
        return r
    rep = REPORTS[m["schema"]](m, core, radio, budget)
    F = rep["figures"]
    if r["frame"] is None:
        r["frame"] = F["frame_samples"]["value"]
    r["figures"] = {"compression_ratio": _fig(F, "compression_ratio"), "bits_per_sample": _fig(F, "bits_per_sample"),
                    "radio_bitrate_mbps": _fig(F, "radio_bitrate_mbps"), "radio_power_mw": _fig(F, "radio_power_mw"),
                    **{f"power_{w}_mw": _fig(F, k) for w, k in POWER.items()},
                    **{f"latency_{w}_ms": _fig(F, k) for w, k in LATENCY.items()},
                    "compute_cpu_mw": _fig(F, "compute_power_mw"), "compute_datapath_mw": _fig(F, "datapath_power_mw"),
                    "frame_ms": _fig(F, "frame_ms")}
    by = {v["budget"]: v for v in rep["verdicts"]}
    r["verdicts"] = {n: _finite(v) for n, v in by.items()}
    by = r["verdicts"]
    r["fits"] = {}
    for way, names in WAYS.items():
        vs = [by.get(n) for n in names]
        if any(v is not None and v["pass"] is False for v in vs):
            r["fits"][way] = False
        elif all(v is not None and v["pass"] is True for v in vs):
            r["fits"][way] = True
        else:
            r["fits"][way] = None          # a missing figure: neither a pass nor a fail
    r["worst"] = {}
    for way, names in WAYS.items():
        factors = [by[n]["factor"] for n in names if n in by and by[n]["factor"] is not None]
        r["worst"][way] = max(factors) if len(factors) == len(names) else None
    return r


def _changes(r: dict, way: str, budget) -> list[str]:
    """What would have to change for row r to fit, budget by budget (the failing ones)."""
    out = []
    F = r["figures"]
    for n in WAYS[way]:
        v = r["verdicts"].get(n)
        if not v or v["pass"] is not False:
            continue
        if v.get("factor") is None:
            out.append(f"{n}: {v['text']}")
            continue
        f = v["factor"]
        if n == "link":
            bps = F["bits_per_sample"]["value"]
            ratio = F["compression_ratio"]["value"]
            out.append(f"link: {v['used']:.3g} Mbit/s is {f:.3g}x the {v['limit']}; the bits per sample must fall from "
                       f"{bps:.3g} to {bps / f:.3g} (compression ratio {ratio:.3g} -> {ratio * f:.3g}), or the link "
                       f"must carry {v['used']:.3g} Mbit/s")
        elif n.startswith("power"):
            lim = budget.value("power_mw")
            comp = F[f"compute_{way}_mw"]["value"]
            rad = F["radio_power_mw"]["value"]
            what = [(f"power: {v['used']:.3g} mW is {f:.3g}x the {v['limit']} (compute {comp:.3g} mW + radio "
                     f"{rad:.3g} mW)")]
            if comp < lim:
                what.append(f"the radio must cost at most {lim - comp:.3g} mW "
                            f"({(lim - comp) / F['radio_bitrate_mbps']['value']:.3g} nJ/bit at this bitrate)")
            else:
                what.append(f"compute alone exceeds the budget: it must fall {comp / lim:.3g}x")
            if rad < lim:
                what.append(f"or compute must fall to {lim - rad:.3g} mW with this radio")
            out.append("; ".join(what))
        elif n.startswith("latency"):
            fr = F["frame_ms"]["value"]
            lim = budget.value("latency_ms")
            rest = v["used"] - fr
            need = (lim - rest) / fr * (r["frame"] or 0) if rest < lim else 0
            fix = (f"a frame of at most {int(need)} samples would fit" if need >= 1 else
                   f"compute and coder lag alone take {rest:.3g} ms")
            out.append(f"{n}: {v['used']:.3g} ms is {f:.3g}x the {v['limit']}; {fix}")
        else:
            out.append(f"{n}: {v['text']}")
    return out


def evaluate(entries: list, core, radio, budget, measured_fidelity: dict | None = None) -> dict:
    """``measured_fidelity``: mode -> a measured fidelity text with its source (fidelity())."""
    rows = [row(e, core, radio, budget, measured_fidelity) for e in entries]
    fits = [{"name": r["name"], "way": w} for r in rows for w in WAYS if r["fits"].get(w)]
    best = None
    if fits:
        def key(f):
            r = next(x for x in rows if x["name"] == f["name"])
            return (-(r["figures"]["compression_ratio"]["value"] or 0), r["figures"][f"power_{f['way']}_mw"]["value"])
        best = min(fits, key=key)
    closest = {}
    for way, names in WAYS.items():
        cands = [r for r in rows if r.get("worst", {}).get(way) is not None]
        if cands:
            r = min(cands, key=lambda x: x["worst"][way])
            closest[way] = {"name": r["name"], "worst_factor": r["worst"][way],
                            "misses": {n: r["verdicts"][n]["factor"] for n in names
                                       if r["verdicts"][n]["pass"] is False},
                            "changes": _changes(r, way, budget)}
    return {"schema": "spikey-plan/1",
            "profiles": {"core": core.path.name, "radio": radio.path.name, "budget": budget.path.name,
                         "datapath": "n1-datapath.json", "core_description": core.description,
                         "radio_description": radio.description},
            "budget": {k: {"value": budget.value(k), "unit": budget.figures[k]["unit"], "source": budget.ref(k)}
                       for k in ("power_mw", "latency_ms", "link_mbps", "channels", "sample_rate_hz")},
            "ways": {w: list(n) for w, n in WAYS.items()},
            "rows": rows, "fits": fits, "best": best, "closest": closest}
