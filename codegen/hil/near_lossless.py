"""The three-way check of a near-lossless codec build (docs/coders.md §6).

The Python reference runs the decoder's loop one sample at a time in Python integers
(about 2,000 samples/s), so it is checked on the first ``seconds`` of each recording, in
QEMU runs of their own: per file and joint, the QEMU payloads == host C == Python
reference byte for byte, the host C decoder == the reference decoder sample for sample,
and every decoded sample within D of its original. The full recordings (measured for the
report) are checked QEMU == host C by the build itself.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import BuildError
from .codec import run_hil_codec

REFERENCE_SECONDS = 1.0


def _decoded(codec, payload: bytes, chans: list, frame: int, peers) -> list:
    return codec.decode_channels(payload, [len(x) for x in chans], frame, peers)


def check_prefixes(elf, host, ref, chans: list, peers, rate: int, workdir, seconds: float = REFERENCE_SECONDS,
                   log=print) -> dict:
    """QEMU == host C == Python reference on the first ``seconds`` of every channel (per
    file and joint), decoded samples equal and within D; returns the check's record."""
    d = host.max_error
    n = max(int(rate * seconds), 2)
    short = [np.asarray(x[:n], np.int64) for x in chans]
    log(f"codegen: near-lossless D={d}: Python reference on the first {seconds:g} s of {len(short)} recordings "
        "(per file and joint)")
    per_file = run_hil_codec(elf, short, Path(workdir) / "nl-per-file")
    joint = run_hil_codec(elf, short, Path(workdir) / "nl-joint", joint=True, peers=peers)
    worst = 0
    for i, (x, q) in enumerate(zip(short, per_file.payloads)):
        h, r = host.encode_channels([x]), ref.encode_channels([x])
        if not q == h == r:
            raise BuildError(f"near-lossless D={d}, recording {i}: QEMU, host C and Python reference payloads differ")
        yh, yr = _decoded(host, h, [x], 0, None)[0], _decoded(ref, r, [x], 0, None)[0]
        if not np.array_equal(yh, yr):
            raise BuildError(f"near-lossless D={d}, recording {i}: host C and Python reference decode differently")
        worst = max(worst, int(np.abs(yh.astype(np.int64) - x).max(initial=0)))
    jh, jr = host.encode_channels(short, elf.frame, peers), ref.encode_channels(short, elf.frame, peers)
    if not joint.payload == jh == jr:
        raise BuildError(f"near-lossless D={d}, joint stream: QEMU, host C and Python reference payloads differ")
    for x, yh, yr in zip(short, _decoded(host, jh, short, elf.frame, peers), _decoded(ref, jr, short, elf.frame, peers)):
        if not np.array_equal(yh, yr):
            raise BuildError(f"near-lossless D={d}, joint stream: host C and Python reference decode differently")
        worst = max(worst, int(np.abs(yh.astype(np.int64) - x).max(initial=0)))
    if worst > d:
        raise BuildError(f"near-lossless D={d}: a decoded sample is {worst} codes off")
    return {"samples_per_recording": n, "per_file_streams": len(short), "joint_streams": 1, "equal": True,
            "decoded_equal": True, "max_error": worst,
            "how": f"the first {seconds:g} s of each recording in QEMU runs of their own: QEMU payload == host C == "
                   "Python reference (codegen.reference.codec, the decoder's loop in Python integers), host C decoder "
                   "== reference decoder, every decoded sample within D"}
