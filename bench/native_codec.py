"""The native codec program and the Python CLI's start, as the challenge's harness uses them.

    python bench/native_codec.py [--data DIR] [--limit N] [--out bench/results/native]

1. Builds the host target (``codegen build --target host``, synthetic checks) into a
   temporary folder and takes its ``spikey-codec``.
2. The eval.sh loop: for each of the default model's validation files (30 in the dev
   set), ``spikey-codec encode IN OUT`` and ``spikey-codec decode OUT BACK``, each its own
   process, timed by wall clock; BACK must equal IN and OUT the stream of ``spikey
   encode``, byte for byte. Total time of all processes, and per file.
3. The Python CLI: ``spikey encode`` of the first validation file with an empty cffi cache
   (the first run compiles the model's C), then three more runs (the cache is warm: the
   second and later runs of a user); their median is the "second encode" figure.

Writes native.json, native.md and native.png into ``--out``; bench/results.py (``--only
native``) runs it and renders docs/results.md's native section from native.json. Every
time is wall clock on this machine, with its load average recorded beside it.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from spikey import bench  # noqa: E402  (after the sys.path line)

DATA = REPO.parent / "shared" / "data" / "neuralink-dev"
OUT = HERE / "results" / "native"
TOTAL_TARGET_S = 2.0          # the 30 validation files, one process per encode and per decode
FILE_TARGET_S = 0.050         # one encode + decode of a 5 s recording
SECOND_ENCODE_TARGET_S = 0.5  # a second `spikey encode` of a 5 s file
WARM_RUNS = 3


def _cpu() -> float:
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


def _run(cmd, env=None) -> tuple[float, float]:
    """(wall, CPU) seconds of one process: the CPU time (user + system) does not count the
    time the process waited for a core on a loaded machine."""
    c, t = _cpu(), time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    dt, dc = time.perf_counter() - t, _cpu() - c
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed: {r.stderr.strip()}")
    return dt, dc


def build_program(work: Path, log) -> Path:
    from codegen.build import build
    log("native: codegen build --target host (synthetic checks)")
    build("host", out_dir=work / "build", loss_files=1, log=lambda *a: None)
    return work / "build" / "spikey-codec"


def eval_loop(program: Path, paths: list[Path], work: Path, log) -> list[dict]:
    """encode + decode of every file, one process each, checked byte for byte."""
    from spikey.codec import encode_recording
    from spikey.learned import LearnedCodec
    from spikey.recordings import parse_wav

    codec = LearnedCodec()
    rows = []
    for i, p in enumerate(paths, 1):
        enc, back = work / "c.spk", work / "back.wav"
        t_enc, c_enc = _run([program, "encode", p, enc])
        t_dec, c_dec = _run([program, "decode", enc, back])
        original = p.read_bytes()
        exact = back.read_bytes() == original
        same = enc.read_bytes() == encode_recording(parse_wav(original), codec)
        if not (exact and same):
            raise RuntimeError(f"{p.name}: {'decoded file differs' if not exact else 'stream differs from spikey encode'}")
        rows.append({"file": p.name, "wav_bytes": len(original), "stream_bytes": enc.stat().st_size,
                     "encode_s": t_enc, "decode_s": t_dec, "encode_cpu_s": c_enc, "decode_cpu_s": c_dec,
                     "byte_exact": True, "same_as_spikey_encode": True})
        log(f"native: [{i}/{len(paths)}] {p.name}: encode {1e3 * t_enc:.1f} ms, decode {1e3 * t_dec:.1f} ms "
            f"(CPU {1e3 * c_enc:.1f} + {1e3 * c_dec:.1f} ms)")
    return rows


def cli_start(path: Path, work: Path, log) -> dict:
    """``spikey encode`` with an empty cffi cache (first run), then warm runs."""
    env = dict(os.environ, SPIKEY_CACHE=str(work / "cache"))
    cmd = [sys.executable, "-m", "spikey.cli", "encode", path, work / "py.spk"]
    first, first_cpu = _run(cmd, env)
    runs = [_run(cmd, env) for _ in range(WARM_RUNS)]
    warm = [w for w, _ in runs]
    log(f"native: spikey encode {path.name}: first run {first:.2f} s (empty cache), then "
        + ", ".join(f"{w:.2f}" for w in warm) + " s")
    return {"file": path.name, "first_s": first, "first_cpu_s": first_cpu, "warm_s": warm,
            "second_s": statistics.median(warm), "second_cpu_s": statistics.median(c for _, c in runs),
            "how": f"`python -m spikey.cli encode` with SPIKEY_CACHE set to an empty folder: the first run compiles "
                   f"the model's C (cffi), the next {WARM_RUNS} load it from the cache; second = their median"}


def measure(data: Path, limit: int | None = None, log=print) -> dict:
    paths = bench.validation_paths(data)[:limit]
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="spikey-native-bench-") as tmp:
        work = Path(tmp)
        program = build_program(work, log)
        rows = eval_loop(program, paths, work, log)
        cli = cli_start(paths[0], work, log)
    total = sum(r["encode_s"] + r["decode_s"] for r in rows)
    total_cpu = sum(r["encode_cpu_s"] + r["decode_cpu_s"] for r in rows)
    per_file = [r["encode_s"] + r["decode_s"] for r in rows]
    return {
        "schema": "spikey-native-bench/1", "data": os.path.relpath(Path(data).resolve(), REPO), "files": len(rows),
        "samples": sum((r["wav_bytes"] - 44) // 2 for r in rows),
        "machine": {"cpus": os.cpu_count(), "load_average_before": load, "load_average_after": os.getloadavg()[0]},
        "program": {"total_s": total, "total_cpu_s": total_cpu,
                    "per_file_cpu_median_s": statistics.median(r["encode_cpu_s"] + r["decode_cpu_s"] for r in rows),
                    "per_file_median_s": statistics.median(per_file), "per_file_max_s": max(per_file),
                    "encode_median_s": statistics.median(r["encode_s"] for r in rows),
                    "decode_median_s": statistics.median(r["decode_s"] for r in rows),
                    "ratio": sum(r["wav_bytes"] for r in rows) / sum(r["stream_bytes"] for r in rows),
                    "how": "spikey-codec encode IN OUT, then decode OUT BACK, each a process (subprocess.run, wall "
                           "clock; CPU = the children's user + system time, getrusage); BACK == IN and OUT == spikey encode's stream, byte for byte; ratio = WAV bytes / "
                           "stream bytes (container included)"},
        "targets": {"total_s": TOTAL_TARGET_S, "per_file_s": FILE_TARGET_S, "second_encode_s": SECOND_ENCODE_TARGET_S},
        "cli": cli, "per_file": rows}


def render_md(res: dict) -> str:
    p, c, t = res["program"], res["cli"], res["targets"]

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    lines = [
        "## Native codec program",
        "",
        (f"`python bench/native_codec.py` ({res['files']} validation files of `{res['data']}`, {res['samples']:,} "
         f"samples; load average {res['machine']['load_average_before']:.2f} before, "
         f"{res['machine']['load_average_after']:.2f} after, {res['machine']['cpus']} CPUs). "
         "`spikey-codec` is linked by `codegen build --target host`; every file is encoded and decoded by its own "
         "process, as the challenge's eval.sh does, and checked byte for byte against the original and against "
         "`spikey encode`'s stream. Wall-clock times (what the harness sees); the CPU time beside them "
         "leaves out the waits for a core when other jobs load the machine."),
        "",
        "| figure | measured | target | |",
        "| --- | ---: | ---: | --- |",
        (f"| all {res['files']} files, encode + decode, one process each | {p['total_s']:.2f} s | "
         f"< {t['total_s']:.0f} s | {verdict(p['total_s'] < t['total_s'])} |"),
        (f"| one file, encode + decode (median / worst) | {1e3 * p['per_file_median_s']:.1f} / "
         f"{1e3 * p['per_file_max_s']:.1f} ms | < {1e3 * t['per_file_s']:.0f} ms | "
         f"{verdict(p['per_file_median_s'] < t['per_file_s'])} (median), "
         f"{verdict(p['per_file_max_s'] < t['per_file_s'])} (worst) |"),
        (f"| encode / decode alone (median) | {1e3 * p['encode_median_s']:.1f} / "
         f"{1e3 * p['decode_median_s']:.1f} ms | | |"),
        (f"| CPU time (user + system): all files / one file (median) | {p['total_cpu_s']:.2f} s / "
         f"{1e3 * p['per_file_cpu_median_s']:.1f} ms | | |"),
        f"| `spikey encode`, first run (empty cffi cache) | {c['first_s']:.2f} s | | |",
        (f"| `spikey encode`, second run (cache warm; median of {len(c['warm_s'])}) | {c['second_s']:.2f} s | "
         f"< {t['second_encode_s']} s | {verdict(c['second_s'] < t['second_encode_s'])} |"),
        f"| `spikey encode`, second run, CPU time | {c['second_cpu_s']:.2f} s | | |",
        f"| compression ratio (container included) | {p['ratio']:.3f} | | |",
        "",
        "![per-file times](results-native.png)",
        "",
    ]
    return "\n".join(lines)


def readme_block(res: dict) -> str:
    """The README's ``native`` block: the harness figures in one table."""
    p, c = res["program"], res["cli"]
    return ("| the challenge's harness, one process per call | measured |\n| --- | ---: |\n"
            f"| `spikey-codec`: {res['files']} validation files encoded + decoded, byte-exact | "
            f"{p['total_s']:.2f} s |\n"
            f"| `spikey-codec`: one 5 s recording, encode + decode (median) | {1e3 * p['per_file_median_s']:.0f} ms |\n"
            f"| `spikey encode`, second run (compiled model cached) | {c['second_s']:.2f} s |\n"
            f"| `spikey encode`, first run (compiles the model's C) | {c['first_s']:.1f} s |\n")


