"""``spikey bench --mode events``: the event mode's bitrate and fidelity on a folder of WAVs.

Per file (every file coded on its own, the challenge's rule) and in total: bits per second
per channel of the whole per-file container (frame and container overhead included), the
ratio by the challenge rule (original WAV bytes / stream bytes), spike precision / recall /
F1 against the reference detector (bench/detector.py, the margin rule of issue 15: clear
spikes for recall, lenient crossings for precision, +-10 samples), and the Pearson r of the
decoded SBP against the reference SBP (mean |y| of the reference filter per bin); the joint
stream of all files (its bits per second per channel); a plot of one file.

The spikes and SBP scored are the ones decoded from the stream, so the figures also check
the round trip. The reference detector lives in the repository's bench/ folder and needs
scipy (``pip install 'spikey[test]'``): without either, the command says so in one line.
"""
from __future__ import annotations

import importlib.util
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from .. import container
from ..errors import CodecError
from ..model.files import read_meta, resolve
from ..recordings import read_wav, to_codes
from .params import EventParams
from .stream import decode_events, encode_recordings

DETECTOR = Path(__file__).resolve().parents[2] / "bench" / "detector.py"
TARGETS = {"bits_per_s_per_channel": 976.0, "ratio": 300.0, "f1": 0.95, "sbp_r_median": 0.95}
TOL = 10


def load_detector():
    """bench/detector.py of this checkout, loaded by path (it is not part of the package)."""
    if not DETECTOR.is_file():
        raise CodecError(f"the reference detector {DETECTOR} is not here: run from a checkout of the repository")
    try:
        import scipy.signal  # noqa: F401
    except ImportError:
        raise CodecError("the reference detector needs scipy: pip install 'spikey[test]'") from None
    spec = importlib.util.spec_from_file_location("spikey_bench_detector", DETECTOR)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def input_paths(directory, limit=None, validation=False) -> list[Path]:
    directory = Path(directory)
    if not directory.is_dir():
        raise CodecError(f"no such directory: {directory}")
    if validation:
        names = (read_meta(resolve(None)).get("split") or {}).get("validation") or []
        paths = sorted(directory / n for n in names if (directory / n).is_file())
    else:
        paths = sorted(directory.glob("*.wav"))
    if not paths:
        raise CodecError(f"no recordings to measure in {directory}")
    return paths[:limit]


def _pearson(a, b) -> float | None:
    k = min(len(a), len(b))
    if k < 3 or np.std(a[:k]) == 0 or np.std(b[:k]) == 0:
        return None
    return float(np.corrcoef(a[:k], b[:k])[0, 1])


