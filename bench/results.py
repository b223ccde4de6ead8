"""Regenerate every committed result: bench/results/**, docs/results.md, docs/models.md, their figures, the README's tables.

    python bench/results.py --all                    # everything, measured again (about 8 minutes here, 40 from a clean clone)
    python bench/results.py --only codecs,ladder     # only these parts measured again, then every document
    python bench/results.py --from-json              # no measuring: every document re-rendered from the JSON
    python bench/results.py --list                   # the parts, what each writes and how long it takes
    python bench/results.py --only codecs --limit 3 --reference-limit 1   # a quick try of one part

Run from anywhere in a clean clone, with the dev recordings in ../shared/data/neuralink-dev
(``--data``) and the Cortex-M toolchain (arm-none-eabi-gcc, qemu-system-arm) installed. Every
part prints what it does and its library's own progress (bars, one line per step) on stderr;
the run ends with a table of the time each part took. Paths are given to the libraries
relative to the repository root (the script works there), so the committed JSON does not
name the machine's folders. The parts, in the order ``--all`` runs them (times measured on
this 2-core machine; the first host C builds of a fresh cffi cache add a minute or two):

models            bench/model_figures.py: trains every ladder, ablation and joint
                  configuration of spikey_train/configs/ that is missing in .cache/model-runs/
                  (not in git; 14 runs, 20 s to 5 minutes each: about 30 minutes from a clean
                  clone), then evaluates them all on the 30 validation files (about 1.5 minutes)
                  -> docs/models.md, docs/models-ladder.png. Says whether the retrained default
                  is the bundled model (same model identity).
ladder            bench/ladder.py's measure_ladder: the ladder models of .cache/model-runs (the
                  bundled model for "default"), each built as `codegen build --target
                  cortex-m4` builds it and run in QEMU on 3 validation files, ratio range-coded
                  on all 30; and the baseline (about 2 minutes) -> bench/results/ladder.json,
                  docs/results-ladder.png. Needs the models part's runs.
codecs            spikey bench on the default model's 30 validation files (spikey/bench.py's
                  measure_report) plus the Python reference of the range coder on the first
                  ``--reference-limit`` files (default 5, about 25 s a file) and the parts of
                  the C decode time (about 3 minutes) -> bench/results/learned/bench.{json,md,png},
                  docs/results-codecs.png.
foundation        spikey bench, the baseline codec and gzip/bz2/xz only, on all 150 dev files
                  (about 40 s) -> bench/results/foundation/bench.{json,md,png}.
coders            bench/coders_vs_ideal.py on 3 validation files (about 10 s)
                  -> bench/results/coders/coders_vs_ideal.{json,md}.
baseline-instructions
                  bench/instructions_baseline.py: the baseline firmware in QEMU on 5 dev files
                  (about 5 s) -> bench/results/baseline-instructions.{json,md}.
near_lossless     bench/near_lossless.py on the default model's 30 validation files: D = 0, 1, 2,
                  3, 4, 6, 8, each file coded alone (host C), decoded, the bound checked on every
                  sample, RMS / SNR, spikes against the reference detector (bench/detector.py),
                  the first-difference yardstick and the reconstructed-history loss (about 2
                  minutes) -> bench/results/near-lossless/near_lossless.{json,md,png}.
build-report      codegen.build.build("cortex-m4", None, out_dir=bench/results/build-report/
                  default-cortex-m4, data_dir=...): the committed folder IS that build (src/,
                  build.json, quantisation.*, size.json, instructions.json, measurements.json,
                  report.{json,md,png}); its obj/ and ELFs are deleted after the build (about
                  30 s).
cores             bench/cores.py: the learned codec built for each of the five Cortex-M cores
                  (codegen build --target cortex-m3|m4|m7|m33|m55), run in QEMU on 3
                  validation files, checked three ways (about 3 minutes)
                  -> bench/results/cores.json, docs/results-cores.png, docs/results.md's cores
                  section.
near_lossless_builds
                  codegen build --target cortex-m4 --max-error D for D = 1, 2, 4 into
                  bench/results/build-report/default-cortex-m4-d{D}/ (as build-report; the Python
                  reference checked on the first second of each recording; about 10 minutes).
baseline-report   codegen.measure.figures.measure_baseline_build into
                  bench/results/build-report/baseline-cortex-m4/ (measurements.json,
                  report.{json,md,png}); its obj/ is deleted after (about 5 s).
frames            bench/frames.py: ratio per file and joint for frame lengths 1..256 on the
                  validation files (host C), instructions/sample per frame length in QEMU on
                  one file (about 1.5 minutes) -> bench/results/frames/frames.{json,md}.
plan              codegen plan (budget n1-budget, core cortex-m4, radio ir-uwb-28nm): the
                  lossless builds of every bundled model and the baseline at every frame
                  length (codegen.plan.collect FRAMES), the default model near-lossless at D = 1, 2, 4
                  (frames 16, 64) and the event mode, in .cache/plan/builds (not in git; built where
                  missing, 25 s to 1.5 min each, about 15 min in all); the event fidelity from bench/results/events/bench.json
                  -> bench/results/plan/plan.{json,md,png}.

native            bench/native_codec.py: codegen build --target host, then its spikey-codec
                  encodes and decodes the 30 validation files one process each (eval.sh),
                  byte-exact, and `spikey encode`'s first and second run (about 30 s)
                  -> bench/results/native/native.{json,md,png}, docs/results-native.png.
events            bench/events_results.py: spikey bench --mode events on the 30 validation
                  files (about 1.5 minutes) -> bench/results/events/bench.{json,md,png}, and
                  codegen build --target cortex-m4 --mode events (about 40 s) ->
                  bench/results/build-report/events-cortex-m4/ (without obj/ and the ELF);
                  docs/results.md's "Event mode" section (<!-- results:events --> markers).

After the parts, always (and alone with ``--from-json``, in seconds): docs/results.md
(the codec benchmark, the ladder, the cores, the native program, frame length and the plan,
from bench/results/learned/bench.json, ladder.json, cores.json, native/native.json,
frames/frames.json, plan/plan.json, events/ and near-lossless/) and the README's blocks
between ``<!-- results:NAME -->`` and
``<!-- /results:NAME -->`` (codecs, model, build-report, ladder, native, near-lossless; from those JSON files, the
build report's report.json and the bundled models' model.json); nothing else of the README
changes. ``--from-json`` also re-renders, without measuring, what has a renderer apart from
its measurement: bench.md and bench.png of learned/ and foundation/, docs/results-codecs.png,
docs/results-ladder.png, baseline-instructions.md, bench/results/near-lossless/near_lossless.{md,png},
and both build reports' report.{json,md,png}
(codegen.report from measurements.json and the profiles the report names). docs/models.md and
coders_vs_ideal.md are written only by their measurements (models, coders).

Options: ``--data DIR`` the dev recordings (default ../shared/data/neuralink-dev beside the
checkout); ``--limit N`` only the first N validation files in the codecs part (a quick try;
it still writes the committed files); ``--reference-limit N`` the Python reference on the
first N files in the codecs part (0: none; 30: all, about 10 minutes more). A part that fails
is reported, its committed files are left as they are (except build-report: a failed build
leaves its folder half written; ``git checkout bench/results/build-report`` restores it), the
other parts and the documents still run, and the exit status is 1.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

import cores  # noqa: E402  (bench/cores.py)
import events_results  # noqa: E402  (bench/events_results.py)
import ladder  # noqa: E402  (bench/ladder.py)
import near_lossless  # noqa: E402  (bench/near_lossless.py)
from spikey import bench  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "neuralink-dev"  # as codegen.data.DEV_DATA, from the repository root
RESULTS = REPO / "bench" / "results"
BENCH_OUT = RESULTS / "learned"
FOUNDATION_OUT = RESULTS / "foundation"
CODERS_OUT = RESULTS / "coders"
BUILD_OUT = RESULTS / "build-report" / "default-cortex-m4"
BASELINE_BUILD_OUT = RESULTS / "build-report" / "baseline-cortex-m4"
BASELINE_INSNS = RESULTS / "baseline-instructions.json"
PLAN_OUT = RESULTS / "plan"
PLAN_BUILDS = REPO / ".cache" / "plan" / "builds"      # the plan's builds (obj/, ELFs): not in git
PLAN_RADIO = "ir-uwb-28nm"                             # the implant-class radio the committed plan assumes
FRAMES_OUT = RESULTS / "frames"
NATIVE_OUT = RESULTS / "native"
DOC = REPO / "docs" / "results.md"
README = REPO / "README.md"
CODECS_PNG = REPO / "docs" / "results-codecs.png"
REFERENCE_LIMIT = 5
BASELINE_INSNS_FILES = 5     # bench/instructions_baseline.py's default
CODERS_FILES = 3             # bench/coders_vs_ideal.py's default

# The targets (issue 5), checked on the shipped codec: the default model + range coder, generated C.
SHIPPED_SUFFIX = "+range (C)"
RATIO_TARGET = 3.50
DECODE_TARGET = 10e6  # samples/s, host C, one core
# Public codecs' figures, quoted (not re-measured here): the project's measurements of them on all 743 public
# challenge files, every file coded on its own (bench/README.md, "What the figures mean").
BEST_PUBLIC_RATIO = 3.46
BRAINWIRE_RATIO = 3.35
CHALLENGE_FILES = 743

README_BLOCKS = ("codecs", "model", "build-report", "ladder", "native", "near-lossless")


def _rel(p: Path) -> str:
    try:
        return Path(p).resolve().relative_to(REPO).as_posix()
    except ValueError:
        return str(p)


def _data_arg(data: Path) -> Path:
    """``data`` as the libraries get it: relative to the repository root (where the script works)."""
    return Path(os.path.relpath(Path(data).resolve(), REPO))


# --------------------------------------------------------------------------- 1. codec benchmark
def reference_method(model=None) -> bench.Method:
    """The Python integer reference of the learned range coder (codegen.reference.codec) as a
    ``spikey bench`` method: its own encode, and its decode through spikey.codec with the
    reference as the learned codec."""
    from codegen.reference.codec import ReferenceCodec
    from codegen.reference.compile import compile_model
    from spikey.model.files import resolve

    pred = compile_model(resolve(model))
    codec = ReferenceCodec(pred, "range")
    return bench.spikey_method(codec, f"{pred.name}+range (Python)",
                               "learned model + range coder, Python integer reference", model,
                               learned=lambda coder: ReferenceCodec(pred, coder))


def measure_codecs(data: Path, limit: int | None, reference_limit: int) -> dict:
    """``spikey bench DATA --validation`` plus the Python reference on the first N files, as a
    report dict (progress on stderr)."""
    args = argparse.Namespace(dir=Path(data), validation=True, limit=limit, files_from=None, model=None,
                              no_stdlib=False, no_joint=False)
    extra = [reference_method()] if reference_limit > 0 else []
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    report = bench.measure_report(args, extra_methods=extra, limits={m.name: reference_limit for m in extra})
    report["machine"]["load_average_before"] = load
    report["source"] = os.path.relpath(Path(data).resolve(), REPO)
    return report


def decode_breakdown(paths, repeats: int = 3) -> dict:
    """Where the shipped codec's host C decode time goes, ns per sample (best of ``repeats``
    over all ``paths``): the generated predictor alone (HostCodec.predict), the whole
    payload decode (predictor + range decoder + frame API), and the same per-file decode
    through ``spikey.codec`` (container, CRC and WAV bytes as well)."""
    import numpy as np

    from spikey import codec, learned
    from spikey.recordings import adc, wav

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
    flags = "" if ref is None else " (and the Python reference of the range coder" + (
        "" if ref["files"] == report["files"] else f" on the first {ref['files']} files") + ")"
    lines = [
        "## Codec benchmark",
        "",
        f"The measurement of `spikey bench {report['source']} --validation` (`spikey/bench.py`){flags}: "
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


# --------------------------------------------------------------------------- the documents
def document(report: dict, ladder_res: dict) -> str:
    """docs/results.md: a numbered list of contents, then every section whose JSON exists."""
    contents = [
        ("[Codec benchmark](#codec-benchmark): ratio and host speed of every codec on the 30 validation "
         "recordings, and the targets.", True),
        ("[Model-size ladder](#model-size-ladder): ratio against Cortex-M4 instructions per sample, "
         "per model size.", True),
        ("[Five Cortex-M cores](#five-cortex-m-cores): the codec built, run and checked three ways on each "
         "core, instructions per sample side by side.", cores.OUT.is_file()),
        ("[Native codec program](#native-codec-program): `spikey-codec` in the challenge's eval.sh loop, and "
         "the Python CLI's start.", True),
        ("[Frame length](#frame-length) and [the plan](#plan-which-builds-fit-the-budget): what short frames "
         "cost, and which builds fit the N1 budget (`codegen plan`).", True),
        ("[Event mode](#event-mode): spikes and spike-band power instead of samples: bitrate, fidelity against "
         "the reference detector, the Cortex-M4 build for 1024 channels.", bool(events_results.section())),
        ("[Near-lossless](#near-lossless): ratio, error, SNR and spike agreement per error bound D.", True),
    ]
    head = [
        "# Results",
        "",
        "Generated by `python bench/results.py` from the JSON under `bench/results/` "
        "(each section says when it was measured and from what). Do not edit by hand: "
        "see bench/README.md to regenerate.",
        "",
        *(f"{i}. {text}" for i, text in enumerate((t for t, shown in contents if shown), 1)),
        "",
    ]
    sections = [codec_section(report), ladder.section(ladder_res), cores.section_from_json(), native_section(),
                plan_sections(), events_results.section(),
                near_lossless.section(near_lossless.load())]
    return "\n".join(head) + "\n" + "\n".join(s.strip("\n") + "\n" for s in sections if s.strip())


def plan_sections() -> str:
    """docs/results.md's frame-length and plan sections, from bench/results/frames/frames.json and
    bench/results/plan/plan.json (each says it is absent until its part has run)."""
    import frames as frames_bench  # noqa: E402  (bench/frames.py)
    from codegen.plan.render import table_markdown, verdict_lines
    out = ["## Frame length", ""]
    fj = FRAMES_OUT / "frames.json"
    if fj.is_file():
        body = frames_bench.render_md(_load_json(fj)).split("\n", 2)[2]
        out += ["Written by `python bench/results.py --only frames` (bench/frames.py).", "", body.rstrip()]
    else:
        out.append("Not measured yet: `python bench/results.py --only frames`.")
    out += ["", "## Plan: which builds fit the budget", "", "<!-- results:plan -->"]
    pj = PLAN_OUT / "plan.json"
    if pj.is_file():
        plan = _load_json(pj)
        p = plan["profiles"]
        out += [f"Written by `python bench/results.py --only plan`: `codegen plan --budget {p['budget'][:-5]} --core "
                f"{p['core'][:-5]} --radio {p['radio'][:-5]}` on the lossless builds of every bundled model and the "
                "baseline at every frame length, the default model near-lossless (D = 1, 2, 4) and the event mode "
                "(bench/results/plan/plan.{json,md,png}: every figure's source).", "",
                *verdict_lines(plan), "", table_markdown(plan).rstrip(), "", "![plan](../bench/results/plan/plan.png)"]
    else:
        out.append("Not measured yet: `python bench/results.py --only plan`.")
    out.append("<!-- /results:plan -->")
    return "\n".join(out) + "\n"


def native_section() -> str:
    """docs/results.md's native program section (bench/native_codec.py), between its markers."""
    path = NATIVE_OUT / "native.json"
    body = _native().render_md(_load_json(path)) if path.is_file() else "Not measured yet: `--only native`.\n"
    return f"<!-- results:native -->\n{body.rstrip()}\n<!-- /results:native -->\n"


