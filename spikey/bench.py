"""``spikey bench``: compression ratio and throughput of every method on a folder of WAVs.

Every file is encoded on its own (the challenge's rule), decoded, and the decode is
checked against the original bytes; a mismatch stops the run with an error naming the
file and the method. Figures per method: the challenge-rule ratio (sum of original bytes
/ sum of compressed bytes), the spread of per-file ratios, and encode/decode throughput
(sum of samples / sum of wall time in the encode, resp. decode, calls).

The pieces are kept apart so they can be tested alone: ``default_methods`` (what is
measured), ``measure`` (the timed loop), ``summarize`` (pure arithmetic on per-file
measurements), ``build_report`` / ``render_markdown`` / ``render_plot`` (presentation)
and ``run`` (the command: argument handling and file output).
"""
from __future__ import annotations

import argparse
import bz2
import datetime
import gzip
import io
import json
import lzma
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from . import fidelity
from .codec import CODECS, decode_channels, decode_stream, encode_joint, encode_recording, read_input, write_atomic
from .errors import CodecError
from .learned import JOINT_FRAME, LearnedCodec, host_codec, load_model
from .model.files import MIDDLEOUT
from .recordings import RecordingError, parse_wav

REPORT_VERSION = 1
DEFAULT_OUT = Path("bench-results")
SPREAD = (("min", 0), ("p10", 10), ("median", 50), ("p90", 90), ("max", 100))


class VerificationError(CodecError):
    """A method's decode did not restore the original bytes (or the method failed)."""


# --------------------------------------------------------------------------- methods
@dataclass(frozen=True)
class Method:
    """One way of compressing a WAV file: raw WAV bytes in, raw WAV bytes back out."""
    name: str
    kind: str  # "spikey" or "stdlib" (later: "c", ...)
    description: str
    encode: Callable[[bytes], bytes]
    decode: Callable[[bytes], bytes]


def spikey_method(codec, name: str | None = None, description: str | None = None, model=None,
                  learned=None) -> Method:
    """A Spikey codec; the encode time includes WAV parsing. ``learned``: the decoder's
    codec factory (spikey.codec.decode_stream), default the runtime's of ``model``."""
    return Method(
        name=name or codec.NAME, kind="spikey",
        description=description or (codec.__doc__ or codec.NAME).strip().splitlines()[0],
        encode=lambda wav: encode_recording(parse_wav(wav), codec),
        decode=lambda data: decode_stream(data, model, learned))


def learned_methods(model=None) -> list[Method]:
    """The learned model with each coder, through the generated C."""
    out = []
    for coder in ("range", "rice_scaled", "huffman_prior", "rice_fixed"):
        codec = LearnedCodec(model, coder)
        host_codec(codec.model)                  # compiled (or loaded) before any timing
        out.append(spikey_method(codec, f"{codec.NAME} (C)", f"learned model + {coder} coder, generated C via cffi",
                                 model))
    return out


def stdlib_methods() -> list[Method]:
    """General-purpose compressors on the raw WAV bytes, at their strongest settings."""
    return [
        Method("gzip-9", "stdlib", "gzip level 9 on the WAV bytes",
               lambda b: gzip.compress(b, compresslevel=9, mtime=0), gzip.decompress),
        Method("bz2-9", "stdlib", "bz2 level 9 on the WAV bytes",
               lambda b: bz2.compress(b, 9), bz2.decompress),
        Method("xz-9e", "stdlib", "lzma (xz) preset 9 | PRESET_EXTREME on the WAV bytes",
               lambda b: lzma.compress(b, preset=9 | lzma.PRESET_EXTREME), lzma.decompress),
    ]


def default_methods(include_stdlib: bool = True, model=None) -> list[Method]:
    methods = [spikey_method(codec) for _, codec in sorted(CODECS.items())]
    methods += learned_methods(model)
    return methods + (stdlib_methods() if include_stdlib else [])


def joint_models(model=None) -> list:
    """The models of the joint rows: the one asked for; by default the bundled default and the
    bundled MiddleOut model (message passing between the channels of a joint stream)."""
    return [model] if model is not None else [None, MIDDLEOUT]


