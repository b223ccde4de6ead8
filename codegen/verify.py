"""``codegen verify WAV... [--model M] [--coder C] [--joint]``: the runtime's host C and the
Python integer reference (the specification) on recordings, byte for byte.

Each recording is encoded by both (spikey.learned and codegen.reference.codec), the two
streams compared, and each stream decoded by both and compared with the original file;
``--joint`` codes them all as one joint stream instead. The reference runs at about 5 k
samples/s: a 5 s recording takes about 20 s.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from spikey.codec import decode_channels, encode_joint, encode_recording, read_input
from spikey.errors import CodecError
from spikey.learned import DEFAULT_CODER, LearnedCodec
from spikey.model.files import resolve
from spikey.recordings import parse_wav

from .errors import CodegenError
from .reference.codec import ReferenceCodec
from .reference.compile import compile_model


def verify(paths: list, model=None, coder: str = DEFAULT_CODER, joint: bool = False, log=print,
           max_error: int = 0) -> list[dict]:
    """One row per stream (file, or the joint stream): bytes, equal, seconds. Raises
    CodegenError at the first difference. ``max_error`` D > 0: near-lossless streams, whose
    two decodes must be equal (and within D, which the encoder checks) instead of exact."""
    pred = compile_model(resolve(model))
    host, ref = LearnedCodec(model, coder, max_error), ReferenceCodec(pred, coder, max_error)
    if host.MODEL_ID != ref.MODEL_ID:
        raise CodegenError(f"the compiled model's identity {host.MODEL_ID.hex()} is not the reference's "
                           f"{ref.MODEL_ID.hex()}: the compiled/ folder is stale (run codegen compile)")
    wavs = {Path(p).name: read_input(p) for p in paths}
    recs = {n: parse_wav(w) for n, w in wavs.items()}
    groups = [(f"joint stream of {len(recs)} recordings", recs)] if joint else [(n, {n: r}) for n, r in recs.items()]
    rows = []
    for label, group in groups:
        t0 = time.perf_counter()
        if joint:
            streams = [encode_joint(group, c, 64) for c in (host, ref)]
        else:
            streams = [encode_recording(next(iter(group.values())), c) for c in (host, ref)]
        if streams[0] != streams[1]:
            raise CodegenError(f"{label}: the host C stream ({len(streams[0])} B) and the Python reference's "
                               f"({len(streams[1])} B) differ")
        backs = [dict(decode_channels(streams[0], model, learned))
                 for learned in (None, lambda c: ReferenceCodec(pred, c))]
        for learned, back in zip((False, True), backs):
            if not max_error and any(back.get(n if joint else "") != wavs[n] for n in group):
                raise CodegenError(f"{label}: the {'reference' if learned else 'host C'} decode does not "
                                   "restore the original bytes")
        if backs[0] != backs[1]:
            raise CodegenError(f"{label}: the host C and reference decodes differ")
        rows.append({"stream": label, "bytes": len(streams[0]), "equal": True, "seconds": time.perf_counter() - t0})
        log(f"codegen: {label}: host C == Python reference ({len(streams[0]):,} B), both decodes "
            + (f"equal, within {max_error}" if max_error else "exact"))
    return rows


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("wavs", nargs="+", type=Path, metavar="WAV", help="recordings to code both ways")
    p.add_argument("--model", help="a model directory or a bundled model's name (default: default)")
    p.add_argument("--coder", default=DEFAULT_CODER, choices=("range", "rice_scaled", "rice_fixed", "huffman_prior"),
                   help=f"entropy coder (default {DEFAULT_CODER})")
    p.add_argument("--joint", action="store_true", help="all recordings as one joint stream (range coder)")
    p.add_argument("--max-error", type=int, default=0, metavar="D",
                   help="near-lossless streams at bound D (range coder): the two decodes equal, each within D")


def run(args) -> int:
    try:
        verify(args.wavs, args.model, args.coder, args.joint, max_error=args.max_error)
    except CodecError as e:
        raise CodegenError(str(e)) from None
    return 0
