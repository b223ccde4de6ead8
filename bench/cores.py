"""Five Cortex-M cores side by side: the learned codec built for each, run in QEMU, checked
three ways, instructions per sample.

    python bench/cores.py [--data DIR]       # about 3 minutes on this 2-core machine

For every core of codegen.target.kernels (cortex-m3, -m4, -m7, -m33, -m55) this runs what
`codegen build --target CORE` runs (codegen.build.build, the bundled default model, into a
temporary folder): the core's kernels, the codec ELF in its QEMU board on the model's first
3 validation recordings (codegen.build.REPORT_FILES) per file and joint, the bytes checked against the host C
and the Python reference, instructions per sample from -icount, its build report with the
core's profile. Writes bench/results/cores.json, docs/results-cores.png and the section between
``<!-- results:cores -->`` and ``<!-- /results:cores -->`` of docs/results.md (also rendered by
bench/results.py from the JSON: ``--only cores`` measures it again).

The target (issue 18): bit-exact on every core; Cortex-M55 with MVE and Cortex-M7 not slower
per sample than Cortex-M4.
"""
from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from codegen.build import REPORT_FILES, build  # noqa: E402
from codegen.target.kernels import KERNELS  # noqa: E402
from codegen.target.targets import TARGETS  # noqa: E402

OUT = REPO / "bench" / "results" / "cores.json"
DOC = REPO / "docs" / "results.md"
PNG = REPO / "docs" / "results-cores.png"
DATA = REPO.parent / "shared" / "data" / "neuralink-dev"
START, END = "<!-- results:cores -->", "<!-- /results:cores -->"
BASE = "cortex-m4"
NOT_SLOWER = ("cortex-m7", "cortex-m55")     # the target: not slower per sample than BASE


