"""Regenerate docs/results.md: the codec benchmark and the model-size ladder, one document.

    python bench/results.py                      # measure the codecs now (about 2 minutes), ladder from its JSON
    python bench/results.py --reference-limit 30 # the Python reference on all 30 files (about 9 minutes more)
    python bench/results.py --ladder             # also measure the ladder again in QEMU
    python bench/results.py --codecs-from-json   # no measuring: both sections from their JSON
    python bench/results.py --limit 3 --reference-limit 1   # a quick try of the whole pipeline

1. Codec benchmark: the measurement of
   ``spikey bench ../shared/data/neuralink-dev --validation --reference --reference-limit N``
   (spikey/bench.py, reused as is): the default model's 30 validation recordings, every file
   coded on its own and its decode checked byte for byte; the baseline, the four learned
   coders through the generated C, the Python reference of the range coder on the first N
   files (its decode runs at about 5 k samples/s, 20 s a file), the joint-frames stream,
   gzip, bz2 and xz. Written to bench/results/learned/ (bench.json, bench.md, bench.png) as
   ``spikey bench`` writes it, and into docs/results.md with the machine, the date, git
   describe and the targets, PASS or FAIL computed from the measured figures.
2. Model-size ladder: the section of bench/ladder.py, rendered from bench/results/ladder.json
   (default, ``--ladder-from-json``) or measured again first (``--ladder``: QEMU, a few
   minutes; the models live in .cache/model-runs, not in git, and
   ``python bench/model_figures.py --train-missing`` trains them).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

import ladder  # noqa: E402  (bench/ladder.py)
from spikey import bench  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "neuralink-dev"  # as codegen.build.DEV_DATA
BENCH_OUT = REPO / "bench" / "results" / "learned"
DOC = REPO / "docs" / "results.md"
CODECS_PNG = REPO / "docs" / "results-codecs.png"
REFERENCE_LIMIT = 5

# The targets (issue 5), checked on the shipped codec: the default model + range coder, generated C.
SHIPPED_SUFFIX = "+range (C)"
RATIO_TARGET = 3.50
BEST_PUBLIC_RATIO = 3.46
DECODE_TARGET = 10e6  # samples/s, host C, one core


# --------------------------------------------------------------------------- 1. codec benchmark
def measure_codecs(data: Path, limit: int | None, reference_limit: int) -> dict:
    """``spikey bench DATA --validation --reference --reference-limit N`` as a report dict (progress on stderr)."""
    args = argparse.Namespace(dir=Path(data), validation=True, limit=limit, files_from=None, model=None,
                              no_stdlib=False, no_joint=False, reference=reference_limit > 0,
                              reference_limit=reference_limit or None)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    report = bench.measure_report(args)
    report["machine"]["load_average_before"] = load
    try:
        report["source"] = os.path.relpath(data, REPO)
    except ValueError:
        pass
    return report


def decode_breakdown(paths, repeats: int = 3) -> dict:
    """Where the shipped codec's host C decode time goes, ns per sample (best of ``repeats``
    over all ``paths``): the generated predictor alone (HostCodec.predict), the whole
    payload decode (predictor + range decoder + frame API), and the same per-file decode
    through ``spikey.codec`` (container, CRC and WAV bytes as well)."""
    import numpy as np

    from spikey import codec, learned
    from spikey_train.recordings import adc, wav

    model = learned.load_model()
    host = learned.host_codec(model)
    lc = learned.LearnedCodec(model=model)
    codes = [adc.to_codes(wav.read_wav(p).samples).astype(np.int64) for p in paths]
    payloads = [lc.encode_channels([c]) for c in codes]
    files = [codec.encode_recording(wav.read_wav(p), lc) for p in paths]
    n = sum(len(c) for c in codes)

    def best(fn) -> float:
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return min(times) / n * 1e9

    predict = best(lambda: [host.predict(c) for c in codes])
    payload = best(lambda: [lc.decode_channels(p, [len(c)]) for p, c in zip(payloads, codes)])
    whole = best(lambda: [codec.decode_stream(f) for f in files])
    return {"files": len(paths), "samples": n, "repeats": repeats, "predictor_ns": predict,
            "payload_decode_ns": payload, "file_decode_ns": whole}


def shipped(report: dict) -> dict | None:
    """The shipped codec's row: the default model + range coder through the generated C."""
    return next((m for m in report["methods"] if m["name"].endswith(SHIPPED_SUFFIX)), None)


