"""The measured fidelity of a lossy mode for the plan's fidelity column, from its benchmark.

    measured = event_fidelity(Path("bench/results/events/bench.json"))   # {"events": "spike F1 0.99, ..."}

The event benchmark (bench/events_results.py) scores the decoded spikes against a reference
detector and the SBP against the reference band power; without its bench.json the plan
uses what the build states (build.json ``fidelity``).
"""
from __future__ import annotations

import json
from pathlib import Path

EVENTS_BENCH = Path("bench") / "results" / "events" / "bench.json"


def event_fidelity(path=EVENTS_BENCH) -> dict:
    """{"events": text} from an event bench.json, or {} when it is absent or unreadable."""
    try:
        t = json.loads(Path(path).read_text())["total"]
        return {"events": (f"spike F1 {t['f1']:.2f}, SBP r {t['sbp_r_median']:.2f} (median; measured: {path}, "
                           f"{t['files']} files)")}
    except (OSError, ValueError, KeyError, TypeError):
        return {}
