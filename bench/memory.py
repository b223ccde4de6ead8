"""Peak memory of ``spikey encode`` and ``spikey decode`` against recording length.

    python bench/memory.py [--minutes 1,5,30] [--out bench/results/memory]

Each length is a synthetic random-walk recording (19,531 Hz, on the 10-bit grid, written
to a temporary folder); each command runs in a fresh process and its peak resident memory
(VmHWM of the child) is recorded, with the ratio to the shortest one. Writes
memory.json and memory.md to --out.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from spikey.recordings import from_codes, from_samples  # noqa: E402

RATE = 19531


def _recording(path: Path, minutes: float, seed: int = 0) -> int:
    n = int(minutes * 60 * RATE)
    steps = np.random.default_rng(seed).integers(-3, 4, n, dtype=np.int16)
    codes = np.clip(512 + np.cumsum(steps, dtype=np.int32), 0, 1023)
    path.write_bytes(from_samples(from_codes(codes), RATE).to_bytes())
    return n


def _peak(argv: list) -> tuple[int, float]:
    """(peak RSS in bytes, seconds) of one command in a child process."""
    start = time.monotonic()
    # VmHWM: the high-water mark of this process's own memory map (ru_maxrss would also count
    # the parent's, copied at fork before the exec).
    code = f"import sys; from spikey.cli import main; r = main({argv!r}); " \
           "print(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]); sys.exit(r)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1]) * 1024, time.monotonic() - start


def measure(minutes: list, log=print) -> dict:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for m in minutes:
            wav, spk, back = tmp / f"{m}.wav", tmp / f"{m}.spk", tmp / f"{m}.out.wav"
            n = _recording(wav, m)
            enc, t_enc = _peak(["encode", str(wav), str(spk)])
            dec, t_dec = _peak(["decode", str(spk), str(back)])
            assert back.read_bytes() == wav.read_bytes()
            rows.append({"minutes": m, "samples": n, "wav_bytes": wav.stat().st_size, "stream_bytes": spk.stat().st_size,
                         "encode_peak_bytes": enc, "decode_peak_bytes": dec,
                         "encode_seconds": round(t_enc, 1), "decode_seconds": round(t_dec, 1)})
            log(f"memory: {m} min ({n} samples): encode peak {enc / 2**20:.0f} MB ({t_enc:.1f} s), "
                f"decode peak {dec / 2**20:.0f} MB ({t_dec:.1f} s)", file=sys.stderr)
            for p in (wav, spk, back):
                p.unlink()
    for r in rows:
        r["encode_vs_shortest"] = r["encode_peak_bytes"] / rows[0]["encode_peak_bytes"]
        r["decode_vs_shortest"] = r["decode_peak_bytes"] / rows[0]["decode_peak_bytes"]
    return {"rows": rows, "rate": RATE, "codec": "default model, range coder (spikey encode's default)"}


def render_markdown(res: dict) -> str:
    lines = ["# Peak memory against recording length (`spikey encode` / `spikey decode`, default codec)", "",
             "| minutes | samples | encode peak | vs shortest | bytes/sample | decode peak | vs shortest |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in res["rows"]:
        lines.append(f"| {r['minutes']} | {r['samples']:,} | {r['encode_peak_bytes'] / 2**20:.0f} MB | "
                     f"{r['encode_vs_shortest']:.2f}x | {r['encode_peak_bytes'] / r['samples']:.1f} | "
                     f"{r['decode_peak_bytes'] / 2**20:.0f} MB | {r['decode_vs_shortest']:.2f}x |")
    lines += ["", "Written by `python bench/memory.py`; peak resident memory of a fresh process (VmHWM)."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", default="1,5,30")
    p.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "memory")
    args = p.parse_args(argv)
    res = measure([float(m) if "." in m else int(m) for m in args.minutes.split(",")])
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "memory.json").write_text(json.dumps(res, indent=1) + "\n")
    (args.out / "memory.md").write_text(render_markdown(res))
    print(render_markdown(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
