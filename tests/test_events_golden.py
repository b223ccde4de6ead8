"""Golden event streams: committed bytes of the event mode, per file and joint.

tests/golden_events/ holds the event streams of three deterministic synthetic recordings
(spikey.recordings.synth, with spikes added) and their SHA-256s. A change of the event
parameters, the filter design, the pipeline's integers, the coder or the container shows up
as a failed byte comparison, so that it is made on purpose: regenerate with
``python tests/test_events_golden.py --write`` and say why in the commit.
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from spikey.events import stream
from spikey.recordings import from_samples, synth

GOLDEN = Path(__file__).resolve().parent / "golden_events"
SHAPE = np.array([-0.2, -0.6, -1.0, -0.7, -0.2, 0.25, 0.35, 0.3, 0.2, 0.1, 0.05])


def recordings() -> dict:
    x = synth.generate(3, 0.5, seed=15).astype(np.int64)
    for c in range(3):
        for t in range(1500 + 300 * c, x.shape[1] - 20, 1700):
            x[c, t:t + len(SHAPE)] += (4000 * SHAPE).astype(np.int64)
    x = np.clip(x, -32768, 32767).astype(np.int16)
    return {f"ch{c}.wav": from_samples(x[c], synth.SAMPLE_RATE) for c in range(3)}


def streams() -> dict:
    recs = recordings()
    out = {f"{n[:-4]}.events.spk": stream.encode_recordings({n: r}, joint=False) for n, r in recs.items()}
    out["joint.events.spk"] = stream.encode_recordings(recs, joint=True)
    return out


def test_event_streams_are_the_golden_bytes():
    want = json.loads((GOLDEN / "golden.json").read_text())["files"]
    got = streams()
    assert sorted(got) == sorted(want)
    for name, data in got.items():
        assert hashlib.sha256(data).hexdigest() == want[name], name
        assert (GOLDEN / name).read_bytes() == data, name


def test_golden_streams_decode():
    recs = recordings()
    joint = dict(stream.decode_events((GOLDEN / "joint.events.spk").read_bytes()))
    for name in recs:
        (_, arrays), = stream.decode_events((GOLDEN / f"{name[:-4]}.events.spk").read_bytes())
        assert len(arrays["spike_times"]) >= 2
        assert all(np.array_equal(arrays[k], joint[name][k]) for k in arrays)


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    GOLDEN.mkdir(parents=True, exist_ok=True)
    files = streams()
    for name, data in files.items():
        (GOLDEN / name).write_bytes(data)
    (GOLDEN / "golden.json").write_text(json.dumps(
        {"how": "python tests/test_events_golden.py --write",
         "files": {n: hashlib.sha256(b).hexdigest() for n, b in sorted(files.items())}}, indent=2) + "\n")
    print(f"wrote {len(files)} event streams to {GOLDEN}")