def _load_json(path: Path) -> dict:
    return json.loads(Path(path).read_text())


def inputs() -> dict:
    """Every committed JSON the documents are rendered from."""
    from spikey.model.files import MIDDLEOUT, read_meta, resolve
    return {
        "codecs": _load_json(BENCH_OUT / "bench.json"),
        "foundation": _load_json(FOUNDATION_OUT / "bench.json"),
        "ladder": ladder.load(),
        "report": _load_json(BUILD_OUT / "report.json"),
        "baseline_report": _load_json(BASELINE_BUILD_OUT / "report.json"),
        "default": read_meta(resolve(None)),
        "middleout": read_meta(resolve(MIDDLEOUT)),
        "native": _load_json(NATIVE_OUT / "native.json"),
        "near_lossless": near_lossless.load(),
        "near_lossless_builds": near_lossless.builds(),
    }


def _m(x: float | None) -> str:
    return "n/a" if x is None else f"{x / 1e6:.1f} M"


def _slashed(values, fmt) -> str:
    return " / ".join(fmt(v) for v in values)


CODER_LABELS = {"huffman_prior": "prior Huffman", "rice_scaled": "scaled Rice", "rice_fixed": "fixed Rice"}
STDLIB_LABELS = {"gzip-9": "gzip -9", "bz2-9": "bz2 -9", "xz-9e": "xz -9e"}


