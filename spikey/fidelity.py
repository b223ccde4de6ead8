"""Near-lossless fidelity: ``spikey bench --max-error D[,D...]`` (docs/coders.md §6).

Each file is encoded on its own (the challenge's rule, container included) with the learned
codec at bound D, decoded from the stream alone, and compared with the original codes:
the largest error (checked <= D on every sample: a larger one stops the run), RMS error
and SNR in dB (the original's power about its mean over the error's power, both in codes),
and the ratio (sum of WAV bytes / sum of stream bytes). Lossless (D = 0) is measured the
same way as a reference row. The spike-detection agreement needs the reference detector
of the benchmark (bench/detector.py) and is added by bench/near_lossless.py.
"""
from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import numpy as np

from .codec import decode_stream, encode_recording, read_input, write_atomic
from .errors import CodecError
from .learned import LearnedCodec, host_codec
from .near_lossless import check_bound, check_max_error
from .recordings import parse_wav, to_codes


def parse_bounds(text: str) -> list[int]:
    """``--max-error 1,2,4``: the bounds, each checked (0 = lossless allowed)."""
    bounds = sorted({check_max_error(v.strip()) for v in str(text).split(",") if v.strip()})
    if not bounds:
        raise CodecError("--max-error needs at least one bound D")
    return bounds


def measure_file(path: Path, codec: LearnedCodec) -> tuple[dict, np.ndarray, np.ndarray]:
    """(row, original codes, decoded codes) of one file at the codec's bound."""
    wav = read_input(path)
    rec = parse_wav(wav)
    t0 = time.perf_counter()
    stream = encode_recording(rec, codec)
    t1 = time.perf_counter()
    out = decode_stream(stream, codec.model)
    t2 = time.perf_counter()
    x = to_codes(rec.samples).astype(np.int64)
    y = to_codes(parse_wav(out).samples).astype(np.int64)
    err = check_bound(x, y, codec.max_error)
    e = (y - x).astype(np.float64)
    row = {"file": path.name, "samples": len(x), "wav_bytes": len(wav), "stream_bytes": len(stream),
           "max_error": err, "sq_error": float(np.sum(e * e)), "signal_power": float(np.sum((x - x.mean()) ** 2)),
           "encode_s": t1 - t0, "decode_s": t2 - t1}
    return row, x, y


def summarize(rows: list) -> dict:
    """The pooled figures of one bound's files."""
    n = sum(r["samples"] for r in rows)
    sq, sig = sum(r["sq_error"] for r in rows), sum(r["signal_power"] for r in rows)
    ratios = [r["wav_bytes"] / r["stream_bytes"] for r in rows]
    return {"files": len(rows), "samples": n,
            "ratio": sum(r["wav_bytes"] for r in rows) / sum(r["stream_bytes"] for r in rows),
            "ratio_min": min(ratios), "ratio_median": float(np.median(ratios)),
            "bits_per_sample": 8 * sum(r["stream_bytes"] for r in rows) / n,
            "max_error": max(r["max_error"] for r in rows), "rms_error": math.sqrt(sq / n),
            "snr_db": math.inf if sq == 0 else 10 * math.log10(sig / sq),
            "encode_samples_per_s": n / sum(r["encode_s"] for r in rows),
            "decode_samples_per_s": n / sum(r["decode_s"] for r in rows)}


def measure(paths: list, bounds: list, model=None, each=None, log=None) -> dict:
    """Every file at every bound; ``each(d, row, x, y)`` sees every decoded file (the
    benchmark's spike scoring). Returns {"bounds": [{max_error, summary, files}], ...}."""
    out = []
    for d in bounds:
        codec = LearnedCodec(model, "range", d)
        host_codec(codec.model)
        rows = []
        for i, p in enumerate(paths, 1):
            row, x, y = measure_file(Path(p), codec)
            if each is not None:
                each(d, row, x, y)
            rows.append(row)
            if log:
                log(f"D={d}: {i}/{len(paths)} {p.name}: ratio {row['wav_bytes'] / row['stream_bytes']:.3f}, "
                    f"max error {row['max_error']}")
        out.append({"max_error": d, "summary": summarize(rows), "files": rows})
    return {"schema": "spikey-near-lossless/1", "model": codec.model.name, "model_identity": codec.MODEL_ID.hex(),
            "files": [Path(p).name for p in paths], "bounds": out,
            "how": "each file alone (the challenge's rule): container bytes; decoded from the stream alone; "
                   "max |decoded - original| checked <= D on every sample; SNR = 10 log10(sum (x - mean x)^2 / "
                   "sum (y - x)^2) over all files, in codes"}


def render_table(res: dict) -> str:
    rows = ["| D | ratio | per-file min / median | bits/sample | max error | RMS error | SNR dB |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for b in res["bounds"]:
        s = b["summary"]
        snr = "inf (lossless)" if math.isinf(s["snr_db"]) else f"{s['snr_db']:.2f}"
        rows.append(f"| {b['max_error']} | {s['ratio']:.3f} | {s['ratio_min']:.2f} / {s['ratio_median']:.2f} "
                    f"| {s['bits_per_sample']:.3f} | {s['max_error']} | {s['rms_error']:.3f} | {snr} |")
    return "\n".join(rows) + "\n"


def run(args, paths: list) -> int:
    """``spikey bench DIR --max-error D[,D...]``: the table on stdout, near_lossless.json in --out."""
    bounds = parse_bounds(args.max_error)
    res = measure(paths, bounds, getattr(args, "model", None),
                  log=lambda s: print(s, file=sys.stderr))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / "near_lossless.json", (json.dumps(res, indent=2) + "\n").encode())
    sys.stdout.write(render_table(res))
    print(f"wrote {out / 'near_lossless.json'}", file=sys.stderr)
    return 0