def measure_joint(paths: Sequence[Path], model=None, frame: int | None = None) -> dict:
    """All files as one stream of joint frames (the implant's mode), range coder, generated C."""
    frame = frame or JOINT_FRAME
    codec = LearnedCodec(model, "range")
    host_codec(codec.model)                      # generated and compiled (or loaded) before the clock starts
    wavs = {p.name: read_input(p) for p in paths}
    recordings = {name: parse_wav(w) for name, w in wavs.items()}
    t0 = time.perf_counter()
    stream = encode_joint(recordings, codec, frame)
    t1 = time.perf_counter()
    restored = dict(decode_channels(stream, model))
    t2 = time.perf_counter()
    if restored != wavs:
        raise VerificationError(f"joint {codec.NAME} did not restore every file exactly")
    samples = sum(len(r.samples) for r in recordings.values())
    original = sum(len(w) for w in wavs.values())
    mo = ", MiddleOut" if codec.middleout else ""
    return {"name": f"{codec.NAME} joint{mo}, {frame}-sample frames (C)", "channels": len(paths), "frame": frame,
            "samples": samples, "original_bytes": original, "compressed_bytes": len(stream),
            "ratio": original / len(stream), "encode_samples_per_s": _rate(samples, t1 - t0),
            "decode_samples_per_s": _rate(samples, t2 - t1)}


# --------------------------------------------------------------------------- inputs
def find_inputs(directory, limit: int | None = None, files_from=None) -> list[Path]:
    """The WAV files to benchmark: every *.wav in ``directory`` (or the names listed in
    ``files_from``, one per line, '#' comments allowed), sorted, the first ``limit``."""
    directory = Path(directory)
    if not directory.is_dir():
        raise CodecError(f"no such directory: {directory}")
    if files_from is None:
        paths = sorted(p for p in directory.glob("*.wav") if p.is_file())
    else:
        try:
            lines = Path(files_from).read_text().splitlines()
        except OSError as e:
            raise CodecError(f"cannot read file list {files_from}: {e.strerror}") from None
        names = sorted({line.split("#", 1)[0].strip() for line in lines} - {""})
        paths = [directory / name for name in names]
        missing = [p for p in paths if not p.is_file()]
        if missing:
            more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
            raise CodecError(f"{files_from} names a file not in {directory}: {missing[0].name}{more}")
    if limit is not None:
        paths = paths[:limit]
    if not paths:
        source = f"listed in {files_from}" if files_from is not None else "found"
        raise CodecError(f"no WAV files {source} in {directory}")
    return paths


# --------------------------------------------------------------------------- measuring
@dataclass(frozen=True)
class FileMeasure:
    """One method on one file."""
    file: str
    samples: int
    original_bytes: int
    compressed_bytes: int
    encode_seconds: float
    decode_seconds: float


def measure_one(method: Method, name: str, samples: int, wav: bytes) -> FileMeasure:
    """Encode and decode one file with one method, timed; verify the round trip."""
    try:
        t0 = time.perf_counter()
        coded = method.encode(wav)
        t1 = time.perf_counter()
        restored = method.decode(coded)
        t2 = time.perf_counter()
    except Exception as e:  # any failure of a method is a failed benchmark, named
        raise VerificationError(f"{method.name} failed on {name}: {type(e).__name__}: {e}") from e
    if restored != wav:
        if len(restored) != len(wav):
            where = f"{len(restored)} bytes instead of {len(wav)}"
        else:
            first = int(np.flatnonzero(np.frombuffer(restored, np.uint8) != np.frombuffer(wav, np.uint8))[0])
            where = f"first difference at byte {first}"
        raise VerificationError(f"{method.name} did not restore {name} exactly: {where}")
    return FileMeasure(name, samples, len(wav), len(coded), t1 - t0, t2 - t1)


def measure(paths: Sequence[Path], methods: Sequence[Method], progress: bool = True,
            limits: dict[str, int] | None = None) -> dict[str, list[FileMeasure]]:
    """Every method on every file, file by file; per-method lists of measurements.

    ``limits`` caps a method (by name) to the first N files (a slow reference path, say)."""
    results: dict[str, list[FileMeasure]] = {m.name: [] for m in methods}
    if len(results) != len(methods):
        raise CodecError("two benchmark methods share a name")
    limits = limits or {}
    total = sum(min(len(paths), limits.get(m.name, len(paths))) for m in methods)
    from tqdm import tqdm   # here, not at the top: `spikey encode` imports this module and starts faster without it

    with tqdm(total=total, desc="bench", unit="run", file=sys.stderr, disable=not progress) as bar:
        for i, path in enumerate(paths):
            wav = read_input(path)
            try:
                samples = len(parse_wav(wav).samples)
            except RecordingError as e:
                raise CodecError(f"{path.name}: {e}") from None
            for method in methods:
                if i >= limits.get(method.name, len(paths)):
                    continue
                bar.set_postfix_str(f"{method.name} {path.stem[:8]}", refresh=False)
                results[method.name].append(measure_one(method, path.name, samples, wav))
                bar.update()
    return results