def measure(data: Path | None, log=print) -> dict:
    """Build and run every core; the figures of each (three-way check, instructions/sample)."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="spikey-cores-") as tmp:
        for core in KERNELS:
            log(f"cores: {core} ({TARGETS[core].qemu_machine}, dense kernel {KERNELS[core].dense})")
            info = build(core, None, out_dir=Path(tmp) / core, data_dir=data, loss_files=1,
                         log=lambda s: log("  " + s))
            c = info["codec"]
            rows.append({"core": core, "qemu_machine": TARGETS[core].qemu_machine,
                         "description": TARGETS[core].description, "timer": TARGETS[core].timer,
                         "dense_kernel": KERNELS[core].dense, "isa": KERNELS[core].isa,
                         "insns_per_sample": c["instructions"]["insns_per_sample"],
                         "insns_per_frame_mean": c["instructions"]["insns_per_frame_mean"],
                         "insns_worst_frame": c["instructions"]["insns_worst_frame"],
                         "predictor_insns_per_sample": info["size"]["insns_per_sample"],
                         "flash_bytes": (c.get("report") or {}).get("flash_bytes"),
                         "three_way": c["three_way"], "repeatable": c["repeatable"]["equal"],
                         "bits_per_sample": c["compression"]["bits_per_sample"], "data": c["data"]})
    ips = {r["core"]: r["insns_per_sample"] for r in rows}
    checks = {"bit_exact_every_core": all(r["three_way"]["equal"] for r in rows),
              **{f"{core}_not_slower_than_{BASE}": ips[core] <= ips[BASE] for core in NOT_SLOWER}}
    git = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True,
                         text=True).stdout.strip() or "?"
    return {"schema": "spikey-cores/1", "date": datetime.date.today().isoformat(), "git": git, "model": "default",
            "files": REPORT_FILES, "cores": rows, "checks": checks}


def section(res: dict) -> str:
    """The docs/results.md section (markers included) from cores.json's content."""
    rows = res["cores"]
    base = next(r for r in rows if r["core"] == BASE)["insns_per_sample"]
    lines = [START, "## Five Cortex-M cores", "",
             f"Measured by `python bench/cores.py` on {res['date']} (git {res['git']}); rendered from "
             "`bench/results/cores.json`.", "",
             f"Each core is built as `codegen build --target CORE` builds it (model `{res['model']}`, the core's "
             "kernels from `codegen/target/kernels.py`) and run in its QEMU board with `-icount` on "
             f"{rows[0]['data']}: per file and in one joint stream, the payloads are checked byte for byte against "
             "the host C and the Python reference, and instructions are counted around every 64-sample encode call "
             "(whole codec: features, predictor, range coder). Instructions are not cycles; only the Cortex-M4 has "
             "a cycle model (its build report).", "",
             "| core | QEMU board | Dense kernel | instructions/sample | vs M4 | worst 64-sample frame | "
             "predictor alone (synthetic) | QEMU == host C == Python |",
             "| --- | --- | --- | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        tw = r["three_way"]
        lines.append(f"| {r['core']} | {r['qemu_machine']} | {r['dense_kernel']}: {r['isa']} | "
                     f"{r['insns_per_sample']:.1f} | {r['insns_per_sample'] / base:.3f} | {r['insns_worst_frame']:,} | "
                     f"{r['predictor_insns_per_sample']:.0f} | "
                     f"{'equal' if tw['equal'] else 'DIFFER'} ({tw['per_file_streams']} files + "
                     f"{tw['joint_streams']} joint) |")
    ck = res["checks"]
    lines += ["", "Targets: bit-exact on every core: " + ("met" if ck["bit_exact_every_core"] else "NOT met") + "; "
              + "; ".join(f"{c} not slower per sample than {BASE}: "
                          + ("met" if ck[f"{c}_not_slower_than_{BASE}"] else "NOT met") for c in NOT_SLOWER) + ".", "",
              "The Cortex-M55's counts come from SysTick (the SSE-300 has no fast CMSDK timer), corrected by "
              "its constant 2-instruction skew against the CMSDK timer (firmware/targets/cortex-m/startup.h; "
              "hil_tests/test_qemu_cores.py checks both timers agree on mps2-an505).", "",
              "![Instructions per sample on each core](results-cores.png)", END]
    return "\n".join(lines) + "\n"


def plot(res: dict, path: Path = PNG) -> None:
    """Instructions per sample of each core, bars labelled with the Dense kernel."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rows = res["cores"]
    base = next(r for r in rows if r["core"] == BASE)["insns_per_sample"]
    fig, ax = plt.subplots(figsize=(7, 3.6))
    colors = {"rows": "#4c72b0", "mve": "#dd8452"}
    bars = ax.bar([r["core"] for r in rows], [r["insns_per_sample"] for r in rows],
                  color=[colors.get(r["dense_kernel"], "#888888") for r in rows])
    for b, r in zip(bars, rows):
        ax.text(b.get_x() + b.get_width() / 2, b.get_height(), f"{r['insns_per_sample']:.0f}\n{r['dense_kernel']}",
                ha="center", va="bottom", fontsize=8)
    ax.axhline(base, color="#555555", lw=0.8, ls="--", label=f"{BASE}: {base:.0f}")
    ax.set_ylabel("instructions / sample (QEMU -icount)")
    ax.set_title(f"Whole codec per sample, model {res['model']}, {res['files']} validation files "
                 "(all bit-exact three ways)", fontsize=9)
    ax.set_ylim(0, max(r["insns_per_sample"] for r in rows) * 1.2)
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def fill(doc: str, sec: str) -> str:
    """``doc`` with its cores section replaced (appended when it has none)."""
    if START in doc and END in doc:
        a, b = doc.index(START), doc.index(END) + len(END)
        return doc[:a] + sec.rstrip("\n") + doc[b:]
    return doc.rstrip("\n") + "\n\n" + sec


def section_from_json(path: Path = OUT) -> str:
    """The section from the committed JSON, or "" when it was never measured."""
    return section(json.loads(path.read_text())) if path.is_file() else ""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA if DATA.is_dir() else None,
                    help="the dev recordings (default ../shared/data/neuralink-dev; none: synthetic channels)")
    ap.add_argument("--out", type=Path, default=OUT, help=f"the JSON (default {OUT.relative_to(REPO)})")
    args = ap.parse_args(argv)
    res = measure(args.data, log=lambda s: print(s, file=sys.stderr, flush=True))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2) + "\n")
    if args.out == OUT:
        DOC.write_text(fill(DOC.read_text(), section(res)))
        plot(res)
    print(section(res))
    return 0 if all(res["checks"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
