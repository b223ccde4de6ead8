"""What a stream may declare: the format's limits, and the checks that hold every header
field to them and every declared count to what the payload can hold, before anything is
allocated (docs/bitstream.md, "Limits").

Each check raises CodecError with one line naming the field; nothing here decodes.
"""
from __future__ import annotations

import math

from .errors import CodecError

# A PCM16 mono WAV's RIFF size field (u32) holds 36 + 2 * samples: the most samples a
# recording can have, and so the most one channel of a stream may declare.
MAX_SAMPLES = (2**32 - 1 - 36) // 2          # 2,147,483,629
# The WAV header's byte rate (u32) is 2 * sample rate.
MAX_SAMPLE_RATE = (2**32 - 1) // 2           # 2,147,483,647
# A joint stream's frame (samples per channel per packet) is a uint32 in the C codec.
MAX_FRAME = 2**32 - 1
MAX_VARINT_BITS = 64
# A channel name is one file name: at most 255 bytes of UTF-8 (the common file-system limit).
MAX_NAME_BYTES = 255
CORRUPT = "corrupt bitstream: "

# Fewest payload bits one code can take, per coder: every codeword of the bit coders
# (baseline, rice_fixed, rice_scaled, huffman_prior) has at least one bit. The range
# coder's model CDF gives every code a frequency of at least 1 of 2**18 (docs/coders.md
# §1.1), so no code has more than (2**18 - 1023) / 2**18 of the range; its decoder reads
# 4 start bytes and one byte per 8 bits of range spent, so n codes need
# 8 * (n_bytes - 4) + 8 >= n * log2(2**18 / (2**18 - 1023)), i.e. n < 1419 * n_bytes.
CDF_PBITS = 18
RANGE_MIN_BITS = math.log2(2**CDF_PBITS / (2**CDF_PBITS - 1023))
CODES_PER_BYTE = {1: 8, 2: 8, 3: 8, 4: math.ceil(8 / RANGE_MIN_BITS), 5: 8}


def check_varint(value: int) -> int:
    """A varint field holds at most 64 bits."""
    if value >> MAX_VARINT_BITS:
        raise CodecError("corrupt bitstream: an integer field over 64 bits")
    return value


def check_channel_fields(samples: int, sample_rate: int, canonical: bool = True, prefix: str = CORRUPT) -> None:
    """One channel's counts, against what a WAV file can hold: its rate field is 32 bits,
    and a canonical header (rebuilt from the counts) also holds twice the rate in 32 bits
    (a verbatim header carries its own). ``prefix``: what the message starts with."""
    if samples > MAX_SAMPLES:
        raise CodecError(f"{prefix}a channel of {samples} samples (a PCM16 WAV holds at most {MAX_SAMPLES})")
    if sample_rate >= 2**32 or canonical and sample_rate > MAX_SAMPLE_RATE:
        raise CodecError(f"{prefix}sample rate {sample_rate} Hz (a canonical WAV header holds at most "
                         f"{MAX_SAMPLE_RATE}: its byte rate is twice it, in 32 bits)")


def canonical_rate(sample_rate: int) -> bool:
    """Whether a canonical header can hold the rate (else the encoder keeps the header verbatim)."""
    return sample_rate <= MAX_SAMPLE_RATE


def check_frame(frame: int, prefix: str = CORRUPT) -> int:
    """A joint stream's frame: samples per channel per packet, 1 .. MAX_FRAME (0: per-file)."""
    if frame > MAX_FRAME:
        raise CodecError(f"{prefix}a frame of {frame} samples (at most {MAX_FRAME})")
    return frame


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a channel's file name in a folder, or None if it can."""
    if not name:
        return "empty"
    if name in (".", ".."):
        return "a directory reference"
    if any(ch in name for ch in "/\\") or any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        return "a path separator or control character"
    if len(name.encode()) > MAX_NAME_BYTES:
        return f"longer than {MAX_NAME_BYTES} bytes"
    return None


def check_names(names: list, joint: bool) -> None:
    """Channel names: empty in a per-file stream; in a joint stream every one a safe file
    name and no two alike (a duplicate would overwrite its twin when decoded)."""
    if not joint:
        if any(names):
            raise CodecError("corrupt bitstream: a per-file stream's channel has a name")
        return
    seen = set()
    for name in names:
        why = name_problem(name)
        if why:
            raise CodecError(f"corrupt bitstream: channel name {name!r} is {why}")
        if name in seen:
            raise CodecError(f"corrupt bitstream: two channels named {name!r}")
        seen.add(name)


def codes_per_byte(codec_id: int, max_error: int = 0) -> int | None:
    """The most codes one payload byte can hold under the codec. Near-lossless (range coder,
    bound D): a bin spans at most 2D + 1 codes, so the other 1024 - (2D + 1) codes keep at
    least that many of the 2**18 frequency units and a bin costs at least
    log2(2**18 / (2**18 - 1023 + 2D)) bits."""
    if max_error and codec_id == 4:
        return math.ceil(8 / math.log2(2**CDF_PBITS / (2**CDF_PBITS - 1023 + 2 * max_error)))
    return CODES_PER_BYTE.get(codec_id)


def max_codes(codec_id: int, payload_bytes: int, max_error: int = 0) -> int | None:
    """The most codes a payload of ``payload_bytes`` can hold under the codec (and the
    near-lossless bound ``max_error``), or None if the codec is not one of the coders above
    (its own check applies)."""
    per_byte = codes_per_byte(codec_id, max_error)
    return None if per_byte is None else per_byte * payload_bytes


def check_payload_holds(codec_id: int, total_samples: int, payload_bytes: int, max_error: int = 0) -> None:
    """The declared sample counts, against what the payload can hold (before decoding)."""
    most = max_codes(codec_id, payload_bytes, max_error)
    if most is not None and total_samples > most:
        raise CodecError(f"corrupt bitstream: {total_samples} samples declared, "
                         f"but a {payload_bytes}-byte payload holds at most {most}")


# Payload bytes a coder can address: the range coder counts bytes in a uint32; the bit
# coders' readers count bits in a uint32 (docs/bitstream.md, "Limits").
BIT_CODERS = (1, 2, 3, 5)


def max_payload(codec_id: int) -> int:
    return 2**29 - 1 if codec_id in BIT_CODERS else 2**32 - 1


def check_payload_size(codec_id: int, payload_bytes: int) -> None:
    if payload_bytes > max_payload(codec_id):
        raise CodecError(f"corrupt bitstream: a {payload_bytes}-byte payload "
                         f"(this coder addresses at most {max_payload(codec_id)})")
