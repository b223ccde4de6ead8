"""Golden vectors: committed recordings with their exact streams, one per coder and mode.

tests/golden/ holds small synthetic recordings (deterministic: spikey.recordings.synth) and
the stream of each by every coder of the bundled models, per file and joint, with the
models' identities. Any change of the stream format, of a coder, of a model's integer
semantics or of the container shows up here as a failed byte comparison, so that it is
made on purpose: regenerate with ``python tests/test_golden.py --write`` and say why in
the commit.
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

from spikey import baseline
from spikey.codec import decode_channels, decode_stream, encode_joint, encode_recording
from spikey.learned import LearnedCodec
from spikey.model.files import MIDDLEOUT
from spikey.recordings import Recording, canonical_prefix, from_samples, read_wav, synth

GOLDEN = Path(__file__).resolve().parent / "golden"
CODERS = ("range", "rice_scaled", "rice_fixed", "huffman_prior")


def recordings() -> dict:
    """The golden recordings: a plain one with samples off the ADC grid, and one whose
    header has an extra chunk (kept verbatim), both 0.25 s at 19,531 Hz."""
    x = synth.generate(3, 0.25, seed=21, off_grid=3)
    plain = from_samples(x[0], synth.SAMPLE_RATE)
    head = canonical_prefix(synth.SAMPLE_RATE, x.shape[1])
    listed = head[:36] + b"LIST\x0c\x00\x00\x00INFOISFT\x00\x00\x00\x00" + head[36:]
    listed = b"RIFF" + (len(listed) - 8 + 2 * x.shape[1]).to_bytes(4, "little") + listed[8:]
    chunked = Recording(synth.SAMPLE_RATE, x[1], listed)
    return {"plain.wav": plain, "chunked.wav": chunked, "third.wav": from_samples(x[2], synth.SAMPLE_RATE)}


def streams() -> dict:
    """name -> the stream bytes every golden vector should hold."""
    recs = recordings()
    out = {}
    for name in ("plain.wav", "chunked.wav"):
        stem = name[:-4]
        out[f"{stem}.baseline.spk"] = encode_recording(recs[name], baseline)
        for coder in CODERS:
            out[f"{stem}.{coder}.spk"] = encode_recording(recs[name], LearnedCodec(None, coder))
    out["joint.range.spk"] = encode_joint(recs, LearnedCodec(None, "range"), 64)
    out["joint.middleout.spk"] = encode_joint(recs, LearnedCodec(MIDDLEOUT, "range"), 64)
    out["joint.packets.spk"] = encode_joint(recs, LearnedCodec(None, "range"), 64, resync=1000)   # issue 13
    return out


def manifest(files: dict) -> dict:
    return {"how": "python tests/test_golden.py --write", "models": {
                "default": LearnedCodec().MODEL_ID.hex(), MIDDLEOUT: LearnedCodec(MIDDLEOUT).MODEL_ID.hex()},
            "files": {n: hashlib.sha256(b).hexdigest() for n, b in sorted(files.items())}}


def write() -> None:
    GOLDEN.mkdir(exist_ok=True)
    files = {n: r.to_bytes() for n, r in recordings().items()} | streams()
    for n, data in files.items():
        (GOLDEN / n).write_bytes(data)
    (GOLDEN / "golden.json").write_text(json.dumps(manifest(files), indent=1) + "\n")


def test_golden_recordings_are_the_generator_s():
    for name, rec in recordings().items():
        assert (GOLDEN / name).read_bytes() == rec.to_bytes(), name
        back = read_wav(GOLDEN / name)
        assert back.to_bytes() == rec.to_bytes() and back.is_canonical == (name != "chunked.wav")


def test_model_identities_are_golden():
    m = json.loads((GOLDEN / "golden.json").read_text())
    assert m["models"] == manifest({})["models"]


@pytest.mark.parametrize("name", sorted(streams()))
def test_stream_is_byte_for_byte_golden(name):
    assert streams()[name] == (GOLDEN / name).read_bytes(), f"{name} changed: see this file's docstring"


@pytest.mark.parametrize("name", sorted(n for n in streams() if not n.startswith("joint")))
def test_golden_streams_decode_exactly(name):
    wav = (GOLDEN / f"{name.split('.')[0]}.wav").read_bytes()
    assert decode_stream((GOLDEN / name).read_bytes()) == wav


@pytest.mark.parametrize("name,model", [("joint.range.spk", None), ("joint.middleout.spk", MIDDLEOUT),
                                        ("joint.packets.spk", None)])
def test_golden_joint_streams_decode_exactly(name, model):
    got = dict(decode_channels((GOLDEN / name).read_bytes(), model))
    assert got == {n: (GOLDEN / n).read_bytes() for n in recordings()}


def test_manifest_lists_every_golden_file():
    m = json.loads((GOLDEN / "golden.json").read_text())
    on_disk = {p.name for p in GOLDEN.iterdir() if p.name != "golden.json"}
    assert set(m["files"]) == on_disk
    for n, digest in m["files"].items():
        assert hashlib.sha256((GOLDEN / n).read_bytes()).hexdigest() == digest, n


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python tests/test_golden.py --write   (rewrites tests/golden/)")
    write()
    print(f"wrote {GOLDEN}")
