"""Operations per sample of a quantised model, by kind and width: what a fixed-function
datapath (an implant ASIC) would execute for one channel and one sample.

    counts = count_ops(pred)     # {"blocks": {"features": {...}, "network": {...}, ...}, "total": {...}}
    counts = baseline_ops()      # the baseline codec (first difference + adaptive Rice), the same form

Counted from the integer semantics, not from the generated C: the network from its
integer IR (each operator's ``count``, codegen/ops), the features and the output rule
from the model's feature configuration (spikey.features, codegen.reference.predictor),
the coder from the range coder's reference (spikey/coders/model_cdf.py, range_coder.py).
Kinds and widths: codegen/ops/count.py. The report prices them (codegen/report/datapath.py).
"""
from __future__ import annotations

from ..ops import op_of
from ..ops.count import Tally
from ..reference.predictor import Predictor

SCHEMA = "spikey-datapath-counts/1"


def network_ops(qg, t: Tally) -> None:
    """The integer IR's nodes, one time step."""
    for node in qg.nodes:
        op = op_of(node)
        if op.count is None:
            raise ValueError(f"operator {op.name} has no operation count")
        op.count(node, qg.tensors, t)


def feature_ops(pred: Predictor, t: Tally) -> None:
    """spikey.features for one sample: the Q4 value (lin table or a shift), the difference
    window (a ring), the a-trous FIR levels (delay lines), the EMAs, the shift sh, and the
    network input u = sat16(rshr(value << F_IN, sh + k))."""
    c = pred.fcfg
    if pred.lin is not None:
        t.add("table", 16)
    else:
        t.add("shift", 16)
    t.add("state_read", 16)              # the previous value
    t.add("add", 16)                     # d = v - last
    t.add("state_write", 16, 2)          # last, the window ring's newest difference
    t.add("state_read", 16, c.window)    # the window, read into u
    for lv in pred.levels:               # one ring write, taps reads, 2 x taps MACs (constant taps), 2 rshr
        t.add("add", 16)                 # ring position
        t.add("cmp", 16)                 # its wrap
        t.add("state_write", 16)
        t.add("state_read", 16, c.taps)
        t.add("mul", 16, 2 * c.taps)
        t.add("add", lv.acc_bits, 2 * c.taps)
        t.add("weight", 16, 2 * c.taps)
        t.rshr(2, lv.acc_bits)
    if c.levels:
        t.add("add", 16)                 # trend = a_L - v
    if c.ema_shifts:                     # |d| once
        t.add("cmp", 16)
        t.add("add", 16)
    if c.ema2_shifts:                    # d2 = d - last_d, |d2|
        t.add("state_read", 16)
        t.add("state_write", 16)
        t.add("add", 16, 2)
        t.add("cmp", 16)
    for _ in range(c.n_ema):             # e += ((v << 8) - e) >> s
        t.add("state_read", 32)
        t.add("shift", 32, 2)
        t.add("add", 32, 2)
        t.add("state_write", 32)
    if c.normalise:                      # sh = clamp(floor(log2 e) - 8, 0, 9): a 5-step leading-one search
        t.add("cmp", 32, 5)
        t.add("add", 16)
        t.add("cmp", 16, 2)
    n = c.window + c.n_wavelet + c.n_ema
    t.add("add", 16, 3)                  # s = sh + k for the three blocks
    t.add("shift", 32, n)                # value << F_IN
    t.requant(n, 32)                     # sat16(rshr(., s))
    t.add("shift", 32)                   # sh << F_IN, rshr by 2, sat16
    t.requant(1, 32)


def output_ops(t: Tally) -> None:
    """The output rule: L = clamp(x + rescale(mu, F_OUT - sh), 0, 1023) and
    log2s = clamp(rescale(ls, F_OUT - 8) + (sh << 8), min, max)."""
    t.add("add", 16, 2)                  # the two shifts F_OUT - sh, F_OUT - 8 (one constant)
    t.rshr(2, 32)
    t.add("add", 16, 2)                  # + x, + (sh << 8)
    t.add("shift", 16)
    t.add("cmp", 16, 4)


