"""The learned codec's HIL program (firmware/hil/hil_codec.c) on a Cortex-M target in QEMU.

    elf = build_codec_elf(sources, model, out_dir)          # generated codec + runtime + HIL main
    run = run_hil_codec(elf, [codes], workdir)              # per-file: one stream per channel
    run = run_hil_codec(elf, [a, b, c], workdir, joint=True, peers=P)   # one joint stream, time-major
    run.payloads, run.frame_insns, run.joint_insns, run.total

The HIL main reads ``input.spk`` (a small header, then the codes in coding order: see
hil_codec.c), encodes with the frame API exactly as the implant would and writes the
payload(s) to ``payload.bin``; each must equal the host codec's and the Python
reference's (per file: ``[codes]`` with frame 0; joint: the channels with the frame and
the MiddleOut peers, time-major through spk_codec_encode_step). Instruction counts: QEMU
-icount + the CMSDK timer around every spk_codec_encode call (per file) or every joint
frame's spk_codec_encode_step calls (codegen/hil/qemu.py).
"""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from spikey import firmware
from spikey.coders.registry import coders_for_model
from spikey.learned import time_major
from spikey.model.compiled import CompiledModel

from ..emit.tables import hil_model
from ..target.elf import DEFAULT_FRAME, ElfBuild, build_elf
from .qemu import HilRun, hil_run, run_qemu

MAGIC = 0x484B5053
CODER_IDS = {name: c.id for name, c in coders_for_model().items()}
ENCODE_ROOT = "spk_codec_encode"
DEFAULT_MAX_CHANNELS = 4
DEFAULT_MAX_PEERS = 8
VERSION = 2


def codec_files(model: CompiledModel, predictor_files: dict) -> dict:
    """Every codec source of the ELF: the generated predictor and frame API, the runtime's
    coders (firmware manifest ``runtime.coders``) and the model's coder table."""
    files = dict(predictor_files)
    files.update({p.name: p.read_text() for p in firmware.sources("runtime.coders")})
    files["spk_hil_model.c"] = hil_model([int(e) for e in model.edges], model.family, model.family_id)
    return files


def build_codec_elf(predictor_files: dict, model: CompiledModel, build_dir, target="cortex-m4", *,
                    frame: int = DEFAULT_FRAME, max_channels: int = DEFAULT_MAX_CHANNELS,
                    max_peers: int = DEFAULT_MAX_PEERS, huffman: bool = True, quiet: bool = False,
                    defines: tuple[str, ...] = (), name: str = "hil_codec", max_error: int = 0) -> ElfBuild:
    """Cross-compile the learned codec + start-up + hil_codec.c into ``build_dir``;
    ``max_error``: the near-lossless bound D every stream of the ELF is coded with (0: lossless)."""
    defs = (f"SPK_HIL_MAX_CHANNELS={int(max_channels)}u", f"SPK_HIL_MAX_PEERS={int(max_peers)}u",
            f"SPK_HIL_HUFFMAN={1 if huffman else 0}", *defines)
    if max_error:
        defs += (f"SPK_HIL_MAX_ERROR={int(max_error)}u",)
    return build_elf(target, build_dir, hil="codec", frame=frame, defines=defs, name=name, quiet=quiet,
                     generated=codec_files(model, predictor_files))


def write_input(path, channels: list, *, joint: bool, coder: str | int, frame: int, params=None,
                peers=None) -> None:
    """input.spk: header + codes in coding order (see firmware/hil/hil_codec.c). peers: the
    joint stream's (channels, K) MiddleOut peers (-1 = none), or None (K = 0)."""
    chans = [np.asarray(c, dtype=np.int64) for c in channels]
    coder_id = CODER_IDS[coder] if isinstance(coder, str) else int(coder)
    params = list(params) if params is not None else [0] * len(chans)
    p = np.zeros((len(chans), 0), np.int64) if peers is None or not joint else \
        np.asarray(peers, np.int64).reshape(len(chans), -1)
    head = struct.pack(f"<7I{len(chans)}I{len(chans)}I{p.size}i", MAGIC, VERSION, 1 if joint else 0, coder_id, frame,
                       len(chans), p.shape[1], *[len(c) for c in chans], *params, *p.reshape(-1).tolist())
    body = np.concatenate(chans) if chans else np.zeros(0)
    if joint:   # coding order
        c, t = time_major([len(x) for x in chans])
        body = body[np.cumsum([0] + [len(x) for x in chans])[c] + t]
    Path(path).write_bytes(head + np.asarray(body, dtype="<i2").tobytes())


def run_hil_codec(elf: ElfBuild, channels: list, workdir, *, joint: bool = False, coder: str | int = "range",
                  frame: int | None = None, params=None, peers=None, timeout: float = 300.0) -> HilRun:
    """Encode the channels on the target (per-file streams, or one joint stream with the
    MiddleOut ``peers``, (channels, K) or None).

    Raises BuildError unless the run ends with status 0 and complete, consistent records."""
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    frame = frame or elf.frame
    for stale in ("payload.bin", "input.s16"):
        if (work / stale).exists():
            (work / stale).unlink()
    write_input(work / "input.spk", channels, joint=joint, coder=coder, frame=frame, params=params, peers=peers)
    return hil_run(elf, run_qemu(elf, work, timeout), work / "payload.bin", joint=joint,
                   streams=1 if joint else len(channels))


def instruction_stats(runs: list[HilRun]) -> dict:
    """Instructions per sample (mean), per frame (mean) and worst frame over some runs."""
    insns = sum(int(r.frame_insns.sum()) for r in runs)
    samples = sum(r.samples for r in runs)
    frames = sum(len(r.frames) for r in runs)
    full = [r.frame_insns[r.frame_samples == r.frame_samples.max()] for r in runs if len(r.frames)]
    full = np.concatenate(full) if full else np.zeros(0, np.int64)
    return {"samples": samples, "frames": frames, "instructions": insns,
            "insns_per_sample": insns / max(samples, 1),
            "insns_per_frame_mean": float(full.mean()) if len(full) else None,
            "insns_worst_frame": max((r.worst_frame_insns for r in runs), default=0),
            "insns_worst_sample_frame": max((float((r.frame_insns / r.frame_samples).max()) for r in runs
                                             if len(r.frames)), default=0.0)}
