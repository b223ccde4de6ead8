"""The build report's datapath and radio-range figures: the model's operations per sample
(measurements.json "datapath", codegen/measure/datapath.py) priced by a datapath profile
(``n1-datapath``: Horowitz, ISSCC 2014, 45 nm, scaled to the profile's node), and the
build's bitrate priced by every shipped radio profile.

    F.update(datapath_figures(measurements, F, dp_profile))
    radios = radio_range(F, budget_limit_mw)     # one row per radio profile, and which decides

Energy per operation of width w bits (docs/build-report.md, "Datapath"):
    add / shift / compare  add8 + (add32 - add8) (w - 8) / 24        (linear in the width)
    multiply               mul32 (w / 32)^2                          (quadratic; 0.19 pJ at 8 bits)
    weight / table read    w / 64 x sram_8kb_read64                 (small constant memories)
    state read / write     w / 64 x sram_32kb_read64  [8 KB .. 1 MB] (per-channel state SRAM)
all times the node factor [low .. high]. Range: low = node_low with state in 8 KB banks,
high = node_high with state in one 1 MB SRAM. Dynamic energy only (no leakage).
"""
from __future__ import annotations

from . import profiles
from .profiles import Profile

DEFAULT = "n1-datapath"
KIND_OF = {"add": "alu", "shift": "alu", "cmp": "alu", "mul": "mul", "weight": "const", "table": "const",
           "state_read": "state", "state_write": "state"}


def _split(key: str) -> tuple[str, int]:
    kind = key.rstrip("0123456789")
    return kind, int(key[len(kind):])


def op_energy_pj(p: Profile, key: str, state_mem: str = "sram_32kb_read64_pj") -> float:
    """Energy of one operation ``key`` (e.g. "mul16") at 45 nm, before the node factor."""
    kind, w = _split(key)
    cls = KIND_OF.get(kind)
    if cls == "alu":
        a8, a32 = p.value("add8_pj"), p.value("add32_pj")
        return a8 + (a32 - a8) * (w - 8) / 24
    if cls == "mul":
        return p.value("mul32_pj") * (w / 32) ** 2
    if cls == "const":
        return w / 64 * p.value("sram_8kb_read64_pj")
    if cls == "state":
        return w / 64 * p.value(state_mem)
    raise ValueError(f"unknown operation {key!r}")


def _count(n) -> str:
    """An operation count: whole (1,234) or, for a mean over samples (the event coder), 1,234.5."""
    return f"{n:,}" if float(n).is_integer() else f"{n:,.1f}"


def energy_per_sample(counts: dict, p: Profile) -> dict:
    """pJ per channel and sample: point, low, high, and the point by operation class."""
    def total(state_mem, scale):
        return scale * sum(n * op_energy_pj(p, k, state_mem) for k, n in counts.items())
    by_class: dict[str, float] = {}
    for k, n in counts.items():
        c = KIND_OF[_split(k)[0]]
        by_class[c] = by_class.get(c, 0.0) + p.value("node_energy_scale") * n * op_energy_pj(p, k)
    return {"point": total("sram_32kb_read64_pj", p.value("node_energy_scale")),
            "low": total("sram_8kb_read64_pj", p.value("node_energy_scale_low")),
            "high": total("sram_1mb_read64_pj", p.value("node_energy_scale_high")),
            "by_class": by_class}


def datapath_figures(m: dict, F: dict, _fig, _derive, p: Profile | None = None) -> dict:
    """Report figures: datapath energy per sample, its power for the budget's channels, that
    power plus the radio's, and the datapath's latency; ``_fig`` / ``_derive`` are the
    report's figure makers (codegen/report/report.py)."""
    p = p or profiles.load(DEFAULT, "datapath")
    dp = m.get("datapath")
    src = f"profile: {p.path.name} ({p.description}) x operation counts"
    out = {}
    if not dp or not dp.get("total"):
        out["datapath_energy_pj"] = _fig(None, "pJ", f"derived: {src}",
                                         missing="measurements.json has no datapath operation counts")
    else:
        e = energy_per_sample(dp["total"], p)
        ops = sum(dp["total"].values())
        shares = ", ".join(f"{k} {v / e['point']:.0%}" for k, v in sorted(e["by_class"].items(), key=lambda kv: -kv[1]))
        out["datapath_energy_pj"] = _fig(
            e["point"], "pJ", f"derived: {_count(ops)} operations per channel and sample ({dp['how']}) priced by {src} "
                              f"({p.ref('node_energy_scale')}); by class: {shares}", rng=(e["low"], e["high"]))
    out["datapath_power_mw"] = _derive(
        "mW", "channels x sample_rate_hz x datapath_energy_pj x 1e-9 (+ static_uw / 1000, 0 in n1-datapath)",
        lambda c, f, e: c * f * e * 1e-9 + p.value("static_uw") / 1000,
        ("channels", F["channels"]), ("sample_rate_hz", F["sample_rate_hz"]),
        ("datapath_energy_pj", out["datapath_energy_pj"]))
    out["datapath_total_power_mw"] = _derive(
        "mW", "datapath_power_mw + radio_power_mw", lambda a, b: a + b,
        ("datapath_power_mw", out["datapath_power_mw"]), ("radio_power_mw", F["radio_power_mw"]))
    out["datapath_latency_ms"] = _derive(
        "ms", "frame_ms + 1000 / sample_rate_hz + coder_lag_ms (assumption: the datapath keeps pace with the "
              "samples, each sample's symbol ready one sample period after it arrives)",
        lambda fr, f, lag: fr + 1000 / f + lag, ("frame_ms", F["frame_ms"]), ("sample_rate_hz", F["sample_rate_hz"]),
        ("coder_lag_ms", F["coder_lag_ms"]))
    return out


