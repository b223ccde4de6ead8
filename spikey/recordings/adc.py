"""The 10-bit ADC grid behind the int16 samples.

The recordings hold a 10-bit ADC code ``k`` (0..1023) scaled to int16. The scaling is
symmetric about -1/2 and, for the lower half, a floor of ``k * 65535 / 1023``:

    grid(k) = (65535 * k + 1020) // 1023 - 32768      for k < 512
    grid(k) = -1 - grid(1023 - k)                      for k >= 512

``to_codes`` inverts it with ``(v + 32768) >> 6``; ``grid(to_codes(v)) == v`` holds for
every value on the grid (checked against every value of the dev recordings), and the
samples for which it does not hold are the off-grid samples the codec escapes.
"""
from __future__ import annotations

import numpy as np

N_CODES = 1024


def _grid_table() -> np.ndarray:
    k = np.arange(N_CODES, dtype=np.int64)
    low = (65535 * k + 1020) // 1023 - 32768
    return np.where(k < 512, low, -1 - low[::-1]).astype(np.int16)


GRID = _grid_table()
GRID.setflags(write=False)


def to_codes(samples: np.ndarray) -> np.ndarray:
    """int16 samples -> 10-bit codes (int16 in 0..1023). Total: every int16 has a code."""
    return ((np.asarray(samples, dtype=np.int32) + 32768) >> 6).astype(np.int16)


def from_codes(codes: np.ndarray) -> np.ndarray:
    """10-bit codes -> the int16 grid values they stand for."""
    return GRID[np.asarray(codes, dtype=np.intp)]


def off_grid(samples: np.ndarray) -> np.ndarray:
    """Indices of samples that the grid does not reproduce."""
    samples = np.asarray(samples, dtype=np.int16)
    return np.flatnonzero(from_codes(to_codes(samples)) != samples)