def readme_codecs(report: dict, foundation: dict, middleout_meta: dict) -> str:
    """The README's codec table (from bench/results/learned/bench.json) and its key facts."""
    ship = shipped(report)
    if ship is None:
        raise ValueError("bench.json has no default-model + range (C) row")
    model = ship["name"][: -len(SHIPPED_SUFFIX)]
    rows = ["| codec | ratio | encode samples/s | decode samples/s |", "| --- | --- | --- | --- |",
            f"| {model} model + range coder (generated C) | **{ship['ratio']:.3f}** "
            f"| {_m(ship['encode_samples_per_s'])} | {_m(ship['decode_samples_per_s'])} |"]
    for j in report.get("joint") or []:
        if "MiddleOut" in j["name"]:
            name = j["name"].split("+", 1)[0]
            label = (f"MiddleOut model (bundled `{name}`), one joint stream, "
                     f"{middleout_meta['model']['peers']} peers per channel")
        else:
            label = (f"same, all {j['channels']} files in one time-major stream of {j['frame']}-sample joint frames")
        rows.append(f"| {label} | {j['ratio']:.3f} | {_m(j['encode_samples_per_s'])} "
                    f"| {_m(j['decode_samples_per_s'])} |")
    by_name = {m["name"]: m for m in report["methods"]}
    others = sorted((by_name[f"{model}+{c} (C)"] for c in CODER_LABELS if f"{model}+{c} (C)" in by_name),
                    key=lambda m: -m["ratio"])
    if others:
        labels = " / ".join(CODER_LABELS[m["name"][len(model) + 1:-4]] for m in others)
        rows.append(f"| {model} model + {labels} (generated C) | {_slashed([m['ratio'] for m in others], '{:.3f}'.format)} "
                    f"| {_slashed([m['encode_samples_per_s'] / 1e6 for m in others], '{:.1f}'.format)} M "
                    f"| {_slashed([m['decode_samples_per_s'] / 1e6 for m in others], '{:.1f}'.format)} M |")
    base = by_name.get("baseline")
    if base:
        rows.append(f"| baseline: first difference + adaptive Rice (Python) | {base['ratio']:.3f} "
                    f"| {_m(base['encode_samples_per_s'])} | {_m(base['decode_samples_per_s'])} |")
    std = sorted((m for m in report["methods"] if m["kind"] == "stdlib"), key=lambda m: -m["ratio"])
    if std:
        rows.append(f"| {' / '.join(STDLIB_LABELS.get(m['name'], m['name']) for m in std)} (Python stdlib) "
                    f"| {_slashed([m['ratio'] for m in std], '{:.3f}'.format)} "
                    f"| {_slashed([m['encode_samples_per_s'] / 1e6 for m in std], '{:.1f}'.format)} M "
                    f"| {_slashed([m['decode_samples_per_s'] / 1e6 for m in std], '{:.1f}'.format)} M |")
    text = ["\n".join(rows), ""]
    fbase = next((m for m in foundation["methods"] if m["name"] == "baseline"), None)
    facts = (f"The best public codec reaches {BEST_PUBLIC_RATIO:.2f} and the public adaptive-Rice coder "
             f"{BRAINWIRE_RATIO:.2f} (brainwire) on all {CHALLENGE_FILES} public challenge files (quoted from the "
             "project's earlier measurement, not re-measured here).")
    if fbase:
        facts += (f" On all {fbase['files']} dev recordings the baseline reaches {fbase['ratio']:.3f} "
                  "(`bench/results/foundation/`).")
    t = report.get("decode_time")
    passed = targets(report)[1]["passed"]
    facts += (f" Host C decode {'meets' if passed else '**misses**'} the {DECODE_TARGET / 1e6:.0f} M samples/s "
              f"target on one core: {ship['decode_samples_per_s'] / 1e6:.2f} M in the table (one pass over the "
              f"{ship['files']} files)")
    if t:
        coder = t["payload_decode_ns"] - t["predictor_ns"]
        rest = t["file_decode_ns"] - t["payload_decode_ns"]
        facts += (f", {1e3 / t['file_decode_ns']:.2f} M as the best of {t['repeats']} passes, where per sample "
                  f"the generated predictor takes {t['predictor_ns']:.0f} ns, the range decoder and frame API "
                  f"{coder:.0f} ns, and container, WAV and CRC {rest:.0f} ns")
    facts += ". Decoding one file is one chain: each prediction needs the previous sample."
    text.append(facts)
    return "\n".join(text) + "\n"


