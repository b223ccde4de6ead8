"""The learned codec in Python integers: the reference of spikey.learned.LearnedCodec.

The same streams as the runtime codec, computed by the integer reference of the predictor
(codegen.reference.predictor) and the Python coders (spikey.coders, the coders'
specification, docs/coders.md) instead of the generated C. It is the second of the three
implementations (Python reference, host C, firmware in QEMU) that every build and test
compares byte for byte; ``codegen verify`` runs it on recordings.

A ReferenceCodec has the interface spikey.codec expects of a codec (CODEC_ID, MODEL_ID,
NAME, middleout, peers, encode_channels, decode_channels, encode_codes, decode_codes).
"""
from __future__ import annotations

from functools import cached_property

import numpy as np

from spikey import features as ft
from spikey.coders.near_lossless import decode_near, encode_near
from spikey.coders.range_coder import RangeEncoder
from spikey.coders.registry import coders_for_model
from spikey.errors import CodecError
from spikey.learned import DEFAULT_CODER, aligned, as_peers, check_max_error, check_mode, time_major

from . import run as reference
from .predictor import LATENT, Predictor, peer_mean


class ReferenceStream:
    """The integer predictor one sample at a time (the decoder's view of the reference).

    ``step`` is the per-file predictor (peer mean 0). MiddleOut models in a joint stream
    split it: ``advance`` (features and projector: the latent z), then ``head`` with the
    peers' mean."""

    def __init__(self, predictor: Predictor):
        self.p = predictor
        self.features = ft.StreamingFeatures(predictor.fcfg, predictor.lin)
        self.state = None

    def step(self, code: int) -> tuple[int, int]:
        values, sh = self.features.step_integer(code)
        sh = np.array([sh], dtype=np.int64)
        uq = self.p.quantize_inputs(values[None].astype(np.int64), sh)
        outs, self.state = reference.run(self.p.qg, self.p._feeds(uq), self.state)
        return self._out(code, outs["out"][0], sh)

    def _out(self, code: int, out: np.ndarray, sh: np.ndarray) -> tuple[int, int]:
        L, ls = self.p.outputs(np.array([code], dtype=np.int64), out[:, 0], out[:, 1], sh)
        return int(L[0]), int(ls[0])

    def advance(self, code: int) -> np.ndarray:
        """MiddleOut: take x[t]; returns the latent z(t) (int64, latent width)."""
        values, sh = self.features.step_integer(code)
        self.code, self.sh = code, np.array([sh], dtype=np.int64)
        uq = self.p.quantize_inputs(values[None].astype(np.int64), self.sh)
        outs, self.state = reference.run(self.p.latent_qg, {"u": uq[None]}, self.state)
        self.z = outs[LATENT][0]
        return self.z[0]

    def head(self, mean: np.ndarray) -> tuple[int, int]:
        """MiddleOut: the prediction for x[t+1] from z(t) and the peers' mean."""
        outs, _ = reference.run(self.p.head_qg, {LATENT: self.z[None], "peer_mean": mean[None, None]})
        return self._out(self.code, outs["out"][0], self.sh)


