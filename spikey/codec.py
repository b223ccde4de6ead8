"""Recording <-> container: the codec as a user sees it.

``encode_recording`` maps samples to 10-bit codes, escapes the samples off the grid,
codes the codes with the chosen codec and wraps everything in a container.
``decode_stream`` undoes it and checks the result against the original's CRC.
Files are written through a temporary name and renamed, so a failed run leaves nothing.
"""
from __future__ import annotations

import os
import tempfile
import zlib
from pathlib import Path

import numpy as np

from spikey_train.recordings import Recording, canonical_prefix, from_codes, off_grid, read_wav, to_codes

from . import baseline, container
from .errors import CodecError

CODECS = {baseline.CODEC_ID: baseline}


def encode_recording(rec: Recording, codec=baseline) -> bytes:
    samples = rec.samples
    escapes = off_grid(samples)
    payload = codec.encode_codes(to_codes(samples))
    return container.pack(container.Stream(
        codec=codec.CODEC_ID, model_id=codec.MODEL_ID, channels=1, samples=len(samples),
        sample_rate=rec.sample_rate, prefix=None if rec.is_canonical else rec.prefix, suffix=rec.suffix,
        escape_positions=escapes, escape_values=samples[escapes], wav_crc=zlib.crc32(rec.to_bytes()),
        payload=payload))


def decode_stream(data: bytes) -> bytes:
    s = container.unpack(data)
    codec = CODECS.get(s.codec)
    if codec is None:
        raise CodecError(f"bitstream uses codec id {s.codec}, which this spikey does not have")
    if s.model_id != codec.MODEL_ID:
        raise CodecError(f"bitstream was made by model {s.model_id.hex()}; "
                         f"this decoder's {codec.NAME} model is {codec.MODEL_ID.hex()}")
    if s.channels != 1:
        raise CodecError(f"bitstream holds {s.channels} channels; a WAV file holds one")
    samples = from_codes(codec.decode_codes(s.payload, s.samples))
    samples[s.escape_positions] = s.escape_values
    prefix = canonical_prefix(s.sample_rate, s.samples) if s.prefix is None else s.prefix
    wav = Recording(s.sample_rate, samples, prefix, s.suffix).to_bytes()
    if zlib.crc32(wav) != s.wav_crc:
        raise CodecError("decoded recording does not match the original's CRC")
    return wav


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and a rename.

    The file gets the permissions a plain ``open(path, "w")`` would give it.
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    except OSError as e:
        raise CodecError(f"cannot write {path}: {e.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, _default_mode())
        os.replace(tmp, path)
    except OSError as e:
        os.unlink(tmp)
        raise CodecError(f"cannot write {path}: {e.strerror}") from None


def read_input(path) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise CodecError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise CodecError(f"is a directory: {path}") from None
    except OSError as e:
        raise CodecError(f"cannot read {path}: {e.strerror}") from None


def encode_file(src, dst, codec=baseline) -> None:
    write_atomic(dst, encode_recording(read_wav(src), codec))


def decode_file(src, dst) -> None:
    write_atomic(dst, decode_stream(read_input(src)))
