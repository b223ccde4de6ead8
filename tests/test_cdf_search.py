"""The range decoder's symbol search (firmware/src/model_cdf.h: spk_cdf_find, its first guess
spk_cdf_guess and the galloping fallback spk_cdf_find_from) against plain bisection
(spk_cdf_find_binary): the same x, C(x) and C(x+1) for every (target, L, log2s) tried, over
the default model's edges, uniform edges and extreme edge sets, both families. The C (the
glue: firmware/tests/cdf_search_glue.c) is built for the host with UBSan (any undefined
behaviour aborts)."""
import json
from pathlib import Path

import numpy as np
import pytest

from spikey import native as cffi_module
from codegen.host.coders import CFLAGS
from spikey import firmware
from spikey.model.files import BUNDLED
from spikey.coders import model_cdf
from spikey.coders.model_cdf import ModelCdf, edges_from_meta

ROOT = Path(__file__).resolve().parents[1]
META = json.loads((BUNDLED / "default" / "model.json").read_text())
TOTAL = 1 << model_cdf.PBITS

TESTS_C = firmware.root() / "tests"     # the C glue: cdf_search_glue.c / .h


def _cdef(header: Path) -> str:
    """A header's declarations for cffi's cdef: its lines starting with '#' (include guard,
    includes) dropped; cffi strips the comments itself."""
    return "".join(ln for ln in header.read_text().splitlines(keepends=True) if not ln.lstrip().startswith("#"))


@pytest.fixture(scope="module")
def lib():
    files = {n: (firmware.root() / "src" / n).read_text() for n in ("model_cdf.c", "model_cdf.h", "model_cdf_tables.h")}
    files.update({n: (TESTS_C / n).read_text() for n in ("cdf_search_glue.h", "cdf_search_glue.c")})
    mod = cffi_module.build(files, _cdef(TESTS_C / "cdf_search_glue.h"), "cdf_search_glue.h", cflags=CFLAGS,
                            sanitize=True)
    return mod


def _edge_sets():
    rng = np.random.default_rng(21)
    k = np.arange(1025, dtype=np.int64)
    lognormal = np.cumsum(np.maximum(1, (rng.lognormal(0.0, 1.5, 1025) * 40000).astype(np.int64)))
    clustered = np.cumsum(np.where(rng.random(1025) < 0.9, 1, rng.integers(100000, 900000, 1025)))
    sets = {
        "model": edges_from_meta(META),
        "uniform": model_cdf.uniform_edges(),
        "dense": k - 512,                                   # span 1024: the largest 2^41 / span
        "widest": -(1 << 27) + 1 + k * 262143,              # span just below 2^28
        "lognormal": lognormal - lognormal[512],
        "clustered": clustered - clustered[300],
        "one_huge_bin": np.where(k < 700, k * 30, 700 * 30 + (1 << 27) - 30000 + (k - 700) * 30) - (1 << 26),
    }
    for name, e in sets.items():
        model_cdf.check_edges(e)
    return sets


EDGES = _edge_sets()
L_GRID = [0, 1, 2, 3, 4, 300, 511, 512, 1019, 1020, 1021, 1022, 1023]
LS_GRID = [-600, -512, -511, -300, -1, 0, 1, 255, 256, 422, 700, 1500, 2559, 2560, 9999]


def _run(lib, edges, family, L, ls, targets, all_targets=False):
    ffi = lib.ffi
    e = np.ascontiguousarray(edges, np.int32)
    L = np.ascontiguousarray(L, np.uint32)
    ls = np.ascontiguousarray(ls, np.int32)
    tg = np.ascontiguousarray(targets, np.uint32)
    bad = np.zeros(8, np.uint32)
    stats = np.zeros(2, np.uint32)
    n_bad = lib.lib.spk_ct_check(ffi.from_buffer("int32_t[]", e), family, ffi.from_buffer("uint32_t[]", L),
                                 ffi.from_buffer("int32_t[]", ls), len(L), ffi.from_buffer("uint32_t[]", tg),
                                 len(tg), int(all_targets), ffi.from_buffer("uint32_t[]", bad),
                                 ffi.from_buffer("uint32_t[]", stats))
    t, Lb, lsb, x, a, b, y, g = bad.tolist()
    assert n_bad == 0, (f"{n_bad} disagreements; e.g. target {t} L {Lb} ls {np.int32(lsb)}: find {x} [{a}, {b}), "
                        f"bisection {y}, guess {g}")
    return stats


