"""Recordings <-> event streams (container mode 2): the event mode as a user sees it.

    data = encode_recordings({"ch000.wav": rec}, joint=False)     # container bytes
    for name, arrays in decode_events(data): ...                   # the .npz arrays of each channel

A per-file stream (container frame 0) is one range-coded sequence of the channel's
frames; a joint stream (container frame = the event frame) is, per frame, a varint byte
count and the frame's own range-coded bytes (every channel with a sample in the frame, in
index order; the coder flushed at the end of each frame, so a frame is complete, and its
events decodable, when its last sample has been filtered). The adaptive contexts run on
across frames.
"""
from __future__ import annotations

import hashlib
import io
import zlib

import numpy as np

from .. import container
from ..errors import CodecError
from ..recordings import Recording, to_codes
from . import coding, pipeline
from .params import EventParams

CODEC_ID = 6                  # the container's codec byte for the event coder
NAME = "events"
FRAMES_PER_BYTE = 8 * 1465    # a frame without events costs at least -log2(65505/65536) > 1/1465 bit
MAX_SAMPLES = 1 << 32


def identity(p: EventParams, rate: int) -> bytes:
    """The container's model id: SHA-256 of the parameters and the int16 taps at ``rate``."""
    h = hashlib.sha256(b"spikey-events/1\0" + p.pack() + rate.to_bytes(4, "little"))
    h.update(np.asarray(pipeline.taps_for(p, rate), "<i2").tobytes())
    return h.digest()[:8]


def event_times(ev: pipeline.Events, p: EventParams):
    """The input sample at which each event is known: spikes u + lag, bin b at (b+1) B - 1 + lag."""
    bins = (np.arange(len(ev.sbp), dtype=np.int64) + 1) * p.bin_samples - 1 + p.lag
    return ev.spikes + p.lag, bins


def _channel(rec: Recording, name: str) -> container.Channel:
    return container.Channel(samples=len(rec.samples), sample_rate=rec.sample_rate, prefix=None, suffix=b"",
                             escape_positions=np.zeros(0, np.int64), escape_values=np.zeros(0, np.int16),
                             wav_crc=zlib.crc32(rec.to_bytes()), name=name)


def encode_channels(codes: list, rate: int, p: EventParams, joint: bool) -> bytes:
    """The payload of channels' codes: per file (one channel, one sequence) or joint frames."""
    h = pipeline.taps_for(p, rate)
    per = []
    for x in codes:
        ev = pipeline.run(x, h, p)
        st, bt = event_times(ev, p)
        sp, bins = coding.frame_events(st, bt, len(x), p.frame)
        per.append((ev, sp, bins))
    models = [coding.ChannelModel(p.frame) for _ in codes]
    if not joint:
        (ev, sp, bins), = per
        w = coding.Writer()
        for j in range(len(sp)):
            coding.encode_frame(w, models[0], sp[j], ev.sbp[bins[j]])
        return w.finish()
    out = bytearray()
    n_frames = max((len(s) for _, s, _ in per), default=0)
    for j in range(n_frames):
        w = coding.Writer()
        for m, (ev, sp, bins) in zip(models, per):
            if j < len(sp):
                coding.encode_frame(w, m, sp[j], ev.sbp[bins[j]])
        out += container._varint(len(b := w.finish())) + b
    return bytes(out)


def encode_recordings(recordings: dict, joint: bool, p: EventParams | None = None) -> bytes:
    """name -> Recording as an event stream (per file: exactly one recording)."""
    names = sorted(recordings)
    if not names:
        raise CodecError("no recordings to encode")
    if not joint and len(names) != 1:
        raise CodecError("a per-file event stream holds one recording")
    rates = {recordings[n].sample_rate for n in names}
    if len(rates) != 1:
        raise CodecError("the recordings of a joint event stream must share one sample rate")
    rate = rates.pop()
    p = (p or EventParams.for_rate(rate)).check()
    pipeline.bounds(p, pipeline.taps_for(p, rate))
    codes = [to_codes(recordings[n].samples) for n in names]
    payload = encode_channels(codes, rate, p, joint)
    chans = [_channel(recordings[n], n if joint else "") for n in names]
    return container.pack(container.Stream(CODEC_ID, identity(p, rate), chans, payload, p.frame if joint else 0,
                                           None, container.EVENTS, p.pack()))


