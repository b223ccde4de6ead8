"""Wavelet FIR bank, running scales and normalisation: integer, causal, streaming == whole file."""
import numpy as np
import pytest
import pywt

from spikey import features as ft
from spikey_train.model import initial_log_widths, linearisation_table
from spikey.recordings import synth, to_codes


@pytest.fixture(scope="module")
def codes():
    return to_codes(synth.generate(2, 0.25, seed=3)).astype(np.int16)


def test_dmey_taps_are_q15_truncations_with_exact_dc_gain():
    lo, hi = ft.dmey_taps(11)
    assert lo.dtype == np.int32 and len(lo) == len(hi) == 11
    assert lo.sum() == 1 << 15 and hi.sum() == 0
    assert np.abs(lo).max() < 1 << 15 and np.abs(hi).max() < 1 << 15
    w = pywt.Wavelet("dmey")
    ref = np.asarray(w.dec_lo)[26:37]            # the 11 central taps (dmey's centre is 31)
    ref = np.round(ref / ref.sum() * (1 << 15))
    off = np.abs(lo - ref)
    assert off[np.arange(11) != 5].max() <= 0 and off[5] <= 4   # only the centre tap is adjusted
    assert np.array_equal(lo, lo[::-1]) and np.array_equal(hi, hi[::-1])   # symmetric, like dmey


def test_streaming_fir_equals_whole_file(codes):
    cfg = ft.FeatureConfig(levels=4, taps=11)
    for x in codes:
        whole = ft.fir_bank(x, cfg)
        s = ft.FirBankStream(cfg)
        stream = np.stack([s.step(v) for v in x])
        assert whole.shape == (len(x), 5)
        assert np.array_equal(whole, stream)
        assert np.abs(whole[:, :4]).max() > 16          # the details are not all zero


def test_streaming_fir_with_linearisation_table(codes):
    cfg = ft.FeatureConfig(levels=3, taps=7, linearise=True)
    lin = linearisation_table(initial_log_widths([c for c in codes], min_count=5))
    x = codes[0]
    s = ft.FirBankStream(cfg, lin)
    assert np.array_equal(ft.fir_bank(x, cfg, lin), np.stack([s.step(v) for v in x]))


def test_features_are_causal(codes):
    cfg = ft.FeatureConfig()
    x = codes[0].copy()
    a = ft.file_features([x], cfg)[0]
    y = x.copy()
    y[3000:] = 1023 - y[3000:]
    b = ft.file_features([y], cfg)[0]
    assert np.array_equal(a.wavelet[:3000], b.wavelet[:3000])
    assert np.array_equal(a.ema[:3000], b.ema[:3000])
    assert not np.array_equal(a.wavelet[3000:3010], b.wavelet[3000:3010])


def test_constant_signal_has_zero_details():
    cfg = ft.FeatureConfig()
    w = ft.fir_bank(np.full(500, 600, dtype=np.int16), cfg)
    assert not w.any()


def test_running_scales_stream_equals_batch_and_known_values(codes):
    cfg = ft.FeatureConfig(ema_shifts=(1, 4), ema_init=0)
    e = ft.running_scales(np.array([[10, 14, 14, 10]]), cfg)[0]
    # |d| = 0, 4, 0, 4 in Q8 = 0, 1024, 0, 1024; shift 1: 0, 512, 256, 640
    assert e[:, 0].tolist() == [0, 512, 256, 640]
    assert e[:, 1].tolist() == [0, 64, 60, 120]     # 0 + 1024>>4 = 64; 64 + (-64>>4) = 60; 60 + (964>>4) = 120
    cfg = ft.FeatureConfig(ema_shifts=(), ema2_shifts=(0,), ema_init=0)
    e = ft.running_scales(np.array([[10, 14, 14, 10, 11]]), cfg)[0]
    assert e[:, 0].tolist() == [0, 4 << 8, 4 << 8, 4 << 8, 5 << 8]   # |d2| = 0, 4, 4, 4, 5
    cfg = ft.FeatureConfig(ema2_shifts=(2, 7))
    batch = ft.running_scales(codes, cfg)
    assert batch.shape == (2, codes.shape[1], 5)
    for i, x in enumerate(codes):
        s = ft.RunningScalesStream(cfg)
        assert np.array_equal(batch[i], np.stack([s.step(v) for v in x]))


def test_norm_shift_rule():
    cfg = ft.FeatureConfig(ema_shifts=(3,), norm_ema=0)
    ema = np.array([[0], [255], [256], [511], [512], [1024], [4095], [1 << 20]])
    assert ft.norm_shift(ema, cfg).tolist() == [0, 0, 0, 0, 1, 2, 3, ft.SH_MAX]


def test_window_and_normalisation_are_exact():
    x = np.array([5, 7, 4, 4, 9], dtype=np.int16)
    w = ft.window_of_differences(x, 3)
    assert w.tolist() == [[0, 0, 0], [0, 0, 2], [0, 2, -3], [2, -3, 0], [-3, 0, 5]]
    sh = np.array([0, 1, 2, 3, 2])
    u = ft.normalise(w, np.zeros((5, 0)), np.full((5, 1), 700), sh)
    assert u.shape == (5, 5)
    assert np.array_equal(u[:, :3] * np.exp2(sh)[:, None], w)
    assert np.array_equal(u[:, 3] * np.exp2(sh + 8), np.full(5, 700.0))
    assert np.array_equal(u[:, 4], sh / 4)


def test_bad_feature_config():
    with pytest.raises(ValueError, match="odd"):
        ft.FeatureConfig.from_dict({"taps": 10})
    with pytest.raises(ValueError, match="unknown feature option"):
        ft.FeatureConfig.from_dict({"tap": 11})


@pytest.mark.parametrize("linearise", [False, True])
def test_streaming_inputs_equal_training_rows(codes, linearise):
    from spikey_train.train import file_rows
    cfg = ft.FeatureConfig(window=6, levels=3, taps=9, ema2_shifts=(5,), linearise=linearise)
    lin = linearisation_table(initial_log_widths([c for c in codes], min_count=5)) if linearise else None
    x = codes[1][:2500]
    rows = file_rows(ft.file_features([x], cfg, lin)[0], lin)
    s = ft.StreamingFeatures(cfg, lin)
    got = [s.step(v) for v in x[:-1]]
    assert np.array_equal(np.stack([u for u, _ in got]), rows.u)
    assert np.array_equal(np.array([sh for _, sh in got]), rows.sh)
    assert rows.u.shape[1] == cfg.n_inputs
