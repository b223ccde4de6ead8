"""In-process fuzzing of the decoder: mutated streams must never crash it, never make it
take more memory or time than the stream's size allows, and never yield wrong audio.

    python bench/fuzz.py --iterations 100000 [--seed 0] [--out bench/results/fuzz]

Seed corpus: the golden vectors (tests/golden/*.spk) and streams made here of every codec
(baseline, each learned coder, a joint stream, the stored fallback). Each iteration takes a
seed stream and applies one to four mutations (bit flips, byte writes, inserts, deletes,
truncation, splices of two streams, a header integer rewritten), half the time repairing the
CRC so the mutation reaches the field checks and the decoders behind them. The property
checked on every decode (``check_one``):

- the decoder returns, or raises CodecError (a one-line refusal); any other exception is a
  failure;
- its peak Python memory stays under MEMORY_PER_BYTE bytes per stream byte plus
  MEMORY_FLOOR, and it takes under TIME_LIMIT seconds;
- when it returns, every WAV it gives parses, and is the seed's WAV of that channel unless
  the mutation left the samples' CRC-32 consistent with a different recording (checked by
  recomputing the CRC of the output, independently of the decoder);
- ``--salvage`` (``salvage_channels``) of the same bytes returns or refuses likewise, and
  every sample it gives outside the spans it reports lost is the seed's (when the header
  it trusted is the seed's).

Failures are written to ``--out`` (stream bytes and a JSON line each). The run prints
progress every 10 % and a summary: decodes, refusals by message, successes, failures.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
import tracemalloc
import zlib
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from spikey import baseline, container  # noqa: E402
from spikey.codec import decode_channels, encode_joint, encode_recording, salvage_channels  # noqa: E402
from spikey.errors import CodecError  # noqa: E402
from spikey.learned import LearnedCodec, load_model  # noqa: E402
from spikey.model.files import bundled_names  # noqa: E402
from spikey.recordings import RecordingError, from_codes, from_samples, parse_wav  # noqa: E402

MEMORY_PER_BYTE = 4096
MEMORY_FLOOR = 16 << 20
TIME_LIMIT = 10.0


def _walk(n: int, seed: int):
    codes = np.clip(512 + np.cumsum(np.random.default_rng(seed).integers(-6, 7, n)), 0, 1023)
    return from_samples(from_codes(codes), 19531)


def seed_corpus() -> list[bytes]:
    """Small valid streams of every codec and layout."""
    seeds = [p.read_bytes() for p in sorted((REPO / "tests" / "golden").glob("*.spk"))]
    seeds.append(encode_recording(_walk(700, 1), baseline))
    for coder in ("range", "rice_fixed", "rice_scaled", "huffman_prior"):
        seeds.append(encode_recording(_walk(600, 2), LearnedCodec(None, coder)))
    joint = {f"c{i}.wav": _walk(300 + 40 * i, 3 + i) for i in range(3)}
    seeds.append(encode_joint(joint, LearnedCodec(None, "range"), 64))
    seeds.append(encode_joint(joint, LearnedCodec(None, "range"), 64, resync=100))        # packets
    seeds.append(encode_recording(_walk(600, 6), LearnedCodec(None, "rice_scaled"), resync=150))
    noise = np.random.default_rng(4).integers(-32768, 32768, 400).astype(np.int16)
    seeds.append(encode_recording(from_samples(noise, 44100), baseline))          # stored
    return seeds


def _models() -> dict:
    """Model id -> bundled model name: a stream is decoded with the model it names."""
    return {load_model(name).identity: name for name in bundled_names()}


def _decode(data: bytes, models: dict) -> list:
    model = models.get(data[6:14]) if len(data) >= 14 else None
    return decode_channels(data, model)


def _recrc(data: bytes) -> bytes:
    return data[:-4] + zlib.crc32(data[:-4]).to_bytes(4, "little") if len(data) >= 8 else data


def _varint_at(data: bytearray, rnd: random.Random) -> bytearray:
    """Rewrite one header integer (a byte of the first 64) with an extreme value."""
    at = rnd.randrange(min(len(data), 64))
    value = rnd.choice([0, 1, 2**31 - 1, 2**31, 2**32, 2**40, 2**63, 2**64 - 1, 2**64, 2**70, rnd.getrandbits(20)])
    return data[:at] + bytearray(container._varint(value)) + data[at + 1:]


def mutate(data: bytes, other: bytes, rnd: random.Random) -> bytes:
    """One to four random mutations of ``data`` (``other``: a second seed for splices)."""
    out = bytearray(data)
    for _ in range(rnd.randint(1, 4)):
        if not out:
            out = bytearray(other)
        op = rnd.randrange(7)
        at = rnd.randrange(len(out))
        if op == 0:
            out[at] ^= 1 << rnd.randrange(8)
        elif op == 1:
            out[at] = rnd.choice([0, 0xFF, 0x7F, 0x80, rnd.randrange(256)])
        elif op == 2:
            out[at:at] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 8)))
        elif op == 3:
            del out[at:at + rnd.randint(1, 16)]
        elif op == 4:
            out = out[:at]
        elif op == 5:
            cut = rnd.randrange(len(other))
            out = out[:at] + bytearray(other[cut:])
        else:
            out = _varint_at(out, rnd)
    data = bytes(out)
    return _recrc(data) if rnd.random() < 0.5 else data


def _channel_crcs(data: bytes) -> list | None:
    try:
        return [c.wav_crc for c in container.unpack(data).channels]
    except CodecError:
        return None


def check_one(data: bytes, expected: dict, models: dict) -> tuple[str, str]:
    """Decode ``data`` under the guards; ("refused", message) / ("decoded", "") / ("FAIL", why).
    ``expected``: WAV CRC-32 -> WAV bytes of every seed channel."""
    tracemalloc.start()
    start = time.monotonic()
    try:
        channels = _decode(data, models)
        outcome = ("decoded", "")
    except (CodecError, RecordingError) as e:
        message = str(e)
        outcome = ("refused", re.sub(r"\d+", "N", message))
        if "\n" in message:
            outcome = ("FAIL", f"multi-line refusal: {message!r}")
        channels = []
    except Exception as e:  # noqa: BLE001 - any other exception is what the fuzzer looks for
        outcome, channels = ("FAIL", f"{type(e).__name__}: {e}"), []
    elapsed = time.monotonic() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    if peak > MEMORY_FLOOR + MEMORY_PER_BYTE * len(data):
        return "FAIL", f"peak memory {peak} bytes for a {len(data)}-byte stream"
    if elapsed > TIME_LIMIT:
        return "FAIL", f"{elapsed:.1f} s for a {len(data)}-byte stream"
    for _name, wav in channels:
        crc = zlib.crc32(wav)
        if crc not in (_channel_crcs(data) or []):
            return "FAIL", "a decoded WAV does not match its stream's CRC"
        if crc in expected and expected[crc] != wav:
            return "FAIL", "a decoded WAV differs from its seed's with the same CRC"
        parse_wav(wav)
    return outcome


def check_salvage(data: bytes, seed: bytes, seed_channels: dict, models: dict) -> tuple[str, str]:
    """``--salvage`` of a mutation of ``seed``: a refusal, or channels whose samples outside
    the reported lost spans are the seed's whenever the trusted header is the seed's."""
    try:
        channels, report = salvage_channels(data, models.get(data[6:14]) if len(data) >= 14 else None)
    except (CodecError, RecordingError) as e:
        return ("FAIL", f"multi-line refusal: {e!r}") if "\n" in str(e) else ("refused", "")
    except Exception as e:  # noqa: BLE001
        return "FAIL", f"salvage: {type(e).__name__}: {e}"
    try:
        same_header = container.header_bytes(container.unpack(data, salvage=True)) == \
            container.header_bytes(container.unpack(seed))
    except CodecError:
        same_header = False
    if not same_header:
        return "salvaged", ""
    for name, wav in channels:
        got, want = parse_wav(wav).samples, parse_wav(seed_channels[name]).samples
        keep = np.ones(len(want), bool)
        for p in report.get("lost_packets", []):
            keep[p["t0"]:p["t0"] + p["span"]] = False
        if len(got) != len(want) or not np.array_equal(got[keep], want[keep]):
            return "FAIL", f"salvage gave wrong samples outside the lost spans of {name!r}"
    return "salvaged", ""


def run(iterations: int, seed: int, out: Path | None, progress=print) -> dict:
    seeds, models = seed_corpus(), _models()
    expected = {zlib.crc32(w): w for s in seeds for _n, w in _decode(s, models)}
    packetised = {i: dict(_decode(s, models)) for i, s in enumerate(seeds) if container.unpack(s).mode_params}
    rnd = random.Random(seed)
    outcomes, messages, failures = Counter(), Counter(), []
    start = time.monotonic()
    for i in range(iterations):
        ia = rnd.randrange(len(seeds))
        a, b = seeds[ia], rnd.choice(seeds)
        data = mutate(a, b, rnd)
        kind, why = check_one(data, expected, models)
        if kind != "FAIL" and ia in packetised:
            salvaged, why_s = check_salvage(data, a, packetised[ia], models)
            outcomes[f"salvage {salvaged}"] += 1
            if salvaged == "FAIL":
                kind, why = salvaged, why_s
        outcomes[kind] += 1
        if kind == "refused":
            messages[why] += 1
        elif kind == "FAIL":
            failures.append({"iteration": i, "why": why, "bytes": len(data)})
            if out:
                out.mkdir(parents=True, exist_ok=True)
                (out / f"fail-{seed}-{i}.spk").write_bytes(data)
        if progress and iterations >= 10 and (i + 1) % (iterations // 10) == 0:
            progress(f"fuzz: {i + 1}/{iterations} decodes, {outcomes['FAIL']} failures, "
                     f"{(i + 1) / (time.monotonic() - start):.0f} decodes/s", file=sys.stderr)
    summary = {"iterations": iterations, "seed": seed, "seeds": len(seeds),
               "seconds": round(time.monotonic() - start, 1), "outcomes": dict(outcomes),
               "refusals": dict(messages.most_common()), "failures": failures}
    if out:
        out.mkdir(parents=True, exist_ok=True)
        (out / f"fuzz-{seed}.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--iterations", type=int, default=10000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, help="folder for failing streams and the summary JSON")
    args = p.parse_args(argv)
    summary = run(args.iterations, args.seed, args.out)
    print(json.dumps({k: v for k, v in summary.items() if k != "failures"}, indent=1))
    for f in summary["failures"][:20]:
        print(f"FAIL at {f['iteration']}: {f['why']}", file=sys.stderr)
    return 1 if summary["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
