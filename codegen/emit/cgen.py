"""Integer IR -> C99 sources (Jinja templates in ``codegen/emit/templates``).

The logic (names, layouts, constant arrays, per-layer choices) lives in Python: here for
the network as a whole and in each operator's ``emit`` (codegen/ops) for its layers; the C
text lives in the templates (model.{h,c}.j2, and templates/ops/<op>.c.j2 for each
operator's declarations and step). The output is a pure function of the integer IR and
the options: same inputs, byte-identical sources (no dates, no dict-order or set-order
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

from spikey import firmware

from .. import ir
from ..ops import lstm, op_of
from .cformat import c_array, ident, scale_text
from .env import render

KERNELS = ("rows", "columns", "mve")


@dataclass
class CSources:
    """Generated files (name -> text), the cffi ``cdef`` of the API, and the names."""
    prefix: str
    files: dict
    cdef: str
    header: str
    include_dirs: list = field(default_factory=lambda: [str(d) for d in firmware.include_dirs()])

    def write(self, out_dir: str | Path) -> list[Path]:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, text in sorted(self.files.items()):
            p = out / name
            p.write_text(text)
            paths.append(p)
        return paths


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


class _Emit:
    """What an operator's ``emit`` sees: the C names of the tensors (``ref``), the name
    allocator, the kernel choice, the network's state and whether it needs the LUTs."""

    def __init__(self, qg: ir.QGraph, kernel: str):
        self.qg, self.kernel = qg, kernel
        self.names = _Names()
        self.ref: dict[str, str] = {}     # tensor name -> C expression of its int16 array
        self.locals: list[dict] = []
        self.state: list[dict] = []
        self.luts = False

    def tensor(self, name: str) -> ir.QTensor:
        return self.qg.tensors[name]

    def local(self, c: str) -> dict | None:
        """The local array of the step function named ``c``, if the tensor is one."""
        return next((t for t in self.locals if t["c"] == c), None)


def generate(qg: ir.QGraph, prefix: str = "spk_model", kernel: str = "rows") -> CSources:
    """Emit ``<prefix>.h`` and ``<prefix>.c`` for the integer IR ``qg``.

    kernel: "rows" (the multi-row dual-MAC kernels of spikey_fixed.h: Cortex-M),
    "columns" (8 rows per vector accumulator, spikey_vec.h: the host, AVX2 when compiled
    for it) or "mve" (Helium dot products, spikey_mve.h: Cortex-M55); which core gets
    which is codegen.target.kernels. A Dense layer the columns kernel cannot take (int64 accumulator, a negative
    shift) keeps the rows kernel. Both compute the same integers."""
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS}, not {kernel!r}")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", prefix):
        raise ValueError(f"prefix {prefix!r} is not a C identifier")
    e = _Emit(qg, kernel)
    inputs, outputs = [], []
    for n in qg.inputs:
        t = qg.tensors[n]
        c = e.names.take("in_" + ident(n))
        e.ref[n] = c
        inputs.append(dict(c=c, name=n, size=t.size, frac=t.frac, scale=scale_text(t.frac),
                           lo=int(t.lo.min()), hi=int(t.hi.max()), macro=c.upper()))
    for n in qg.outputs:
        if n in e.ref:
            raise ValueError(f"graph output {n!r} is also an input; nothing to compute")
        t = qg.tensors[n]
        c = e.names.take("out_" + ident(n))
        e.ref[n] = c
        outputs.append(dict(c=c, name=n, size=t.size, frac=t.frac, scale=scale_text(t.frac), macro=c.upper()))
    for k, node in enumerate(qg.nodes):
        if node.y not in e.ref:
            t = qg.tensors[node.y]
            c = e.names.take(f"t{k}")
            e.ref[node.y] = c
            e.locals.append(dict(c=c, name=node.y, size=t.size, alloc=t.size, frac=t.frac, scale=scale_text(t.frac)))

    layers = []
    for k, node in enumerate(qg.nodes):
        op = op_of(node)
        y = qg.tensors[node.y]
        L = dict(kind=op.name, template="ops/" + op.template, name=node.name,
                 c=e.names.take(f"L{k}_{ident(node.name)}"), y=e.ref[node.y],
                 ysize=y.size, yfrac=y.frac, yscale=scale_text(y.frac))
        op.emit(e, node, L)
        layers.append(L)

    ctx = dict(prefix=prefix, guard=prefix.upper() + "_H", name=qg.name, digest=qg.digest(),
               inputs=inputs, outputs=outputs, locals=e.locals, layers=layers, state=e.state,
               dense_w_bits=sorted({L["w_bits"] for L in layers if L["kind"] == "Dense" and not L["columns"]
                                    and not L["mve"]}),
               columns=any(L.get("columns") for L in layers), mve=any(L.get("mve") for L in layers),
               luts=e.luts, sigmoid_lut=c_array(lstm.SIGMOID_LUT), tanh_lut=c_array(lstm.TANH_LUT))
    files = {f"{prefix}.h": render("model.h.j2", **ctx), f"{prefix}.c": render("model.c.j2", **ctx)}
    return CSources(prefix=prefix, files=files, cdef=render("cdef.h.j2", **ctx), header=f"{prefix}.h")
