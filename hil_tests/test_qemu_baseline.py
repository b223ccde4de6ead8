"""The baseline firmware cross-compiled for Cortex-M and run in QEMU (the third implementation).

Each run encodes a recording frame by frame on the emulated target; the payload must equal
the Python reference's and the host C build's byte for byte, and the instruction counts
(QEMU -icount + CMSDK timer) must be identical from run to run.
"""
import time

import numpy as np
import pytest

from codegen.hil.baseline import run_hil_baseline
from codegen.hil.qemu import run_qemu
from codegen.host.baseline import HostBaseline
from codegen.target.elf import build_elf
from codegen.target.targets import TARGETS
from codegen.target.toolchain import INSTALL_HINT, missing_tools
from spikey import baseline
from spikey.recordings import GRID, read_wav, to_codes

_MISSING = missing_tools()
pytestmark = [
    pytest.mark.hil,
    pytest.mark.skipif(bool(_MISSING), reason=f"{', '.join(_MISSING)} not installed ({INSTALL_HINT})"),
]


@pytest.fixture(scope="module")
def elf(elf_dir):
    return build_elf("cortex-m4", elf_dir)


@pytest.fixture(scope="module")
def host():
    return HostBaseline()


def synthetic_samples(n=40_000, seed=0):
    """A recording-like signal: random walk, spikes, ADC extremes, escapes and off-grid values."""
    rng = np.random.default_rng(seed)
    codes = np.clip(520 + np.cumsum(rng.integers(-4, 5, n)) // 4, 0, 1023)
    for start in rng.integers(0, n - 300, 20):                     # full-scale bursts
        t = np.arange(300)
        codes[start:start + 300] += (470 * np.sin(t / 5) * np.exp(-t / 90)).astype(np.int64)
    codes = np.clip(codes, 0, 1023)
    codes[1000:1010] = [0, 1023] * 5                               # extremes: escapes
    codes[2000:2500] = 777                                          # constant run
    samples = GRID[codes].astype(np.int16)
    off = rng.integers(0, n, 50)                                    # off the ADC grid
    samples[off] = np.clip(samples[off].astype(np.int32) + rng.integers(-31, 32, 50), -32768, 32767)
    return samples


def _check(run, samples, host):
    codes = to_codes(samples)
    ref = baseline.encode_codes(codes)
    assert run.payload == ref
    assert run.payload == host.encode_codes(codes)
    assert run.samples == len(samples) == run.total["samples"]
    assert run.total["payload_bytes"] == len(ref)
    assert len(run.frame_insns) == -(-len(samples) // 64)
    assert run.frame_insns.min() > 0


def test_synthetic_recording_bit_exact(elf, host, tmp_path):
    samples = synthetic_samples()
    run = run_hil_baseline(elf, samples, tmp_path)
    _check(run, samples, host)
    assert 0 < run.total["encode_stack"] <= run.total["stack_max"] < run.total["stack_size"]


def test_dev_recordings_bit_exact(elf, host, dev_files, tmp_path):
    for i, path in enumerate(dev_files[:2]):
        samples = read_wav(path).samples
        _check(run_hil_baseline(elf, samples, tmp_path / str(i)), samples, host)


def test_instruction_counts_are_deterministic(elf, tmp_path):
    samples = synthetic_samples(20_000, seed=1)
    a = run_hil_baseline(elf, samples, tmp_path / "a")
    b = run_hil_baseline(elf, samples, tmp_path / "b")
    assert np.array_equal(a.frame_insns, b.frame_insns)
    assert a.total == b.total


def test_instruction_counts_do_not_depend_on_the_icount_shift(elf_dir, tmp_path):
    # ticks * 40 ns / 2**shift must give the same instruction count at every shift >= 7
    samples = synthetic_samples(10_000, seed=2)
    runs = [run_hil_baseline(build_elf("cortex-m4", elf_dir, icount_shift=s), samples, tmp_path / str(s))
            for s in (7, 8, 10)]
    for r in runs[1:]:
        assert np.array_equal(r.frame_insns, runs[0].frame_insns)


@pytest.mark.parametrize("target", sorted(set(TARGETS) - {"cortex-m4"}))
def test_other_targets_bit_exact(target, host, elf_dir, tmp_path):
    samples = synthetic_samples(10_000, seed=3)
    _check(run_hil_baseline(build_elf(target, elf_dir), samples, tmp_path), samples, host)


def test_fault_ends_the_run_with_its_status(elf_dir, tmp_path):
    bad = build_elf("cortex-m4", elf_dir, defines=("SPK_HIL_FAULT_TEST",), name="hil_fault")
    start = time.monotonic()
    res = run_qemu(bad, tmp_path, timeout=30)
    assert res.status == "fault", res.describe()
    assert res.fault == "BusFault" and res.returncode == 105
    assert "bfar=0xf0000000" in res.console
    assert time.monotonic() - start < 30


def test_hang_ends_with_timeout_status(elf_dir, tmp_path):
    hang = build_elf("cortex-m4", elf_dir, defines=("SPK_HIL_HANG_TEST",), name="hil_hang")
    res = run_qemu(hang, tmp_path, timeout=2)
    assert res.status == "timeout"
    assert res.returncode is None
