"""The builds a plan reads: one folder per build under ``BUILDS/`` (build.json + measurements.json).

    entries = collect(builds_dir, models=["default"], frames=(16, 64), data_dir=..., log=print)

The plan's builds are built where a folder is missing or unfinished:
    lossless       every bundled model and the baseline codec x every frame length
                   (``codegen build --target cortex-m4 --frame N --out BUILDS/<model>-lossless-f<N>``;
                   the baseline through codegen.measure.figures.measure_baseline_build, with a
                   build.json written beside its measurements)
    near-lossless  the default model at D = 1, 2, 4 (NEAR_D) and frames 16, 64 (NEAR_FRAMES):
                   ``codegen build --max-error D --frame N --out BUILDS/default-near-d<D>-f<N>``
    events         the event mode at its own frame (``codegen build --mode events --out
                   BUILDS/events-f<frame>``, codegen/build_events.py)
every other finished build in ``BUILDS/`` is read as it is, whatever its mode (build.json's
``mode`` field, default lossless). Bundled models are resolved by their path inside the package, never through the
current directory (a folder named like a model in the cwd does not shadow it).
"""
from __future__ import annotations

import json
from functools import partial
from pathlib import Path

from spikey.model.files import BUNDLED, bundled_names

from spikey.events.params import FRAME as EVENT_FRAME

from .. import build as codegen_build
from .. import build_events
from ..measure import figures

BASELINE = "baseline"       # the first difference + adaptive Rice codec: no model, the cheapest mode

FRAMES = (8, 16, 32, 64)
MODES = ("lossless", "near-lossless", "events")
NEAR_MODEL = "default"
NEAR_D = (1, 2, 4)
NEAR_FRAMES = (16, 64)
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


def _learned(d: Path, model: str, frame: int, max_error: int, data_dir, log) -> None:
    codegen_build.build("cortex-m4", BUNDLED / model, d, loss_files=LOSS_FILES, data_dir=data_dir, frame=frame,
                        max_error=max_error, log=lambda s: log(f"    {s}"))


def _events(d: Path, data_dir, log) -> None:
    build_events.build_events("cortex-m4", d, data_dir, log=lambda s: log(f"    {s}"))


def jobs(models, frames, modes=MODES, data_dir=None, log=print) -> list[tuple[str, dict, object]]:
    """The plan's builds: (folder name, what build.json will say, a function building it in a folder)."""
    out = []
    if "lossless" in modes:
        for model in models:
            for frame in frames:
                fn = (partial(build_baseline, data_dir=data_dir, frame=frame) if model == BASELINE else
                      partial(_learned, model=model, frame=frame, max_error=0, data_dir=data_dir, log=log))
                out.append((grid_name(model, "lossless", frame), {"model": model, "frame": frame, "mode": "lossless"},
                            fn))
    if "near-lossless" in modes and NEAR_MODEL in models:
        for dmax in NEAR_D:
            for frame in NEAR_FRAMES:
                out.append((f"{NEAR_MODEL}-near-d{dmax}-f{frame}",
                            {"model": NEAR_MODEL, "frame": frame, "mode": "near-lossless", "max_error": dmax},
                            partial(_learned, model=NEAR_MODEL, frame=frame, max_error=dmax, data_dir=data_dir,
                                    log=log)))
    if "events" in modes:
        out.append((f"events-f{EVENT_FRAME}", {"model": "events", "frame": EVENT_FRAME, "mode": "events"},
                    partial(_events, data_dir=data_dir, log=log)))
    return out


def collect(builds_dir, models=None, frames=FRAMES, data_dir=None, build_missing: bool = True,
            log=print, modes=MODES) -> list[dict]:
    """Every build of ``builds_dir``; the plan's missing builds (jobs()) built first."""
    builds_dir = Path(builds_dir)
    builds_dir.mkdir(parents=True, exist_ok=True)
    models = list(models) if models else [*bundled_names(), BASELINE]
    grid = jobs(models, frames, modes, data_dir, log)
    for i, (name, _, make) in enumerate(grid, 1):
        d = builds_dir / name
        e = read_build(d) if d.is_dir() else {"missing": "not built"}
        if e["missing"] is None:
            log(f"codegen plan: [{i}/{len(grid)}] {d.name}: measured build found")
            continue
        if not build_missing:
            log(f"codegen plan: [{i}/{len(grid)}] {d.name}: missing ({e['missing']}), not built (--no-build)")
            continue
        log(f"codegen plan: [{i}/{len(grid)}] {d.name}: building ({e['missing']})")
        make(d)
    entries = []
    for d in sorted(p for p in builds_dir.iterdir() if p.is_dir()):
        entries.append(read_build(d))
    for name, says, _ in grid:      # a plan build that is still absent is a row that says so
        if not any(e["name"] == name for e in entries):
            entries.append({"dir": str(builds_dir / name), "name": name, "build": says, "measurements": None,
                            "missing": "not built"})
    return sorted(entries, key=_order)


def _order(e: dict):
    b = e.get("build") or {}
    return (str(b.get("model", e["name"])), str(b.get("mode", "lossless")), b.get("max_error") or 0,
            b.get("frame") or 0, e["name"])
