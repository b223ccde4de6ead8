"""The issue-5 entropy coders behind one interface (docs/coders.md).

    coder = CODERS["range"]                    # or coders_for_model(meta)["range"]
    payload = coder.encode(x, L, log2s_q8)     # L, log2s_q8: length n (index 0 unused) or n - 1
    dec = coder.decoder(payload)
    x0 = dec.decode_first()                    # only if n >= 1
    x1 = dec.decode_one(L[1], log2s_q8[1]) ...
    dec.finish()                               # CodecError if the payload was overrun / not used up

``coder.id`` is the small integer the container records for the payload's coder.
"""
from __future__ import annotations

from .huffman_prior import HuffmanPrior
from .model_cdf import edges_from_meta
from .range_coder import RangeCoder
from .rice_coders import RiceFixed, RiceScaled


def coders_for_model(meta: dict | None = None) -> dict:
    """All coders; the range coder uses the model's edges and family (uniform logistic without meta)."""
    edges = None if meta is None else edges_from_meta(meta)
    family = "logistic" if meta is None else meta["coder"]["family"]
    return {c.name: c for c in (RiceFixed(), RiceScaled(), HuffmanPrior(), RangeCoder(edges, family))}


CODERS = coders_for_model()


def decode_all(coder, payload: bytes, L, log2s_q8, n: int):
    """Decode n codes driven by given predictions (tests; a real decoder computes them)."""
    import numpy as np
    dec = coder.decoder(payload)
    if n == 0:
        dec.finish()
        return np.zeros(0, np.int64)
    L = list(map(int, L))
    ls = list(map(int, log2s_q8))
    off = 1 if len(L) == n else 0
    out = [dec.decode_first()]
    for t in range(1, n):
        out.append(dec.decode_one(L[t - 1 + off], ls[t - 1 + off]))
    dec.finish()
    return np.array(out, np.int64)
