"""Issue-5 entropy coders: Python reference (spikey/coders) == C runtime (firmware/src,
built for the host by codegen/host_coders.py) byte for byte, lossless decode, the
integer CDF's properties, cost against the ideal, and corrupt payloads."""
import json
from pathlib import Path

import numpy as np
import pytest

from codegen.host.coders import HostCoders
from codegen.emit.tables import model_cdf_tables
from spikey import firmware
from spikey.coders import model_cdf
from spikey.model.files import BUNDLED
from spikey.coders.huffman_prior import HuffmanPrior
from spikey.coders.model_cdf import ModelCdf, edges_from_meta, float_pmf
from spikey.coders.registry import CODERS, coders_for_model, decode_all
from spikey.coders.rice_coders import residual_u
from spikey.errors import CodecError

ROOT = Path(__file__).resolve().parents[1]
META = json.loads((BUNDLED / "default" / "model.json").read_text())
EDGES = edges_from_meta(META)
MODEL_CODERS = coders_for_model(META)


@pytest.fixture(scope="module")
def hc():
    return HostCoders()


def _realistic(n, seed, lo=-512, hi=1400):
    rng = np.random.default_rng(seed)
    L = np.clip(512 + np.cumsum(rng.integers(-8, 9, n)), 0, 1023)
    ls = np.clip(np.cumsum(rng.integers(-40, 41, n)) + 300, lo, hi)
    x = np.clip(L + np.round(rng.logistic(0, 2.0 ** (ls / 256))).astype(np.int64), 0, 1023)
    return x, L, ls


def _cases():
    rng = np.random.default_rng(7)
    n = 3000
    alt = np.where(np.arange(n) % 2, 0, 1023)
    return {
        "realistic": _realistic(4000, 1),
        "realistic_wide": _realistic(3000, 2, hi=2560),
        "opposite_ends_small_scale": (alt, 1023 - alt, np.full(n, -512)),
        "opposite_ends_large_scale": (alt, 1023 - alt, np.full(n, 2560)),
        "beyond_clamps": (rng.integers(0, 1024, n), rng.integers(0, 1024, n),
                          rng.choice([-5000, -513, 2561, 99999], n)),
        "constant": (np.full(n, 300), np.full(n, 300), np.full(n, -512)),
        "constant_at_0": (np.zeros(n, np.int64), np.zeros(n, np.int64), np.full(n, 0)),
        "uniform_noise": (rng.integers(0, 1024, n), rng.integers(0, 1024, n), rng.integers(-512, 2561, n)),
        "n0": (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)),
        "n1": (np.array([1023]), np.array([0]), np.array([0])),
        "n2": (np.array([0, 1023]), np.array([0, 0]), np.array([0, -512])),
    }


CASES = _cases()


def _param(name, coder, x, L):
    if len(x) < 1:
        return 0
    if name == "rice_fixed":
        return coder.best_k(x, L)
    if name == "huffman_prior":
        return coder.best_param(residual_u(x[1:], L[1:]))
    return 0


# --- the integer CDF -----------------------------------------------------------------

def test_c_tables_match_python():
    assert (firmware.root() / "src" / "model_cdf_tables.h").read_text() == model_cdf_tables()


@pytest.mark.parametrize("family", ["logistic", "laplace"])
@pytest.mark.parametrize("edges", ["uniform", "model"])
def test_cdf_properties(family, edges):
    e = None if edges == "uniform" else EDGES
    c = ModelCdf(e, family)
    worst = 0.0
    for L in (0, 1, 17, 300, 512, 777, 1022, 1023):
        for ls in (-512, -300, -1, 0, 1, 255, 256, 700, 1500, 2559, 2560):
            C = c.table(L, ls)
            assert C[0] == 0 and C[-1] == 1 << model_cdf.PBITS
            assert np.diff(C).min() >= 1
            F = np.concatenate([[0.0], np.cumsum(float_pmf(c.edges, L, ls / 256, family))])
            worst = max(worst, float(np.abs(C / 2.0 ** model_cdf.PBITS - F).max()))
    # the floor of 1 per code moves C by at most 1024 / 2**18 = 0.0039; table error ~1e-5
    assert worst < 0.0045


def test_cdf_python_equals_c(hc):
    rng = np.random.default_rng(3)
    c = ModelCdf(EDGES)
    for _ in range(3000):
        k, L, ls = int(rng.integers(0, 1025)), int(rng.integers(0, 1024)), int(rng.integers(-512, 2561))
        assert hc.cdf(EDGES, 0, k, L, ls) == c.cdf(k, L, ls)
    cl = ModelCdf(None, "laplace")
    for _ in range(1000):
        k, L, ls = int(rng.integers(0, 1025)), int(rng.integers(0, 1024)), int(rng.integers(-512, 2561))
        assert hc.cdf(None, 1, k, L, ls) == cl.cdf(k, L, ls)