def _bins_completing(j: int, frame: int, n: int, p: EventParams) -> int:
    """How many SBP bins end (event sample (b+1) B - 1 + lag) in frame j of n samples."""
    def done(t_end: int) -> int:        # bins known by input samples [0, t_end)
        return max((min(t_end, n) - p.lag) // p.bin_samples, 0)
    return done((j + 1) * frame) - done(j * frame)


def _decode_frames(r: coding.Reader, m: coding.ChannelModel, j: int, n: int, p: EventParams, spikes: list):
    length = min(p.frame, n - j * p.frame)
    offsets, sbps = coding.decode_frame(r, m, length, _bins_completing(j, p.frame, n, p))
    for o in offsets:
        u = j * p.frame + o - p.lag
        if u < 1:
            raise CodecError("corrupt bitstream: a spike before the filter's first output")
        spikes.append(u)
    return sbps


def _arrays(spikes, sbps, c: container.Channel, p: EventParams) -> dict:
    return {"spike_times": np.array(spikes, np.int64),
            "sbp": np.array(sbps, np.float64) * 2.0 ** (p.sbp_shift - p.y_frac),
            "sbp_bin_samples": np.int64(p.bin_samples), "sample_rate": np.int64(c.sample_rate),
            "n_samples": np.int64(c.samples)}


def decode_events(data: bytes) -> list:
    """Every channel of an event stream as (name, arrays of the .npz)."""
    s = container.unpack(data)
    if s.mode != container.EVENTS:
        raise CodecError(f"bitstream is {container.MODES[s.mode]}, not an event stream")
    if s.codec != CODEC_ID:
        raise CodecError(f"event stream with codec id {s.codec}; this spikey codes events with id {CODEC_ID}")
    p = EventParams.unpack(s.mode_params)
    if not s.channels:
        raise CodecError("corrupt bitstream: an event stream without channels")
    rate = s.channels[0].sample_rate
    if any(c.sample_rate != rate for c in s.channels) or rate <= 0:
        raise CodecError("corrupt bitstream: channels of one event stream at different sample rates")
    if s.model_id != identity(p, rate):
        raise CodecError(f"event stream {s.model_id.hex()} was made by another filter design than this spikey's "
                         f"{identity(p, rate).hex()}")
    lengths = [c.samples for c in s.channels]
    frames = -(-max(lengths) // p.frame)
    if max(lengths) >= MAX_SAMPLES or frames > FRAMES_PER_BYTE * (len(s.payload) + 5):
        raise CodecError("corrupt bitstream: more samples than the event payload can hold")
    models = [coding.ChannelModel(p.frame) for _ in lengths]
    spikes = [[] for _ in lengths]
    sbps = [[] for _ in lengths]
    if s.frame == 0:
        if len(lengths) != 1:
            raise CodecError("corrupt bitstream: a per-file event stream with several channels")
        r = coding.Reader(s.payload)
        for j in range(frames):
            sbps[0] += _decode_frames(r, models[0], j, lengths[0], p, spikes[0])
        if frames:
            r.finish()
        elif s.payload:
            raise CodecError("corrupt bitstream: event bytes after an empty recording")
    else:
        if s.frame != p.frame:
            raise CodecError("corrupt bitstream: the joint frame differs from the event parameters' frame")
        rd = container._Reader(s.payload, 0)
        for j in range(frames):
            r = coding.Reader(rd.take(rd.varint()))
            for c, n in enumerate(lengths):
                if j * p.frame < n:
                    sbps[c] += _decode_frames(r, models[c], j, n, p, spikes[c])
            r.finish()
        if rd.pos != len(s.payload):
            raise CodecError("corrupt bitstream: event bytes after the last frame")
    return [(c.name, _arrays(spikes[i], sbps[i], c, p)) for i, c in enumerate(s.channels)]


def npz_bytes(arrays: dict) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()
