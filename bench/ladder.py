"""The model-size ladder: compression ratio against instructions per sample on Cortex-M4.

For each trained model (.cache/model-runs/<name>/, or --models DIR...): what
`codegen build --target cortex-m4` does, in process: compile the integer predictor
(calibrated on the fixed set of codegen.reference.compile), generate its C, cross-compile
the whole codec with firmware/hil/hil_codec.c, run it in QEMU (-icount) per file and joint
on the model's first 3 validation files, check QEMU == host C == Python reference byte for
byte, and count instructions (codegen.build.measure_codec, codegen/hil/codec.py). The
compression ratio is measured with real range coding (host C, the same bytes) per file over
all of the model's validation files. The baseline (first difference + adaptive Rice,
firmware/src/baseline.c) is measured the same way. Peers are reference points quoted in
the issue, not measured here.

Writes bench/results/ladder.json and docs/results-ladder.png. Its section of
docs/results.md is ``section(res)``; the document itself is written by bench/results.py
(``python bench/results.py --only ladder`` measures the ladder through ``measure_ladder``).
The ladder models live in .cache/model-runs (not in git): ``python bench/model_figures.py
--train-missing`` trains them.

    python bench/ladder.py                     # every ladder model found
    python bench/ladder.py --hil-files 3 --ratio-files 30
    python bench/ladder.py --render            # the plot again, and the section on stdout, from the JSON
"""
from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

RUNS = REPO / ".cache" / "model-runs"
LADDER = ("ladder-xxs", "ladder-xs", "default", "ladder-m", "ladder-l", "ladder-xl")
OUT_JSON = REPO / "bench" / "results" / "ladder.json"
OUT_PNG = REPO / "docs" / "results-ladder.png"
DATA = REPO.parent / "shared" / "data" / "neuralink-dev"     # the dev recordings beside the checkout
# Quoted in issue 6 (not measured here): instructions per sample and compression ratio.
PEERS = [
    {"name": "best public codec (peer)", "insns_per_sample": 759, "ratio": 3.47},
    {"name": "public adaptive-Rice coder (peer)", "insns_per_sample": 1057, "ratio": 3.36},
    {"name": "first difference + adaptive Rice (peer estimate)", "insns_per_sample": 45, "ratio": 3.36},
]


def validation_names(meta: dict) -> list:
    return list((meta.get("split") or {}).get("validation") or [])


def measure_model(model_dir: Path, hil_files: int, ratio_files: int | None, data_dir: Path, log) -> dict:
    from codegen.build import measure_codec
    from codegen.compile import compiled_model
    from codegen.emit.predictor import generate
    from codegen.hil.codec import build_codec_elf
    from codegen.reference.compile import compile_model
    from spikey.learned import LearnedCodec
    from spikey.model.files import read_meta
    from spikey.recordings import read_wav, to_codes

    meta = read_meta(model_dir)
    name = model_dir.name
    t = time.time()
    pred = compile_model(model_dir)             # calibrated on the fixed calibration set, as codegen build does
    src = generate(pred)
    model = compiled_model(pred, model_dir)
    with tempfile.TemporaryDirectory(prefix="spikey-ladder-") as tmp:
        obj = Path(tmp) / "obj"
        info = measure_codec(pred, src.files, None, obj, data_dir, files=hil_files, report=False, name=name, log=log)
        elf = build_codec_elf(src.files, model, obj, max_channels=max(len(info["files"]), 1), huffman=False)
    host = LearnedCodec(model, "range")
    names = validation_names(meta)[:ratio_files]
    samples = payload = 0
    for n in names:
        x = to_codes(read_wav(data_dir / n).samples)
        samples += len(x)
        payload += len(host.encode_channels([x]))
    m = meta.get("metrics") or {}
    return {
        "model": name, "model_dir": str(model_dir), "model_identity": pred.identity().hex(),
        "macs": (m.get("macs") or {}).get("total"), "weights": m.get("weights"),
        "insns_per_sample": info["per_file"]["insns_per_sample"],
        "insns_per_frame_mean": info["per_file"]["insns_per_frame_mean"],
        "insns_worst_frame": info["per_file"]["insns_worst_frame"],
        "insns_worst_joint_frame": info["joint"]["insns_worst_joint_frame"],
        "hil_data": info["data"], "hil_samples": info["per_file"]["samples"],
        "three_way_equal": info["three_way"]["equal"], "repeatable": info["repeatable"]["equal"],
        "codec_flash_bytes": elf.codec_flash, "state_bytes_per_channel": info["state_bytes_per_channel"],
        "encode_stack_bytes": info["encode_stack_bytes"],
        "ratio": 16 * samples / (8 * payload), "bits_per_sample": 8 * payload / samples,
        "ratio_files": len(names), "ratio_samples": samples,
        "ratio_how": "per-file range-coded payloads (host C, == QEMU and the Python reference on the HIL files), "
                     "16-bit samples / payload bits",
        "ideal_ratio_training": ((m.get("validation") or {}).get("per_file") or {}).get("ratio"),
        "seconds": time.time() - t,
    }