def measure(paths, log=print) -> dict:
    D = load_detector()
    rows, recs, total = [], {}, {"clear": 0, "found": 0, "decoded": 0, "true": 0}
    plot = None
    for i, path in enumerate(paths):
        rec = read_wav(path)
        codes = to_codes(rec.samples)
        p = EventParams.for_rate(rec.sample_rate)
        t0 = time.perf_counter()
        data = encode_recordings({path.name: rec}, joint=False, p=p)
        t_enc = time.perf_counter() - t0
        (_, dec), = decode_events(data)
        spikes, clear, lenient, y, sigma = D.reference_spikes(codes, rec.sample_rate)
        c = D.counts(dec["spike_times"], clear, lenient, TOL)
        for k in total:
            total[k] += c[k]
        pr, rc, f1 = D.score_counts(c)
        ref_sbp = D.reference_sbp(y, p.bin_samples)
        seconds = len(codes) / rec.sample_rate
        wav_bytes = path.stat().st_size
        rows.append({"file": path.name, "samples": len(codes), "seconds": seconds, "wav_bytes": wav_bytes,
                     "stream_bytes": len(data), "payload_bytes": len(container.unpack(data).payload),
                     "bits_per_s": 8 * len(data) / seconds,
                     "ratio": wav_bytes / len(data), **c, "precision": pr, "recall": rc, "f1": f1,
                     "sbp_r": _pearson(dec["sbp"], ref_sbp), "sbp_bins": len(dec["sbp"]),
                     "reference_spikes": len(spikes), "encode_s": t_enc})
        recs[path.name] = rec
        if plot is None or len(clear) > plot["clear_n"]:
            plot = {"file": path.name, "y": y, "sigma": sigma, "clear": clear, "lenient": lenient,
                    "decoded": dec["spike_times"], "clear_n": len(clear), "rate": rec.sample_rate,
                    "sbp": dec["sbp"], "ref_sbp": ref_sbp, "bin": p.bin_samples}
        r = rows[-1]
        log(f"[{i + 1}/{len(paths)}] {path.name}: {r['bits_per_s']:.0f} bit/s, F1 {f1:.3f} "
            f"({c['found']}/{c['clear']} clear found, {c['true']}/{c['decoded']} decoded true), "
            f"SBP r {r['sbp_r'] if r['sbp_r'] is None else round(r['sbp_r'], 3)}")
    joint = None
    if len(recs) > 1:
        p = EventParams.for_rate(recs[rows[0]["file"]].sample_rate)
        data = encode_recordings(recs, joint=True, p=p)
        s = container.unpack(data)
        seconds = max(r["seconds"] for r in rows)
        frames = -(-max(r["samples"] for r in rows) // p.frame)
        own = sum(r["payload_bytes"] for r in rows)
        overhead = 8 * (len(s.payload) - own) / frames
        per_channel = 8 * own / sum(r["seconds"] for r in rows)
        joint = {"channels": len(recs), "stream_bytes": len(data), "frames": frames,
                 "bits_per_s_per_channel": 8 * len(data) / seconds / len(recs),
                 "overhead_bits_per_frame": overhead,
                 "bits_per_s_per_channel_1024": per_channel + overhead * (frames / seconds) / 1024,
                 "how": f"one joint stream of every file (frames of {p.frame} samples, the coder flushed per frame); "
                        "overhead = (joint payload - the files' own payloads) x 8 / frames; at 1024 channels: "
                        "the files' mean payload rate + overhead x frames/s / 1024"}
        log(f"joint stream of {len(recs)} channels: {joint['bits_per_s_per_channel']:.0f} bit/s per channel; "
            f"{overhead:.1f} bits of overhead per frame, {joint['bits_per_s_per_channel_1024']:.0f} bit/s per channel "
            "at 1024 channels")
    return summarize(rows, total, joint, D), plot


def summarize(rows, total, joint, D=None) -> dict:
    seconds = sum(r["seconds"] for r in rows)
    stream_bytes = sum(r["stream_bytes"] for r in rows)
    pr = total["true"] / total["decoded"] if total["decoded"] else 1.0
    rc = total["found"] / total["clear"] if total["clear"] else 1.0
    f1 = 0.0 if pr + rc == 0 else 2 * pr * rc / (pr + rc)
    scored = [r for r in rows if r["clear"] or r["decoded"]]
    worst = min(scored, key=lambda r: r["f1"]) if scored else None
    rs = [r["sbp_r"] for r in rows if r["sbp_r"] is not None]
    tot = {"files": len(rows), "seconds": seconds, "bits_per_s_per_channel": 8 * stream_bytes / seconds,
           "ratio": sum(r["wav_bytes"] for r in rows) / stream_bytes, **total,
           "precision": pr, "recall": rc, "f1": f1,
           "worst_f1": None if worst is None else {"file": worst["file"], "f1": worst["f1"], "clear": worst["clear"],
                                                   "decoded": worst["decoded"]},
           "sbp_r_median": float(np.median(rs)) if rs else None, "sbp_r_min": float(np.min(rs)) if rs else None}
    checks = {"bits_per_s_per_channel": tot["bits_per_s_per_channel"] <= TARGETS["bits_per_s_per_channel"],
              "ratio": tot["ratio"] >= TARGETS["ratio"], "f1": f1 >= TARGETS["f1"],
              "sbp_r_median": tot["sbp_r_median"] is not None and tot["sbp_r_median"] >= TARGETS["sbp_r_median"]}
    return {"schema": "spikey-events-bench/1", "params": asdict(EventParams.for_rate(19531)),
            "rows": rows, "total": tot, "joint": joint, "targets": TARGETS, "pass": checks,
            "reference": "bench/detector.py: 4th-order Butterworth 300-6000 Hz forward-backward, sigma = "
                         "median|y|/0.6745, spikes at -4.5 sigma, 20-sample refractory; recall over clear spikes "
                         "(trough < -5.5 sigma), precision against lenient crossings (-3.5 sigma), +-10 samples"}


def render_markdown(rep: dict) -> str:
    t, j = rep["total"], rep["joint"]
    ok = {k: "PASS" if v else "FAIL" for k, v in rep["pass"].items()}
    w = t["worst_f1"]
    lines = [f"Event mode (`spikey bench --mode events`) on {t['files']} recordings, every file coded on its own; "
             f"spikes and SBP decoded from the streams, scored against the reference detector "
             "(bench/detector.py; issue 15's margin rule).", "",
             "| figure | measured | target | |", "| --- | ---: | ---: | --- |",
             f"| bits/s per channel (container and frames included) | {t['bits_per_s_per_channel']:.0f} | <= 976 | "
             f"{ok['bits_per_s_per_channel']} |",
             f"| ratio (challenge rule) | {t['ratio']:.0f} | >= 300 | {ok['ratio']} |",
             f"| spike F1, all spikes of all files | {t['f1']:.4f} | >= 0.95 | {ok['f1']} |",
             f"| spike precision / recall | {t['precision']:.4f} / {t['recall']:.4f} | | |",
             f"| worst file's F1 | {w['f1']:.3f} ({w['file']}: {w['clear']} clear, {w['decoded']} decoded) | | |"
             if w else "| worst file's F1 | - | | |",
             f"| SBP Pearson r, median over files (min) | {t['sbp_r_median']:.4f} ({t['sbp_r_min']:.4f}) | >= 0.95 | "
             f"{ok['sbp_r_median']} |"]
    if j:
        lines.append(f"| joint stream, bits/s per channel ({j['channels']} channels; the coder's flush per "
                     f"frame shared by few) | {j['bits_per_s_per_channel']:.0f} | | |")
        lines.append(f"| joint stream, bits/s per channel at 1024 channels ({j['overhead_bits_per_frame']:.1f} "
                     f"bits of frame overhead shared by 1024) | {j['bits_per_s_per_channel_1024']:.0f} | <= 976 | "
                     f"{'PASS' if j['bits_per_s_per_channel_1024'] <= 976 else 'FAIL'} |")
    lines += ["", f"Spikes: {t['found']:,} of {t['clear']:,} clear reference spikes found; {t['true']:,} of "
              f"{t['decoded']:,} decoded spikes near a lenient crossing.", ""]
    return "\n".join(lines) + "\n"


def render_plot(plot: dict, path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rate, y, s = plot["rate"], plot["y"], plot["sigma"]
    centre = int(plot["clear"][len(plot["clear"]) // 2]) if len(plot["clear"]) else len(y) // 2
    lo, hi = max(centre - rate // 10, 0), min(centre + rate // 10, len(y))
    fig, axes = plt.subplots(2, 1, figsize=(12, 6.5))
    ax = axes[0]
    t = np.arange(lo, hi) / rate * 1000
    ax.plot(t, y[lo:hi], lw=0.6, color="0.3", label="reference filtered trace y")
    for level, style in ((-4.5, "--"), (-5.5, ":"), (-3.5, "-.")):
        ax.axhline(level * s, color="tab:red", ls=style, lw=0.7)
    def sel(v):
        return v[(v >= lo) & (v < hi)]

    ax.plot(sel(plot["lenient"]) / rate * 1000, np.full(len(sel(plot["lenient"])), -3.5 * s), "v", color="tab:orange",
            label="reference lenient crossings (-3.5 sigma)")
    ax.plot(sel(plot["clear"]) / rate * 1000, np.full(len(sel(plot["clear"])), -5.5 * s), "v", color="tab:red",
            label="reference clear spikes (< -5.5 sigma)")
    ax.plot(sel(plot["decoded"]) / rate * 1000, np.full(len(sel(plot["decoded"])), 4 * s), "^", color="tab:blue",
            label="decoded spikes (event stream)")
    ax.set_xlabel("ms")
    ax.set_ylabel("codes")
    ax.set_title(f"{plot['file']}: 200 ms around a clear spike")
    ax.legend(fontsize=7, loc="upper right")
    ax = axes[1]
    b = plot["bin"]
    k = min(len(plot["sbp"]), len(plot["ref_sbp"]))
    tb = (np.arange(k) + 0.5) * b / rate
    ax.plot(tb, plot["ref_sbp"][:k], label="reference SBP (mean |y| per bin)")
    ax.plot(tb, plot["sbp"][:k], label="decoded SBP")
    ax.set_xlabel("s")
    ax.set_ylabel("codes")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run(args) -> int:
    paths = input_paths(args.dir, getattr(args, "limit", None), getattr(args, "validation", False))
    rep, plot = measure(paths, log=lambda s: print(s, file=sys.stderr))
    out = Path(getattr(args, "out", None) or "bench-results")
    write(rep, plot, out)
    sys.stdout.write(render_markdown(rep))
    return 0


def write(rep: dict, plot, out: Path) -> list:
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(rep, indent=2) + "\n")
    (out / "bench.md").write_text(render_markdown(rep))
    written = [out / "bench.json", out / "bench.md"]
    if plot is not None:
        try:
            render_plot(plot, out / "bench.png")
            written.append(out / "bench.png")
        except ImportError:
            print("spikey: bench.png not drawn: matplotlib is not installed (pip install 'spikey[plot]')",
                  file=sys.stderr)
    return written