def targets(report: dict) -> list[dict]:
    """Measured against target, PASS only if the measured figure meets it."""
    m = shipped(report)
    name = m["name"] if m else f"*{SHIPPED_SUFFIX}"
    ratio = m["ratio"] if m else None
    decode = m["decode_samples_per_s"] if m else None
    return [
        {"target": f"ratio >= {RATIO_TARGET:.2f}, every file coded on its own (best public: {BEST_PUBLIC_RATIO:.2f})",
         "method": name, "measured": "not measured" if ratio is None else f"{ratio:.3f}",
         "passed": ratio is not None and ratio >= RATIO_TARGET},
        {"target": f"host C decode >= {DECODE_TARGET / 1e6:.0f} M samples/s on one core",
         "method": name, "measured": "not measured" if decode is None else f"{decode / 1e6:.2f} M samples/s",
         "passed": decode is not None and decode >= DECODE_TARGET},
    ]


def _mps(x: float | None) -> str:
    """Samples/s as M samples/s: two decimals, four below 0.1 M (the Python reference)."""
    return "n/a" if x is None else f"{x / 1e6:.2f}" if x >= 1e5 else f"{x / 1e6:.4f}"


def _path(m: dict) -> str:
    if m["kind"] == "stdlib":
        return "Python stdlib (C library)"
    if m["name"].endswith("(C)"):
        return "generated C via cffi"
    if m["name"].endswith("(Python)"):
        return "Python reference"
    return "Python"


def reference_note(report: dict) -> str | None:
    """What the Python reference row covers, and whether its sizes equal the C range coder's there."""
    ref = next((m for m in report["methods"] if m["name"].endswith("(Python)")), None)
    if ref is None:
        return None
    c_name = ref["name"][: -len("(Python)")] + "(C)"
    pairs = [(f["compressed_bytes"][ref["name"]], f["compressed_bytes"].get(c_name)) for f in report["per_file"]
             if ref["name"] in f["compressed_bytes"]]
    same = all(a == b for a, b in pairs)
    speed = ref["decode_samples_per_s"]
    cover = (f"the first {ref['files']} of the {report['files']} files (it decodes at "
             f"{'?' if speed is None else f'{speed / 1e3:,.1f} k'} samples/s; `--reference-limit` sets how many)"
             if ref["files"] != report["files"] else f"all {report['files']} files")
    return (f"The {ref['name']} row (the Python integer reference of the range coder) covers {cover}; "
            f"its compressed size {'equals' if same else '**differs from**'} the {c_name} one on "
            f"{'every one of those files' if same else 'at least one of those files'}.")