def _arch(meta: dict) -> str:
    f, m = meta["features"], meta["model"]
    net = " -> ".join(str(n) for n in [*m["hidden"], m["latent"], *m["predictor"]])
    return (f"a {f['window']}-difference window, {f['levels']} dmey levels, "
            f"{m['projector'].upper() if m['projector'] == 'fc' else m['projector']} {net}")


def readme_model(default_meta: dict, middleout_meta: dict, ladder_res: dict) -> str:
    """The README's model figures: the default model's ideal ratio, size and floor (its
    model.json), the ladder's ideal ratios (bench/results/ladder.json) and MiddleOut's gain."""
    met = default_meta["metrics"]
    pf, fl = met["validation"]["per_file"], met["floor"]
    n_val = len(default_meta["split"]["validation"])
    rows = [r for r in ladder_res["models"] if r.get("ideal_ratio_training") is not None]
    lines = ["| model | MACs / sample | int16 weights | ideal ratio | bits / sample |", "| --- | --- | --- | --- | --- |",
             f"| first difference + ideal static coder per file (the floor) | 0 | 0 | {fl['ratio']:.4f} "
             f"| {fl['bits_per_sample']:.4f} |"]
    for r in sorted(rows, key=lambda r: r["macs"]):
        name = f"**{r['model']}** (bundled)" if r["model"] == default_meta["name"] else r["model"]
        lines.append(f"| {name} | {r['macs']:,} | {r['weights']:,} | {r['ideal_ratio_training']:.4f} "
                     f"| {16 / r['ideal_ratio_training']:.4f} |")
    mo = middleout_meta["metrics"]
    mo_pf, mo_joint = mo["validation"]["per_file"], mo["validation"].get("joint")
    if mo_joint:
        lines.append(f"| {middleout_meta['name']} (bundled), joint mode, {middleout_meta['model']['peers']} peers "
                     f"| {mo['macs']['total']:,} | {mo['weights']:,} | {mo_joint['ratio']:.4f} "
                     f"| {mo_joint['bits_per_sample']:.4f} |")
    lines.append("")
    text = (f"On the {n_val} validation files, as an ideal-coder ratio (16 / bits per sample, -log2 P of the "
            f"model, no coder overhead): the first difference reaches {fl['ratio']:.3f}, the default model per "
            f"file {pf['ratio']:.4f} with {met['macs']['total']:,} multiply-accumulates and {met['weights']:,} "
            f"int16 weights per channel ({_arch(default_meta)}).")
    if rows:
        lo, hi = min(rows, key=lambda r: r["ideal_ratio_training"]), max(rows, key=lambda r: r["ideal_ratio_training"])
        text += (f" The ladder's {len(rows)} sizes span {lo['ideal_ratio_training']:.4f} ({lo['model']}, "
                 f"{lo['macs']:,} MACs) to {hi['ideal_ratio_training']:.4f} ({hi['model']}, {hi['macs']:,} MACs).")
    if mo_joint:
        gain = 1 - mo_joint["bits_per_sample"] / mo_pf["bits_per_sample"]
        text += (f" MiddleOut ({middleout_meta['name']}, a larger model with {middleout_meta['model']['peers']} "
                 f"peers per channel) codes {mo_joint['bits_per_sample']:.4f} bits/sample in joint mode against "
                 f"{mo_pf['bits_per_sample']:.4f} with its messages off ({100 * gain:.2f} % fewer), and "
                 f"{pf['bits_per_sample']:.4f} for the default per file.")
    lines.append(text)
    lines.append("Figures from the models' `model.json` and `bench/results/ladder.json`; every model in "
                 "[docs/models.md](docs/models.md).")
    return "\n".join(lines) + "\n"


def _verdicts(report: dict) -> dict:
    return {v["budget"]: v for v in report["verdicts"]}


def _word(v: dict) -> str:
    return f"fits ({v['factor']:.2g}x)" if v["pass"] else f"fails ({v['factor']:.3g}x)"


def _need(v: dict) -> str:
    return f"fits: uses {v['factor']:.3g}x" if v["pass"] else f"fails: needs {v['factor']:.3g}x"


def _datapath_rows(report: dict) -> list[str]:
    """The datapath estimate and the radio that decides, when the report has them."""
    F, v = report["figures"], _verdicts(report)
    dp = F.get("datapath_power_mw", {})
    if dp.get("value") is None or "power (datapath)" not in v:
        return []
    lo, hi = dp.get("range", [dp["value"]] * 2)
    return [f"| power as an n1-datapath ASIC (compute + radio) | {_need(v['power (datapath)'])} (datapath "
            f"{dp['value']:.3g} mW [{lo:.3g}, {hi:.3g}] for {F['channels']['value']:,} channels; "
            f"{report['radios']['decides']}) |",
            f"| latency as a datapath, {v['latency (datapath)']['limit']} | {_need(v['latency (datapath)'])} "
            f"({F['frame_ms']['value']:.2f} ms of buffering) |"]


