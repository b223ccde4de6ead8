"""The event mode's file commands: WAV(s) -> event stream, event stream -> .npz file(s).

An event stream only decodes to .npz and a lossless or near-lossless stream never does:
``output_kind`` refuses the mismatch in one line before anything is written.
"""
from __future__ import annotations

from pathlib import Path

from .. import container
from ..codec import read_input, wav_inputs, write_atomic
from ..errors import CodecError
from ..outputs import refuse_same_file
from ..recordings import read_wav
from .params import EventParams
from .stream import decode_events, encode_recordings, npz_bytes


def stream_mode(data: bytes) -> int:
    """The mode byte of a container (after its checks)."""
    return container.unpack(data).mode


def check_output(data: bytes, output, joint: bool) -> bool:
    """True when ``data`` is an event stream (and the output fits it); refuses mismatches."""
    mode = stream_mode(data)
    wants_npz = not joint and str(output).endswith(".npz")
    if mode == container.EVENTS and not joint and not wants_npz:
        raise CodecError(f"bitstream is an event stream: it decodes to a .npz file, not {Path(output).name}")
    if mode != container.EVENTS and wants_npz:
        raise CodecError(f"bitstream is {container.MODES[mode]}: it decodes to a .wav file, not a .npz")
    return mode == container.EVENTS


def _params(rate: int, frame: int | None) -> EventParams:
    return EventParams.for_rate(rate, **({} if frame is None else {"frame": frame})).check()


def encode_file(src, dst, frame: int | None = None) -> None:
    refuse_same_file(src, dst)
    rec = read_wav(src)
    write_atomic(dst, encode_recordings({Path(src).name: rec}, joint=False, p=_params(rec.sample_rate, frame)))


def encode_dir(src_dir, dst, frame: int | None = None) -> int:
    files = wav_inputs(src_dir, dst)
    recs = {f.name: read_wav(f) for f in files}
    write_atomic(dst, encode_recordings(recs, joint=True, p=_params(next(iter(recs.values())).sample_rate, frame)))
    return len(files)


def decode_file(data: bytes, dst) -> None:
    channels = decode_events(data)
    if len(channels) != 1:
        raise CodecError(f"bitstream holds {len(channels)} channels (joint frames): decode it with --joint")
    write_atomic(dst, npz_bytes(channels[0][1]))


def decode_dir(data: bytes, dst_dir) -> int:
    """One .npz per channel, named after its input (ch000.wav -> ch000.npz)."""
    channels = decode_events(data)
    if len(channels) == 1 and not channels[0][0]:
        raise CodecError("bitstream is a per-file event stream: decode it to a .npz file, without --joint")
    names = []
    for name, _ in channels:
        if not name or Path(name).name != name:
            raise CodecError(f"corrupt bitstream: unsafe channel name {name!r}")
        names.append(Path(name).stem + ".npz")
    if len(set(names)) != len(names):
        raise CodecError("corrupt bitstream: two channels with one output name")
    dst_dir = Path(dst_dir)
    try:
        dst_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CodecError(f"cannot create {dst_dir}: {e.strerror}") from None
    blobs = [npz_bytes(arrays) for _, arrays in channels]
    for name, blob in zip(names, blobs):
        write_atomic(dst_dir / name, blob)
    return len(channels)


def decode_path(src, dst, joint: bool) -> bool:
    """Decode an event stream if ``src`` holds one (True); False: the caller's lossless path."""
    data = read_input(src)
    if not check_output(data, dst, joint):
        return False
    (decode_dir if joint else decode_file)(data, dst)
    return True
