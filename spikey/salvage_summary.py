"""What ``spikey decode --salvage`` tells its user: one line on stderr, and its exit status."""
from __future__ import annotations

import sys

SALVAGED = 4


def salvage_summary(report: dict, output) -> int:
    """0 when the stream was intact; else the summary line and SALVAGED."""
    if not report["damaged"]:
        return 0
    lost = report["lost_packets"]
    spans = ", ".join(f"{p['t0']}..{p['t0'] + p['span'] - 1}" for p in lost[:5]) + (" ..." if len(lost) > 5 else "")
    bad = sum(not c["crc_ok"] for c in report["channels"])
    print(f"spikey: salvaged: {len(lost)} of {report['packets']} packets lost"
          + (f" (time steps {spans})" if lost else "")
          + f", {100 * report['restored_fraction']:.2f} % of samples restored, {bad} of {len(report['channels'])} "
          f"channels differ from their original; report in {str(output).rstrip('/')}.salvage.json", file=sys.stderr)
    return SALVAGED
