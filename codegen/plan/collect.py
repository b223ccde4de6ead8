"""The builds a plan reads: one folder per build under ``BUILDS/`` (build.json + measurements.json).

    entries = collect(builds_dir, models=["default"], frames=(16, 64), data_dir=..., log=print)

The lossless grid (every bundled model and the baseline codec x every frame length) is built
where a folder is missing or unfinished (``codegen build --target cortex-m4 --frame N --out
BUILDS/<model>-lossless-f<N>``; the baseline through codegen.measure.figures.measure_baseline_build,
with a build.json written beside its measurements);
every other finished build in ``BUILDS/`` is read as it is, whatever its mode: a mode's
builds join the plan by being built into that folder (build.json's ``mode`` field, default
lossless). Bundled models are resolved by their path inside the package, never through the
current directory (a folder named like a model in the cwd does not shadow it).
"""
from __future__ import annotations

import json
from pathlib import Path

from spikey.model.files import BUNDLED, bundled_names

from .. import build as codegen_build
from ..measure import figures

BASELINE = "baseline"       # the first difference + adaptive Rice codec: no model, the cheapest mode

FRAMES = (8, 16, 32, 64)
LOSS_FILES = 1          # the quantisation loss is not a plan figure: one file keeps a plan build short


def grid_name(model: str, mode: str, frame: int) -> str:
    return f"{model}-{mode}-f{frame}"


def read_build(d: Path) -> dict:
    """One build folder: {"dir", "build" (build.json), "measurements" or None, "missing" (why)}."""
    entry = {"dir": str(d), "name": d.name, "build": None, "measurements": None, "missing": None}
    try:
        entry["build"] = json.loads((d / "build.json").read_text())
    except (OSError, json.JSONDecodeError) as e:
        entry["missing"] = f"no readable build.json ({type(e).__name__})"
        return entry
    if entry["build"].get("status") != "done":
        entry["missing"] = f"build.json says {entry['build'].get('status')!r}, not done"
        return entry
    try:
        entry["measurements"] = json.loads((d / "measurements.json").read_text())
    except (OSError, json.JSONDecodeError):
        entry["missing"] = ("a host build: not measured" if entry["build"].get("target") == "host"
                            else "no measurements.json")
    return entry


def build_baseline(d: Path, data_dir, frame: int) -> None:
    """The baseline codec's measured build in ``d``: measurements.json, report.*, and a build.json."""
    codegen_build.claim_out(d)
    figures.measure_baseline_build(d, data_dir, frame=frame)
    (d / "build.json").write_text(json.dumps({
        "schema": codegen_build.SCHEMA, "status": "done", "model": BASELINE, "target": "cortex-m4", "mode": "lossless",
        "frame": frame, "outputs": sorted(p.name for p in d.iterdir() if p.name != "build.json")}, indent=2) + "\n")


def collect(builds_dir, models=None, frames=FRAMES, data_dir=None, build_missing: bool = True,
            log=print) -> list[dict]:
    """Every build of ``builds_dir``; the missing ones of the lossless grid built first."""
    builds_dir = Path(builds_dir)
    builds_dir.mkdir(parents=True, exist_ok=True)
    models = list(models) if models else [*bundled_names(), BASELINE]
    grid = [(m, f) for m in models for f in frames]
    for i, (model, frame) in enumerate(grid, 1):
        d = builds_dir / grid_name(model, "lossless", frame)
        e = read_build(d) if d.is_dir() else {"missing": "not built"}
        if e["missing"] is None:
            log(f"codegen plan: [{i}/{len(grid)}] {d.name}: measured build found")
            continue
        if not build_missing:
            log(f"codegen plan: [{i}/{len(grid)}] {d.name}: missing ({e['missing']}), not built (--no-build)")
            continue
        log(f"codegen plan: [{i}/{len(grid)}] {d.name}: building ({e['missing']})")
        if model == BASELINE:
            build_baseline(d, data_dir, frame)
        else:
            codegen_build.build("cortex-m4", BUNDLED / model, d, loss_files=LOSS_FILES, data_dir=data_dir,
                                frame=frame, log=lambda s: log(f"    {s}"))
    entries = []
    for d in sorted(p for p in builds_dir.iterdir() if p.is_dir()):
        entries.append(read_build(d))
    for model, frame in grid:      # a grid build that is still absent is a row that says so
        name = grid_name(model, "lossless", frame)
        if not any(e["name"] == name for e in entries):
            entries.append({"dir": str(builds_dir / name), "name": name, "build": {"model": model, "frame": frame,
                            "mode": "lossless"}, "measurements": None, "missing": "not built"})
    return sorted(entries, key=_order)


def _order(e: dict):
    b = e.get("build") or {}
    return (str(b.get("model", e["name"])), str(b.get("mode", "lossless")), b.get("frame") or 0, e["name"])
