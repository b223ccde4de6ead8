"""Vectorised MSB-first bit packing of variable-length codewords, and a reader's view.

A codeword is (value, length): the ``length`` low bits of ``value`` are written most
significant first. Leading zero bits are simply part of the length, which is how unary
prefixes are written without materialising them.
"""
from __future__ import annotations

import numpy as np

WINDOW_BITS = 16
SLACK = 64


def pack(values: np.ndarray, lengths: np.ndarray) -> bytes:
    """Concatenate codewords into bytes, zero-padded to a whole byte. Lengths <= 63."""
    values = np.asarray(values, dtype=np.uint64)
    lengths = np.asarray(lengths, dtype=np.int64)
    owner = np.repeat(np.arange(len(lengths)), lengths)
    starts = np.cumsum(lengths) - lengths
    offset_in_word = np.arange(len(owner)) - starts[owner]
    shift = (lengths[owner] - 1 - offset_in_word).astype(np.uint64)
    bits = (values[owner] >> shift) & np.uint64(1)
    return np.packbits(bits.astype(np.uint8)).tobytes()


class BitView:
    """Random access to a packed bitstream for decoders written as Python loops.

    ``next_one[p]`` is the position of the first 1 bit at or after ``p`` (``n_bits`` if
    none); ``window[p]`` is the integer formed by the 16 bits starting at ``p`` (bits past
    the end read as 0). Both are Python lists (indexing them is the fast path) and stay
    valid ``SLACK`` positions past the end, so a decoder checks for overrun once per
    codeword, not per read.
    """

    def __init__(self, payload: bytes):
        bits = np.unpackbits(np.frombuffer(payload, dtype=np.uint8)).astype(np.int64)
        self.n_bits = len(bits)
        size = self.n_bits + SLACK
        padded = np.concatenate([bits, np.zeros(SLACK + WINDOW_BITS, np.int64)])
        pos = np.where(padded[:size] == 1, np.arange(size), self.n_bits)
        self.next_one = np.minimum.accumulate(pos[::-1])[::-1].tolist()
        window = np.zeros(size, np.int64)
        for i in range(WINDOW_BITS):
            window += padded[i:i + size] << (WINDOW_BITS - 1 - i)
        self.window = window.tolist()
