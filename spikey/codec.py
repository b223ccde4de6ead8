"""Recording <-> container: the codec as a user sees it.

``encode_recording`` maps samples to 10-bit codes, escapes the samples off the grid,
codes the codes with the chosen codec (the baseline, or a learned model with a coder)
and wraps everything in a container; ``encode_joint`` does the same for simultaneous
recordings in one stream of joint frames. ``decode_stream`` / ``decode_channels`` undo it
and check every channel against its original's CRC.
Files are written through a temporary name and renamed, so a failed run leaves nothing.
Whenever the coded stream would be longer than the samples themselves, the stored
fallback (spikey.stored) is written instead. With ``resync`` a stream is cut into packets
coded afresh (spikey.packets), which ``salvage_channels`` decodes when some are damaged.
``encode_file`` / ``decode_file`` of per-file learned streams run in bounded memory
(spikey.streaming).
"""
from __future__ import annotations

import json
import os
import tempfile
import zlib
from pathlib import Path

import numpy as np

from . import baseline, container, limits, near_lossless, packets, stored, streaming
from .errors import CodecError, PayloadTooLarge
from .learned import LearnedCodec
from .outputs import refuse_same_file, write_files_atomic
from .recordings import Recording, canonical_prefix, from_codes, off_grid, read_wav, to_codes
from .topology import activity_distance, peers as nearest_peers

CODECS = {baseline.CODEC_ID: baseline}
LEARNED_CODER_IDS = {2: "rice_fixed", 3: "rice_scaled", 4: "range", 5: "huffman_prior"}


def _channel(rec: Recording, name: str = "", escapes=None) -> container.Channel:
    canonical = limits.canonical_rate(rec.sample_rate) and rec.is_canonical
    limits.check_channel_fields(len(rec.samples), rec.sample_rate, canonical, prefix="")
    escapes = off_grid(rec.samples) if escapes is None else escapes
    return container.Channel(
        samples=len(rec.samples), sample_rate=rec.sample_rate, prefix=None if canonical else rec.prefix,
        suffix=rec.suffix, escape_positions=escapes, escape_values=rec.samples[escapes],
        wav_crc=zlib.crc32(rec.to_bytes()), name=name)


def _stored(recordings: list, names: list, frame: int = 0) -> tuple[int, object]:
    """The stored fallback of the recordings (spikey.stored: their samples verbatim) as
    (its length, a thunk making it): the samples are copied only when it is chosen."""
    none = np.zeros(0, np.int64)
    s = container.Stream(stored.CODEC_ID, stored.MODEL_ID, [_channel(r, n, none) for r, n in zip(recordings, names)],
                         b"", frame)
    n_bytes = 2 * sum(len(r.samples) for r in recordings)
    size = len(container.header_bytes(s)) + len(container._varint(n_bytes)) + n_bytes + 4

    def make() -> bytes:
        s.payload = stored.encode_samples([r.samples for r in recordings])
        return container.pack(s)
    return size, make


def _shorter(coded, recordings: list, names: list, frame: int = 0) -> bytes:
    """The coded stream (a thunk; PayloadTooLarge: longer than storing), or the stored
    fallback when that is shorter."""
    size, fallback = _stored(recordings, names, frame)
    try:
        data = coded()
    except PayloadTooLarge:
        return fallback()
    return data if len(data) <= size else fallback()


def _payload_encoder(codec, frame: int, peers):
    """codes of every channel -> the payload of the stream's layout (per-file or joint)."""
    if frame == 0:
        return lambda codes: codec.encode_codes(codes[0])
    return lambda codes: codec.encode_channels(codes, frame, peers)


def _payload_decoder(s: container.Stream, codec):
    """(payload, lengths) -> every channel's codes, in the stream's layout."""
    if s.frame == 0 and len(s.channels) == 1 and hasattr(codec, "decode_codes"):
        return lambda payload, lengths: [codec.decode_codes(payload, lengths[0])]
    if hasattr(codec, "decode_channels"):
        return lambda payload, lengths: codec.decode_channels(payload, lengths, s.frame, s.peers)
    raise CodecError(f"bitstream holds {len(s.channels)} channels; the {codec.NAME} codec codes one")


def _coded(codec, channels: list, codes: list, frame: int = 0, peers=None, resync: int = 0) -> bytes:
    """The coded stream: one payload, or (resync > 0) packets of ``resync`` time steps
    (spikey.packets)."""
    s = container.Stream(codec.CODEC_ID, codec.MODEL_ID, channels, b"", frame, peers,
                         mode_params=packets.mode_params(resync) if resync else b"")
    encode = _payload_encoder(codec, frame, peers)
    s.payload = packets.encode_payload(container.header_bytes(s), codes, resync, encode) if resync else encode(codes)
    return container.pack(s)


