"""The measurements a build adds for the datapath estimate and the latency: the operation
counts per sample (codegen/measure/datapath.py) and the range coder's lag
(codegen/measure/lag.py) on the report's recordings."""
from __future__ import annotations

import numpy as np

from spikey.learned import aligned

from ..reference.codec import ReferenceCodec
from .datapath import count_ops
from .lag import coder_lag


def add_measurements(m: dict, pred, recs) -> dict:
    """Add ``datapath`` and the figure ``coder_lag_symbols`` to measurements ``m`` (in place)."""
    m["datapath"] = count_ops(pred)
    coder = ReferenceCodec(pred, "range").coder
    lags = []
    for name, x, _ in recs:
        L, ls = pred.predict(np.asarray(x, np.int64))
        lags.append((name, coder_lag(coder, x, aligned(L), aligned(ls))))
    if lags:
        worst = max(v["max"] for _, v in lags)
        m["figures"]["coder_lag_symbols"] = {
            "value": worst, "unit": "symbols",
            "how": "range coder lag, largest over every sample of the per-file streams of "
                   f"{', '.join(n for n, _ in lags)}: symbols coded after a sample before the encoder has emitted "
                   "the bytes its decoding needs (codegen/measure/lag.py, Python reference encoder); per file "
                   + ", ".join(f"max {v['max']} / p99 {v['p99']:.0f} / mean {v['mean']:.2f}" for _, v in lags)}
    return m