def measure_baseline(hil_files: int, names: list, data_dir: Path) -> dict:
    from codegen.hil.baseline import run_hil_baseline
    from codegen.target.elf import build_elf
    from spikey import baseline
    from spikey.recordings import read_wav, to_codes

    insns = samples = 0
    worst = 0
    with tempfile.TemporaryDirectory(prefix="spikey-ladder-base-") as tmp:
        elf = build_elf("cortex-m4", Path(tmp) / "obj")
        for i, n in enumerate(names[:hil_files]):
            s = np.asarray(read_wav(data_dir / n).samples, np.int16)
            run = run_hil_baseline(elf, s, Path(tmp) / f"r{i}")
            if run.payload != baseline.encode_codes(to_codes(s)):
                raise SystemExit(f"baseline: QEMU payload differs from the Python reference on {n}")
            insns += int(run.frame_insns.sum())
            samples += run.samples
            worst = max(worst, run.worst_frame_insns)
    tot = pay = 0
    for n in names:
        x = to_codes(read_wav(data_dir / n).samples)
        tot += len(x)
        pay += len(baseline.encode_codes(x))
    return {"model": "baseline (first difference + adaptive Rice)", "insns_per_sample": insns / samples,
            "insns_worst_frame": worst, "hil_samples": samples, "ratio": 16 * tot / (8 * pay),
            "bits_per_sample": 8 * pay / tot, "ratio_files": len(names), "ratio_samples": tot,
            "codec_flash_bytes": elf.codec_flash}


def dominates(row: dict, peer: dict) -> bool:
    return row["ratio"] > peer["ratio"] and row["insns_per_sample"] < peer["insns_per_sample"]