def _no_packets_when_near_lossless(codec, resync: int) -> None:
    if resync and getattr(codec, "max_error", 0):
        raise CodecError("packets (--resync) are for lossless streams: drop --resync or --max-error")


def encode_recording(rec: Recording, codec=baseline, resync: int = 0) -> bytes:
    """One recording, per-file mode (the challenge's rule); ``resync``: packets of that
    many samples (0: one payload). A near-lossless codec (its max_error) writes mode 1."""
    _no_packets_when_near_lossless(codec, resync)
    if getattr(codec, "max_error", 0):
        return _shorter(lambda: near_lossless.pack(codec, [rec], [""], codec.encode_codes(to_codes(rec.samples))),
                        [rec], [""])
    return _shorter(lambda: _coded(codec, [_channel(rec)], [to_codes(rec.samples)], resync=resync), [rec], [""])


def joint_peers(codes: list, k: int, rate: int, seconds: float = 1.0) -> np.ndarray:
    """The MiddleOut topology of a joint stream, from its own channels: each channel's ``k``
    nearest by activity over the first ``seconds`` that every channel has
    (spikey.topology); all -1 when that is under 2 samples or there is one channel."""
    n = min(min(len(c) for c in codes), max(int(rate * seconds), 2))
    if n < 2 or len(codes) < 2:
        return np.full((len(codes), k), -1, np.int64)
    return nearest_peers(activity_distance(np.stack([np.asarray(c[:n]) for c in codes])), k)


def encode_joint(recordings: dict, codec, frame: int, resync: int = 0) -> bytes:
    """Several simultaneous recordings (name -> Recording) in one stream of joint frames:
    time-major, with the MiddleOut peers when the codec's model has MiddleOut; ``resync``:
    packets of that many time steps (0: one payload)."""
    if not 1 <= frame <= limits.MAX_FRAME:
        raise CodecError(f"--frame must be 1 .. {limits.MAX_FRAME} samples, not {frame}")
    names = sorted(recordings)
    limits.check_names(names, joint=True)
    _no_packets_when_near_lossless(codec, resync)

    def coded():
        codes = [to_codes(recordings[n].samples) for n in names]
        peers = None
        if getattr(codec, "middleout", False):
            peers = joint_peers(codes, codec.peers, recordings[names[0]].sample_rate)
        if getattr(codec, "max_error", 0):
            return near_lossless.pack(codec, [recordings[n] for n in names], names,
                                      codec.encode_channels(codes, frame, peers), frame, peers)
        return _coded(codec, [_channel(recordings[n], n) for n in names], codes, frame, peers, resync)
    return _shorter(coded, [recordings[n] for n in names], names, frame)


def learned_codec(model=None):
    """The codec factory of a decoder: coder name -> the runtime's learned codec of ``model``."""
    return lambda coder: LearnedCodec(model, coder)


def _codec_for(s: container.Stream, learned) -> object:
    if s.codec in CODECS:
        codec = CODECS[s.codec]
    elif s.codec in LEARNED_CODER_IDS:
        codec = learned(LEARNED_CODER_IDS[s.codec])
    else:
        raise CodecError(f"bitstream uses codec id {s.codec}, which this spikey does not have")
    if s.model_id != codec.MODEL_ID:
        raise CodecError(f"bitstream was made by model {s.model_id.hex()}; "
                         f"this decoder's {codec.NAME} model is {codec.MODEL_ID.hex()} (choose the model with --model DIR)")
    return codec


def _restore(c: container.Channel, codes: np.ndarray) -> bytes:
    samples = from_codes(codes)
    samples[c.escape_positions] = c.escape_values
    return _restore_samples(c, samples)


def _restore_samples(c: container.Channel, samples: np.ndarray) -> bytes:
    prefix = canonical_prefix(c.sample_rate, c.samples) if c.prefix is None else c.prefix
    wav = Recording(c.sample_rate, samples, prefix, c.suffix).to_bytes()
    if zlib.crc32(wav) != c.wav_crc:
        raise CodecError("decoded recording does not match the original's CRC")
    return wav


def decode_channels(data: bytes, model=None, learned=None) -> list:
    """Every channel of a stream as (name, WAV bytes). ``learned``: coder name -> the
    learned codec to decode with (default: the runtime's, of ``model``)."""
    return decode_unpacked(container.unpack(data), model, learned)


def _lossless_codec(s: container.Stream, model=None, learned=None):
    """The codec of a parsed lossless stream, its payload checked against its counts."""
    if s.mode != container.LOSSLESS:
        raise CodecError(f"bitstream is {container.MODES[s.mode]}; this decoder reads lossless streams")
    limits.check_payload_size(s.codec, len(s.payload))
    limits.check_payload_holds(s.codec, sum(c.samples for c in s.channels), len(s.payload))
    return _codec_for(s, learned or learned_codec(model))