# --------------------------------------------------------------------------- summary
def _rate(samples: int, seconds: float) -> float | None:
    return samples / seconds if seconds > 0 else None


def summarize(measures: Sequence[FileMeasure]) -> dict:
    """The figures of one method from its per-file measurements (pure arithmetic).

    ratio: sum of original bytes / sum of compressed bytes (the challenge's rule).
    ratio_spread: min, 10th percentile, median, 90th percentile and max of the per-file
    ratios (numpy's linear interpolation). Throughput: sum of samples / sum of seconds.
    """
    if not measures:
        raise ValueError("no measurements to summarize")
    original = sum(m.original_bytes for m in measures)
    compressed = sum(m.compressed_bytes for m in measures)
    samples = sum(m.samples for m in measures)
    enc = sum(m.encode_seconds for m in measures)
    dec = sum(m.decode_seconds for m in measures)
    per_file = np.array([m.original_bytes / m.compressed_bytes for m in measures], dtype=np.float64)
    return {
        "files": len(measures),
        "samples": samples,
        "original_bytes": original,
        "compressed_bytes": compressed,
        "ratio": original / compressed,
        "ratio_spread": {key: float(np.percentile(per_file, q)) for key, q in SPREAD},
        "encode_seconds": enc,
        "decode_seconds": dec,
        "encode_samples_per_s": _rate(samples, enc),
        "decode_samples_per_s": _rate(samples, dec),
    }


def cpu_model() -> str:
    """The CPU's model name (/proc/cpuinfo on Linux), else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.split(":", 1)[0].strip() in ("model name", "Model", "Hardware"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def machine_info() -> dict:
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "cpu_model": cpu_model(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cpu_count": os.cpu_count(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def build_report(source, methods: Sequence[Method], results: dict[str, list[FileMeasure]],
                 machine: dict | None = None, joint: list | None = None) -> dict:
    """The whole benchmark as one JSON-ready dict: summaries, per-file figures, machine.

    A method measured on fewer files (``measure(limits=...)``) has its own file count in
    ``methods[]`` and is absent from the ``per_file[]`` entries of the files it skipped."""
    first = max((results[m.name] for m in methods), key=len)
    by_file = {m.name: {f.file: f for f in results[m.name]} for m in methods}

    def per_method(file: str, key: Callable[[FileMeasure], float]) -> dict:
        return {m.name: key(by_file[m.name][file]) for m in methods if file in by_file[m.name]}

    return {
        "report_version": REPORT_VERSION,
        "source": str(source),
        "files": len(first),
        "samples": sum(m.samples for m in first),
        "original_bytes": sum(m.original_bytes for m in first),
        "methods": [{"name": m.name, "kind": m.kind, "description": m.description, **summarize(results[m.name])}
                    for m in methods],
        "per_file": [
            {"file": f.file, "samples": f.samples, "original_bytes": f.original_bytes,
             "compressed_bytes": per_method(f.file, lambda x: x.compressed_bytes),
             "ratio": per_method(f.file, lambda x: x.original_bytes / x.compressed_bytes),
             "encode_seconds": per_method(f.file, lambda x: x.encode_seconds),
             "decode_seconds": per_method(f.file, lambda x: x.decode_seconds)}
            for f in first],
        "joint": joint,
        "machine": machine if machine is not None else machine_info(),
    }


# --------------------------------------------------------------------------- presentation
def _throughput(x: float | None) -> str:
    return "n/a" if x is None else f"{x:,.0f}"


def method_label(m: dict, report: dict) -> str:
    """A method's name, saying so when it ran on fewer files than the report."""
    return m["name"] + (f", first {m['files']} files" if m["files"] != report["files"] else "")


def ratio_cells(m: dict) -> str:
    """The ratio (bold) and its per-file spread, as Markdown cells: ratio | min | p10 | median | p90 | max."""
    s = m["ratio_spread"]
    return (f"**{m['ratio']:.3f}** | {s['min']:.3f} | {s['p10']:.3f} | {s['median']:.3f} "
            f"| {s['p90']:.3f} | {s['max']:.3f}")


