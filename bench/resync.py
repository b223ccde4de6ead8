"""The price and the payoff of packets (spikey.packets): a joint stream of real validation
recordings coded with each resync interval, its size against the unpacketised stream, and
what ``--salvage`` restores after one flipped byte in the middle of the stream.

    python bench/resync.py [--data ../shared/data/neuralink-dev] [--files 30] [--out bench/results/resync]

Writes resync.json, resync.md and resync.png to --out. Every decode is checked: the intact
packetised stream must decode to the recordings exactly, and in the damaged one every
sample outside the lost packets must be restored exactly.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from spikey import container  # noqa: E402
from spikey.bench import validation_paths  # noqa: E402
from spikey.codec import decode_channels, encode_joint, salvage_channels  # noqa: E402
from spikey.learned import JOINT_FRAME, LearnedCodec  # noqa: E402
from spikey.recordings import parse_wav, read_wav  # noqa: E402

RATE = 19531
INTERVALS_MS = (10, 50, 1000)


def _samples(wav: bytes) -> np.ndarray:
    return parse_wav(wav).samples


def measure(paths: list, log=print) -> dict:
    recs = {p.name: read_wav(p) for p in paths}
    codec = LearnedCodec(None, "range")
    total = sum(len(r.samples) for r in recs.values())
    raw = sum(len(r.to_bytes()) for r in recs.values())
    start = time.monotonic()
    whole = encode_joint(recs, codec, JOINT_FRAME)
    log(f"resync: {len(recs)} channels, {total} samples: one payload {len(whole)} bytes "
        f"({time.monotonic() - start:.1f} s)", file=sys.stderr)
    rows = []
    for ms in INTERVALS_MS:
        resync = RATE * ms // 1000
        data = encode_joint(recs, codec, JOINT_FRAME, resync)
        assert dict(decode_channels(data)) == {n: r.to_bytes() for n, r in recs.items()}
        damaged = bytearray(data)
        damaged[len(data) // 2] ^= 0x01
        channels, report = salvage_channels(bytes(damaged))
        exact = 0
        for name, wav in channels:
            got, want = _samples(wav), recs[name].samples
            intact = np.ones(len(want), bool)
            for p in report["lost_packets"]:
                intact[p["t0"]:p["t0"] + p["span"]] = False
            assert np.array_equal(got[intact], want[intact]), name
            exact += int((got == want).sum())
        rows.append({"interval_ms": ms, "resync_samples": resync, "bytes": len(data),
                     "packets": report["packets"], "cost_percent": 100 * (len(data) / len(whole) - 1),
                     "ratio": raw / len(data), "lost_packets": len(report["lost_packets"]),
                     "restored_exactly_percent": 100 * exact / total})
        log(f"resync: {ms} ms ({resync} samples): {len(data)} bytes, +{rows[-1]['cost_percent']:.2f} %; "
            f"one flipped byte: {rows[-1]['restored_exactly_percent']:.3f} % of samples restored exactly",
            file=sys.stderr)
    return {"files": [p.name for p in paths], "channels": len(recs), "samples": total, "wav_bytes": raw,
            "unpacketised_bytes": len(whole), "unpacketised_ratio": raw / len(whole), "frame": JOINT_FRAME,
            "model": "default", "coder": "range", "intervals": rows,
            "container_version": container.CONTAINER_VERSION}


def render_markdown(res: dict) -> str:
    lines = [f"# Packets: ratio cost and salvage ({res['channels']} validation recordings as one joint stream, "
             f"{res['samples']:,} samples, default model, range coder, frame {res['frame']})", "",
             f"Unpacketised: {res['unpacketised_bytes']:,} bytes (ratio {res['unpacketised_ratio']:.3f}).", "",
             "| resync interval | packets | bytes | ratio | cost | one flipped byte: samples restored exactly |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in res["intervals"]:
        lines.append(f"| {r['interval_ms']} ms ({r['resync_samples']} samples) | {r['packets']} | {r['bytes']:,} | "
                     f"{r['ratio']:.3f} | {r['cost_percent']:+.2f} % | {r['restored_exactly_percent']:.3f} % |")
    lines += ["", "Written by `python bench/resync.py`."]
    return "\n".join(lines) + "\n"


def render_plot(res: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ms = [r["interval_ms"] for r in res["intervals"]]
    fig, ax = plt.subplots(1, 2, figsize=(9, 3.5))
    ax[0].semilogx(ms, [r["cost_percent"] for r in res["intervals"]], "o-")
    ax[0].axhline(0.5, color="grey", ls="--", lw=1, label="0.5 % target")
    ax[0].set(xlabel="resync interval (ms)", ylabel="size cost vs one payload (%)", title="price of packets")
    ax[0].legend()
    ax[1].semilogx(ms, [r["restored_exactly_percent"] for r in res["intervals"]], "o-", color="C2")
    ax[1].axhline(99, color="grey", ls="--", lw=1, label="99 % target")
    ax[1].set(xlabel="resync interval (ms)", ylabel="samples restored exactly (%)", title="one flipped byte")
    ax[1].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "neuralink-dev")
    p.add_argument("--files", type=int, default=30, help="validation files to join (default: all 30)")
    p.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "resync")
    args = p.parse_args(argv)
    res = measure(validation_paths(args.data)[:args.files])
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "resync.json").write_text(json.dumps(res, indent=1) + "\n")
    (args.out / "resync.md").write_text(render_markdown(res))
    render_plot(res, args.out / "resync.png")
    print(render_markdown(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
