"""Datapath operation counts against a hand-counted small model, and their pricing
(codegen/ops/count.py, codegen/measure/datapath.py, codegen/report/datapath.py)."""
from types import SimpleNamespace

import numpy as np
import pytest
from refs import predictor

from codegen import ir
from codegen.measure.datapath import baseline_ops as count_baseline
from codegen.measure.datapath import count_ops, network_ops
from codegen.ops import op_of
from codegen.ops.count import Tally
from codegen.ops.dense import QDense
from codegen.ops.relu import QRelu
from codegen.report import profiles
from codegen.report.datapath import energy_per_sample, op_energy_pj
from spikey import features as ft


def _dense(name, x, y, n_in, n_out, w_bits, relu):
    return QDense(name, x, y, np.ones((n_out, n_in), np.int64), w_bits, np.zeros(n_out, np.int64),
                  np.zeros(n_out, np.int64), np.full(n_out, 4, np.int64), 32, relu)


def _tensor(name, size):
    return ir.QTensor(name, size, 8, np.zeros(size, np.int64), np.zeros(size, np.int64))


def small_model():
    """u (5) -> Dense 5x2 int16 + ReLU -> Dense 2x2 int8 -> out; features: window 2, one FIR
    level of 3 taps, one EMA, normalised, no lin table."""
    qg = ir.QGraph(["u"], ["out"], {n: _tensor(n, s) for n, s in (("u", 5), ("h", 2), ("out", 2))},
                   [_dense("d1", "u", "h", 5, 2, 16, True), _dense("d2", "h", "out", 2, 2, 8, False)])
    fcfg = ft.FeatureConfig(window=2, levels=1, taps=3, ema_shifts=(3,), norm_ema=0)
    return SimpleNamespace(name="small", qg=qg, fcfg=fcfg, lin=None, levels=[SimpleNamespace(acc_bits=32)])


def test_network_counts_by_hand():
    t = Tally()
    network_ops(small_model().qg, t)
    # d1: 10 MACs (mul16, add32, weight16), 2 bias reads + adds, 2 requant16 (add + shift + 2 cmp), 2 ReLU
    # d2: 4 MACs with int8 weights, 2 bias, 2 requant16
    assert t.as_dict() == {"mul16": 14, "add32": 10 + 2 + 2 + 4 + 2 + 2, "weight16": 10, "weight8": 4,
                           "weight32": 4, "shift32": 4, "cmp32": 8, "cmp16": 2}


def test_feature_counts_by_hand():
    c = count_ops(small_model())["blocks"]["features"]
    # value x << 4; window: last read, d = v - last, last + ring written, 2 read; FIR level: ring pos + wrap,
    # 1 write, 3 reads, 6 MACs (constant taps), 2 rshr; trend; |d| (cmp + negate); EMA: read, 2 shifts,
    # 2 adds, write; sh: 5 compares (leading one), - 8, clamp; u: 3 block shifts s = sh + k, 5 inputs
    # (<< F_IN, rshr, sat16) and sh / 4 (<< F_IN, rshr, sat16)
    assert c == {"shift16": 1, "state_read16": 1 + 2 + 3, "add16": 1 + 1 + 1 + 1 + 1 + 3,
                 "state_write16": 2 + 1, "cmp16": 1 + 1 + 2, "mul16": 6, "weight16": 6,
                 "add32": 6 + 2 + 2 + 5 + 1, "shift32": 2 + 2 + 5 + 5 + 1 + 1, "state_read32": 1,
                 "state_write32": 1, "cmp32": 5 + 10 + 2}


def test_relu_and_totals_add_up():
    t = Tally()
    node = QRelu("r", "h", "h2")
    op_of(node).count(node, {"h2": _tensor("h2", 7)}, t)
    assert t.as_dict() == {"cmp16": 7}
    res = count_ops(small_model())
    total = {}
    for b in res["blocks"].values():
        for k, v in b.items():
            total[k] = total.get(k, 0) + v
    assert res["total"] == dict(sorted(total.items()))
    assert set(res["blocks"]) == {"features", "network", "output", "coder"}


def test_default_model_macs_are_its_weights():
    pred = predictor()
    res = count_ops(pred)
    weights = sum(n.w.size for n in pred.qg.nodes if isinstance(n, QDense))
    assert res["blocks"]["network"]["mul16"] == weights
    assert res["blocks"]["features"]["mul16"] == 2 * pred.fcfg.taps * pred.fcfg.levels


def test_pricing_by_hand():
    p = profiles.load("n1-datapath", "datapath")
    assert op_energy_pj(p, "mul16") == pytest.approx(3.1 * 0.25)           # quadratic through 3.1 pJ at 32 bits
    assert op_energy_pj(p, "add16") == pytest.approx(0.03 + 0.07 * 8 / 24)  # linear through 0.03 and 0.1
    assert op_energy_pj(p, "cmp32") == pytest.approx(0.1)
    assert op_energy_pj(p, "weight16") == pytest.approx(10 / 4)             # a quarter of a 64-bit 8 KB read
    assert op_energy_pj(p, "state_read16") == pytest.approx(20 / 4)         # 32 KB banks
    e = energy_per_sample({"mul16": 2, "state_read16": 1}, p)
    assert e["point"] == pytest.approx(0.5 * (1.55 + 5))
    assert e["low"] == pytest.approx(0.35 * (1.55 + 2.5))                   # node low, 8 KB banks
    assert e["high"] == pytest.approx(1.0 * (1.55 + 25))                    # no node gain, one 1 MB SRAM
    with pytest.raises(ValueError):
        op_energy_pj(p, "div32")


def test_baseline_counts_by_hand():
    b = count_baseline()
    # predictor: prev read + write, x - prev, + 512, - 512, & 1023, the zig-zag's compare, shift and add (9);
    # coder: m read + write, m >> 7, 6 compares for k, 3 adds (bit length - 1, m + u - (m >> 7)), the
    # codeword (4 shifts, the escape compare, 2 adds for its length), the bit buffer (2 reads, 2 shifts,
    # an add, a compare, 2 writes) (27); no multiply, no table
    assert sum(b["blocks"]["predictor"].values()) == 9 and sum(b["blocks"]["coder"].values()) == 27
    assert b["total"] == {"add16": 6, "add32": 4, "cmp16": 2, "cmp32": 7, "shift16": 6, "shift32": 3,
                          "state_read16": 1, "state_read32": 3, "state_write16": 1, "state_write32": 3}
