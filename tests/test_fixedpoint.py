"""The integer rules (docs/fixed-point.md): Python (spikey.fixed, with codegen.quant.formats'
quantisation and codegen.ops.lstm's tables) on hand-computed values, and the C inlines
(firmware/include/spikey_fixed.h) bit-exact with Python."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from codegen.emit.cformat import interleave_s8
from codegen.ops import lstm
from codegen.quant import formats
from spikey import firmware, native
from spikey import fixed as fp

FIXED_H = firmware.path("include")       # spikey_fixed.h
REPO = Path(__file__).resolve().parents[1]


# --- Python rules on hand-computed values ----------------------------------------------

@pytest.mark.parametrize("x,s,want", [
    (5, 1, 3), (-5, 1, -2), (-7, 1, -3), (7, 1, 4),      # halves round up (towards +inf)
    (-6, 2, -1), (-10, 2, -2), (-11, 2, -3), (10, 2, 3),  # -1.5 -> -1, -2.5 -> -2, -2.75 -> -3, 2.5 -> 3
    (1, 1, 1), (-1, 1, 0), (0, 5, 0), (12345, 0, 12345), (-12345, 0, -12345),
    ((1 << 40) + (1 << 19), 20, (1 << 20) + 1), (-(1 << 40) - (1 << 19), 20, -(1 << 20)),
])
def test_rshr(x, s, want):
    assert fp.rshr(x, s) == want
    assert int(fp.rshr(np.array([x]), s)[0]) == want


@pytest.mark.parametrize("x,want", [(32767, 32767), (32768, 32767), (-32768, -32768), (-32769, -32768),
                                    (1 << 40, 32767), (-(1 << 40), -32768), (0, 0), (-1, -1)])
def test_sat16(x, want):
    assert fp.sat16(x) == want


@pytest.mark.parametrize("acc,s,want", [
    (65535, 1, 32767),        # rshr gives 32768: saturates
    (65533, 1, 32767),        # 32766.5 rounds up to 32767
    (-65536, 1, -32768), (-65537, 1, -32768), (-65538, 1, -32768),   # -32769 saturates
    (3, -2, 12), (10000, -3, 32767), (-5000, -3, -32768), (-4096, -3, -32768), (-4097, -3, -32768),
    (-3, 1, -1),              # -1.5 -> -1
    (1000, 0, 1000),
])
def test_requant16(acc, s, want):
    assert fp.requant16(acc, s) == want


def test_requant16_per_channel():
    acc = np.array([[100, -100, 7, -3], [65535, -65537, 3, 3]])
    got = fp.requant16(acc, np.array([1, -2, 0, 1]))
    assert got.tolist() == [[50, -400, 7, -1], [32767, -32768, 3, 2]]


def test_quantize_real_uses_the_same_rules():
    assert formats.quantize_real([0.5, -0.5, -1.5, 1.5, 2.49], 0).tolist() == [1, 0, -1, 2, 2]
    assert formats.quantize_real([1.0, -1.0, 0.999], 15).tolist() == [32767, -32768, 32735]
    assert formats.quantize_real(0.1, 8) == 26                   # 25.6 -> 26 (a scalar: an int)
    assert formats.quantize_real([3.0, -3.0], 7, bits=8).tolist() == [127, -128]


def test_frac_for():
    assert formats.frac_for(1.0) == 14           # 2**15 would give 32768: one bit less
    assert formats.frac_for(0.999) == 15
    assert formats.frac_for(1.0, bits=8) == 6
    assert formats.frac_for(3000.0) == 3          # 3000 * 8 = 24000 <= 32767 < 48000
    assert formats.frac_for(0.0) == 30


def test_lut_and_worked_example():
    # sigmoid(0) = 1/2 exactly; tanh(0) = 0; the tables saturate at the ends.
    assert lstm.sigmoid_q(0) == 16384 and lstm.tanh_q(0) == 0
    assert lstm.sigmoid_q(-32768) == lstm.SIGMOID_LUT[0] and lstm.tanh_q(32767) == 32767
    # docs/fixed-point.md worked example: x = 0.3 in Q12 is 1229 (1228.8 rounds up);
    # u = 1229 + 32768 = 33997, k = 132, r = 205; T[132] = 18421, T[133] = 18923
    assert formats.quantize_real(0.3, 12) == 1229
    u = 1229 + 32768
    assert (u >> 8, u & 255) == (132, 205)
    assert (lstm.SIGMOID_LUT[132], lstm.SIGMOID_LUT[133]) == (18421, 18923)
    assert lstm.sigmoid_q(1229) == 18421 + fp.rshr((18923 - 18421) * 205, 8) == 18823
    x = np.arange(-32768, 32768)
    assert np.abs(lstm.sigmoid_q(x) / 32768 - 1 / (1 + np.exp(-x / 4096))).max() < 1e-4
    assert np.abs(lstm.tanh_q(x) / 32768 - np.tanh(x / 4096)).max() < 5e-4
    assert np.all(np.diff(lstm.sigmoid_q(x)) >= 0) and np.all(np.diff(lstm.tanh_q(x)) >= 0)


def test_worked_dense_example():
    """docs/fixed-point.md, "Worked example": one Dense row."""
    x = formats.quantize_real([0.75, -1.25], 12)     # Q12: 3072, -5120
    w = formats.quantize_real([0.5, 0.3], 7, bits=8)  # Q7: 64, 38 (38.4 -> 38)
    b = formats.quantize_real(0.1, 19, bits=32)      # at Q(12+7): 52429 (52428.8 -> 52429)
    assert x.tolist() == [3072, -5120] and w.tolist() == [64, 38] and int(b) == 52429
    acc = int(fp.dot(x, w)) + int(b)                 # 196608 - 194560 + 52429
    assert acc == 54477
    y = fp.requant16(acc, 19 - 13)                   # output Q13: rshr(54477, 6) = 851.2 -> 851
    assert y == 851
    # 851 / 8192 = 0.10388 vs the float 0.1: the error is the weight's (0.3 -> 38/128)
    assert fp.relu(y) == 851 and abs(851 / 8192 - (0.75 * 0.5 - 1.25 * 0.3 + 0.1)) < 4e-3
    assert abs(851 / 8192 - (0.75 * 0.5 - 1.25 * 38 / 128 + 0.1)) <= 2 ** -14


# --- C inlines == Python rules ------------------------------------------------------------

TESTS_C = REPO / "firmware" / "tests"   # fixedpoint_harness.c / .h


def _build_harness():
    """The harness (firmware/tests/fixedpoint_harness.c) and the spikey_fixed.h inlines,
    built for the host with UBSan."""
    files = {n: (TESTS_C / n).read_text() for n in ("fixedpoint_harness.h", "fixedpoint_harness.c")}
    return native.build(files, native.cdef_of(TESTS_C / "fixedpoint_harness.h"), "fixedpoint_harness.h",
                        include_dirs=[FIXED_H], sanitize=True)


@pytest.fixture(scope="module")
def clib():
    mod = _build_harness()
    return mod.ffi, mod.lib


def _edges32():
    rng = np.random.default_rng(1)
    v = [0, 1, -1, 2, -2, 3, -3, 32767, 32768, -32768, -32769, 65535, -65535, (1 << 30), -(1 << 30),
         (1 << 31) - 1, -(1 << 31)]
    return v + rng.integers(-(1 << 31), 1 << 31, 300).tolist()


def test_c_rshr_sat_requant(clib):
    ffi, lib = clib
    rng = np.random.default_rng(2)
    for x in _edges32():
        assert lib.spk_sat16_32(x) == fp.sat16(x)
        for s in range(0, 32):
            if x + ((1 << (s - 1)) if s else 0) <= (1 << 31) - 1:
                assert lib.spk_rshr32(x, s) == fp.rshr(x, s), (x, s)
                assert lib.spk_requant16_32(x, s) == fp.requant16(x, s), (x, s)
        for s in range(-31, 0):
            assert lib.spk_requant16_32(x, s) == fp.requant16(x, s), (x, s)
    for x in _edges32() + rng.integers(-(1 << 62), 1 << 62, 300).tolist() + [(1 << 62), -(1 << 63)]:
        assert lib.spk_sat16_64(x) == fp.sat16(x)
        for s in (0, 1, 2, 7, 15, 16, 31, 32, 33, 47, 62):
            if x + ((1 << (s - 1)) if s else 0) <= (1 << 63) - 1:
                assert lib.spk_rshr64(x, s) == fp.rshr(x, s), (x, s)
                assert lib.spk_requant16_64(x, s) == fp.requant16(x, s), (x, s)
        for s in (-1, -5, -16):
            if abs(x) << -s < (1 << 63):
                assert lib.spk_requant16_64(x, s) == fp.requant16(x, s), (x, s)


def test_c_mul_relu_lut(clib):
    ffi, lib = clib
    ends = [-32768, -32767, -1, 0, 1, 32766, 32767, 12345, -23456]
    for a in ends:
        assert lib.spk_relu16(a) == fp.relu(a)
        for b in ends:
            for s in (0, 1, 15, 17, 30):
                assert lib.spk_mul_rshr(a, b, s) == fp.mul_rshr(a, b, s), (a, b, s)
    for table in (lstm.SIGMOID_LUT, lstm.TANH_LUT):
        t = np.ascontiguousarray(table, dtype=np.int16)
        out = np.empty(65536, np.int16)
        lib.spk_lut_all(ffi.cast("int16_t *", t.ctypes.data), ffi.cast("int16_t *", out.ctypes.data))
        assert np.array_equal(out, fp.lut_interp(table, np.arange(-32768, 32768)))


def test_c_dot_products(clib):
    ffi, lib = clib
    rng = np.random.default_rng(3)
    for n in list(range(0, 14)) + [31, 48]:
        for trial in range(6):
            if trial == 0:
                x = np.full(n, -32768, np.int16)
                w16, w8 = np.full(n, -32768, np.int16), np.full(n, -128, np.int8)
            else:
                x = rng.integers(-32768, 32768, n).astype(np.int16)
                w16 = rng.integers(-32768, 32768, n).astype(np.int16)
                w8 = rng.integers(-128, 128, n).astype(np.int8)
            xp = ffi.cast("int16_t *", x.ctypes.data)
            want16, want8 = int(fp.dot(x, w16)), int(fp.dot(x, w8))
            w8i = np.ascontiguousarray(interleave_s8(w8[None, :])[0])
            assert lib.spk_dot_s16_64(xp, ffi.cast("int16_t *", w16.ctypes.data), n, 5) == want16 + 5
            assert lib.spk_dot_s8_64(xp, ffi.cast("int8_t *", w8i.ctypes.data), n, -7) == want8 - 7
            if n <= 31:   # |sum| <= 31 * 2^22 fits int32 for int8 weights
                assert lib.spk_dot_s8_32(xp, ffi.cast("int8_t *", w8i.ctypes.data), n, 3) == want8 + 3
            if n <= 1 or (trial and abs(want16) < (1 << 30) and np.abs(x.astype(np.int64) * w16).sum() < (1 << 31)):
                assert lib.spk_dot_s16_32(xp, ffi.cast("int16_t *", w16.ctypes.data), n, 0) == want16


def test_host_build_really_traps_undefined_behaviour(tmp_path):
    """The sanitised host build must not inherit Python's -fwrapv: a signed overflow in
    an inline (outside its proved precondition) aborts with a UBSan report, so every
    bit-exact test run under UBSan is also a test for the absence of UB."""
    import subprocess
    import sys
    code = (
        "import sys; sys.path[:0] = [%r, %r]\n"
        "from test_fixedpoint import _build_harness\n"
        "m = _build_harness()\n"
        "m.lib.spk_rshr32(2**31 - 1, 1)\n") % (str(REPO), str(REPO / "tests"))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and "signed integer overflow" in r.stderr
