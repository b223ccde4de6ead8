"""Synthetic recordings that look like the real ones, for tests and for the demo.

``generate`` returns int16 samples, one row per channel, on the 10-bit ADC grid;
``write_dir`` writes them as challenge-style WAV files. Each channel, in ADC codes, is:

- field potentials: spectrum flat up to ~24 Hz, then 1/f^2; a per-channel gain
  (log-normal); 10-60 % of each channel's variance comes from three sources common to
  all channels, mixed with non-negative per-channel weights;
- background activity ("hash"): (1 kHz / f)^1.67, high-passed at ~600 Hz; 5-45 % of it
  is shared with the neighbouring channels on the thread;
- thermal noise: white, rolled off near Nyquist; its level and the hash level vary
  between channels together (log-normal);
- spikes: 0..3 units per channel, biphasic ~1 ms waveforms, seen on neighbours too
  (see ``_spikes``);
- an offset (mean code 527 +- 8), then rounding and clipping to codes 0..1023.

``off_grid=k`` then moves k samples per channel, at random positions, by +-1..31 off
the grid (grid values are 63..65 apart, so a moved sample never lands on one); the
other samples are exactly those of ``off_grid=0`` with the same seed.

The spectral densities are fitted to the median Welch spectrum of the 150 dev
recordings (shared/data/neuralink-dev), and the spreads to their spread. Measured on
those 150 files and on 20 synthetic recordings of 8 channels x 5.05 s (seeds 0..19):

| per channel: min / 5 % / median / 95 % / max  | real                             | synthetic                        |
| --------------------------------------------- | -------------------------------- | -------------------------------- |
| first-difference order-0 entropy, bits/sample | 1.84 / 4.25 / 4.64 / 5.08 / 6.95 | 4.08 / 4.28 / 4.63 / 5.04 / 5.23 |
| distinct values                               | 77 / 91 / 168 / 313 / 979        | 70 / 96 / 160 / 263 / 331        |
| sd of first differences, codes                | 3.3 / 4.6 / 6.0 / 8.4 / 30.1     | 4.1 / 4.7 / 6.0 / 8.0 / 9.1      |
| spikes, Hz (-4.5 sigma, 300-3000 Hz band)     | 0 / 0 / 1.4 / 36 / 132           | 0 / 0 / 1.5 / 27 / 41            |
| **all channels**                              |                                  |                                  |
| 16 bits / entropy of first differences        | 3.43 (codes: 2.57)               | 3.45 (codes: 2.54)               |
| median best-peer zero-lag abs(r), codes/diffs | 0.34 / 0.118 (all 743), below    | 0.33 / 0.12 (best of 7 peers)    |

The real extremes are two odd channels that are not modelled: one with a slow swing of
nearly the whole ADC range (1.84 bits, 979 values), one with broadband noise (6.95 bits).

Cross-channel correlation: measured on all 743 files of the public challenge set, the
median best peer has 0.34 (codes) and 0.118 (first differences), and the generator aims
at those. On these 150 files, aligned at
their start, the best of 149 peers has a median abs(r) of only 0.098 / 0.010, no more
than with the peer shifted by 5,000 samples (0.092 / 0.009): most pairs of files are
not simultaneous. Files of equal length (97 of them, in groups of 2-5) include 18 with
a clearly correlated peer: 0.10..0.83 on codes (median 0.48), median 0.20 on
differences, every such pair positively correlated.

Determinism: numpy's PCG64 streams are the same on every platform; floating point is
used only up to the final rounding to codes, so another platform's FFT or libm could
change a sample only where a value lies within a few ulps of a rounding tie.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .adc import N_CODES, from_codes
from .wav import from_samples

SAMPLE_RATE = 19531

# Power spectral densities (codes^2/Hz) of the three noise-like parts of a median channel,
# fitted to the median spectrum of the dev recordings; each channel has its own gains.
_LFP_DENSITY, _LFP_KNEE_HZ = 8.0, 24.0          # field potentials: flat, then 1/f^2
_HASH_DENSITY, _HASH_SLOPE, _HASH_LOW_HZ = 0.020, 1.67, 600.0   # background activity, at 1 kHz
_THERMAL_DENSITY, _ANTIALIAS_HZ = 0.0005, 9500.0                 # white amplifier noise
_HIGHPASS_HZ = 0.5

_LFP_SOURCES = 3            # field-potential sources common to all channels
_MEAN_CODE, _MEAN_CODE_SD = 527.0, 8.0


def generate(channels: int, seconds: float, seed: int, sample_rate: int = SAMPLE_RATE,
             off_grid: int = 0) -> np.ndarray:
    """int16 samples, shape (channels, round(seconds * sample_rate)), on the 10-bit grid
    except for exactly ``off_grid`` nudged samples per channel."""
    n = round(seconds * sample_rate)
    if channels < 1 or n < 1:
        raise ValueError(f"need at least one channel and one sample, got {channels} x {n}")
    if not 0 <= off_grid <= n:
        raise ValueError(f"off_grid must be in 0..{n}, got {off_grid}")
    rng = np.random.default_rng(seed)
    codes = (_noise(rng, channels, n, sample_rate)
             + _spikes(rng, channels, n, sample_rate)
             + rng.normal(_MEAN_CODE, _MEAN_CODE_SD, (channels, 1)))
    samples = from_codes(np.clip(np.rint(codes), 0, N_CODES - 1))
    if off_grid:
        _nudge_off_grid(rng, samples, off_grid)
    return samples


def _noise(rng: np.random.Generator, channels: int, n: int, rate: int) -> np.ndarray:
    """Field potentials + background activity + thermal noise, in codes (zero mean).

    White noise shaped in the frequency domain by each channel's spectrum. A fraction of
    each channel's field potential is common to all channels (random mixing weights on a
    few sources), a fraction of its background activity is shared with its neighbours on
    the thread (one source between each pair); the rest, and all thermal noise, is its own.
    """
    m = _fast_length(n)
    f = np.fft.rfftfreq(m, 1 / rate)
    highpass = f**2 / (f**2 + _HIGHPASS_HZ**2)
    # Per-channel log-gains: field potential; noise (common to hash and thermal); hash; thermal.
    z = rng.standard_normal((4, channels, 1))
    lfp = np.exp(0.9 * z[0]) * _LFP_DENSITY * highpass / (1 + (f / _LFP_KNEE_HZ) ** 2)
    # (1 kHz / f)^slope, high-passed at _HASH_LOW_HZ; written so that f = 0 gives 0.
    hash_ = (np.exp(0.3 * z[1] + 0.2 * z[2]) * _HASH_DENSITY * 1000.0**_HASH_SLOPE
             * f ** (2 - _HASH_SLOPE) / (f**2 + _HASH_LOW_HZ**2))
    thermal = (np.exp(0.3 * z[1] + 0.2 * z[3]) * _THERMAL_DENSITY
               * highpass / (1 + (f / _ANTIALIAS_HZ) ** 8))
    lfp_shared = rng.uniform(0.1, 0.6, (channels, 1))
    hash_shared = rng.uniform(0.05, 0.45, (channels, 1))

    mix = rng.uniform(0.0, 1.0, (channels, _LFP_SOURCES))    # same sign everywhere
    mix /= np.linalg.norm(mix, axis=1, keepdims=True)
    lfp_common = mix @ np.fft.rfft(rng.standard_normal((_LFP_SOURCES, m)))
    between = np.fft.rfft(rng.standard_normal((channels + 1, m)))
    hash_common = (between[:-1] + between[1:]) / np.sqrt(2)
    own = np.fft.rfft(rng.standard_normal((channels, m)))

    spectrum = (lfp_common * np.sqrt(lfp_shared * lfp) + hash_common * np.sqrt(hash_shared * hash_)
                + own * np.sqrt((1 - lfp_shared) * lfp + (1 - hash_shared) * hash_ + thermal))
    return np.fft.irfft(spectrum * np.sqrt(rate / 2), m)[:, :n]


def _fast_length(n: int) -> int:
    """The smallest 2^a 3^b 5^c >= n: an FFT size that is fast for any recording length."""
    best = 1 << (n - 1).bit_length()
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            best = min(best, p35 << ((n - 1) // p35).bit_length())
            p35 *= 3
        p5 *= 5
    return best


def _spikes(rng: np.random.Generator, channels: int, n: int, rate: int) -> np.ndarray:
    """Extracellular spikes, in codes.

    Each channel has 0..3 units, each with a Poisson firing rate of 1..40 Hz (2 ms
    refractory period), a trough of 8..100 codes and its own waveform widths; a unit is
    also seen, at 0..0.5 of its size, on the two neighbouring channels. The waveform is a
    sharp negative trough (rise ~0.08 ms, decay ~0.17 ms) then a slow positive hump of
    0.08..0.25 of the trough peaking ~0.7 ms later and lasting ~1.5 ms, as in the spikes
    averaged from the dev recordings.
    """
    home = np.repeat(np.arange(channels), rng.integers(0, 4, channels))
    units = len(home)
    firing = np.exp(rng.uniform(np.log(1.0), np.log(40.0), units))
    trough = np.exp(rng.uniform(np.log(8.0), np.log(100.0), units))
    width = rng.uniform(0.8, 1.3, units)
    hump = rng.uniform(0.08, 0.25, units)
    spread = rng.uniform(0.0, 0.5, (units, 2))    # gain on the channels before and after

    refractory = 0.002 * rate
    # Enough intervals for every train to run past the end: n / refractory always is, and
    # a Poisson count above three times its mean plus 50 does not happen.
    count = min(int(np.ceil(n / refractory)), 50 + int(3 * n * firing.max(initial=0.0) / rate))
    intervals = refractory + rng.exponential(rate / firing[:, None] - refractory, (units, count))
    times = np.cumsum(intervals, axis=1)
    unit, k = np.nonzero(times < n)
    t = times[unit, k]

    offsets = np.arange(round(-0.0005 * rate), round(0.0025 * rate))
    start = np.floor(t).astype(np.int64)
    ms = (start[:, None] + offsets - t[:, None]) * 1000.0 / rate     # time from trough
    w = width[unit, None]
    sigma = np.where(ms < 0, 0.08, 0.17) * w
    shape = (-np.exp(-0.5 * (ms / sigma) ** 2)
             + hump[unit, None] * np.exp(-0.5 * ((ms - 0.7 * w) / (0.5 * w)) ** 2))
    wave = shape * (trough[unit] * rng.normal(1.0, 0.05, len(t)))[:, None]

    out = np.zeros((channels + 2) * n)     # a spare channel each side takes the overhang
    index = start[:, None] + offsets
    inside = (index >= 0) & (index < n)
    for shift, gain in ((-1, spread[:, 0]), (0, np.ones(units)), (1, spread[:, 1])):
        row = home[unit, None] + 1 + shift
        np.add.at(out, (row * n + index)[inside], (gain[unit, None] * wave)[inside])
    return out.reshape(channels + 2, n)[1:-1]


def _nudge_off_grid(rng: np.random.Generator, samples: np.ndarray, count: int) -> None:
    """Move ``count`` samples per channel off the grid by 1..31 (grid values are 63..65 apart)."""
    for row in samples:
        pos = rng.choice(len(row), count, replace=False)
        delta = rng.integers(1, 32, count) * rng.choice([-1, 1], count)
        moved = row[pos].astype(np.int32) + delta
        moved = np.where((moved < -32768) | (moved > 32767), moved - 2 * delta, moved)
        row[pos] = moved


def write_dir(out_dir, channels: int, seconds: float, seed: int, sample_rate: int = SAMPLE_RATE,
              off_grid: int = 0) -> list[Path]:
    """Write ``ch000.wav``, ``ch001.wav``, ... (plain PCM16 mono WAVs) into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for c, samples in enumerate(generate(channels, seconds, seed, sample_rate, off_grid)):
        path = out / f"ch{c:03d}.wav"
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(from_samples(samples, sample_rate).to_bytes())
        os.replace(tmp, path)
        paths.append(path)
    return paths