def test_span_recip(lib):
    for name, e in EDGES.items():
        e32 = np.ascontiguousarray(e, np.int32)
        want = min((1 << 41) // int(e[-1] - e[0]), 1 << 25)
        assert lib.lib.spk_ct_span_recip(lib.ffi.from_buffer("int32_t[]", e32)) == want, name


@pytest.mark.parametrize("family", [0, 1])
@pytest.mark.parametrize("edges", list(EDGES))
def test_find_equals_bisection_at_every_boundary(lib, edges, family):
    """Every (L, ls) of a grid (ends, the clamps, either side of each 256 step) plus random
    ones; targets: 0, 2^P - 1, random, and C(k) - 1, C(k), C(k) + 1 for every k."""
    rng = np.random.default_rng(100 + family)
    L = np.array([a for a in L_GRID for _ in LS_GRID] + rng.integers(0, 1024, 40).tolist())
    ls = np.array([b for _ in L_GRID for b in LS_GRID] + rng.integers(-512, 2561, 40).tolist())
    targets = [0, 1, TOTAL // 2 - 1, TOTAL // 2, TOTAL - 2, TOTAL - 1] + rng.integers(0, TOTAL, 26).tolist()
    stats = _run(lib, EDGES[edges], family, L, ls, targets)
    assert stats[0] > len(L) * 3000


@pytest.mark.parametrize("L,ls,family", [(0, -512, 0), (1023, 2560, 0), (512, 422, 0), (700, -100, 1),
                                         (3, 1200, 1)])
def test_find_equals_bisection_for_every_target(lib, L, ls, family):
    _run(lib, EDGES["model"], family, [L], [ls], [], all_targets=True)


def test_find_equals_bisection_random(lib):
    rng = np.random.default_rng(5)
    for name, e in EDGES.items():
        for family in (0, 1):
            _run(lib, e, family, rng.integers(0, 1024, 200), rng.integers(-700, 2700, 200),
                 rng.integers(0, TOTAL, 200))


@pytest.mark.parametrize("family", [0, 1])
def test_first_guess_is_usually_right(lib, family):
    """Targets uniform in [0, 2^P) draw x from the coded distribution itself: at realistic
    scales the guess (two CDF evaluations in all) should be right nearly always (99 % on
    real recordings, bench/cdf_search.py)."""
    rng = np.random.default_rng(9 + family)
    n = 20000
    L = np.ascontiguousarray(rng.integers(100, 900, n), np.uint32)
    ls = np.ascontiguousarray(rng.integers(0, 1000, n), np.int32)
    tg = np.ascontiguousarray(rng.integers(0, TOTAL, n), np.uint32)
    for e in (EDGES["model"], EDGES["uniform"]):
        e32 = np.ascontiguousarray(e, np.int32)
        fb = lib.ffi.from_buffer
        hits = lib.lib.spk_ct_hits(fb("int32_t[]", e32), family, fb("uint32_t[]", L), fb("int32_t[]", ls),
                                   fb("uint32_t[]", tg), n)
        assert hits > 0.95 * n, hits / n


def test_python_find_agrees():
    """The Python reference (its own galloping search) finds the same codes."""
    rng = np.random.default_rng(6)
    c = ModelCdf(EDGES["model"])
    for _ in range(200):
        L, ls = int(rng.integers(0, 1024)), int(rng.integers(-512, 2561))
        C = c.table(L, ls)
        for t in rng.integers(0, TOTAL, 4).tolist():
            x, lo, hi = c.find(t, L, ls)
            assert C[x] == lo <= t < hi == C[x + 1]


@pytest.mark.parametrize("family", ["logistic", "laplace"])
def test_search_tables(family):
    """ITAIL is F's inverse on its grid (non-decreasing, each entry the largest Q11 z whose
    F stays at or below the step's middle); SCALE inverts RINV."""
    it = np.array(model_cdf.itail_table(family))
    assert len(it) == (TOTAL + 1024) >> model_cdf.ITAIL_SHIFT
    assert np.all(np.diff(it) >= 0) and it[0] == -32768 and it[-1] == 32767
    c = ModelCdf(None, family)
    tail = c.tail
    for i in range(0, len(it), 37):
        v = (i << 8) - 1024 + 128
        z = int(it[i]) << 5
        if -model_cdf.ZSAT < z < model_cdf.ZSAT:
            assert model_cdf._f_of_z(tail, c.m, z) <= v
    sc, ri = np.array(model_cdf.scale_table()), np.array(model_cdf.rinv_table())
    assert np.all(np.abs(sc * ri / 2.0 ** 30 - 1) < 1e-4)
