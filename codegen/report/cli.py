"""`codegen report BUILD_DIR [--compare OTHER]`: print a build's report again, or two side by side.

The report is recomputed from BUILD_DIR/measurements.json and the profiles it was made with
(recorded in report.json), or with other profiles (--profile/--radio/--budget), so a report
can be re-priced for another target without re-measuring. --write rewrites report.*.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import events as events_report
from . import profiles
from .report import make_report, render_compare, render_markdown, write_report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("build_dir", type=Path, help="a build directory holding measurements.json")
    parser.add_argument("--compare", type=Path, metavar="OTHER", help="a second build directory, shown side by side")
    parser.add_argument("--profile", help="core profile name or JSON path (default: the one the report used)")
    parser.add_argument("--radio", help="radio profile name or JSON path")
    parser.add_argument("--budget", help="budget profile name or JSON path")
    parser.add_argument("--json", action="store_true", help="print report.json instead of Markdown")
    parser.add_argument("--write", action="store_true", help="rewrite report.json/.md/.png in BUILD_DIR")


def _load(build_dir: Path, args) -> tuple[dict, tuple]:
    mpath = build_dir / "measurements.json"
    if not mpath.is_file():
        info = build_dir / "build.json"
        target = json.loads(info.read_text()).get("target") if info.is_file() else None
        if target == "host":
            raise FileNotFoundError(f"{build_dir} is a host build: only Cortex-M builds are measured and have a report")
        raise FileNotFoundError(f"{build_dir}: no measurements.json (run `codegen build --target cortex-m4` first)")
    m = json.loads(mpath.read_text())
    used = {}
    rpath = build_dir / "report.json"
    if rpath.is_file():
        used = json.loads(rpath.read_text()).get("profiles", {})
    if args.profile:            # another core: its own default radio and budget unless given
        core, radio, budget = args.profile, args.radio, args.budget
    else:
        core = used.get("core") or "cortex-m4"
        radio = args.radio or used.get("radio")
        budget = args.budget or used.get("budget")
    return m, profiles.load_set(core, radio, budget)


def run(args) -> int:
    try:
        m, (core, radio, budget) = _load(args.build_dir, args)
        if m.get("schema") == events_report.SCHEMA:      # an event-mode build (codegen/report/events.py)
            if args.compare is not None:
                raise ValueError("--compare takes two builds of the same mode; this one is an event-mode build")
            report = (events_report.write if args.write else events_report.make_report)(
                *((args.build_dir,) if args.write else ()), m, core, radio, budget)
            print(json.dumps(report, indent=2) if args.json else events_report.render_markdown(report), end="")
            return 0
        if args.write:
            report = write_report(args.build_dir, m, core, radio, budget)
        else:
            report = make_report(m, core, radio, budget)
        if args.compare is not None:
            m2, (c2, r2, b2) = _load(args.compare, args)
            other = make_report(m2, c2, r2, b2)
            print(json.dumps([report, other], indent=2) if args.json else render_compare(report, other), end="")
        else:
            print(json.dumps(report, indent=2) if args.json else render_markdown(report), end="")
        return 0
    except (FileNotFoundError, profiles.ProfileError, ValueError, json.JSONDecodeError) as e:
        print(f"codegen: error: {str(e).splitlines()[0]}", file=sys.stderr)
        return 1
