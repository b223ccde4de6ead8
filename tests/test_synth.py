"""The synthetic recording generator: grid, off-grid escapes, determinism, realism, files."""
import numpy as np
import pytest

from spikey.recordings import adc, from_codes, read_wav, to_codes
from spikey.recordings.synth import SAMPLE_RATE, _nudge_off_grid, generate, write_dir

CHANNELS, SECONDS = 8, 2.0


@pytest.fixture(scope="module")
def rec():
    return generate(CHANNELS, SECONDS, seed=0)


def _abs_corr(x):
    """abs(r) between every pair of rows (diagonal zeroed)."""
    z = x - x.mean(axis=1, keepdims=True)
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    r = z @ z.T
    np.fill_diagonal(r, 0.0)
    return r


def _entropy(values):
    _, counts = np.unique(values, return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum())


def test_shape_and_dtype(rec):
    assert rec.dtype == np.int16
    assert rec.shape == (CHANNELS, round(SECONDS * SAMPLE_RATE)) == (8, 39062)
    assert generate(3, 0.25, seed=1, sample_rate=16000).shape == (3, 4000)
    assert generate(1, 0.05, seed=0).shape == (1, 977)   # a channel with no units at all


def test_on_the_grid_without_off_grid(rec):
    assert np.array_equal(from_codes(to_codes(rec)), rec)
    codes = to_codes(rec)
    assert 0 <= codes.min() and codes.max() <= 1023


def test_exactly_off_grid_samples_per_channel(rec):
    moved = generate(CHANNELS, SECONDS, seed=0, off_grid=25)
    for row, clean in zip(moved, rec):
        off = adc.off_grid(row)
        assert len(off) == 25
        # Only the nudged samples differ from the clean recording, by 1..31.
        assert np.array_equal(np.flatnonzero(row != clean), off)
        step = np.abs(row[off].astype(np.int32) - clean[off])
        assert step.min() >= 1 and step.max() <= 31


def test_nudges_at_the_ends_of_the_range_stay_in_int16():
    rng = np.random.default_rng(7)
    samples = np.repeat(adc.GRID[[0, 1023]][:, None], 1000, axis=1)   # -32768 and 32767
    _nudge_off_grid(rng, samples, 1000)
    assert np.all(samples[0] > -32768) and np.all(samples[0] <= -32768 + 31)
    assert np.all(samples[1] < 32767) and np.all(samples[1] >= 32767 - 31)
    assert all(len(adc.off_grid(row)) == 1000 for row in samples)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        generate(0, 1.0, seed=0)
    with pytest.raises(ValueError):
        generate(2, 0.0, seed=0)
    with pytest.raises(ValueError):
        generate(2, 0.001, seed=0, off_grid=100)   # 20 samples


def test_same_seed_same_recording_other_seed_other_recording(rec):
    assert np.array_equal(generate(CHANNELS, SECONDS, seed=0), rec)
    other = generate(CHANNELS, SECONDS, seed=1)
    assert np.mean(other != rec) > 0.9


def test_first_differences_cost_a_few_bits_like_the_real_files(rec):
    # Real files: 4.25..5.08 bits/sample for 90 % of them, median 4.64.
    bits = [_entropy(np.diff(to_codes(row))) for row in rec]
    assert 4.0 < np.median(bits) < 5.2
    assert all(3.5 < b < 6.0 for b in bits)
    # Real files have 77..979 distinct values, median 168.
    distinct = [len(np.unique(row)) for row in rec]
    assert all(50 < d < 600 for d in distinct)


def test_noise_level_differs_between_channels(rec):
    sd = np.diff(to_codes(rec).astype(float), axis=1).std(axis=1)
    assert sd.max() / sd.min() > 1.3


def test_channels_are_correlated_positively_and_modestly():
    codes = to_codes(generate(16, SECONDS, seed=3)).astype(float)
    r_raw = _abs_corr(codes)
    signed = np.corrcoef(codes)[np.triu_indices(16, 1)]
    assert signed.min() > 0   # field potentials have the same sign everywhere
    assert 0.2 < np.median(r_raw.max(axis=1)) < 0.5
    r_diff = _abs_corr(np.diff(codes, axis=1))
    assert 0.06 < np.median(r_diff.max(axis=1)) < 0.2
    # Background activity and spikes are shared along the thread: neighbours correlate more.
    adjacent = np.mean(np.diagonal(r_diff, 1))
    distant = np.mean([r_diff[i, j] for i in range(16) for j in range(i + 4, 16)])
    assert adjacent > 2 * distant


def test_spikes_are_present_and_biphasic(rec):
    codes = to_codes(rec).astype(float)
    kernel = np.ones(21) / 21    # ~1 ms moving average removes the slow part
    fast = codes - np.array([np.convolve(row, kernel, mode="same") for row in codes])
    sigma = 1.4826 * np.median(np.abs(fast - np.median(fast, axis=1, keepdims=True)), axis=1)
    troughs = []
    for c, row in enumerate(fast):
        below = row < -5 * sigma[c]
        starts = np.flatnonzero(below[1:] & ~below[:-1]) + 1
        troughs += [(c, s + np.argmin(row[s:s + 10])) for s in starts if 20 <= s < len(row) - 60]
    assert len(troughs) > 15   # 23: channels differ a lot in how many units they see
    assert sum(1 for c in range(CHANNELS) if any(t[0] == c for t in troughs)) >= 3
    wave = np.mean([codes[c, t - 20:t + 40] - np.median(codes[c, t - 20:t - 8]) for c, t in troughs],
                   axis=0)
    assert wave[20] == wave.min() < -30                 # sharp trough
    assert np.all(wave[20 + 10:20 + 20] > 0)            # positive hump 0.5..1 ms later


def test_write_dir_round_trips_through_read_wav(tmp_path, rec):
    out = tmp_path / "made" / "here"
    paths = write_dir(out, CHANNELS, SECONDS, seed=0)
    assert [p.name for p in paths] == [f"ch{c:03d}.wav" for c in range(CHANNELS)]
    assert sorted(out.iterdir()) == paths     # no temporary files left behind
    for path, row in zip(paths, rec):
        recording = read_wav(path)
        assert recording.sample_rate == SAMPLE_RATE
        assert recording.is_canonical
        assert np.array_equal(recording.samples, row)
        assert path.read_bytes() == recording.to_bytes()