def plot(rows: list, base: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    xs = [r["insns_per_sample"] for r in rows]
    ys = [r["ratio"] for r in rows]
    ax.plot(xs, ys, "o-", color="tab:blue", label="Spikey ladder (measured: QEMU M4 + range coding)")
    for r in rows:
        ax.annotate(r["model"], (r["insns_per_sample"], r["ratio"]), textcoords="offset points", xytext=(5, 5),
                    fontsize=8)
    ax.plot([base["insns_per_sample"]], [base["ratio"]], "s", color="tab:green",
            label="Spikey baseline (measured)")
    for p, mk in zip(PEERS, ("^", "v", "D")):
        ax.plot([p["insns_per_sample"]], [p["ratio"]], mk, color="tab:red", mfc="none",
                label=f"{p['name']}: quoted, not measured")
    ax.set_xscale("log")
    ax.set_xlabel("instructions per sample (Cortex-M4, QEMU -icount)")
    ax.set_ylabel("compression ratio (per file)")
    ax.set_title("Ratio vs instructions per sample (up and left is better)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="center left")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def load(path: Path = OUT_JSON) -> dict:
    """The last ladder measurement (bench/results/ladder.json)."""
    return json.loads(Path(path).read_text())


def section(res: dict, png: str = OUT_PNG.name) -> str:
    """The ladder's section of docs/results.md (Markdown, from a ladder.json dict; no measuring)."""
    rows, base = res["models"], res["baseline"]
    lines = [
        "## Model-size ladder",
        "",
        f"Measured by `python bench/ladder.py` on {res['date']} (git {res['git']}; the generated C of the "
        f"working tree at that time); rendered from `bench/results/{OUT_JSON.name}`.",
        "",
        "Each Spikey model is built as `codegen build --target cortex-m4` builds it (integer predictor, "
        "generated C, frame API, range coder) and run in QEMU `mps2-an386` with `-icount`: instructions are "
        f"counted around every 64-sample encode call on {res['hil_files']} validation recordings, and the "
        "payloads are checked byte for byte against the host C and the Python reference (all equal, counts "
        "repeat run to run). The ratio is measured with real range coding, per file, on the models' "
        f"validation recordings ({res['ratio_files']} files). Instructions are not cycles: the build report "
        "(`codegen build`) prices them with a cycle model.",
        "",
        "| codec | MACs/sample | instructions/sample | worst 64-sample frame | ratio | bits/sample | codec flash | "
        "state/channel |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(f"| {r['model']} | {r['macs']:,} | {r['insns_per_sample']:,.0f} | {r['insns_worst_frame']:,} | "
                     f"{r['ratio']:.4f} | {r['bits_per_sample']:.4f} | {r['codec_flash_bytes']:,} B | "
                     f"{r['state_bytes_per_channel']} B |")
    lines.append(f"| baseline (first difference + adaptive Rice) | - | {base['insns_per_sample']:,.1f} | "
                 f"{base['insns_worst_frame']:,} | {base['ratio']:.4f} | {base['bits_per_sample']:.4f} | "
                 f"{base['codec_flash_bytes']:,} B | 8 B |")
    for p in PEERS:
        lines.append(f"| *{p['name']}: quoted in issue 6, not measured here* | - | *{p['insns_per_sample']:,}* | - | "
                     f"*{p['ratio']:.2f}* | - | - | - |")
    lines += ["", f"![ratio vs instructions per sample]({png})", ""]
    lines.append("### Verdict")
    lines.append("")
    for p in PEERS:
        dom = [r["model"] for r in rows if dominates(r, p)]
        better_ratio = [r for r in rows if r["ratio"] > p["ratio"]]
        if dom:
            lines.append(f"- {p['name']} ({p['insns_per_sample']:,} instructions/sample, ratio {p['ratio']:.2f}): "
                         f"beaten on both axes by {', '.join(dom)}.")
        elif better_ratio:
            cheapest = min(better_ratio, key=lambda r: r["insns_per_sample"])
            lines.append(f"- {p['name']} ({p['insns_per_sample']:,} instructions/sample, ratio {p['ratio']:.2f}): "
                         f"**not beaten on both axes.** Every model with a better ratio costs more instructions "
                         f"(the cheapest, {cheapest['model']}, {cheapest['insns_per_sample']:,.0f} at ratio "
                         f"{cheapest['ratio']:.4f}).")
        else:
            lines.append(f"- {p['name']}: no model has a better ratio.")
    lines.append("")
    b = base
    lines.append(f"The measured baseline costs {b['insns_per_sample']:.1f} instructions/sample at ratio "
                 f"{b['ratio']:.4f}: every ladder model buys its extra ratio with "
                 f"{min(r['insns_per_sample'] for r in rows) / b['insns_per_sample']:.0f}x or more instructions.")
    lines.append("The peers' figures are quoted from the issue (their own measurements, on their own "
                 "targets and data); they are reference points, not results of this repository.")
    lines.append("")
    return "\n".join(lines) + "\n"


def model_dirs(models=None) -> list:
    """The ladder's model directories (default: .cache/model-runs/<each LADDER name>)."""
    return list(models) if models else [RUNS / n for n in LADDER]


def missing_models(dirs) -> list:
    return [d for d in dirs if not (Path(d) / "model.json").is_file()]


def measure_ladder(dirs, hil_files: int = 3, ratio_files: int | None = None, data: Path | None = None,
                   log=print) -> dict:
    """Measure every model in ``dirs`` (those without model.json are skipped) and the baseline;
    write bench/results/ladder.json and docs/results-ladder.png; return the JSON dict."""
    data = Path(data or DATA)
    missing = missing_models(dirs)
    for d in missing:
        log(f"ladder: {d} has no model.json: skipped")
    dirs = [d for d in dirs if d not in missing]
    if not dirs:
        raise SystemExit("ladder: no models found (python bench/model_figures.py --train-missing trains them)")
    if not data.is_dir():
        raise SystemExit(f"ladder: recordings not found in {data}")
    rows = []
    for d in dirs:
        log(f"ladder: {d.name}")
        rows.append(measure_model(d, hil_files, ratio_files, data, log=lambda s: log("  " + s)))
        r = rows[-1]
        log(f"ladder: {r['model']}: {r['insns_per_sample']:.0f} insn/sample, worst frame {r['insns_worst_frame']}, "
            f"ratio {r['ratio']:.4f} ({r['seconds']:.0f} s)")
    from spikey.model.files import read_meta
    names = validation_names(read_meta(dirs[0]))[:ratio_files]
    base = measure_baseline(hil_files, names, data)
    log(f"ladder: baseline: {base['insns_per_sample']:.1f} insn/sample, ratio {base['ratio']:.4f}")
    rows.sort(key=lambda r: r["insns_per_sample"])
    git = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True,
                         text=True).stdout.strip() or "?"
    res = {"schema": "spikey-ladder/1", "date": datetime.date.today().isoformat(), "git": git,
           "target": "cortex-m4 (QEMU mps2-an386, -icount shift=8)", "hil_files": hil_files,
           "ratio_files": len(names), "models": rows, "baseline": base, "peers": PEERS,
           "skipped": [str(d) for d in missing]}
    OUT_JSON.parent.mkdir(parents=True, exist_ok=True)
    OUT_JSON.write_text(json.dumps(res, indent=2) + "\n")
    plot(rows, base, OUT_PNG)
    log(f"ladder: wrote {OUT_JSON}, {OUT_PNG}")
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="*", type=Path, help=f"model directories (default: {RUNS}/{{{','.join(LADDER)}}})")
    ap.add_argument("--hil-files", type=int, default=3)
    ap.add_argument("--ratio-files", type=int, default=None, help="validation files for the ratio (default: all)")
    ap.add_argument("--data", type=Path, default=DATA, help=f"folder of the recordings (default {DATA})")
    ap.add_argument("--render", action="store_true",
                    help=f"no measuring: the plot again from {OUT_JSON.name}, the section on stdout")
    args = ap.parse_args(argv)
    if args.render:
        res = load()
        plot(res["models"], res["baseline"], OUT_PNG)
        sys.stdout.write(section(res))
        print(f"ladder: wrote {OUT_PNG}", file=sys.stderr)
        return 0
    measure_ladder(model_dirs(args.models), args.hil_files, args.ratio_files, args.data)
    print("ladder: `python bench/results.py --from-json` puts it into docs/results.md and the README")
    return 0


if __name__ == "__main__":
    sys.exit(main())