def _near_lossless_codec(s: container.Stream, model=None, learned=None):
    """The learned codec of a parsed near-lossless stream at its bound D (its mode params),
    its payload checked against its counts."""
    d = near_lossless.read_params(s.mode_params)
    limits.check_payload_size(s.codec, len(s.payload))
    limits.check_payload_holds(s.codec, sum(c.samples for c in s.channels), len(s.payload), d)
    codec = _codec_for(s, learned or learned_codec(model))
    if not hasattr(codec, "with_max_error"):
        raise CodecError(f"a near-lossless stream needs a learned codec, not {codec.NAME}")
    return codec.with_max_error(d)


def decode_unpacked(s: container.Stream, model=None, learned=None) -> list:
    """decode_channels of a parsed stream (lossless or near-lossless)."""
    if s.mode == container.NEAR_LOSSLESS:
        decoded = _payload_decoder(s, _near_lossless_codec(s, model, learned))(s.payload, [c.samples for c in s.channels])
        return [(c.name, near_lossless.restore(c, codes)) for c, codes in zip(s.channels, decoded)]
    if s.mode != container.LOSSLESS:
        raise CodecError(f"bitstream is {container.MODES[s.mode]}; this decoder reads lossless and near-lossless "
                         "streams")
    lengths = [c.samples for c in s.channels]
    if s.codec == stored.CODEC_ID:
        if any(len(c.escape_positions) for c in s.channels):
            raise CodecError("corrupt bitstream: escapes in a stored stream")
        decoded = stored.decode_samples(s.payload, lengths)
        return [(c.name, _restore_samples(c, x)) for c, x in zip(s.channels, decoded)]
    decode = _payload_decoder(s, _lossless_codec(s, model, learned))
    resync = packets.resync_of(s.mode_params)
    if resync:
        decoded = packets.decode_payload(container.header_bytes(s), s.payload, lengths, resync, decode)
    else:
        decoded = decode(s.payload, lengths)
    return [(c.name, _restore(c, codes)) for c, codes in zip(s.channels, decoded)]


def salvage_channels(data: bytes, model=None, learned=None) -> tuple[list, dict]:
    """A damaged packetised stream's channels as (name, WAV bytes), every intact packet
    decoded and each lost span filled by holding the channel's last sample before it (0 at
    the start), and a report of what was lost (docs/bitstream.md, "Packets"). An intact
    stream decodes as decode_channels does, with an empty report."""
    if container.intact(data):
        joint = bool(container.unpack(data).frame)
        return decode_channels(data, model, learned), salvage_report([], 0, [], [], joint=joint)
    try:
        s = container.unpack(data, salvage=True)
    except CodecError as e:
        raise CodecError(f"damaged beyond salvage: {e}") from None
    resync = packets.resync_of(s.mode_params) if s.mode == container.LOSSLESS else 0
    if not resync or s.codec not in LEARNED_CODER_IDS and s.codec not in CODECS:
        raise CodecError("the stream is damaged and not packetised (encode with --resync): nothing can be salvaged")
    lengths = [c.samples for c in s.channels]
    limits.check_payload_holds(s.codec, sum(lengths), len(s.payload))
    decode = _payload_decoder(s, _codec_for(s, learned or learned_codec(model)))
    codes, intact, lost, n_packets = packets.salvage_payload(container.header_bytes(s), s.payload, lengths,
                                                             resync, decode)
    out, crc_ok = [], []
    for c, x, good in zip(s.channels, codes, intact):
        samples = packets.hold_fill(from_codes(x), good)
        samples[c.escape_positions] = c.escape_values
        prefix = canonical_prefix(c.sample_rate, c.samples) if c.prefix is None else c.prefix
        wav = Recording(c.sample_rate, samples, prefix, c.suffix).to_bytes()
        crc_ok.append(zlib.crc32(wav) == c.wav_crc)
        out.append((c.name, wav))
    return out, salvage_report(s.channels, n_packets, lost, crc_ok, intact, joint=bool(s.frame))


def salvage_report(channels: list, n_packets: int, lost: list, crc_ok: list, intact=(), joint=False) -> dict:
    """What a salvage restored: packets lost (seq, first time step, span), and per channel
    the samples lost and whether the WAV still matches its CRC."""
    per = [{"name": c.name, "samples": c.samples, "lost_samples": int((~m).sum()), "crc_ok": bool(ok)}
           for c, m, ok in zip(channels, intact, crc_ok)]
    total = sum(p["samples"] for p in per)
    lost_samples = sum(p["lost_samples"] for p in per)
    return {"packets": n_packets, "lost_packets": [{"seq": q, "t0": t0, "span": sp} for q, t0, sp in lost],
            "samples": total, "lost_samples": lost_samples,
            "restored_fraction": 1.0 if not total else (total - lost_samples) / total,
            "fill": "each lost span holds the channel's last sample before it (0 at the start)",
            "channels": per, "damaged": bool(lost) or not all(crc_ok), "joint": joint}


