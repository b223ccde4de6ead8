"""``huffman_prior``: a static canonical Huffman code per stream, built from a one-
parameter prior for the residual (Spikey's "binomial Huffman"). Spec: docs/coders.md §4.

The residual is u = zigzag(wrap10(x[t] - L[t])) in [0, 1024) (as the Rice coders). The
prior is the discretised Laplace of the model CDF (model_cdf, uniform edges,
family laplace, P = 18) centred on code 512 with log2s_q8 = (p - 8) * 64, p in [0, 48]:
w(u) = C(513 + r) - C(512 + r), r = unzigzag(u) (every weight >= 1, total 2**18). The
parameter p is chosen per stream (the one with the fewest coded bits) and sent in
6 bits after x[0]'s 10 raw bits.

Code lengths: Huffman's two-queue construction over the leaves sorted by
(weight, symbol) ascending; the two smallest of (next leaf, next internal node) are
merged, a leaf winning ties. All 1024 symbols get a code (no escape needed: weights are
>= 1 of 2**18, so lengths stay below 32). Codes are canonical: symbols ordered by
(length, symbol), codes counting up. The decoder reads bit by bit with the
first-code-per-length tables.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..bitstream import BitView, pack
from ..errors import CodecError
from .model_cdf import ModelCdf
from .range_coder import _as_pred
from .rice_coders import RAW_BITS, residual_u, unresidual

P_BITS = 6
P_MAX = 48
MAX_LEN = 31


def param_log2s(p: int) -> int:
    return (p - 8) * 64


@lru_cache(maxsize=None)
def weights(p: int) -> tuple[int, ...]:
    c = ModelCdf(None, "laplace").table(512, param_log2s(p))
    u = np.arange(1024)
    r = np.where(u & 1, -(u >> 1) - 1, u >> 1)
    return tuple(int(v) for v in (c[513 + r] - c[512 + r]))


def huffman_lengths(w) -> list[int]:
    n = len(w)
    order = sorted(range(n), key=lambda s: (w[s], s))
    parent = [0] * (2 * n - 1)          # leaves 0..n-1, internal nodes n..2n-2
    iw = [0] * (n - 1)
    li, ii, m = 0, 0, 0                  # next leaf (in order), next internal, internals made

    def pop():
        nonlocal li, ii
        if li < n and (ii >= m or w[order[li]] <= iw[ii]):
            s = order[li]
            li += 1
            return s, w[s]
        node = n + ii
        ii += 1
        return node, iw[node - n]

    while m < n - 1:
        a, wa = pop()
        b, wb = pop()
        iw[m] = wa + wb
        parent[a] = parent[b] = n + m
        m += 1
    depth = [0] * (2 * n - 1)
    for node in range(2 * n - 3, n - 1, -1):         # root = 2n-2 at depth 0
        depth[node] = depth[parent[node]] + 1
    return [depth[parent[s]] + 1 for s in range(n)]


@lru_cache(maxsize=None)
def code_tables(p: int):
    lens = huffman_lengths(weights(p))
    if max(lens) > MAX_LEN:
        raise ValueError("Huffman code too long")   # cannot happen with weights >= 1 of 2**18
    syms = sorted(range(1024), key=lambda s: (lens[s], s))
    codes = [0] * 1024
    code, prev = 0, 0
    count = [0] * (MAX_LEN + 2)
    for s in syms:
        code <<= lens[s] - prev
        prev = lens[s]
        codes[s] = code
        code += 1
        count[lens[s]] += 1
    first, offset = [0] * (MAX_LEN + 2), [0] * (MAX_LEN + 2)
    c = o = 0
    for ln in range(1, MAX_LEN + 1):
        c = (c + count[ln - 1]) << 1 if ln > 1 else 0
        first[ln], offset[ln] = c, o
        o += count[ln]
    return np.array(codes, np.int64), np.array(lens, np.int64), syms, count, first, offset


class HuffmanPrior:
    name, id = "huffman_prior", 5

    def cost(self, u, p: int) -> int:
        return int(code_tables(p)[1][u].sum())

    def best_param(self, u) -> int:
        hist = np.bincount(u, minlength=1024)
        return int(np.argmin([int((hist * code_tables(p)[1]).sum()) for p in range(P_MAX + 1)]))

    def encode(self, x, L, log2s_q8=None, param: int | None = None) -> bytes:
        x, L, _ = _as_pred(x, L, np.zeros(len(L), np.int64) if log2s_q8 is None else log2s_q8)
        if len(x) == 0:
            return b""
        u = residual_u(x[1:], L[1:])
        p = self.best_param(u) if param is None else int(param)
        if not 0 <= p <= P_MAX:
            raise ValueError("parameter out of range")
        codes, lens = code_tables(p)[:2]
        return pack(np.concatenate([[x[0], p], codes[u]]), np.concatenate([[RAW_BITS, P_BITS], lens[u]]))

    def decoder(self, payload: bytes):
        return HuffmanDecoder(payload)


class HuffmanDecoder:
    def __init__(self, payload: bytes):
        v = BitView(payload)
        self.window, self.n_bits, self.p = v.window, v.n_bits, 0

    def _check(self):
        if self.p > self.n_bits:
            raise CodecError("corrupt bitstream: Huffman payload ends early")

    def read(self, n: int) -> int:
        v = self.window[self.p] >> (16 - n)
        self.p += n
        self._check()
        return v

    def decode_first(self) -> int:
        x0 = self.read(RAW_BITS)
        par = self.read(P_BITS)
        if par > P_MAX:
            raise CodecError("corrupt bitstream: Huffman prior parameter out of range")
        _, _, self.syms, self.count, self.first, self.offset = code_tables(par)
        return x0

    def decode_one(self, L: int, log2s_q8: int = 0) -> int:
        code, p, w = 0, self.p, self.window
        for ln in range(1, MAX_LEN + 1):
            code = (code << 1) | ((w[p] >> 15) & 1)
            p += 1
            i = code - self.first[ln]
            if 0 <= i < self.count[ln]:
                self.p = p
                self._check()
                return unresidual(self.syms[self.offset[ln] + i], int(L))
            if p > self.n_bits:
                break
        self.p = p
        self._check()
        raise CodecError("corrupt bitstream: invalid Huffman code")

    def finish(self):
        self._check()
        if self.n_bits - self.p >= 8:
            raise CodecError(f"corrupt bitstream: {(self.n_bits - self.p) // 8} bytes left over")