def test_find_is_inverse():
    c = ModelCdf(EDGES)
    rng = np.random.default_rng(4)
    for _ in range(300):
        L, ls = int(rng.integers(0, 1024)), int(rng.integers(-512, 2561))
        C = c.table(L, ls)
        for target in rng.integers(0, 1 << model_cdf.PBITS, 5).tolist() + [0, (1 << model_cdf.PBITS) - 1]:
            x, lo, hi = c.find(target, L, ls)
            assert C[x] == lo <= target < hi == C[x + 1]


# --- every coder: Python == C, lossless ----------------------------------------------

@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("name,edges", [("range", "model"), ("range", "uniform"), ("rice_scaled", "uniform"),
                                        ("rice_fixed", "uniform"), ("huffman_prior", "uniform")])
def test_python_equals_c_and_roundtrip(hc, name, case, edges):
    coder = (MODEL_CODERS if edges == "model" else CODERS)[name]
    e = EDGES if edges == "model" else None
    x, L, ls = (np.asarray(a, np.int64) for a in CASES[case])
    payload = coder.encode(x, L, ls)
    assert payload == hc.encode(name, x, L, ls, param=_param(name, coder, x, L), edges=e)
    assert np.array_equal(decode_all(coder, payload, L, ls, len(x)), x)
    xc, status = hc.decode(name, payload, L, ls, edges=e)
    assert status == 0 and np.array_equal(xc, x)
    if name == "range" and len(x) > 1:
        xb, status = hc.decode(name, payload, L, ls, edges=e, binary_search=True)
        assert status == 0 and np.array_equal(xb, x)


def test_predictions_of_length_n_minus_1():
    x, L, ls = _realistic(500, 9)
    for coder in MODEL_CODERS.values():
        assert coder.encode(x, L[1:], ls[1:]) == coder.encode(x, L, ls)


def test_rice_fixed_every_k_and_huffman_every_param(hc):
    x, L, ls = _realistic(1500, 11)
    rf, hp = CODERS["rice_fixed"], HuffmanPrior()
    for k in range(11):
        p = rf.encode(x, L, ls, k=k)
        assert p == hc.encode("rice_fixed", x, L, ls, param=k)
        assert np.array_equal(decode_all(rf, p, L, ls, len(x)), x)
    for par in range(0, 49, 4):
        p = hp.encode(x, L, ls, param=par)
        assert p == hc.encode("huffman_prior", x, L, ls, param=par)
        assert np.array_equal(hc.decode("huffman_prior", p, L, ls)[0], x)


# --- cost against the ideal ----------------------------------------------------------

def test_range_coder_near_ideal():
    """x drawn from the very (float) distribution: within 0.5 % of sum -log2 P (+10 bits)."""
    rng = np.random.default_rng(5)
    n = 8000
    L = rng.integers(100, 900, n)
    ls = rng.integers(-512, 1024, n)
    x = np.empty(n, np.int64)
    ideal = 10.0
    for t in range(n):
        p = float_pmf(EDGES, int(L[t]), ls[t] / 256)
        x[t] = min(int(np.searchsorted(np.cumsum(p), rng.random() * p.sum(), side="right")), 1023)
        if t:
            ideal -= np.log2(p[x[t]])
    bits = 8 * len(MODEL_CODERS["range"].encode(x, L, ls))
    assert bits < 1.005 * ideal, (bits / n, ideal / n)


# --- corrupt payloads ----------------------------------------------------------------

@pytest.mark.parametrize("name", ["range", "rice_scaled", "rice_fixed", "huffman_prior"])
def test_truncated_payload(hc, name):
    x, L, ls = _realistic(2000, 12)
    coder = MODEL_CODERS[name]
    e = EDGES if name == "range" else None
    payload = coder.encode(x, L, ls)
    for cut in (1, 2, 5, len(payload) // 2, len(payload) - 1):
        bad = payload[:len(payload) - cut]
        with pytest.raises(CodecError, match="corrupt bitstream"):
            decode_all(coder, bad, L, ls, len(x))
        _, status = hc.decode(name, bad, L, ls, edges=e)
        assert status != 0
    with pytest.raises(CodecError):                      # trailing garbage
        decode_all(coder, payload + b"\0\0", L, ls, len(x))
    assert hc.decode(name, payload + b"\0\0", L, ls, edges=e)[1] != 0


@pytest.mark.parametrize("name", ["range", "rice_scaled", "rice_fixed", "huffman_prior"])
def test_random_corruption_never_crashes(hc, name):
    x, L, ls = _realistic(800, 13)
    coder = MODEL_CODERS[name]
    e = EDGES if name == "range" else None
    payload = bytearray(coder.encode(x, L, ls))
    rng = np.random.default_rng(14)
    for _ in range(30):
        bad = bytearray(payload)
        for i in rng.integers(0, len(bad), 3):
            bad[i] ^= int(rng.integers(1, 256))
        try:
            y = decode_all(coder, bytes(bad), L, ls, len(x))
            assert y.min() >= 0 and y.max() < 1024
        except CodecError:
            pass
        y, _ = hc.decode(name, bytes(bad), L, ls, edges=e)
        assert y.min() >= 0 and y.max() < 1024