def readme_build_report(report: dict, baseline_report: dict) -> str:
    """The verdict table and the key figures of the default cortex-m4 build report (its report.json)."""
    f = {k: v.get("value") for k, v in report["figures"].items()}
    rng = {k: v.get("range") for k, v in report["figures"].items()}
    v = _verdicts(report)
    chan_per_core = math.ceil(f["channels"] / f["cores_needed"])
    lines = [
        "| budget | verdict |", "| --- | --- |",
        f"| power, {v['power']['limit']} (compute + radio) | {_need(v['power'])} (compute {f['compute_power_mw']:,.0f} mW, "
        f"radio {f['radio_power_mw']:,.0f} mW) |",
        f"| latency, {v['latency']['limit']} | {_need(v['latency'])} ({f['frame_ms']:.2f} ms of it is buffering one "
        f"{f['frame_samples']}-sample frame, then each of {f['cores_needed']:,} cores codes {chan_per_core} channels' "
        "frames) |",
        f"| link, {v['link']['limit']} | {_need(v['link'])} ({f['bits_per_sample']:.2f} bits/sample x "
        f"{f['channels']:,} ch x {f['sample_rate_hz']:,} Hz) |",
        f"| one {f['clock_max_mhz']:g} MHz core | {_need(v['one core'])} ({f['clock_needed_worst_mhz']:,.0f} MHz for the "
        f"worst frame; one core serves {f['channels_per_core']} channels) |",
        f"| flash / RAM | flash {_word(v['flash'])}; RAM {_word(v['RAM'])}: {f['state_bytes_per_channel']:,} B of state "
        f"per channel x {f['channels']:,} |",
        *_datapath_rows(report),
        "",
        "| figure | value [cycle-model range] |", "| --- | --- |",
        f"| instructions / sample (QEMU -icount) | {f['insns_per_sample']:,.0f} (worst {f['frame_samples']}-sample "
        f"frame {f['insns_worst_frame']:,}) |",
        f"| cycles / sample (model, CPI {f['cpi']:.2f} [{rng['cpi'][0]:.2f}, {rng['cpi'][1]:.2f}]) "
        f"| {f['cycles_per_sample']:,.0f} [{rng['cycles_per_sample'][0]:,.0f}, {rng['cycles_per_sample'][1]:,.0f}] |",
        f"| compression ratio (these {len(report['data']['files'])} files, real range-coded payload) "
        f"| {f['compression_ratio']:.2f} |",
        f"| firmware image / codec's share of it (linked) / stack / state per channel | {f['flash_bytes']:,} B / "
        f"{f['codec_flash_bytes']:,} B / {f['stack_bytes']:,} B / {f['state_bytes_per_channel']:,} B |",
        "",
    ]
    b = {k: x.get("value") for k, x in baseline_report["figures"].items()}
    lines.append(f"Measured {report['build']['date'][:10]} on {report['data']['samples']:,} samples. For comparison, "
                 f"the baseline (first difference + adaptive Rice) costs {b['insns_per_sample']:,.0f} "
                 f"instructions/sample ({b['cycles_per_sample']:,.0f} cycles) at ratio {b['compression_ratio']:.2f} "
                 f"on {baseline_report['data']['description']} (`bench/results/build-report/baseline-cortex-m4/`).")
    return "\n".join(lines) + "\n"


def readme_ladder(res: dict) -> str:
    """The ladder's points against the public peers (bench/results/ladder.json)."""
    rows, base, peers = res["models"], res["baseline"], res.get("peers") or ladder.PEERS
    lines = ["| codec | MACs / sample | M4 instructions / sample | ratio (range-coded, per file) |",
             "| --- | --- | --- | --- |"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['macs']:,} | {r['insns_per_sample']:,.0f} | {r['ratio']:.4f} |")
    lines.append(f"| Spikey baseline (first difference + adaptive Rice) | - | {base['insns_per_sample']:,.0f} "
                 f"| {base['ratio']:.4f} |")
    for p in peers:
        lines.append(f"| *{p['name']}: quoted, not measured* | - | *{p['insns_per_sample']:,}* | *{p['ratio']:.2f}* |")
    lines.append("")
    small = rows[0]
    beaten = [p for p in peers[:2] if ladder.dominates(small, p)]
    text = (f"Measured {res['date']} (git {res['git']}): {res['hil_files']} validation files in QEMU, the ratio "
            f"on {res['ratio_files']}. The cheapest model, {small['model']} ({small['macs']:,} MACs), costs "
            f"{small['insns_per_sample']:,.0f} instructions/sample at ratio {small['ratio']:.3f}")
    if beaten:
        text += ", better on both axes than " + " and ".join(
            f"the {p['name'].replace(' (peer)', '')} ({p['insns_per_sample']:,}, {p['ratio']:.2f})" for p in beaten)
    default = next((r for r in rows if r["model"] == "default"), None)
    best = max(rows, key=lambda r: r["ratio"])
    if default:
        text += (f"; the default costs {default['insns_per_sample']:,.0f} at {default['ratio']:.3f}")
    text += (f"; the best ratio, {best['model']}'s {best['ratio']:.3f}, costs {best['insns_per_sample']:,.0f}. "
             f"The baseline costs {base['insns_per_sample']:.0f} instructions/sample at {base['ratio']:.3f}.")
    lines.append(text)
    return "\n".join(lines) + "\n"


def readme_blocks(data: dict) -> dict:
    """Every generated block of the README, from the committed JSON (``inputs()``)."""
    return {
        "codecs": readme_codecs(data["codecs"], data["foundation"], data["middleout"]),
        "model": readme_model(data["default"], data["middleout"], data["ladder"]),
        "build-report": readme_build_report(data["report"], data["baseline_report"]),
        "ladder": readme_ladder(data["ladder"]),
        "native": _native().readme_block(data["native"]),
        "near-lossless": near_lossless.readme_block(data["near_lossless"], data["near_lossless_builds"]),
    }


def _native():
    import native_codec  # noqa: E402  (bench/native_codec.py)
    return native_codec


def fill_readme(text: str, blocks: dict) -> str:
    """``text`` with what is between each ``<!-- results:NAME -->`` and ``<!-- /results:NAME -->``
    replaced by ``blocks[NAME]``; everything else kept. A missing or doubled marker is an error."""
    for name, body in blocks.items():
        start, end = f"<!-- results:{name} -->", f"<!-- /results:{name} -->"
        if text.count(start) != 1 or text.count(end) != 1 or text.index(start) > text.index(end):
            raise ValueError(f"README: expected one {start} ... {end} pair")
        i, j = text.index(start) + len(start), text.index(end)
        text = text[:i] + "\n" + body.rstrip("\n") + "\n" + text[j:]
    return text