def render_table(report: dict) -> str:
    """The Markdown table of the method summaries."""
    head = ("| method | ratio | min | p10 | median | p90 | max | encode samples/s | decode samples/s "
            "| compressed bytes |")
    rows = [head, "|" + " --- |" * 10]
    for m in report["methods"]:
        rows.append(f"| {method_label(m, report)} | {ratio_cells(m)} | {_throughput(m['encode_samples_per_s'])} "
                    f"| {_throughput(m['decode_samples_per_s'])} | {m['compressed_bytes']:,} |")
    joint = report.get("joint") or []
    for j in joint:
        rows.append(f"| {j['name']} | **{j['ratio']:.3f}** | | | | | | "
                    f"{_throughput(j['encode_samples_per_s'])} | {_throughput(j['decode_samples_per_s'])} "
                    f"| {j['compressed_bytes']:,} |")
    rows.append("")
    rows.append(f"{report['files']} files, {report['samples']:,} samples, {report['original_bytes']:,} bytes "
                f"of WAV; every file coded on its own and its decode checked byte for byte"
                + ("; each joint row codes all files in one stream." if joint else "."))
    return "\n".join(rows) + "\n"


def render_markdown(report: dict) -> str:
    mc = report["machine"]
    return "\n".join([
        "# Spikey benchmark",
        "",
        f"Source: `{report['source']}`.",
        "",
        render_table(report),
        "ratio = sum of original bytes / sum of compressed bytes (the challenge's rule). min, p10, median, "
        "p90, max: the spread of per-file ratios. Throughput = sum of samples / sum of wall time in the "
        "encode (WAV bytes -> compressed bytes, parsing included), resp. decode, calls; one thread.",
        "",
        "![per-file ratios](bench.png)",
        "",
        f"Machine: {mc.get('cpu_model') or mc.get('machine', '?')}, {mc['platform']}, {mc['cpu_count']} CPUs, "
        f"Python {mc['python']}, numpy {mc['numpy']}; run {mc['date']}.",
        "",
    ])


