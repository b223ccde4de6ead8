"""The coder lag (codegen/measure/lag.py): hand cases, and the range coder's lag checked with
the real decoder on truncated payloads."""
import numpy as np
from refs import predictor, reference

from codegen.measure.lag import bit_writer_lag, coder_lag, lags, range_positions
from spikey.learned import aligned
from spikey.recordings import synth, to_codes


def test_bit_writer_lag_by_hand():
    # 3-bit codewords end at bits 3, 6, 9, ...: symbol 2 (bits 6..8) needs 2 bytes, out after symbol 5 (bit 18)
    r = bit_writer_lag([3] * 8)
    assert (r["max"], r["mean"], r["symbols"]) == (3, 1.5, 8)   # lags 2 1 3 2 1 2 1 0
    assert bit_writer_lag([8, 8])["max"] == 0           # whole bytes: no lag
    assert bit_writer_lag([])["symbols"] == 0


def test_range_coder_lag_is_what_the_decoder_needs():
    x = to_codes(synth.generate(1, 0.02, seed=3))[0][:300].astype(np.int64)
    pred, ref = predictor(), reference()
    L, ls = (aligned(a) for a in pred.predict(x))
    coder = ref.coder
    emitted, need = range_positions(coder, x, L, ls)
    lag = lags(emitted, need)
    payload = coder.encode(x, L, ls)
    assert emitted[-1] <= len(payload) and lag.min() >= 0 and lag.max() > 0
    assert coder_lag(coder, x, L, ls)["max"] == int(lag.max())
    # the bytes out after symbol i + lag[i], then anything, decode x[0..i] (the streaming decoder reads
    # those bytes before it decodes symbol i: the lag is its wait; a symbol can be certain earlier)
    for i in range(len(x)):
        out = payload[:emitted[i + lag[i]]] if i + lag[i] < len(x) - 1 else payload
        for pad in (b"\x00" * 8, b"\xff" * 8):
            dec = coder.decoder(out + pad)
            got = [dec.decode_first()] + [dec.decode_one(int(L[t]), int(ls[t])) for t in range(1, i + 1)]
            assert got == x[: i + 1].tolist(), i