class ReferenceCodec:
    """One compiled predictor with one coder, in Python integers."""

    def __init__(self, predictor: Predictor, coder: str = DEFAULT_CODER, max_error: int = 0):
        """max_error: the near-lossless bound D (0: lossless; range coder only)."""
        self.predictor = predictor
        coders = coders_for_model(predictor.meta)
        if coder not in coders:
            raise CodecError(f"unknown coder {coder!r}; choose from {', '.join(sorted(coders))}")
        self.coder = coders[coder]
        self.CODEC_ID = self.coder.id
        self.NAME = f"{predictor.name}+{coder} (reference)"
        self.max_error = check_max_error(coder, max_error)

    def with_max_error(self, max_error: int) -> ReferenceCodec:
        return ReferenceCodec(self.predictor, self.coder.name, max_error)

    @cached_property
    def MODEL_ID(self) -> bytes:    # noqa: N802  (the codec interface's name)
        return self.predictor.identity()

    @property
    def middleout(self) -> bool:
        return self.predictor.middleout

    @property
    def peers(self) -> int:
        return int(self.predictor.meta["model"]["peers"]) if self.middleout else 0

    def predict(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.predictor.predict(codes)

    def encode_channels(self, channels: list, frame: int = 0, peers=None) -> bytes:
        channels = [np.asarray(c, dtype=np.int64) for c in channels]
        check_mode(self.coder.name, len(channels), frame)
        if self.max_error:
            return self._encode_near(channels, frame, as_peers(peers, len(channels)) if frame else None)
        if frame == 0:
            x = channels[0]
            if len(x) == 0:
                return b""
            L, ls = self.predict(x)     # rice_fixed / huffman_prior choose their parameter from these
            return self.coder.encode(x, aligned(L), aligned(ls))
        return self._encode_joint(channels, as_peers(peers, len(channels)))

    def _encode_joint(self, channels: list, peers: np.ndarray) -> bytes:
        shift = self.coder.pbits - 10
        preds = self.predictor.predict_joint(channels, peers)   # peers matter only with MiddleOut
        bounds = []
        for x, (L, ls) in zip(channels, preds):
            if len(x) == 0:
                bounds.append((np.zeros(0, np.int64), np.zeros(0, np.int64)))
                continue
            lo, hi = self.coder.cdf_bounds(x, aligned(L), aligned(ls))
            bounds.append((np.concatenate([[x[0] << shift], lo]), np.concatenate([[(x[0] + 1) << shift], hi])))
        c, t = time_major([len(x) for x in channels])
        if len(c) == 0:
            return b""
        lo = np.concatenate([b[0] for b in bounds])
        hi = np.concatenate([b[1] for b in bounds])
        at = np.cumsum([0] + [len(x) for x in channels])[c] + t    # (c, t) -> index in the concatenation
        enc = RangeEncoder(self.coder.pbits)
        enc.encode_all(lo[at].tolist(), hi[at].tolist())
        return enc.finish()

    def _loop(self, lengths: list, frame: int, peers, code) -> list:
        """The decoder's loop, which near-lossless encoding runs too: every (c, t) in coding
        order, ``code(i, c, t, prediction)`` gives the code the decoder sees (prediction
        None for a channel's first sample), and the channel's predictor advances on it."""
        out = [np.zeros(n, np.int16) for n in lengths]
        streams = [ReferenceStream(self.predictor) for _ in lengths]
        pending = [None] * len(lengths)       # each channel's prediction for its next code
        if frame == 0:
            order = [(0, t) for t in range(lengths[0])]
        else:
            order = list(zip(*(a.tolist() for a in time_major(lengths))))
        joint_mo = frame and self.middleout
        for i, (c, t) in enumerate(order):
            x = code(i, c, t, pending[c] if t else None)
            out[c][t] = x
            if not joint_mo:
                pending[c] = streams[c].step(x)
            elif i + 1 == len(order) or order[i + 1][1] != t:   # the time step is complete
                self._middleout_step(streams, peers, lengths, t, out, pending)
        return out

    def _encode_near(self, channels: list, frame: int, peers) -> bytes:
        """Near-lossless (docs/coders.md §6): the decoder's loop on the reconstructed codes."""
        enc = RangeEncoder(self.coder.pbits)
        shift, d, cdf = self.coder.pbits - 10, self.max_error, self.coder.cdf

        def code(i, c, t, pred):
            x = int(channels[c][t])
            if pred is None:
                enc.encode(x << shift, (x + 1) << shift)
                return x
            return encode_near(enc, cdf, x, pred[0], pred[1], d)

        if sum(len(x) for x in channels) == 0:
            return b""
        self._loop([len(x) for x in channels], frame, peers, code)
        return enc.finish()

    def decode_channels(self, payload: bytes, lengths: list, frame: int = 0, peers=None) -> list:
        check_mode(self.coder.name, len(lengths), frame)
        peers = as_peers(peers, len(lengths)) if frame else None
        dec = self.coder.decoder(payload)
        d = self.max_error

        def code(i, c, t, pred):
            if pred is None:
                return dec.decode_raw() if i else dec.decode_first()
            return decode_near(dec, pred[0], pred[1], d) if d else dec.decode_one(*pred)

        try:
            out = self._loop(list(lengths), frame, peers, code)
            dec.finish()
        except (ValueError, IndexError) as e:
            raise CodecError(f"corrupt bitstream: {e}") from None
        return out

    def _middleout_step(self, streams, peers, lengths, t, out, pending) -> None:
        """Every channel with a sample at t: its latent, then its prediction from the peers' mean."""
        active = [c for c, n in enumerate(lengths) if t < n]
        z = {c: streams[c].advance(int(out[c][t])) for c in active}
        for c in active:
            mine = [z[p] for p in peers[c].tolist() if p >= 0 and p in z]
            total = np.sum(mine, axis=0) if mine else np.zeros_like(z[c])
            pending[c] = streams[c].head(peer_mean(total, peers.shape[1]))

    def encode_codes(self, codes: np.ndarray) -> bytes:
        return self.encode_channels([codes])

    def decode_codes(self, payload: bytes, n: int) -> np.ndarray:
        return self.decode_channels(payload, [n])[0]
