"""libFuzzer on the C decode path: the host decoder (firmware/host/spk_host_codec.c) over a
model's generated codec, with AddressSanitizer and UBSan, fed by firmware/tests/fuzz_decode.c.

    python bench/fuzz_native.py [--seconds 60] [--model default] [--out bench/results/fuzz]

Builds the harness with clang (Debian's `clang` package) in a temporary folder, seeds it
with real payloads of every coder (per-file and joint), runs it for --seconds and writes
native.json (executions, rate, corpus size, whether it found anything) to --out. A crash,
a sanitizer report or a leak makes the run fail: its input is left in --out.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from spikey import firmware  # noqa: E402
from spikey.learned import LearnedCodec, load_model  # noqa: E402

HARNESS = REPO / "firmware" / "tests" / "fuzz_decode.c"
FLAGS = ("-std=c99", "-O1", "-g", "-fsanitize=fuzzer,address,undefined", "-fno-sanitize-recover=all")
CODER_IDS = {"rice_fixed": 2, "rice_scaled": 3, "range": 4, "huffman_prior": 5}


def compiler() -> str | None:
    return shutil.which("clang")


def build(model, work: Path) -> Path:
    """The harness binary for ``model`` (a CompiledModel), built in ``work``."""
    src = work / "src"
    src.mkdir(parents=True)
    files = dict(model.sources)
    for p in firmware.sources("runtime.coders") + [firmware.path("host/spk_host_codec.c"), HARNESS]:
        files[p.name] = p.read_text()
    for name, text in files.items():
        (src / name).write_text(text)
    includes = [f"-I{d}" for d in [src, *firmware.include_dirs("host")]]
    out = work / "fuzz_decode"
    subprocess.run([compiler(), *FLAGS, *includes, *sorted(str(src / n) for n in files if n.endswith(".c")),
                    "-o", str(out)], check=True, capture_output=True, text=True)
    return out


def seeds(corpus: Path) -> int:
    """Harness inputs from real payloads: (coder byte, layout byte, samples u16, payload)."""
    corpus.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    count = 0
    for coder, cid in CODER_IDS.items():
        codec = LearnedCodec(None, coder)
        for n in (0, 1, 50, 500):
            x = np.clip(512 + np.cumsum(rng.integers(-5, 6, n)), 0, 1023)
            payload = codec.encode_codes(x)
            (corpus / f"{coder}-{n}").write_bytes(bytes([cid - 2, 0]) + n.to_bytes(2, "little") + payload)
            count += 1
    joint = LearnedCodec(None, "range")
    chans = [np.clip(512 + np.cumsum(rng.integers(-5, 6, 300 - 7 * i)), 0, 1023) for i in range(3)]
    (corpus / "joint-3").write_bytes(bytes([2, 0x82]) + (300).to_bytes(2, "little") + joint.encode_channels(chans, 64))
    return count + 1


def run(seconds: int, model_name, out: Path | None, log=print) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        binary = build(load_model(model_name), tmp / "build")
        n_seeds = seeds(tmp / "corpus")
        artifacts = (out or tmp) / "native-crash-"
        (out or tmp).mkdir(parents=True, exist_ok=True)
        log(f"fuzz_native: {n_seeds} seeds, {seconds} s of libFuzzer (ASan + UBSan)", file=sys.stderr)
        proc = subprocess.run([str(binary), str(tmp / "corpus"), f"-max_total_time={seconds}", "-print_final_stats=1",
                               "-max_len=8192", f"-artifact_prefix={artifacts}"],
                              capture_output=True, text=True)
        stats = dict(re.findall(r"^stat::(\w+):\s+(\d+)", proc.stderr, re.M))
        corpus_size = len(list((tmp / "corpus").iterdir()))
    res = {"seconds": seconds, "model": model_name or "default", "returncode": proc.returncode,
           "executions": int(stats.get("number_of_executed_units", 0)),
           "executions_per_second": int(stats.get("average_exec_per_sec", 0)),
           "peak_rss_mb": int(stats.get("peak_rss_mb", 0)), "corpus": corpus_size, "seeds": n_seeds,
           "clean": proc.returncode == 0, "sanitizers": "address,undefined (no recovery)",
           "tail": proc.stderr.strip().splitlines()[-3:] if proc.returncode else []}
    if out:
        (out / "native.json").write_text(json.dumps(res, indent=1) + "\n")
    return res


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=int, default=60)
    p.add_argument("--model", default=None, help="a bundled model's name or a folder (default: default)")
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    if compiler() is None:
        print("fuzz_native: clang is not installed (apt-get install clang)", file=sys.stderr)
        return 1
    res = run(args.seconds, args.model, args.out)
    print(json.dumps(res, indent=1))
    return 0 if res["clean"] else 1


if __name__ == "__main__":
    sys.exit(main())
