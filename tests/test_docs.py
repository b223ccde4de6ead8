"""The worked examples of the specification documents, recomputed from the Python reference.

docs/coders.md section 1.2 works the model CDF through by hand for the default model; every
number in it is computed here step by step (the steps of docs/coders.md section 1.1) and
checked against ``ModelCdf.cdf``, and the document's text must say exactly that.
"""
from __future__ import annotations

import re
from pathlib import Path

from spikey.coders import model_cdf as mc
from spikey.coders.model_cdf import ModelCdf, edges_from_meta, float_pmf
from spikey.learned import load_model

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _worked(L: int, ls: int, x: int):
    meta = load_model().meta
    E = [int(v) for v in edges_from_meta(meta)]
    cdf = ModelCdf(E, meta["coder"]["family"])
    rinv, tail = mc.rinv_table(), mc.tail_table(meta["coder"]["family"])
    M = (1 << mc.PBITS) - mc.N_CODES
    head = (f"`E[{L}] = {E[L]}`, `E[{L + 1}] = {E[L + 1]}`, `ls >> 8 = {ls >> 8}`, `ls & 255 = {ls & 255}`, "
            f"`RINV[{ls & 255}] = {rinv[ls & 255]}`.")
    rows, cs = [], []
    for k in (x, x + 1):
        a = 2 * E[k] - E[L] - E[L + 1]
        z = min((abs(a) * rinv[ls & 255]) >> (16 + (ls >> 8)), mc.ZSAT)
        j, r = z >> mc.FRAC_BITS, z & ((1 << mc.FRAC_BITS) - 1)
        t = tail[j] - (((tail[j] - tail[j + 1]) * r) >> mc.FRAC_BITS)
        c = k + (t if a < 0 else M - t)
        assert c == cdf.cdf(k, L, ls)            # the steps are the reference's
        z_text = f"({abs(a)}·{rinv[ls & 255]}) >> {16 + (ls >> 8)} = {z}" if k == x else f"{z}"
        rows.append(f"| {k} | {E[k]} | {a} | {z_text} | {j}, {r} | {tail[j]}, {tail[j + 1]} | {t} | "
                    f"{k} + ({M} − {t}) = {c} |")
        cs.append(c)
    p_float = float_pmf(E, L, ls / 256, meta["coder"]["family"])[x]
    freq = (f"Frequency of x = {x}: {cs[1]} − {cs[0]} = {cs[1] - cs[0]} of 2^{mc.PBITS} "
            f"(p = {(cs[1] - cs[0]) / (1 << mc.PBITS):.5f}; the float model gives {p_float:.5f}).")
    return head, rows, freq


def test_coders_worked_example_is_the_reference():
    text = (DOCS / "coders.md").read_text()
    m = re.search(r"### 1\.2 Worked example \(default model edges, L = (\d+), log2s_q8 = (\d+), x = (\d+)\)", text)
    assert m, "docs/coders.md has no worked example heading"
    head, rows, freq = _worked(*(int(g) for g in m.groups()))
    section = text[m.end():text.index("### 1.3")]
    assert head in section
    for row in rows:
        assert row in section, row
    assert " ".join(freq.split()) in " ".join(section.split())
