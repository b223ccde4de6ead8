"""plan.md, plan.json and plan.png of a plan (codegen/plan/evaluate.py)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from .evaluate import WAYS

SHOWN = ("compression_ratio", "power_cpu_mw", "power_datapath_mw", "latency_cpu_ms", "latency_datapath_ms")


def _v(f: dict, fmt: str = "{:.3g}") -> str:
    if not f or f.get("value") is None:
        return "missing (below)"
    s = fmt.format(f["value"])
    if f.get("range") and None not in f["range"]:
        s += " [" + fmt.format(f["range"][0]) + "-" + fmt.format(f["range"][1]) + "]"
    return s


def _yes(v) -> str:
    return {True: "**fits**", False: "fails", None: "missing"}[v]


def _factor(r: dict, name: str) -> str:
    v = r["verdicts"].get(name)
    if v is not None and v.get("unbounded"):
        return "unbounded"
    if v is None or v["factor"] is None:
        return "missing"
    return f"{v['factor']:.3g}x"


def verdict_lines(plan: dict) -> list[str]:
    """The plan's answer in a few sentences: what fits and the best; else how far the closest misses."""
    lines = []
    if plan["best"]:
        names = sorted({f"{f['name']} ({f['way']})" for f in plan["fits"]})
        lines.append(f"Builds that fit every budget: {', '.join(names)}.")
        lines.append(f"Best: {plan['best']['name']} computed as {plan['best']['way']} (highest compression ratio).")
    else:
        lines.append("No build fits every budget.")
    for way, c in plan["closest"].items():
        if plan["best"]:
            break
        misses = ", ".join(f"{n} {f:.3g}x" for n, f in c["misses"].items())
        lines.append(f"Closest ({way}): {c['name']}, misses {misses}. What would have to change:")
        lines += [f"- {t}" for t in c["changes"]]
    return lines