def readme_block(text: str, name: str) -> str:
    """What is between the markers of block ``name`` now."""
    start, end = f"<!-- results:{name} -->\n", f"<!-- /results:{name} -->"
    return text[text.index(start) + len(start): text.index(end)]


def render_documents(log) -> list[Path]:
    """docs/results.md and the README's blocks, from the committed JSON (no measuring)."""
    data = inputs()
    DOC.write_text(document(data["codecs"], data["ladder"]))
    text = README.read_text()
    new = fill_readme(text, readme_blocks(data))
    if new != text:
        README.write_text(new)
    log(f"wrote {_rel(DOC)}, the README's blocks ({', '.join(README_BLOCKS)})")
    return [DOC, README]


def rerender_from_json(log) -> None:
    """Every rendering that has its own function, from the committed JSON (no measuring)."""
    import instructions_baseline  # noqa: E402  (bench/instructions_baseline.py)
    from codegen.report import profiles
    from codegen.report.report import write_report

    for out in (BENCH_OUT, FOUNDATION_OUT):
        report = _load_json(out / "bench.json")
        (out / "bench.md").write_text(bench.render_markdown(report))
        (out / "bench.png").write_bytes(bench.render_plot(report))
    shutil.copyfile(BENCH_OUT / "bench.png", CODECS_PNG)
    res = ladder.load()
    ladder.plot(res["models"], res["baseline"], ladder.OUT_PNG)
    b = _load_json(BASELINE_INSNS)
    BASELINE_INSNS.with_suffix(".md").write_text(instructions_baseline.render_md(b["summary"], b["per_file"], b["tools"]))
    if near_lossless.load() is not None:
        near_lossless.render(near_lossless.load())
    for out in (BUILD_OUT, BASELINE_BUILD_OUT):
        used = _load_json(out / "report.json").get("profiles", {})
        core, radio, budget = profiles.load_set(used.get("core") or "cortex-m4", used.get("radio"), used.get("budget"))
        write_report(out, _load_json(out / "measurements.json"), core, radio, budget)
    log("re-rendered bench.md/png (learned, foundation), docs/results-codecs.png, docs/results-ladder.png, "
        "baseline-instructions.md, near_lossless.{md,png}, both build reports' report.{json,md,png}")


# --------------------------------------------------------------------------- the parts
@dataclass
class Ctx:
    data: Path                  # relative to REPO (the script works there)
    limit: int | None
    reference_limit: int
    log: Callable[[str], None]
    git: str


def part_models(ctx: Ctx) -> None:
    import model_figures as mf  # noqa: E402  (bench/model_figures.py; imports torch)
    from spikey_train import train as tr

    runs = REPO / ".cache" / "model-runs"
    wanted = mf.LADDER + [n for n, _ in mf.ABLATIONS] + [n for n, _ in mf.JOINT]
    missing = [n for n in wanted if not (runs / n / "model.pt").exists()]
    ctx.log(f"models: {len(wanted) - len(missing)} of {len(wanted)} runs in .cache/model-runs"
            + (f"; training {len(missing)}: {', '.join(missing)}" if missing else ""))
    for i, name in enumerate(missing, 1):
        t = time.time()
        ctx.log(f"models: training {name} ({i}/{len(missing)}; spikey train --config spikey_train/configs/{name}.yaml)")
        tr.run(argparse.Namespace(data=str(ctx.data), config=str(mf.CONFIGS / f"{name}.yaml"), out=str(runs / name),
                                  resume=False, max_minutes=None, quiet=False))
        ctx.log(f"models: trained {name} in {time.time() - t:.0f} s")
    ctx.log("models: evaluating every run on the validation files (bench/model_figures.py)")
    if mf.main(["--data", str(ctx.data), "--runs", str(runs)]) != 0:
        raise RuntimeError("bench/model_figures.py failed")
    _check_default_run(runs / "default", ctx.log)


def _check_default_run(run: Path, log) -> None:
    """Say whether the retrained default is the bundled model (same model identity)."""
    from codegen.reference.compile import compile_model
    from spikey.model.files import resolve
    try:
        a, b = compile_model(run).identity().hex(), compile_model(resolve(None)).identity().hex()
    except Exception as e:  # noqa: BLE001 (a note, not a failure)
        log(f"models: could not compare the retrained default with the bundled one: {e}")
        return
    log(f"models: the retrained default {'IS' if a == b else 'is NOT'} the bundled model (identity {a}"
        + ("" if a == b else f" vs bundled {b}") + ")")


def part_ladder(ctx: Ctx) -> None:
    from spikey.model.files import BUNDLED, DEFAULT
    bundled = Path(os.path.relpath(BUNDLED / DEFAULT, REPO))
    dirs = [bundled if n == DEFAULT else Path(".cache") / "model-runs" / n for n in ladder.LADDER]
    missing = ladder.missing_models(dirs)
    if missing:
        raise RuntimeError(f"ladder models missing ({', '.join(d.name for d in missing)}): the models part trains "
                           "them (python bench/results.py --only models,ladder)")
    ladder.measure_ladder(dirs, data=ctx.data, log=lambda s: ctx.log(s))


def part_codecs(ctx: Ctx) -> None:
    ctx.log(f"codecs: spikey bench on the validation files of {ctx.data}"
            + (f", the Python reference on the first {ctx.reference_limit}" if ctx.reference_limit else ""))
    report = measure_codecs(ctx.data, ctx.limit, ctx.reference_limit)
    report["git"] = ctx.git
    ctx.log("codecs: timing the parts of the C decode")
    report["decode_time"] = decode_breakdown(bench.validation_paths(ctx.data)[:ctx.limit])
    written = bench.write_outputs(report, BENCH_OUT)
    shutil.copyfile(BENCH_OUT / "bench.png", CODECS_PNG)
    ctx.log("codecs: wrote " + ", ".join(_rel(p) for p in [*written, CODECS_PNG]))
    for t in targets(report):
        ctx.log(f"codecs: {'PASS' if t['passed'] else 'FAIL'}  {t['target']}: {t['measured']}")


