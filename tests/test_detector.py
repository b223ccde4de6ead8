"""The reference detector (bench/detector.py) on hand-made signals whose spikes are known."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("scipy", reason="the reference detector needs scipy (pip install 'spikey[test]')")

_PATH = Path(__file__).resolve().parents[1] / "bench" / "detector.py"
_spec = importlib.util.spec_from_file_location("spikey_bench_detector", _PATH)
D = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(D)

RATE = 19531
SHAPE = np.array([-0.2, -0.6, -1.0, -0.7, -0.2, 0.25, 0.35, 0.3, 0.2, 0.1, 0.05])   # a 0.56 ms biphasic spike


def signal(times, amps, n=40_000, noise=3.0, seed=0):
    """Codes: 512 + Gaussian noise (std ``noise`` codes) + a spike of trough ``amp`` codes at each time."""
    rng = np.random.default_rng(seed)
    x = 512 + rng.normal(0, noise, n)
    for t, a in zip(times, amps):
        x[t:t + len(SHAPE)] += a * SHAPE
    return np.clip(np.round(x), 0, 1023).astype(np.int64)


def test_crossings_and_refractory_by_hand():
    y = np.array([0, -5, -6, 0, -5, 0, 0, 0, -7, 0], dtype=float)
    assert D.crossings(y, -4.0, refractory=1).tolist() == [1, 4, 8]
    assert D.crossings(y, -4.0, refractory=4).tolist() == [1, 8]        # 4 is 3 samples after 1
    assert D.crossings(y, -6.5, refractory=1).tolist() == [8]
    assert D.crossings(np.zeros(5), -1.0).tolist() == []


def test_finds_known_spikes_and_only_them():
    times = np.arange(1000, 39_000, 1500)
    x = signal(times, np.full(len(times), 80.0))
    spikes, clear, lenient, _y, sigma = D.reference_spikes(x, RATE)
    assert 2.0 < sigma < 4.0                       # the band-passed noise, not the spikes
    assert len(spikes) == len(times)
    assert np.all(np.abs(spikes - (times + 2)) <= 3)  # the crossing sits on the spike's way down
    assert np.array_equal(clear, spikes)            # 80-code troughs are far below 5.5 sigma
    # every spike has a lenient crossing (-3.5 sigma) at most 2 samples before it; the few others are
    # noise (Gaussian noise passes -3.5 sigma 2.3e-4 of the time: about 9 in 40,000 samples)
    gap = spikes[:, None] - lenient[None, :]
    assert np.all(((gap >= 0) & (gap <= 2)).any(axis=1))
    assert len(lenient) - len(spikes) < 20


def test_clear_and_lenient_margins():
    """A deterministic background (a 2,441 Hz sine, period 8 samples, 8 codes; spikes in phase
    with it), so every trough is exact: 80-code spikes are clear, 60-code ones (about -5.3
    sigma) are spikes but not clear, 47-code ones (about -4 sigma) are lenient crossings only."""
    t = np.arange(40_000)
    x = 512 + 8 * np.sin(2 * np.pi * t / 8)
    groups = {80: np.arange(2000, 14_000, 2000), 60: np.arange(14_000, 26_000, 2000),
              47: np.arange(26_000, 38_000, 2000)}
    for amp, times in groups.items():
        for s0 in times:
            x[s0:s0 + len(SHAPE)] += amp * SHAPE
    spikes, clear, lenient, y, sigma = D.reference_spikes(np.round(x).astype(np.int64), RATE)
    trough = {a: y[ts[0] - 2:ts[0] + 12].min() / sigma for a, ts in groups.items()}
    assert trough[80] < -5.5 and -5.5 < trough[60] < -4.5 and -4.5 < trough[47] < -3.5, trough

    def near(found, times):
        return sum(any(abs(f - s0) <= 3 for f in found) for s0 in times)

    assert len(spikes) == 12 and near(spikes, groups[80]) == 6 and near(spikes, groups[60]) == 6
    assert len(clear) == 6 and near(clear, groups[80]) == 6
    assert len(lenient) == 18 and near(lenient, groups[47]) == 6


def test_score_by_hand():
    clear, lenient = np.array([100, 500, 900]), np.array([100, 300, 500, 900, 1300])
    # found: 100 (d=103), 500 (d=510); 900 missed. Decoded 103, 510, 300+11 (too far), 2000 (nothing)
    p, r, f1 = D.score([103, 510, 311, 2000], clear, lenient)
    assert r == pytest.approx(2 / 3) and p == pytest.approx(2 / 4)
    assert f1 == pytest.approx(2 * (0.5 * 2 / 3) / (0.5 + 2 / 3))
    assert D.score([], clear, lenient) == (1.0, 0.0, 0.0)
    assert D.score([5], [], [])[:2] == (0.0, 1.0)
    c = D.counts([103, 510, 311, 2000], clear, lenient)
    assert c == {"clear": 3, "found": 2, "decoded": 4, "true": 2}
    assert D.score_counts(c) == pytest.approx((p, r, f1))


def test_sbp_is_the_mean_magnitude_per_whole_bin():
    y = np.array([1.0, -3.0, 2.0, -2.0, 5.0, 0.0, 9.0])
    assert D.reference_sbp(y, 2).tolist() == [2.0, 2.0, 2.5]
