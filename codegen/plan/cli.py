"""`codegen plan --budget n1-budget [--core PROFILE] [--radio PROFILE] [--out DIR]`.

Reads the measured builds from OUT/builds/: every bundled model (and the baseline codec) and frame
length losslessly, the default model near-lossless (D = 1, 2, 4) and the event mode (building
the missing ones, with progress; --modes chooses), re-prices them with the profiles, and
prints and writes OUT/plan.md, plan.json and plan.png (default OUT: ./build/plan).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from spikey.model.files import bundled_names

from ..data import default_data_dir
from ..errors import BuildError
from ..frame import check_frame
from ..report import profiles
from .collect import BASELINE, FRAMES, MODES, collect
from .evaluate import evaluate
from .fidelity import EVENTS_BENCH, event_fidelity
from .render import render_markdown, write_plan


def _frames(text: str) -> tuple[int, ...]:
    try:
        frames = tuple(int(t) for t in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--frames {text}: a comma-separated list of integers") from None
    for f in frames:
        try:
            check_frame(f)
        except BuildError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
    return frames


def add_arguments(p: argparse.ArgumentParser) -> None:
    data = default_data_dir()
    p.add_argument("--budget", default="n1-budget", help="budget profile name or JSON path (default n1-budget)")
    p.add_argument("--core", default="cortex-m4", help="core profile for the CPU figures (default cortex-m4)")
    p.add_argument("--radio", help="radio profile (default: the core profile's radio)")
    p.add_argument("--out", type=Path, default=Path("build") / "plan",
                   help="folder of the plan (plan.md/.json/.png) and of its builds (OUT/builds/); default ./build/plan")
    p.add_argument("--models", help="comma-separated bundled models and/or baseline (default: all: "
                                    f"{', '.join([*bundled_names(), BASELINE])})")
    p.add_argument("--frames", type=_frames, default=FRAMES,
                   help=f"frame lengths of the lossless builds (default {','.join(map(str, FRAMES))})")
    p.add_argument("--data", type=Path, default=data, help="recordings the builds measure on (as codegen build)")
    p.add_argument("--modes", default=",".join(MODES),
                   help=f"comma-separated modes whose builds the plan makes (default {','.join(MODES)})")
    p.add_argument("--events-bench", type=Path, default=EVENTS_BENCH,
                   help=f"the event benchmark's bench.json for the event builds' fidelity (default {EVENTS_BENCH}, "
                        "where present)")
    p.add_argument("--no-build", action="store_true", help="only read the builds that exist; missing ones stay missing")


def run(args) -> int:
    try:
        core, radio, budget = profiles.load_set(args.core, args.radio, args.budget)
    except profiles.ProfileError as e:
        raise BuildError(str(e)) from None
    models = args.models.split(",") if args.models else None
    known = [*bundled_names(), BASELINE]
    for m in models or []:
        if m not in known:
            raise BuildError(f"--models: {m} is not a bundled model or the baseline ({', '.join(known)})")
    modes = tuple(args.modes.split(","))
    for m in modes:
        if m not in MODES:
            raise BuildError(f"--modes: {m} is not one of {', '.join(MODES)}")
    entries = collect(args.out / "builds", models, args.frames, args.data, build_missing=not args.no_build,
                      modes=modes)
    plan = evaluate(entries, core, radio, budget, event_fidelity(args.events_bench))
    written = write_plan(args.out, plan)
    print(render_markdown(plan), end="")
    print(f"codegen plan: wrote {', '.join(str(p) for p in written)}")
    return 0