def render_plot(report: dict) -> bytes:
    """PNG: the per-file ratio distribution of each method, the challenge-rule total marked.

    Box: quartiles and median; whiskers: 10th and 90th percentiles (the table's spread);
    dots: files. The x axis stops a little past the largest 99th percentile so that a
    near-silent outlier file does not flatten everything else; files beyond the edge are
    counted at the edge.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    methods = report["methods"]
    names = [m["name"] for m in methods]
    ratios = [np.array([f["ratio"][name] for f in report["per_file"] if name in f["ratio"]]) for name in names]
    totals = [m["ratio"] for m in methods]
    lo = min(min(r.min() for r in ratios), min(totals))
    top = max(max(np.percentile(r, 99) for r in ratios), max(totals))
    span = max(top - lo, 1e-3)
    lo, hi = lo - 0.04 * span, top + 0.12 * span

    fig = Figure(figsize=(8, 1.2 + 0.7 * len(names)), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    positions = np.arange(len(names))[::-1]  # first method on top
    ax.boxplot(ratios, positions=positions, orientation="horizontal", widths=0.5, whis=(10, 90),
               showfliers=False, medianprops={"color": "tab:blue"})
    jitter = np.random.default_rng(0)
    for pos, r in zip(positions, ratios):
        inside = r[r <= hi]
        ax.scatter(inside, pos + jitter.uniform(-0.18, 0.18, len(inside)), s=6, alpha=0.35, color="grey", zorder=2)
        beyond = r[r > hi]
        if len(beyond):
            ax.annotate(f"{len(beyond)} file{'s' * (len(beyond) > 1)} at {beyond.min():.2f}"
                        + (f"..{beyond.max():.2f}" if len(beyond) > 1 else "") + " \u2192",
                        (hi, pos), xytext=(-3, 0), textcoords="offset points", ha="right", va="center",
                        fontsize=7, color="dimgrey")
    ax.scatter(totals, positions, marker="D", s=40, color="tab:red", zorder=3)
    for pos, t in zip(positions, totals):
        ax.annotate(f"{t:.3f}", (t, pos), xytext=(0, 11), textcoords="offset points", ha="center",
                    fontsize=8, color="tab:red", bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"})
    ax.set_xlim(lo, hi)
    ax.set_yticks(positions, [m["name"] + (f"\nfirst {m['files']} files" if m["files"] != report["files"] else "")
                              for m in methods])
    ax.set_xlabel("compression ratio (original / compressed)\n"
                  "box: quartiles and median; whiskers: 10th-90th percentile; dots: files", fontsize=9)
    ax.set_title(f"Per-file compression ratio, {report['files']} files; "
                 "red diamond: total (sum original / sum compressed)", fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def write_outputs(report: dict, out_dir) -> list[Path]:
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CodecError(f"cannot create {out_dir}: {e.strerror}") from None
    outputs = {
        "bench.json": (json.dumps(report, indent=1) + "\n").encode(),
        "bench.md": render_markdown(report).encode(),
    }
    try:
        outputs["bench.png"] = render_plot(report)
    except ImportError:      # matplotlib is the [plot] extra
        print("spikey: bench.png not drawn: matplotlib is not installed (pip install 'spikey[plot]')",
              file=sys.stderr)
    for name, data in outputs.items():
        write_atomic(out_dir / name, data)
    return [out_dir / name for name in outputs]


# --------------------------------------------------------------------------- command
def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return n


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", type=Path, metavar="DIR", help="folder of WAV recordings (every *.wav)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="OUT_DIR",
                        help=f"where bench.json, bench.md and bench.png go (default: ./{DEFAULT_OUT}/)")
    parser.add_argument("--limit", type=_positive_int, metavar="N", help="only the first N files (sorted)")
    parser.add_argument("--no-stdlib", action="store_true", help="skip gzip, bz2 and xz")
    parser.add_argument("--files-from", type=Path, metavar="LIST",
                        help="text file of file names in DIR, one per line, to use instead of every *.wav")
    parser.add_argument("--validation", action="store_true",
                        help="only the model's validation files (its split, in model.json) found in DIR")
    parser.add_argument("--model", help="a model directory or a bundled model's name (default: the bundled "
                                         "default; the joint rows then add the bundled MiddleOut model)")
    parser.add_argument("--no-joint", action="store_true", help="skip the joint-frames stream of all files")
    parser.add_argument("--mode", choices=("lossless", "events"), default="lossless",
                        help="lossless (default): the codecs; events: bitrate and spike/SBP fidelity of the event "
                             "mode against the reference detector (spikey/events/bench.py)")
    parser.add_argument("--max-error", metavar="D[,D...]",
                        help="near-lossless instead: the learned codec at each bound D (0 = lossless), per file: "
                             "ratio, max error (checked <= D), RMS error, SNR (writes near_lossless.json)")


def validation_paths(directory, model=None) -> list[Path]:
    """The model's validation files that are present in ``directory``."""
    names = (load_model(model).meta.get("split") or {}).get("validation") or []
    paths = [Path(directory) / n for n in names if (Path(directory) / n).is_file()]
    if not paths:
        raise CodecError(f"none of the model's validation files is in {directory}")
    return sorted(paths)


def measure_report(args: argparse.Namespace, extra_methods: Sequence[Method] = (),
                   limits: dict[str, int] | None = None) -> dict:
    """The measurement of ``spikey bench`` (files, methods, timed runs, joint stream) as a
    report; ``extra_methods`` are measured after the default ones, ``limits`` as in
    :func:`measure` (bench/results.py adds the Python reference this way)."""
    model = getattr(args, "model", None)
    if getattr(args, "validation", False):
        paths = validation_paths(args.dir, model)[:getattr(args, "limit", None)]
    else:
        paths = find_inputs(args.dir, getattr(args, "limit", None), getattr(args, "files_from", None))
    methods = default_methods(include_stdlib=not getattr(args, "no_stdlib", False), model=model)
    methods += list(extra_methods)
    results = measure(paths, methods, limits=limits)
    joint = None if getattr(args, "no_joint", False) else [measure_joint(paths, m) for m in joint_models(model)]
    return build_report(args.dir, methods, results, joint=joint)


def run(args: argparse.Namespace) -> int:
    if getattr(args, "mode", "lossless") == "events":
        from .events import bench as events_bench
        return events_bench.run(args)
    if getattr(args, "max_error", None) is not None:
        model = getattr(args, "model", None)
        paths = validation_paths(args.dir, model)[:args.limit] if args.validation else \
            find_inputs(args.dir, args.limit, args.files_from)
        return fidelity.run(args, paths)
    report = measure_report(args)
    written = write_outputs(report, getattr(args, "out", DEFAULT_OUT))
    sys.stdout.write(render_table(report))
    print("wrote " + ", ".join(str(p) for p in written), file=sys.stderr)
    return 0
