"""Integer IR -> C99 sources (Jinja templates in ``codegen/templates``).

The logic (names, layouts, constant arrays, per-layer choices) lives here; the C text
lives in the templates. The output is a pure function of the integer IR and the
options: same inputs, byte-identical sources (no dates, no dict-order or set-order
dependence, no float formatting).

Generated API (``<prefix>`` defaults to ``spk_model``), per channel:

    typedef struct { ... } <prefix>_state_t;      /* recurrent state, int16 only */
    void <prefix>_reset(<prefix>_state_t *s);
    void <prefix>_step(<prefix>_state_t *s, const int16_t *in_<a>, ..., int16_t *out_<y>, ...);
    void <prefix>_run(<prefix>_state_t *s, int32_t n, const int16_t *in_<a>, ..., int16_t *out_<y>, ...);

``step`` does one time step; ``run`` does ``n`` consecutive steps of one channel on
time-major arrays (``n * size`` values each). No heap, no floating point; weights are
``static const`` (flash), activations live on the stack of ``step``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import numpy as np

from . import fixedpoint as fp
from . import ir

TEMPLATES = Path(__file__).parent / "templates"
FIXED_H_DIR = Path(__file__).resolve().parents[1] / "firmware" / "include"


@dataclass
class CSources:
    """Generated files (name -> text), the cffi ``cdef`` of the API, and the names."""
    prefix: str
    files: dict
    cdef: str
    header: str
    include_dirs: list = field(default_factory=lambda: [str(FIXED_H_DIR)])

    def write(self, out_dir: str | Path) -> list[Path]:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, text in sorted(self.files.items()):
            p = out / name
            p.write_text(text)
            paths.append(p)
        return paths


def interleave_s8(w: np.ndarray) -> np.ndarray:
    """Row-wise int8 layout of spikey_fixed.h: each full group of four (w0 w1 w2 w3) is
    stored as w0 w2 w1 w3; a trailing partial group stays in order."""
    w = np.array(w, copy=True)
    n4 = (w.shape[1] // 4) * 4
    g = w[:, :n4].reshape(w.shape[0], -1, 4)
    w[:, :n4] = g[:, :, [0, 2, 1, 3]].reshape(w.shape[0], n4)
    return w


# Output rows computed together by a Dense kernel (each input pair is loaded once and used
# by every row of the block; the block's accumulators stay in registers).
BLOCK_ROWS = {32: 4, 64: 4}


def _block_stride(rows: int, n_in: int) -> int:
    """Elements from one block of rows to the next: rounded up to even, so that every block
    (and every pair or group of 4 in it) starts 4-byte aligned."""
    return (rows * n_in + 1) // 2 * 2


def dense_layout(w: np.ndarray, w_bits: int, rows: int) -> np.ndarray:
    """Flat weight layout of a Dense layer for the multi-row kernel (spikey_fixed.h).

    Rows are taken in blocks of ``rows`` (the last block may be smaller); block ``b``
    starts at ``b * _block_stride(rows, n_in)`` (a zero pads an odd-sized block). Inside a
    block of ``R`` rows the inputs go in units of ``g`` (2 for int16 weights, 4 for int8):
    unit ``u`` of row ``j`` is at ``(u * R + j) * g``, an int8 unit stored ``w0 w2 w1 w3``
    (as interleave_s8); then the ``n_in % g`` leftover inputs, row ``j``'s at
    ``U * R * g + j * (n_in % g)``."""
    w = np.asarray(w)
    n_out, n_in = w.shape
    g = 2 if w_bits == 16 else 4
    U = n_in // g
    out = []
    for r0 in range(0, n_out, rows):
        blk = w[r0:r0 + rows]
        if g == 4:
            blk = interleave_s8(blk)
        R = blk.shape[0]
        units = blk[:, :U * g].reshape(R, U, g).transpose(1, 0, 2).reshape(-1)
        out += [units, blk[:, U * g:].reshape(-1)]
        if R * n_in % 2:
            out.append(np.zeros(1, w.dtype))
    return np.concatenate(out) if out else np.zeros(0, w.dtype)


def _ident(s: str) -> str:
    s = re.sub(r"[^0-9A-Za-z]+", "_", s).strip("_")
    return s if s and not s[0].isdigit() else "t_" + s


def _fmt_array(values, per_line: int = 16) -> str:
    vals = [str(int(v)) for v in np.asarray(values).reshape(-1).tolist()]
    lines = [", ".join(vals[i:i + per_line]) for i in range(0, len(vals), per_line)]
    return ",\n    ".join(lines)


def _ctype(bits: int) -> str:
    return {8: "int8_t", 16: "int16_t", 32: "int32_t", 64: "int64_t"}[bits]


def _scale(frac: int) -> str:
    return f"q * 2^-{frac}" if frac >= 0 else f"q * 2^{-frac}"


class _Names:
    def __init__(self):
        self.used: set[str] = set()

    def take(self, base: str) -> str:
        name, k = base, 1
        while name in self.used:
            k += 1
            name = f"{base}_{k}"
        self.used.add(name)
        return name


KERNELS = ("rows", "columns")


def generate(qg: ir.QGraph, prefix: str = "spk_model", kernel: str = "rows") -> CSources:
    """Emit ``<prefix>.h`` and ``<prefix>.c`` for the integer IR ``qg``.

    kernel: "rows" (the multi-row dual-MAC kernels of spikey_fixed.h: Cortex-M) or
    "columns" (8 rows per vector accumulator, spikey_vec.h: the host, AVX2 when compiled
    for it). A Dense layer the columns kernel cannot take (int64 accumulator, a negative
    shift) keeps the rows kernel. Both compute the same integers."""
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS}, not {kernel!r}")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", prefix):
        raise ValueError(f"prefix {prefix!r} is not a C identifier")
    names = _Names()
    ref: dict[str, str] = {}     # tensor name -> C expression of its int16 array
    inputs, outputs, locals_ = [], [], []
    for n in qg.inputs:
        t = qg.tensors[n]
        c = names.take("in_" + _ident(n))
        ref[n] = c
        inputs.append(dict(c=c, name=n, size=t.size, frac=t.frac, scale=_scale(t.frac),
                           lo=int(t.lo.min()), hi=int(t.hi.max()), macro=c.upper()))
    for n in qg.outputs:
        if n in ref:
            raise ValueError(f"graph output {n!r} is also an input; nothing to compute")
        t = qg.tensors[n]
        c = names.take("out_" + _ident(n))
        ref[n] = c
        outputs.append(dict(c=c, name=n, size=t.size, frac=t.frac, scale=_scale(t.frac), macro=c.upper()))
    for k, node in enumerate(qg.nodes):
        if node.y not in ref:
            t = qg.tensors[node.y]
            c = names.take(f"t{k}")
            ref[node.y] = c
            locals_.append(dict(c=c, name=node.y, size=t.size, alloc=t.size, frac=t.frac, scale=_scale(t.frac)))

    state, layers, luts = [], [], False
    for k, node in enumerate(qg.nodes):
        base = names.take(f"L{k}_{_ident(node.name)}")
        L = dict(kind=type(node).__name__[1:], name=node.name, c=base, y=ref[node.y],
                 ysize=qg.tensors[node.y].size, yfrac=qg.tensors[node.y].frac,
                 yscale=_scale(qg.tensors[node.y].frac))
        if isinstance(node, (ir.QDense, ir.QLSTM)):
            A = node.acc_bits
            L.update(acc_t=_ctype(A), acc_bits=A, w_bits=node.w_bits, w_t=_ctype(node.w_bits),
                     dot=f"spk_dot_s{node.w_bits}_{A}", requant=f"spk_requant16_{A}",
                     bound=round(float(np.log2(max(node.acc_bound, 1))), 2),
                     bias=_fmt_array(node.bias), shift_uniform=bool(np.all(node.shift == node.shift[0])),
                     shift0=int(node.shift[0]), shift=_fmt_array(node.shift))
            lay = interleave_s8 if node.w_bits == 8 else (lambda a: a)
        if isinstance(node, ir.QDense):
            xt = qg.tensors[node.x]
            L.update(x=ref[node.x], n_in=xt.size, n_out=node.w.shape[0], relu=node.relu,
                     xfrac=xt.frac, w_frac=_frac_desc(node.w_frac), **_dense_kernel(node, xt.size))
            L.update(columns=_dense_columns(node) if kernel == "columns" else None)
            local = next((t for t in locals_ if t["c"] == L["y"]), None)
            if L["columns"] and local is not None:   # requantise straight into a padded local
                local["alloc"] = L["columns"]["out_len"]
            if L["columns"]:
                L["columns"]["direct"] = local is not None
        elif isinstance(node, ir.QLSTM):
            luts = True
            xt = qg.tensors[node.x]
            H = node.hidden
            h, c = names.take(_ident(node.name) + "_h"), names.take(_ident(node.name) + "_c")
            state += [dict(c=h, size=H, frac=fp.Q_UNIT, scale=_scale(fp.Q_UNIT), what=f"{node.name}: hidden state h"),
                      dict(c=c, size=H, frac=node.c_frac, scale=_scale(node.c_frac), what=f"{node.name}: cell state c")]
            L.update(x=ref[node.x], n_in=xt.size, H=H, G=4 * H, xfrac=xt.frac, h=h, cst=c, c_frac=node.c_frac,
                     ig_shift=30 - node.c_frac, tanh_shift=node.c_frac - fp.Q_GATE,
                     wx=_fmt_array(lay(node.wx)), wh=_fmt_array(lay(node.wh)),
                     wx_frac=_frac_desc(node.wx_frac), wh_frac=_frac_desc(node.wh_frac))
        elif isinstance(node, ir.QRelu):
            L.update(x=ref[node.x])
        elif isinstance(node, ir.QAdd):
            L.update(a=ref[node.a], b=ref[node.b], la=node.la, lb=node.lb, s=node.shift)
        elif isinstance(node, ir.QScale):
            L.update(x=ref[node.x], mult=node.mult, s=node.shift)
        elif isinstance(node, ir.QConcat):
            parts, off = [], 0
            for x, s in zip(node.xs, node.shifts):
                n = qg.tensors[x].size
                parts.append(dict(x=ref[x], off=off, n=n, s=int(s)))
                off += n
            L.update(parts=parts)
        elif isinstance(node, ir.QSlice):
            L.update(x=ref[node.x], start=node.start, n=node.stop - node.start)
        layers.append(L)

    ctx = dict(prefix=prefix, guard=prefix.upper() + "_H", name=qg.name, digest=qg.digest(),
               inputs=inputs, outputs=outputs, locals=locals_, layers=layers, state=state,
               dense_w_bits=sorted({L["w_bits"] for L in layers if L["kind"] == "Dense" and not L["columns"]}),
               columns=any(L.get("columns") for L in layers),
               luts=luts, sigmoid_lut=_fmt_array(fp.SIGMOID_LUT), tanh_lut=_fmt_array(fp.TANH_LUT))
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True, autoescape=False)
    files = {f"{prefix}.h": env.get_template("model.h.j2").render(**ctx),
             f"{prefix}.c": env.get_template("model.c.j2").render(**ctx)}
    cdef = env.get_template("cdef.h.j2").render(**ctx)
    return CSources(prefix=prefix, files=files, cdef=cdef, header=f"{prefix}.h")


def _dense_kernel(node: ir.QDense, n_in: int) -> dict:
    """Template data of a Dense layer's multi-row kernel: weight layout, biases with the
    rounding offset folded in, the blocks of rows and the MAC sequence of one block."""
    A, R = node.acc_bits, BLOCK_ROWS[node.acc_bits]
    n_out = node.w.shape[0]
    g = 2 if node.w_bits == 16 else 4
    U, tail = n_in // g, n_in % g
    shift = [int(v) for v in node.shift.tolist()]
    # rshr(acc, s) = (acc + 2^(s-1)) >> s: the offset starts in the accumulator
    bias = [int(b) + ((1 << (s - 1)) if s > 0 else 0) for b, s in zip(node.bias.tolist(), shift)]
    # int64 accumulator: |acc| <= acc_bound, so acc >> s fits int32 when this holds
    narrow = A == 64 and min(shift) >= 0 and (int(node.acc_bound) >> min(shift)) + 1 <= (1 << 31) - 1

    def block(rows: int) -> dict:
        # a unit: rows in pairs (one two-row MAC each), then the odd row alone; the weights
        # are read in order through the advancing pointer, the leftover inputs after them
        units = [[dict(a=[j, j + 1]) for j in range(0, rows - 1, 2)] + ([dict(a=[rows - 1])] if rows % 2 else [])
                 for _ in range(U)]
        tails = [[dict(x=U * g + t, w=j * tail + t) for j in range(rows)] for t in range(tail)]
        return dict(rows=rows, units=[dict(x=u * g, ops=ops) for u, ops in enumerate(units)], tails=tails)

    full = (n_out // R) * R
    lay = dense_layout(node.w, node.w_bits, R)
    return dict(w=_fmt_array(lay), w_len=len(lay), bias_r=_fmt_array(bias), stride=_block_stride(R, n_in),
                mac2=f"spk_mac{g}x2_s{node.w_bits}_{A}", mac1=f"spk_mac{g}x1_s{node.w_bits}_{A}",
                requant=f"spk_requant16_b{A}{'n' if narrow else ''}",
                narrow=narrow, R=R, full=full, block=block(R), rest=block(n_out - full) if n_out > full else None,
                units=U, unit=g, tail=tail)


COLUMN_LANES = 8   # int32 lanes of one spikey_vec.h vector


def column_layout(w: np.ndarray, lanes_total: int) -> np.ndarray:
    """Flat int16 weights of the columns kernel: input pair ``p`` (inputs 2p, 2p+1), output
    row ``o`` at ``(p * lanes_total + o) * 2 + k`` holds ``w[o, 2p + k]``; rows past
    ``n_out`` and an odd last input are zeros (they add nothing)."""
    w = np.asarray(w, dtype=np.int64)
    n_out, n_in = w.shape
    pairs = (n_in + 1) // 2
    full = np.zeros((lanes_total, 2 * pairs), np.int64)
    full[:n_out, :n_in] = w
    return full.reshape(lanes_total, pairs, 2).transpose(1, 0, 2).reshape(-1)


def _dense_columns(node: ir.QDense) -> dict | None:
    """Template data of the columns kernel, or None when the layer needs the rows kernel."""
    shift = [int(v) for v in node.shift.tolist()]
    if node.acc_bits != 32 or min(shift) < 0 or max(shift) > 31:
        return None
    n_out, n_in = node.w.shape
    blocks = -(-n_out // COLUMN_LANES)
    lanes = blocks * COLUMN_LANES
    pad = lanes - n_out
    bias = [int(b) + ((1 << (s - 1)) if s > 0 else 0) for b, s in zip(node.bias.tolist(), shift)]
    return dict(w=_fmt_array(column_layout(node.w, lanes)), w_len=lanes * 2 * ((n_in + 1) // 2),
                bias=_fmt_array(bias + [0] * pad), shift=_fmt_array(shift + [0] * pad), lanes=lanes,
                blocks=blocks, pairs=n_in // 2, odd=n_in % 2, out_len=-(-blocks // 2) * 2 * COLUMN_LANES)


def _frac_desc(fr) -> str:
    fr = np.asarray(fr)
    if np.all(fr == fr[0]):
        return f"per layer: q * 2^-{int(fr[0])}"
    return "per row: 2^-frac, frac = [" + ", ".join(str(int(v)) for v in fr.tolist()) + "]"