def part_foundation(ctx: Ctx) -> None:
    from spikey.codec import CODECS
    paths = bench.find_inputs(ctx.data)
    methods = [bench.spikey_method(c) for _, c in sorted(CODECS.items())] + bench.stdlib_methods()
    ctx.log(f"foundation: {', '.join(m.name for m in methods)} on all {len(paths)} files of {ctx.data}")
    results = bench.measure(paths, methods)
    report = bench.build_report(ctx.data.as_posix(), methods, results)
    report["git"] = ctx.git
    written = bench.write_outputs(report, FOUNDATION_OUT)
    ctx.log("foundation: wrote " + ", ".join(_rel(p) for p in written))


def part_coders(ctx: Ctx) -> None:
    import coders_vs_ideal  # noqa: E402  (bench/coders_vs_ideal.py)
    if coders_vs_ideal.main(["--files", str(CODERS_FILES), "--data", str(ctx.data), "--out", _rel(CODERS_OUT)]) != 0:
        raise RuntimeError("bench/coders_vs_ideal.py failed")


def part_baseline_instructions(ctx: Ctx) -> None:
    import instructions_baseline  # noqa: E402  (bench/instructions_baseline.py)
    if instructions_baseline.main(["--files", str(BASELINE_INSNS_FILES), "--data", str(ctx.data),
                                   "--out", _rel(RESULTS)]) != 0:
        raise RuntimeError("bench/instructions_baseline.py failed")


def _drop_binaries(out: Path, log) -> None:
    """What a build leaves in its folder that is not committed: the objects and ELFs (rebuilt
    in seconds) and the exports (codegen.export: the library, its build files, the PlatformIO
    project and the native program, which copy the runtime's sources; every build writes them)."""
    from codegen.export.build import EXPORTS
    gone = []
    for p in sorted(out.iterdir()):
        if p.name == "obj" and p.is_dir():
            shutil.rmtree(p)
            gone.append("obj/")
        elif p.suffix == ".elf":
            p.unlink()
            gone.append(p.name)
        elif p.name in EXPORTS and p.is_dir():
            shutil.rmtree(p)
            gone.append(p.name + "/")
        elif p.name in EXPORTS:
            p.unlink()
            gone.append(p.name)
    if gone:
        log(f"removed {', '.join(gone)} from {_rel(out)} (not committed)")


def part_near_lossless(ctx: Ctx) -> None:
    ctx.log(f"near_lossless: bench/near_lossless.py on the validation files of {ctx.data}")
    paths = bench.validation_paths(ctx.data)[:ctx.limit]
    res = near_lossless.measure(paths, near_lossless.BOUNDS, log=lambda s: ctx.log(f"near_lossless: {s}"))
    res["git"] = ctx.git
    ctx.log("near_lossless: wrote " + ", ".join(_rel(p) for p in near_lossless.write(res)))
    for t in res["targets"]:
        ctx.log(f"near_lossless: {'PASS' if t['passed'] else 'FAIL'}  {t['target']}: {t['measured']}")


def part_build_report(ctx: Ctx) -> None:
    from codegen.build import OUTPUTS, build
    out = Path(os.path.relpath(BUILD_OUT, REPO))
    if out.is_dir() and not (out / "build.json").is_file():
        # a report from before it was a build (a hand copy of a build's files): make way for the build
        for p in out.iterdir():
            if p.name in OUTPUTS:
                shutil.rmtree(p) if p.is_dir() else p.unlink()
    ctx.log(f"build-report: codegen build --target cortex-m4 --out {out} --data {ctx.data}")
    build("cortex-m4", None, out_dir=out, data_dir=ctx.data, log=lambda s: ctx.log(s))
    _drop_binaries(out, ctx.log)


def part_cores(ctx: Ctx) -> None:
    res = cores.measure(ctx.data, log=lambda s: ctx.log(s))
    cores.OUT.write_text(json.dumps(res, indent=2) + "\n")
    cores.plot(res)
    ctx.log(f"cores: wrote {_rel(cores.OUT)}; " + ", ".join(f"{r['core']} {r['insns_per_sample']:.1f}"
                                                          for r in res["cores"]) + " instructions/sample")
def part_near_lossless_builds(ctx: Ctx) -> None:
    from codegen.build import build
    for d in near_lossless.BUILD_BOUNDS:
        out = Path(os.path.relpath(near_lossless.build_dir(d), REPO))
        ctx.log(f"near_lossless_builds: codegen build --target cortex-m4 --max-error {d} --out {out} --data {ctx.data}")
        build("cortex-m4", None, out_dir=out, data_dir=ctx.data, max_error=d, log=lambda s: ctx.log(s))
        _drop_binaries(out, ctx.log)
        shutil.rmtree(out / "src")      # the same generated C as build-report's src/ (D is set at run time)
        ctx.log(f"removed src/ from {_rel(out)} (build-report's src/ is the same C)")


def part_baseline_report(ctx: Ctx) -> None:
    from codegen.measure.figures import measure_baseline_build
    out = Path(os.path.relpath(BASELINE_BUILD_OUT, REPO))
    ctx.log(f"baseline-report: the baseline firmware built and measured in QEMU into {out}")
    m = measure_baseline_build(out, ctx.data)
    _drop_binaries(out, ctx.log)
    ctx.log(f"baseline-report: {m['figures']['insns_per_sample']['value']:.1f} instructions/sample; wrote "
            f"{out}/measurements.json, report.json, report.md, report.png")


def part_frames(ctx: Ctx) -> None:
    import frames as frames_bench  # noqa: E402  (bench/frames.py)
    res = frames_bench.measure(ctx.data, ctx.limit, 1, log=ctx.log)
    FRAMES_OUT.mkdir(parents=True, exist_ok=True)
    (FRAMES_OUT / "frames.json").write_text(json.dumps(res, indent=2) + "\n")
    (FRAMES_OUT / "frames.md").write_text(frames_bench.render_md(res))
    ctx.log(f"frames: wrote {_rel(FRAMES_OUT)}/frames.json, frames.md")


def part_plan(ctx: Ctx) -> None:
    from codegen.plan.collect import FRAMES, collect
    from codegen.plan.evaluate import evaluate
    from codegen.plan.render import write_plan
    from codegen.report import profiles
    core, radio, budget = profiles.load_set("cortex-m4", PLAN_RADIO, "n1-budget")
    builds = Path(os.path.relpath(PLAN_BUILDS, REPO))
    from codegen.plan.fidelity import event_fidelity
    entries = collect(builds, None, FRAMES, ctx.data, log=ctx.log)
    measured = event_fidelity(Path(os.path.relpath(RESULTS / "events" / "bench.json", REPO)))
    written = write_plan(Path(os.path.relpath(PLAN_OUT, REPO)), evaluate(entries, core, radio, budget, measured))
    ctx.log(f"plan: wrote {', '.join(map(str, written))}")