def codec_section(report: dict, git: str | None = None, png: str = CODECS_PNG.name) -> str:
    """The 'Codec benchmark' section of docs/results.md from a ``spikey bench`` report dict."""
    mc = report["machine"]
    git = git or report.get("git") or "?"
    load = mc.get("load_average_before")
    ref = next((m for m in report["methods"] if m["name"].endswith("(Python)")), None)
    flags = "" if ref is None else " --reference" + (
        f" --reference-limit {ref['files']}" if ref["files"] != report["files"] else "")
    lines = [
        "## Codec benchmark",
        "",
        f"The measurement of `spikey bench {report['source']} --validation{flags}` (`spikey/bench.py`): "
        f"{report['files']} files of the default model's validation split (the dev recordings it never "
        "trained on: sorted names, [0::5]). Every file is encoded on its own (the challenge's rule), decoded, and the "
        "decoded WAV is checked against the original byte for byte; a single mismatch stops the run, so "
        "every figure below comes from verified round trips. All figures and the per-file numbers: "
        "`bench/results/learned/` (bench.json, bench.md, bench.png).",
        "",
        f"Run {mc['date']} at git {git} on {mc.get('cpu_model') or mc.get('machine', '?')} "
        f"({mc['cpu_count']} CPUs{'' if load is None else f', load average {load:.2f} before the run'}); "
        "one thread, so every speed is one core's. "
        f"{mc['platform']}, Python {mc['python']}, numpy {mc['numpy']}.",
        "",
        "### Targets",
        "",
        "| target | codec | measured | result |",
        "| --- | --- | --- | --- |",
    ]
    for t in targets(report):
        lines.append(f"| {t['target']} | {t['method']} | {t['measured']} | **{'PASS' if t['passed'] else 'FAIL'}** |")
    c_rows = [m for m in report["methods"] if m["name"].endswith("(C)") and m["decode_samples_per_s"]]
    if c_rows:
        fastest = max(c_rows, key=lambda m: m["decode_samples_per_s"])
        lines += ["", f"Fastest C decode of any coder: {fastest['name']}, "
                      f"{_mps(fastest['decode_samples_per_s'])} M samples/s."]
    lines += [
        "",
        "### Table",
        "",
        "| method | runs as | ratio | min | p10 | median | p90 | max | encode M samples/s | decode M samples/s "
        "| decode verified |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for m in report["methods"]:
        lines.append(f"| {bench.method_label(m, report)} | {_path(m)} | {bench.ratio_cells(m)} "
                     f"| {_mps(m['encode_samples_per_s'])} | {_mps(m['decode_samples_per_s'])} "
                     f"| {m['files']}/{m['files']} files byte-exact |")
    joint = report.get("joint") or []
    for j in joint:
        lines.append(f"| {j['name']} | generated C via cffi | **{j['ratio']:.3f}** | | | | | "
                     f"| {_mps(j['encode_samples_per_s'])} | {_mps(j['decode_samples_per_s'])} "
                     f"| all {j['channels']} files, one stream |")
    lines += [
        "",
        f"{report['files']} files, {report['samples']:,} samples, {report['original_bytes']:,} bytes of WAV. "
        "ratio = sum of original bytes / sum of compressed bytes, container included (the challenge's rule; "
        "not the mean of per-file ratios). min ... max: the spread of the per-file ratios. Speeds = samples / "
        "wall time in the encode (WAV bytes -> compressed bytes, parsing included), resp. decode (container, "
        "CRC and WAV bytes included), calls. Real time for the whole implant is 1024 x 19,531 = 20 M samples/s."
        + (" The joint rows code all files as one stream of 64-sample joint frames (the implant's mode, "
           "time-major); the MiddleOut row uses the bundled MiddleOut model, whose channels pass their latents "
           "to their 4 nearest peers (topology from the files' first second)."
           if joint else ""),
    ]
    note = reference_note(report)
    if note:
        lines += ["", note]
    lines += ["", f"![per-file ratios of every method]({png})", ""]
    t = report.get("decode_time")
    if t:
        coder = t["payload_decode_ns"] - t["predictor_ns"]
        rest = t["file_decode_ns"] - t["payload_decode_ns"]
        lines += [
            "### Where the host C decode time goes",
            "",
            f"The shipped codec (default model + range coder, generated C), ns per sample, best of {t['repeats']} "
            f"passes over the same {t['files']} files ({t['samples']:,} samples), measured after the table:",
            "",
            "| part | ns/sample | share |",
            "| --- | --- | --- |",
            f"| generated predictor (features + network, columns kernel) | {t['predictor_ns']:.1f} "
            f"| {t['predictor_ns'] / t['file_decode_ns']:.0%} |",
            f"| range decoder (CDF search) + frame API | {coder:.1f} | {coder / t['file_decode_ns']:.0%} |",
            f"| container, CRC, WAV bytes, Python calls | {rest:.1f} | {rest / t['file_decode_ns']:.0%} |",
            f"| **whole per-file decode** | **{t['file_decode_ns']:.1f}** "
            f"| = {1e3 / t['file_decode_ns']:.2f} M samples/s |",
            "",
        ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- 2. model-size ladder
def ladder_results(remeasure: bool, log=print) -> dict:
    """The ladder measurement: measured again with ``remeasure`` if every ladder model is there,
    else (and by default) the last one, from bench/results/ladder.json."""
    if remeasure:
        missing = ladder.missing_models(ladder.model_dirs())
        if not missing:
            return ladder.measure_ladder(ladder.model_dirs(), data=DATA, log=log)
        log(f"results: ladder models missing in .cache/model-runs ({', '.join(d.name for d in missing)}; "
            f"`python bench/model_figures.py --train-missing` trains them): using {ladder.OUT_JSON.name}")
    res = ladder.load()
    ladder.plot(res["models"], res["baseline"], ladder.OUT_PNG)
    return res


# --------------------------------------------------------------------------- the document
def document(report: dict, ladder_res: dict, date: str, git: str) -> str:
    """docs/results.md: header, the codec benchmark, the model-size ladder."""
    head = [
        "# Results",
        "",
        f"Generated by `python bench/results.py` on {date} (git {git}). Do not edit by hand: "
        "see bench/README.md to regenerate.",
        "",
        "1. [Codec benchmark](#codec-benchmark): ratio and host speed of every codec on the 30 validation "
        "recordings, and the targets.",
        "2. [Model-size ladder](#model-size-ladder): ratio against Cortex-M4 instructions per sample, "
        "per model size.",
        "",
    ]
    return "\n".join(head) + "\n" + codec_section(report) + ladder.section(ladder_res)


def git_describe() -> str:
    return subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True,
                          text=True).stdout.strip() or "?"


def _count(text: str) -> int:
    n = int(text)
    if n < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more, got {text!r}")
    return n


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA, help=f"dev recordings (default: {DATA})")
    ap.add_argument("--limit", type=bench._positive_int, metavar="N", help="only the first N validation files")
    ap.add_argument("--reference-limit", type=_count, default=REFERENCE_LIMIT, metavar="N",
                    help=f"Python reference on the first N files only (default {REFERENCE_LIMIT}; 0: none)")
    ap.add_argument("--codecs-from-json", action="store_true",
                    help=f"no codec measuring: the section from {BENCH_OUT.relative_to(REPO)}/bench.json")
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--ladder-from-json", dest="ladder", action="store_false",
                       help=f"the ladder from {ladder.OUT_JSON.relative_to(REPO)} (default)")
    group.add_argument("--ladder", dest="ladder", action="store_true", help="measure the ladder again (QEMU)")
    ap.set_defaults(ladder=False)
    args = ap.parse_args(argv)
    t0 = time.time()
    git = git_describe()

    if args.codecs_from_json:
        report = json.loads((BENCH_OUT / "bench.json").read_text())
        print(f"results: codec benchmark from {BENCH_OUT / 'bench.json'}", file=sys.stderr)
    else:
        print(f"results: codec benchmark on the validation files of {args.data}", file=sys.stderr)
        report = measure_codecs(args.data, args.limit, args.reference_limit)
        report["git"] = git
        print("results: timing the parts of the C decode", file=sys.stderr)
        report["decode_time"] = decode_breakdown(bench.validation_paths(args.data)[:args.limit])
        written = bench.write_outputs(report, BENCH_OUT)
        print("results: wrote " + ", ".join(str(p.relative_to(REPO)) for p in written), file=sys.stderr)
    shutil.copyfile(BENCH_OUT / "bench.png", CODECS_PNG)
    for t in targets(report):
        print(f"results: {'PASS' if t['passed'] else 'FAIL'}  {t['target']}: {t['measured']}", file=sys.stderr)

    res = ladder_results(args.ladder, log=lambda s: print(s, file=sys.stderr))
    DOC.write_text(document(report, res, time.strftime("%Y-%m-%d"), git))
    print(f"results: wrote {DOC.relative_to(REPO)}, {CODECS_PNG.relative_to(REPO)}, "
          f"{ladder.OUT_PNG.relative_to(REPO)} ({time.time() - t0:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