def table_markdown(plan: dict) -> str:
    """The plan's table (also docs/results.md's plan section)."""
    rows = plan["rows"]
    head = ("| build | mode | frame | fidelity | ratio | power CPU + radio (mW) | power datapath + radio (mW) | "
            "latency CPU / datapath (ms) | link (x budget) | fits (CPU) | fits (datapath) |")
    out = [head, "| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    for r in rows:
        if not r.get("figures"):
            out.append(f"| {r['name']} | {r['mode']} | {r['frame'] or '?'} | {r['fidelity']} | "
                       f"missing ({r['missing']}) | missing | missing | missing | missing | missing | missing |")
            continue
        F = r["figures"]
        out.append(f"| {r['name']} | {r['mode']} | {r['frame']} | {r['fidelity']} | {_v(F['compression_ratio'])} | "
                   f"{_v(F['power_cpu_mw'], '{:,.0f}')} | {_v(F['power_datapath_mw'], '{:.3g}')} | "
                   f"{_v(F['latency_cpu_ms'])} / {_v(F['latency_datapath_ms'])} | {_factor(r, 'link')} | "
                   f"{_yes(r['fits']['cpu'])} | {_yes(r['fits']['datapath'])} |")
    gaps = [(r["name"], k, f["missing"]) for r in rows for k, f in (r.get("figures") or {}).items()
            if f.get("value") is None and k in SHOWN]
    if gaps:
        out += ["", "Missing figures:"] + [f"- {n}: {k}: {why}" for n, k, why in gaps]
    return "\n".join(out) + "\n"


def render_markdown(plan: dict) -> str:
    p, B = plan["profiles"], plan["budget"]
    intro = (f"Budget `{p['budget']}`: power {B['power_mw']['value']:g} mW, latency {B['latency_ms']['value']:g} ms, "
             f"link {B['link_mbps']['value']:g} Mbit/s, {B['channels']['value']:,} channels at "
             f"{B['sample_rate_hz']['value']:,} Hz. Core `{p['core']}` ({p['core_description']}), radio "
             f"`{p['radio']}` ({p['radio_description']}), datapath `{p['datapath']}`.")
    lines = ["# Plan: which builds fit the budget", "", intro, "",
             "## Verdict", "", *verdict_lines(plan), "", "## Builds", "",
             ("Each build's measurements (its folder's measurements.json) re-priced with these profiles; a build "
              "fits when every budget of one way of computing passes: "
              + "; ".join(f"{w}: {', '.join(n)}" for w, n in WAYS.items()) + "."), "", table_markdown(plan).rstrip(),
             "", "## Sources", ""]
    for k, b in B.items():
        lines.append(f"- budget {k}: {b['source']}")
    firsts = {}                     # the first measured row of each mode: its rows share their sources
    for r in plan["rows"]:
        if r.get("figures"):
            firsts.setdefault(r["mode"], r)
    for mode, first in firsts.items():
        for k, f in first["figures"].items():
            if f.get("source"):
                lines.append(f"- {k} (as for {first['name']}, every {mode} row alike): {f['source']}")
    return "\n".join(lines) + "\n"


def render_png(plan: dict, path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5.5))
    B = plan["budget"]
    marks = {"cpu": "s", "datapath": "o"}
    groups: dict = {}                          # (model, mode, D, way) -> [(x, y, frame)]: one label each
    for way in WAYS:
        for r in plan["rows"]:
            F = r.get("figures")
            if not F or F[f"power_{way}_mw"].get("value") is None or F["compression_ratio"].get("value") is None:
                continue
            x, y = F[f"power_{way}_mw"]["value"], F["compression_ratio"]["value"]
            ok = r["fits"][way]
            ax.scatter([x], [y], marker=marks[way], s=50, color="tab:green" if ok else "tab:red",
                       facecolors="tab:green" if ok else "none")
            rng = F[f"power_{way}_mw"].get("range")
            if rng and None not in rng:
                ax.plot(rng, [y, y], color="grey", lw=0.8)
            groups.setdefault((r["model"], r["mode"], r.get("max_error") or 0, way), []).append((x, y, r["frame"]))
    for i, ((model, mode, dmax, way), pts) in enumerate(sorted(groups.items())):
        x, y = min(p[0] for p in pts), pts[0][1]
        frames = ",".join(str(p[2]) for p in sorted(pts, key=lambda p: p[2]))
        what = f"{model} {mode}" + (f" D={dmax}" if dmax else "") if model != mode else mode
        ax.annotate(f"{what}, {way}: frames {frames}", (x, y), fontsize=7, xytext=(0, 8 + 11 * (i % 5)),
                    textcoords="offset points", ha="center", arrowprops={"arrowstyle": "-", "color": "grey", "lw": 0.5})
    ys = [p[1] for pts in groups.values() for p in pts]
    if ys:
        ax.set_ylim(min(ys) / 1.5, max(ys) * 4)     # room above the highest point for its label
    lim = B["power_mw"]["value"]
    ax.axvline(lim, color="black", ls="--", lw=1, label=f"power budget {lim:g} mW")
    need = B["channels"]["value"] * B["sample_rate_hz"]["value"] * 16 / (B["link_mbps"]["value"] * 1e6)
    ax.axhline(need, color="tab:blue", ls=":", lw=1, label=f"ratio the {B['link_mbps']['value']:g} Mbit/s link needs "
                                                            f"({need:.0f}x)")
    ax.scatter([], [], marker="o", color="grey", facecolors="none", label="datapath compute (n1-datapath)")
    ax.scatter([], [], marker="s", color="grey", facecolors="none", label="CPU compute (core profile)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("total power: compute + radio (mW, log; grey: datapath energy range)")
    ax.set_ylabel("compression ratio (log)")
    ax.set_title(f"plan: {plan['profiles']['budget']}, radio {plan['profiles']['radio']} (green filled: fits every "
                 "budget; red: fails)", fontsize=9)
    ax.legend(fontsize=7, loc="center right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_plan(out: Path, plan: dict) -> list[Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "plan.json").write_text(json.dumps(plan, indent=2, allow_nan=False) + "\n")
    (out / "plan.md").write_text(render_markdown(plan))
    written = [out / "plan.json", out / "plan.md"]
    try:
        render_png(plan, out / "plan.png")
        written.append(out / "plan.png")
    except ImportError:
        print("codegen: plan.png not drawn: matplotlib is not installed (pip install 'spikey[plot]')", file=sys.stderr)
    return written