def part_native(ctx: Ctx) -> None:
    res = _native().measure(ctx.data, ctx.limit, log=ctx.log)
    res["git"] = ctx.git
    written = _native().write(res, NATIVE_OUT)
    shutil.copyfile(NATIVE_OUT / "native.png", REPO / "docs" / "results-native.png")
    ctx.log(f"native: {res['files']} files in {res['program']['total_s']:.2f} s; second spikey encode "
            f"{res['cli']['second_s']:.2f} s; wrote " + ", ".join(_rel(p) for p in written))


@dataclass(frozen=True)
class Part:
    name: str
    writes: str
    time: str                    # measured on this 2-core machine (the module docstring)
    run: Callable[[Ctx], None]
    qemu: bool = False


PARTS = [
    Part("models", "docs/models.md, docs/models-ladder.png (.cache/model-runs/*: not in git)",
         "about 1.5 min with the runs there; training the 14 runs from a clean clone, about 30 min more", part_models),
    Part("ladder", "bench/results/ladder.json, docs/results-ladder.png", "about 2 min", part_ladder, qemu=True),
    Part("codecs", "bench/results/learned/bench.{json,md,png}, docs/results-codecs.png", "about 3 min", part_codecs),
    Part("foundation", "bench/results/foundation/bench.{json,md,png}", "about 40 s", part_foundation),
    Part("coders", "bench/results/coders/coders_vs_ideal.{json,md}", "about 10 s", part_coders),
    Part("baseline-instructions", "bench/results/baseline-instructions.{json,md}", "about 5 s",
         part_baseline_instructions, qemu=True),
    Part("near_lossless", "bench/results/near-lossless/near_lossless.{json,md,png}", "about 2 min",
         part_near_lossless),
    Part("build-report", "bench/results/build-report/default-cortex-m4/ (a codegen build, without obj/ and ELFs)",
         "about 30 s", part_build_report, qemu=True),
    Part("cores", "bench/results/cores.json, docs/results-cores.png (docs/results.md's cores section)", "about 3 min", part_cores, qemu=True),


    Part("near_lossless_builds", "bench/results/build-report/default-cortex-m4-d{1,2,4}/ (codegen builds "
         "--max-error D, without obj/ and ELFs)", "about 10 min", part_near_lossless_builds, qemu=True),
    Part("baseline-report", "bench/results/build-report/baseline-cortex-m4/ (measurements.json, report.*)",
         "about 5 s", part_baseline_report, qemu=True),
    Part("frames", "bench/results/frames/frames.{json,md} (docs/results.md: Frame length)", "about 1.5 min",
         part_frames, qemu=True),
    Part("plan", "bench/results/plan/plan.{json,md,png} (docs/results.md: between <!-- results:plan --> markers; "
         "its builds in .cache/plan/builds: not in git)",
         ("about 15 min from a clean clone (measured on 2 shared cores: the 12 lossless builds 5.2 min, "
          "the event build 35 s, the 6 near-lossless builds about 1.5 min each), seconds after"),
         part_plan, qemu=True),
    Part("native", "bench/results/native/native.{json,md,png}, docs/results-native.png", "about 30 s", part_native),
    Part("events", "bench/results/events/bench.{json,md,png}, bench/results/build-report/events-cortex-m4/",
         "about 2 min", events_results.part_events, qemu=True),
]
PART_NAMES = [p.name for p in PARTS]


def _parts(text: str) -> list[str]:
    names = [s.strip() for s in text.split(",") if s.strip()]
    bad = [n for n in names if n not in PART_NAMES]
    if bad or not names:
        raise argparse.ArgumentTypeError(f"unknown part {', '.join(bad) or repr(text)}; the parts: {', '.join(PART_NAMES)}")
    return names


def git_describe() -> str:
    return subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True,
                          text=True).stdout.strip() or "?"


def _count(text: str) -> int:
    n = int(text)
    if n < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more, got {text!r}")
    return n


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 epilog="parts: " + ", ".join(PART_NAMES) + " (--list says what each writes)")
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--all", action="store_true", help="measure every part again, then write every document")
    mode.add_argument("--only", type=_parts, metavar="PART[,PART]", help="measure only these parts, then every document")
    mode.add_argument("--from-json", action="store_true", help="no measuring: every document from the committed JSON")
    mode.add_argument("--list", action="store_true", help="the parts, what each writes and how long it takes")
    ap.add_argument("--data", type=Path, default=DATA, help="dev recordings (default: ../shared/data/neuralink-dev beside the repository)")
    ap.add_argument("--limit", type=bench._positive_int, metavar="N", help="codecs: only the first N validation files")
    ap.add_argument("--reference-limit", type=_count, default=REFERENCE_LIMIT, metavar="N",
                    help=f"codecs: the Python reference on the first N files only (default {REFERENCE_LIMIT}; 0: none)")
    args = ap.parse_args(argv)
    if args.list:
        for p in PARTS:
            print(f"{p.name:22} {p.time}: {p.writes}")
        return 0
    t0 = time.time()

    def log(msg: str) -> None:
        print(f"results [{time.time() - t0:6.0f} s]: {msg}", file=sys.stderr, flush=True)

    os.chdir(REPO)                       # the libraries get repository-relative paths (see the docstring)
    chosen = [] if args.from_json else PART_NAMES if args.all else args.only
    chosen = [p for p in PARTS if p.name in chosen]
    if chosen and not Path(args.data).is_dir():
        print(f"results: error: no recordings folder {args.data} (--data)", file=sys.stderr)
        return 1
    if any(p.qemu for p in chosen):
        from codegen.target import toolchain
        missing = toolchain.missing_tools()
        if missing:
            print(f"results: error: {', '.join(missing)} not installed; install with: {toolchain.INSTALL_HINT}",
                  file=sys.stderr)
            return 1
    ctx = Ctx(_data_arg(args.data), args.limit, args.reference_limit, log, git_describe())
    times, failed = [], []
    for i, part in enumerate(chosen, 1):
        log(f"[{i}/{len(chosen)}] {part.name} ({part.time} here): {part.writes}")
        t = time.time()
        try:
            part.run(ctx)
        except (Exception, SystemExit) as e:   # noqa: BLE001  (one part's failure does not stop the others)
            failed.append(part.name)
            log(f"{part.name} FAILED: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}; its committed "
                "files are kept (build-report: git checkout bench/results/build-report restores them)")
        times.append((part.name, time.time() - t))
    if args.from_json:
        rerender_from_json(log)
    render_documents(log)
    for name, s in times:
        log(f"{name:22} {s / 60:6.1f} min{'  FAILED' if name in failed else ''}")
    log(f"done in {(time.time() - t0) / 60:.1f} min" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