def render_plot(res: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = res["per_file"]
    x = range(len(rows))
    fig, ax = plt.subplots(figsize=(8, 3.2))
    enc = [1e3 * r["encode_s"] for r in rows]
    dec = [1e3 * r["decode_s"] for r in rows]
    ax.bar(x, enc, label="encode")
    ax.bar(x, dec, bottom=enc, label="decode")
    ax.axhline(1e3 * res["targets"]["per_file_s"], color="k", ls="--", lw=1, label="target per file")
    ax.set_xlabel("validation file")
    ax.set_ylabel("wall time, ms (one process each)")
    ax.set_title(f"spikey-codec: {res['files']} files in {res['program']['total_s']:.2f} s")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write(res: dict, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    (out / "native.json").write_text(json.dumps(res, indent=2) + "\n")
    (out / "native.md").write_text(render_md(res))
    render_plot(res, out / "native.png")
    return [out / "native.json", out / "native.md", out / "native.png"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA, help="the dev recordings (default ../shared/data/neuralink-dev)")
    ap.add_argument("--limit", type=int, help="only the first N validation files (a quick try)")
    ap.add_argument("--out", type=Path, default=OUT, help="where native.{json,md,png} go (default bench/results/native)")
    args = ap.parse_args(argv)
    res = measure(args.data, args.limit, log=lambda s: print(s, file=sys.stderr, flush=True))
    for p in write(res, args.out):
        print(f"wrote {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
