"""How integers, types, scales and names are written in the generated C: the helpers every
emitter uses (codegen/emit and each operator's ``emit`` in codegen/ops)."""
from __future__ import annotations

import re

import numpy as np


def ident(s: str) -> str:
    """A C identifier made of a tensor or layer name."""
    s = re.sub(r"[^0-9A-Za-z]+", "_", s).strip("_")
    return s if s and not s[0].isdigit() else "t_" + s


def c_rows(values, per_line: int = 16, suffix: str = "") -> list[str]:
    """Integers as the rows of a C initialiser: ``per_line`` a row, ``suffix`` after each."""
    vals = [f"{int(v)}{suffix}" for v in np.asarray(values).reshape(-1).tolist()]
    return [", ".join(vals[i:i + per_line]) for i in range(0, len(vals), per_line)]


def c_array(values, per_line: int = 16) -> str:
    """Integers as the body of a C initialiser, rows joined for a 4-space indent."""
    return ",\n    ".join(c_rows(values, per_line))


def ctype(bits: int) -> str:
    return {8: "int8_t", 16: "int16_t", 32: "int32_t", 64: "int64_t"}[bits]


def scale_text(frac: int) -> str:
    """A tensor's scale as the comments write it: "q * 2^-f"."""
    return f"q * 2^-{frac}" if frac >= 0 else f"q * 2^{-frac}"


def frac_text(fr) -> str:
    """A weight's frac, per layer or per row, as the comments write it."""
    fr = np.asarray(fr)
    if np.all(fr == fr[0]):
        return f"per layer: q * 2^-{int(fr[0])}"
    return "per row: 2^-frac, frac = [" + ", ".join(str(int(v)) for v in fr.tolist()) + "]"


def interleave_s8(w: np.ndarray) -> np.ndarray:
    """Row-wise int8 layout of spikey_fixed.h: each full group of four (w0 w1 w2 w3) is
    stored as w0 w2 w1 w3; a trailing partial group stays in order."""
    w = np.array(w, copy=True)
    n4 = (w.shape[1] // 4) * 4
    g = w[:, :n4].reshape(w.shape[0], -1, 4)
    w[:, :n4] = g[:, :, [0, 2, 1, 3]].reshape(w.shape[0], n4)
    return w