def radio_profiles() -> list[Profile]:
    """Every shipped radio profile, lowest energy per bit first."""
    rs = [profiles.load(q, "radio") for q in sorted(profiles.PROFILE_DIR.glob("*.json"))
          if profiles.json_kind(q) == "radio"]
    return sorted(rs, key=lambda r: r.value("energy_nj_per_bit"))


def radio_range(F: dict, power_limit_mw: float, link_limit_mbps: float) -> dict:
    """The build's bitrate on every radio profile: its power, whether the link carries it, and
    whether (CPU or datapath) compute + radio fits the power budget; and which radio
    assumption decides the verdict."""
    rate = F["radio_bitrate_mbps"]["value"]
    rows = []
    for r in radio_profiles():
        e, cap = r.value("energy_nj_per_bit"), r.value("link_capacity_mbps")
        power = None if rate is None else rate * e
        row = {"radio": r.path.stem, "description": r.description, "energy_nj_per_bit": e,
               "link_capacity_mbps": cap, "source": r.ref("energy_nj_per_bit"),
               "radio_power_mw": power, "carries": None if rate is None else rate <= cap}
        for which, key in (("cpu", "compute_power_mw"), ("datapath", "datapath_power_mw")):
            c = F.get(key, {}).get("value")
            row[f"fits_{which}"] = None if power is None or c is None else \
                bool(rate <= cap and c + power <= power_limit_mw)
        rows.append(row)
    return {"bitrate_mbps": rate, "power_limit_mw": power_limit_mw, "link_limit_mbps": link_limit_mbps,
            "rows": rows, "decides": decides(rows, F.get("datapath_power_mw", {}).get("value"), power_limit_mw)}


def _why(r: dict) -> str:
    return "link too slow" if not r["carries"] else f"radio {r['radio_power_mw']:.3g} mW"


def decides(rows: list, compute_mw, limit_mw: float) -> str:
    """One sentence: which radio assumption decides the power verdict, datapath compute."""
    if compute_mw is None or not rows or rows[0]["radio_power_mw"] is None:
        return "missing: needs the datapath power and the bitrate"
    if compute_mw > limit_mw:
        return (f"no radio decides it: the datapath alone needs {compute_mw:.3g} mW, more than the "
                f"{limit_mw:g} mW budget")
    fit = [r["radio"] for r in rows if r["fits_datapath"]]
    fail = [f"{r['radio']} ({_why(r)})" for r in rows if not r["fits_datapath"]]
    if not fit:
        return f"every radio profile fails with datapath compute ({compute_mw:.3g} mW): {', '.join(fail)}"
    if not fail:
        return f"the radio does not decide it: datapath + radio fits with every radio profile ({', '.join(fit)})"
    return (f"the radio decides it: with datapath compute ({compute_mw:.3g} mW) power and link fit with "
            f"{', '.join(fit)} and fail with {', '.join(fail)}")


def radio_markdown(radios: dict) -> list[str]:
    """The report's "Radio range" section."""
    def yn(v):
        return "missing" if v is None else ("yes" if v else "no")
    rate = radios["bitrate_mbps"]
    lines = ["## Radio range", "",
             (f"The build's bitrate ({'missing' if rate is None else f'{rate:.3g} Mbit/s'}) on every shipped radio "
              f"profile; fits = the link carries it and compute + radio <= {radios['power_limit_mw']:g} mW. "
              f"Verdict: {radios['decides']}."), "",
             "| radio | nJ/bit | link Mbit/s | radio power | carries | fits (CPU) | fits (datapath) | source |",
             "| --- | ---: | ---: | ---: | --- | --- | --- | --- |"]
    for r in radios["rows"]:
        pw = "missing" if r["radio_power_mw"] is None else f"{r['radio_power_mw']:.3g} mW"
        lines.append(f"| {r['radio']} | {r['energy_nj_per_bit']:g} | {r['link_capacity_mbps']:g} | {pw} | "
                     f"{yn(r['carries'])} | {yn(r['fits_cpu'])} | {yn(r['fits_datapath'])} | "
                     f"{r['source'].replace('|', '/')} |")
    return lines
