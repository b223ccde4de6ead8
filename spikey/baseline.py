"""The baseline codec: first difference of the 10-bit codes + adaptive Rice.

Prediction: each code is predicted by the previous one (the first is predicted by 512).
The residual is taken modulo 1024 into [-512, 512), zig-zag mapped to [0, 1024) and
coded by ``coders.adaptive_rice``. This is the product's cheapest mode and the floor
every learned model is compared with.
"""
from __future__ import annotations

import hashlib

import numpy as np

from .coders import adaptive_rice

CODEC_ID = 1
NAME = "baseline"
FIRST_PREDICTION = 512
# Identity of the integer semantics: any change to them must change this hash.
MODEL_ID = hashlib.sha256(
    f"baseline:first-difference(start={FIRST_PREDICTION},mod=1024)+zigzag"
    f"+adaptive-rice(shift={adaptive_rice.SHIFT},m0={adaptive_rice.M0},kmax={adaptive_rice.K_MAX},"
    f"escape={adaptive_rice.Q_ESCAPE},raw={adaptive_rice.RAW_BITS})".encode()
).digest()[:8]


def zigzag(r: np.ndarray) -> np.ndarray:
    return np.where(r >= 0, 2 * r, -2 * r - 1)


def unzigzag(u: np.ndarray) -> np.ndarray:
    return np.where(u & 1, -((u + 1) >> 1), u >> 1)


def mapped_residuals(codes: np.ndarray) -> np.ndarray:
    """What adaptive Rice codes: the zig-zag mapped first differences modulo 1024."""
    codes = np.asarray(codes, dtype=np.int64)
    residual = np.diff(codes, prepend=FIRST_PREDICTION)
    return zigzag(((residual + 512) & 1023) - 512)


def encode_codes(codes: np.ndarray) -> bytes:
    return adaptive_rice.encode(mapped_residuals(codes))


def decode_codes(payload: bytes, n: int) -> np.ndarray:
    residual = unzigzag(adaptive_rice.decode(payload, n))
    return ((np.cumsum(residual) + FIRST_PREDICTION) & 1023).astype(np.int16)
