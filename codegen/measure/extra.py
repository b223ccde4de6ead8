"""The measurements a build adds for the datapath estimate and the latency: the operation
counts per sample (codegen/measure/datapath.py) and the coder's lag (codegen/measure/lag.py)
on the report's recordings; for a model's build and for the baseline's."""
from __future__ import annotations

import numpy as np

from spikey import baseline
from spikey.coders import adaptive_rice
from spikey.learned import aligned

from ..reference.codec import ReferenceCodec
from .datapath import baseline_ops, count_ops
from .lag import bit_writer_lag, coder_lag


def add_measurements(m: dict, pred, recs) -> dict:
    """Add ``datapath`` and the figure ``coder_lag_symbols`` to measurements ``m`` (in place)."""
    m["datapath"] = count_ops(pred)
    coder = ReferenceCodec(pred, "range").coder
    lags = []
    for name, x, _ in recs:
        L, ls = pred.predict(np.asarray(x, np.int64))
        lags.append((name, coder_lag(coder, x, aligned(L), aligned(ls))))
    _lag_figure(m, lags, "range coder lag", "Python reference encoder")
    return m


def add_baseline_measurements(m: dict, recs) -> dict:
    """The baseline's operation counts and coder lag (adaptive Rice codewords, whole bytes
    written) into ``m``."""
    m["datapath"] = baseline_ops()
    lags = [(name, bit_writer_lag(adaptive_rice.codewords(baseline.mapped_residuals(x))[1])) for name, x, _ in recs]
    _lag_figure(m, lags, "adaptive Rice lag", "spikey.coders.adaptive_rice codeword lengths")
    return m


def _lag_figure(m: dict, lags: list, what: str, how: str) -> None:
    if not lags:
        return
    m["figures"]["coder_lag_symbols"] = {
        "value": max(v["max"] for _, v in lags), "unit": "symbols",
        "how": f"{what}, largest over every sample of the per-file streams of {', '.join(n for n, _ in lags)}: "
               "symbols coded after a sample before the encoder has emitted the bytes its decoding needs "
               f"(codegen/measure/lag.py, {how}); per file "
               + ", ".join(f"max {v['max']} / p99 {v['p99']:.0f} / mean {v['mean']:.2f}" for _, v in lags)}