def coder_ops(t: Tally) -> None:
    """One range-coded symbol (spikey/coders/model_cdf.py ModelCdf.cdf twice, RangeEncoder.encode):
    per CDF evaluation a = 2 e[k] - e[L] - e[L+1] (edge reads), |a| x RINV >> (16 + ls >> 8), the
    tail table's two knots and their interpolation; then r = range >> P, low += r lo,
    range = r (hi - lo), one renormalisation test (byte output amortised, not counted)."""
    t.add("table", 32, 2 + 2)            # e[L], e[L+1] once; e[x], e[x+1]
    t.add("table", 16, 1)                # RINV[ls & 255]
    for _ in range(2):
        t.add("shift", 32, 1)            # 2 e[k]
        t.add("add", 32, 2)
        t.add("cmp", 32)                 # |a|
        t.add("add", 32)
        t.add("mul", 32)
        t.add("shift", 32, 3)            # >> (16 + ls >> 8), j, r
        t.add("table", 32, 2)            # tail[j], tail[j + 1]
        t.add("add", 32, 2)
        t.add("mul", 32)
        t.add("shift", 32)
    t.add("shift", 32)
    t.add("mul", 32, 2)
    t.add("add", 32, 2)
    t.add("cmp", 32)
    t.add("state_read", 32, 2)           # low, range (the stream's coder state)
    t.add("state_write", 32, 2)


def count_ops(pred: Predictor) -> dict:
    """Operations per channel and sample, by block and in total."""
    blocks = {}
    for name, fn in (("features", lambda t: feature_ops(pred, t)), ("network", lambda t: network_ops(pred.qg, t)),
                     ("output", output_ops), ("coder", coder_ops)):
        t = Tally()
        fn(t)
        blocks[name] = t.as_dict()
    return {"schema": SCHEMA, "model": pred.name, "blocks": blocks, "total": _sum(blocks),
            "how": "counted from the integer IR (codegen/ops count per operator) and the integer feature, "
                   "output and range-coder rules (codegen/measure/datapath.py); per channel and sample; "
                   "MiddleOut peer means are not counted (per-file streams)"}


def baseline_ops() -> dict:
    """The baseline codec per channel and sample (spikey/baseline.py, spikey/coders/adaptive_rice.py):
    predictor r = x - prev mod 1024 zig-zagged; coder k = clamp(floor(log2(m >> 7)), 0, 10),
    m += u - (m >> 7), the codeword (q = u >> k, escape test, value and length) and its append
    to a 32-bit bit buffer. Masks and ORs are counted as shifts."""
    pred = Tally()
    pred.add("state_read", 16)           # prev
    pred.add("state_write", 16)
    pred.add("add", 16, 3)               # x - prev, + 512, - 512
    pred.add("shift", 16)                # & 1023
    pred.add("cmp", 16)                  # zig-zag: the sign
    pred.add("shift", 16)                # 2 r
    pred.add("add", 16)                  # -2 r - 1
    coder = Tally()
    coder.add("state_read", 32)          # m
    coder.add("state_write", 32)
    coder.add("shift", 32)               # m >> 7
    coder.add("cmp", 32, 1 + 4 + 1)      # < 2, a 4-step leading-one search over 10 bits, min K_MAX
    coder.add("add", 32, 1 + 2)          # bit length - 1; m + u - (m >> 7)
    coder.add("shift", 16, 4)            # q = u >> k, 1 << k, the low-bit mask, the OR
    coder.add("cmp", 16)                 # q >= Q_ESCAPE
    coder.add("add", 16, 2)              # length q + 1 + k
    coder.add("state_read", 32, 2)       # the bit buffer and its count
    coder.add("shift", 32, 2)            # buffer << length, | value
    coder.add("add", 32)                 # count += length
    coder.add("cmp", 32)                 # a whole byte to write?
    coder.add("state_write", 32, 2)
    blocks = {"predictor": pred.as_dict(), "coder": coder.as_dict()}
    return {"schema": SCHEMA, "model": "baseline", "blocks": blocks, "total": _sum(blocks),
            "how": "counted from the baseline's integer rules (spikey/baseline.py, spikey/coders/adaptive_rice.py; "
                   "codegen/measure/datapath.py baseline_ops); per channel and sample; byte output not counted"}


def _sum(blocks: dict) -> dict:
    total = Tally()
    for b in blocks.values():
        for k, v in b.items():
            total.counts[k] += v
    return total.as_dict()
