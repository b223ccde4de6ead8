"""What short frames cost: compression ratio per file and joint, and Cortex-M4 instructions
per sample, for frame lengths 1..256 (``codegen build --frame N``).

    python bench/frames.py [--data DIR] [--files 30] [--qemu-files 1] [--out bench/results/frames]

Ratio: the default model's validation files (``--files``, default all 30) coded by the host C
codec (spikey.learned, byte-equal to the Python reference and to QEMU: tests/test_frames.py),
per file (one stream per file: container + payload) and joint (all files in one stream of
joint frames of N time steps, spikey.codec.encode_joint: its container carries N), 16-bit
samples over the stream bytes; the loss of N against 64 per file and joint. The range coder
does not flush at a frame boundary, so the payload is the same for every N; only the
container's varint ``frame`` can differ (1 byte below 128, 2 from 128).
Instructions: the codec ELF as ``codegen build`` makes it, run in QEMU per file on the first
``--qemu-files`` files with each frame length (-icount around each spk_codec_encode call),
its payloads checked against the host's: the per-call overhead short frames add.
Writes OUT/frames.json and OUT/frames.md.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from codegen.compile import compiled_model  # noqa: E402
from codegen.data import recordings  # noqa: E402
from codegen.emit.predictor import generate  # noqa: E402
from codegen.frame import FRAME_MAX  # noqa: E402
from codegen.hil.codec import build_codec_elf, instruction_stats, run_hil_codec  # noqa: E402
from codegen.reference.compile import compile_model  # noqa: E402
from spikey.codec import encode_joint, encode_recording  # noqa: E402
from spikey.learned import LearnedCodec  # noqa: E402
from spikey.model.files import BUNDLED, DEFAULT, read_meta  # noqa: E402
from spikey.recordings import read_wav  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "neuralink-dev"
OUT = ROOT / "bench" / "results" / "frames"
FRAMES = (1, 2, 4, 8, 16, 32, 64, 128, 256)
BASE = 64


def measure(data: Path, files: int | None, qemu_files: int, log=print) -> dict:
    model_dir = BUNDLED / DEFAULT
    meta = read_meta(model_dir)
    recs = recordings(data, files, meta)
    pred = compile_model(model_dir)
    model = compiled_model(pred)
    host = LearnedCodec(model, "range")
    wavs = {n: read_wav(Path(data) / n) for n in recs.names}
    samples = sum(len(c) for c in recs.codes)
    log(f"frames: {len(recs.names)} files ({recs.description}), {samples:,} samples")
    per_file = sum(len(encode_recording(wavs[n], host)) for n in recs.names)   # frame-independent: one stream a file
    rows = []
    for f in FRAMES:
        t = time.time()
        joint = len(encode_joint(wavs, host, f))
        rows.append({"frame": f, "per_file_bytes": per_file, "joint_bytes": joint,
                     "per_file_ratio": 16 * samples / (8 * per_file), "joint_ratio": 16 * samples / (8 * joint)})
        log(f"frames: frame {f:3d}: joint stream {joint:,} B ({time.time() - t:.1f} s)")
    base = next(r for r in rows if r["frame"] == BASE)
    for r in rows:
        r["per_file_loss_percent"] = 100 * (1 - r["per_file_ratio"] / base["per_file_ratio"])
        r["joint_loss_percent"] = 100 * (1 - r["joint_ratio"] / base["joint_ratio"])
    insns = []
    if qemu_files:
        q = recs.codes[:qemu_files]
        with tempfile.TemporaryDirectory(prefix="spikey-frames-") as tmp:
            elf = build_codec_elf(generate(pred).files, model, Path(tmp) / "obj", frame=BASE, max_channels=len(q),
                                  huffman=False, defines=(f"SPK_HIL_FRAME_MAX={FRAME_MAX}u",))
            want = [host.encode_channels([x]) for x in q]
            for f in FRAMES:
                t = time.time()
                run = run_hil_codec(elf, q, Path(tmp) / f"f{f}", frame=f)
                if run.payloads != want:
                    raise SystemExit(f"frames: QEMU payloads at frame {f} differ from the host C codec's")
                s = instruction_stats([run])
                insns.append({"frame": f, "insns_per_sample": s["insns_per_sample"],
                              "insns_worst_frame": s["insns_worst_frame"], "samples": s["samples"]})
                log(f"frames: QEMU frame {f:3d}: {s['insns_per_sample']:.1f} instructions/sample, payload == host "
                    f"({time.time() - t:.1f} s)")
    return {"schema": "spikey-frames/1", "model": meta.get("name", DEFAULT), "data": recs.description,
            "files": len(recs.names), "samples": samples, "base_frame": BASE, "rows": rows,
            "qemu": {"files": qemu_files, "rows": insns,
                     "how": "codec ELF (codegen build's hil_codec) in QEMU, -icount around each spk_codec_encode "
                            "call of one channel's frame; payloads equal the host C codec's"},
            "how": "host C codec (spikey.learned, == Python reference == QEMU: tests/test_frames.py); per file: "
                   "container + payload of one stream a file; joint: spikey.codec.encode_joint of every file with "
                   "the frame; ratio = 16-bit samples / stream bytes"}


def render_md(res: dict) -> str:
    q = {r["frame"]: r for r in res["qemu"]["rows"]}
    intro = (f"{res['files']} files, {res['samples']:,} samples: {res['data']}. {res['how']}. Loss against "
             f"{res['base_frame']}-sample frames. Instructions: {res['qemu']['how']} "
             f"({res['qemu']['files']} file(s)).")
    lines = [f"# Frame length: what short frames cost ({res['model']})", "", intro, "",
             "| frame | per-file ratio | loss | joint ratio | loss | M4 instructions / sample |",
             "| ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in res["rows"]:
        ins = q.get(r["frame"])
        lines.append(f"| {r['frame']} | {r['per_file_ratio']:.4f} | {r['per_file_loss_percent']:+.4f} % | "
                     f"{r['joint_ratio']:.4f} | {r['joint_loss_percent']:+.4f} % | "
                     f"{'-' if ins is None else format(ins['insns_per_sample'], '.1f')} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--files", type=int, help="validation files (default: all)")
    ap.add_argument("--qemu-files", type=int, default=1, help="files run in QEMU per frame length (0: none)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    res = measure(args.data, args.files, args.qemu_files, log=lambda s: print(s, file=sys.stderr, flush=True))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "frames.json").write_text(json.dumps(res, indent=2) + "\n")
    (args.out / "frames.md").write_text(render_md(res))
    print(render_md(res), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