def decode_stream(data: bytes, model=None, learned=None) -> bytes:
    """A per-file stream back to its WAV bytes."""
    channels = decode_channels(data, model, learned)
    if len(channels) != 1:
        raise CodecError(f"bitstream holds {len(channels)} channels (joint frames): decode it with --joint")
    return channels[0][1]


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path, data) -> None:
    """Write ``data`` (bytes, or an iterable of bytes-like parts) to ``path`` via a
    temporary file in the same folder and a rename.

    The file gets the permissions a plain ``open(path, "w")`` would give it.
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    except OSError as e:
        raise CodecError(f"cannot write {path}: {e.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            for part in [data] if isinstance(data, (bytes, bytearray, memoryview)) else data:
                f.write(part)
        os.chmod(tmp, _default_mode())
        os.replace(tmp, path)
    except BaseException as e:   # an OSError, or a signal / Ctrl-C between write and rename
        os.unlink(tmp)
        if isinstance(e, OSError):
            raise CodecError(f"cannot write {path}: {e.strerror}") from None
        raise


def read_input(path) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise CodecError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise CodecError(f"is a directory: {path}") from None
    except OSError as e:
        raise CodecError(f"cannot read {path}: {e.strerror}") from None


def encode_file(src, dst, codec=baseline, resync: int = 0) -> None:
    refuse_same_file(src, dst)
    if streaming.can_stream(codec, resync):
        streaming.encode_file(src, dst, codec, write_atomic)     # the same bytes, in bounded memory
        return
    write_atomic(dst, encode_recording(read_wav(src), codec, resync))


def decode_file(src, dst, model=None, salvage: bool = False) -> dict | None:
    """A per-file stream to its WAV; ``salvage``: also a damaged packetised one (returns
    the salvage report, also written next to ``dst`` as DST.salvage.json when damaged)."""
    refuse_same_file(src, dst)
    if not salvage:
        s = container.unpack(read_input(src))
        if (s.mode == container.LOSSLESS and s.codec != stored.CODEC_ID
                and streaming.can_stream_decode(s, codec := _lossless_codec(s, model))):
            streaming.decode_file(s, codec, dst, write_atomic)     # the same bytes, in bounded memory
            return None
        channels = decode_unpacked(s, model)
        if len(channels) != 1:
            raise CodecError(f"bitstream holds {len(channels)} channels (joint frames): decode it with --joint")
        write_atomic(dst, channels[0][1])
        return None
    channels, report = salvage_channels(read_input(src), model)
    if report["joint"]:
        raise CodecError(f"{src} is a joint stream: decode it with --joint")
    write_atomic(dst, channels[0][1])
    _write_report(dst, report)
    return report


def _write_report(dst, report: dict) -> None:
    if report["damaged"]:
        write_atomic(Path(str(dst).rstrip("/") + ".salvage.json"), (json.dumps(report, indent=1) + "\n").encode())


def wav_inputs(src_dir, dst) -> list[Path]:
    """The *.wav files of a folder a joint stream codes, in name order; refused when there
    are none or when ``dst`` is one of them."""
    src_dir = Path(src_dir)
    if not src_dir.is_dir():
        raise CodecError(f"no such directory: {src_dir}")
    files = sorted(src_dir.glob("*.wav"))
    if not files:
        raise CodecError(f"no .wav files in {src_dir}")
    for f in files:
        refuse_same_file(f, dst)
    return files


def encode_dir(src_dir, dst, codec, frame: int, resync: int = 0) -> int:
    """Every *.wav of a folder as one joint stream; returns the number of channels."""
    files = wav_inputs(src_dir, dst)
    write_atomic(dst, encode_joint({f.name: read_wav(f) for f in files}, codec, frame, resync))
    return len(files)


def decode_dir(src, dst_dir, model=None, salvage: bool = False) -> dict | None:
    """A joint stream back to its WAV files in a folder (created); ``salvage`` as for
    decode_file (the report goes to DST_DIR.salvage.json)."""
    data = read_input(src)
    if salvage:
        channels, report = salvage_channels(data, model)
    else:
        channels, report = decode_channels(data, model), {"joint": bool(container.unpack(data).frame)}
    if not report["joint"]:
        raise CodecError(f"{src} is a per-file stream, not a joint one: decode it without --joint")
    write_files_atomic(dst_dir, channels)
    if salvage:
        _write_report(dst_dir, report)
        return report
    return None
