"""The learned codec: the Spikey model's integer predictor + a model-driven entropy coder.

Per channel, zero lookahead: the first code travels by the coder's "first" rule, every
later code ``x[t]`` under the prediction ``(L, log2s_q8)`` the integer predictor made from
``x[0..t-1]``. A stream holds one channel (per-file mode, the challenge's rule) or several
coded in joint frames (``frame`` samples per channel, the channels of a frame one after
another, as an implant codes them).

Two implementations produce the same bytes: the Python reference (``codegen.predictor``
and ``spikey.coders``, the specification) and the generated C through cffi
(``codegen.host_codec``, the fast path). Both are checked against each other in tests.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

import spikey_train
from spikey_train import features as ft

from .coders.model_cdf import edges_from_meta
from .coders.range_coder import RangeEncoder
from .coders.registry import coders_for_model
from .errors import CodecError

DEFAULT_MODEL = Path(spikey_train.__file__).parent / "models" / "default"
MIDDLEOUT_MODEL = DEFAULT_MODEL.parent / "joint-middleout"   # the bundled MiddleOut model (joint streams)
DEFAULT_CODER = "range"
JOINT_CODERS = ("range",)           # coders whose joint streams the reference also writes
JOINT_FRAME = 64                    # samples per channel per frame in joint streams
FAMILY_IDS = {"logistic": 0, "laplace": 1}


@dataclass(frozen=True, eq=False)   # hashed by identity: load_model caches one per folder
class Model:
    """A trained model compiled to its integer predictor, with its generated C."""
    directory: Path
    meta: dict
    predictor: object               # codegen.predictor.Predictor
    edges: np.ndarray               # Q16 code edges of the coder (int64, 1025)
    family: str

    @cached_property                 # a digest of the whole integer IR: computed once
    def identity(self) -> bytes:
        return self.predictor.identity()


@lru_cache(maxsize=4)
def load_model(directory=None) -> Model:
    """Load a model directory (model.onnx + model.json) and compile its integer predictor."""
    from codegen.errors import CodegenError
    from codegen.predictor import calibration_codes, compile_model
    from spikey_train.model_files import load_model as load_files

    directory = Path(directory or DEFAULT_MODEL)
    if not (directory / "model.json").is_file():
        raise CodecError(f"not a Spikey model directory (no model.json): {directory}")
    try:
        _, meta = load_files(directory)
        predictor = compile_model(directory, calibration_codes())
    except (CodegenError, ValueError, OSError, KeyError) as e:
        raise CodecError(f"cannot load the model in {directory}: {str(e).splitlines()[0]}") from None
    return Model(directory, meta, predictor, edges_from_meta(meta), meta["coder"]["family"])


def model_from_predictor(directory, meta: dict, predictor) -> Model:
    """A Model around an already compiled predictor (e.g. a ``codegen build`` with its own options)."""
    return Model(Path(directory), meta, predictor, edges_from_meta(meta), meta["coder"]["family"])


@lru_cache(maxsize=4)
def host_codec(model: Model):
    """The model's codec compiled for the host (built once, then loaded from the cffi cache)."""
    from codegen.cgen_predictor import generate
    from codegen.host_codec import HostCodec
    return HostCodec(generate(model.predictor, kernel="columns"))


def _aligned(pred: np.ndarray) -> np.ndarray:
    """Predictions as the coders take them: entry t for x[t] (entry 0 unused)."""
    return np.concatenate([[0], pred[:-1]]).astype(np.int64)


class ReferenceStream:
    """The integer predictor one sample at a time (the decoder's view of the reference).

    ``step`` is the per-file predictor (peer mean 0). MiddleOut models in a joint stream
    split it: ``advance`` (features and projector: the latent z), then ``head`` with the
    peers' mean."""

    def __init__(self, predictor):
        self.p = predictor
        self.features = ft.StreamingFeatures(predictor.fcfg, predictor.lin)
        self.state = None

    def step(self, code: int) -> tuple[int, int]:
        from codegen import reference
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
        from codegen import reference
        from codegen.predictor import LATENT
        values, sh = self.features.step_integer(code)
        self.code, self.sh = code, np.array([sh], dtype=np.int64)
        uq = self.p.quantize_inputs(values[None].astype(np.int64), self.sh)
        outs, self.state = reference.run(self.p.latent_qg, {"u": uq[None]}, self.state)
        self.z = outs[LATENT][0]
        return self.z[0]

    def head(self, mean: np.ndarray) -> tuple[int, int]:
        """MiddleOut: the prediction for x[t+1] from z(t) and the peers' mean."""
        from codegen import reference
        from codegen.predictor import LATENT
        outs, _ = reference.run(self.p.head_qg, {LATENT: self.z[None], "peer_mean": mean[None, None]})
        return self._out(self.code, outs["out"][0], self.sh)


def time_major(lengths: list) -> tuple[np.ndarray, np.ndarray]:
    """(channel, t) of every code of a joint stream in coding order: time step after time
    step, the channels that still have a sample at t in index order."""
    n = np.asarray(lengths, dtype=np.int64)
    t, c = np.nonzero(np.arange(int(n.max(initial=0)))[:, None] < n[None, :])
    return c, t


def _peers(peers, n_channels: int) -> np.ndarray:
    """Peers as a (channels, K) int64 array (K = 0 for none)."""
    return np.zeros((n_channels, 0), np.int64) if peers is None else np.asarray(peers, np.int64).reshape(n_channels, -1)


class LearnedCodec:
    """One model with one coder; ``reference=True`` runs the Python reference, else the C."""

    def __init__(self, model_dir=None, coder: str = DEFAULT_CODER, reference: bool = False,
                 model: Model | None = None):
        self.model = model if model is not None else load_model(model_dir)
        coders = coders_for_model(self.model.meta)
        if coder not in coders:
            raise CodecError(f"unknown coder {coder!r}; choose from {', '.join(sorted(coders))}")
        self.coder = coders[coder]
        self.reference = reference
        self.CODEC_ID = self.coder.id
        self.MODEL_ID = self.model.identity
        self.NAME = f"{self.model.meta.get('name', 'model')}+{coder}"

    # --- the two paths -------------------------------------------------------------------------

    def predict(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.reference:
            return self.model.predictor.predict(codes)
        return host_codec(self.model).predict(codes)

    def _param(self, x: np.ndarray) -> int:
        """The per-channel parameter of rice_fixed (k) and huffman_prior (p), else 0."""
        if len(x) < 2 or self.coder.name not in ("rice_fixed", "huffman_prior"):
            return 0
        from .coders.rice_coders import residual_u
        L = _aligned(self.predict(x)[0])
        if self.coder.name == "rice_fixed":
            return self.coder.best_k(x, L)
        return self.coder.best_param(residual_u(x[1:], L[1:]))

    @property
    def middleout(self) -> bool:
        """Joint streams of this model carry peers and pass messages between channels."""
        return self.model.predictor.middleout

    def encode_channels(self, channels: list, frame: int = 0, peers=None) -> bytes:
        """Code the channels' 10-bit codes into one payload (frame 0: one channel, whole;
        else a joint stream, time-major, with the MiddleOut ``peers`` (channels, K))."""
        channels = [np.asarray(c, dtype=np.int64) for c in channels]
        self._check_mode(len(channels), frame)
        peers = _peers(peers, len(channels)) if frame else None
        if not self.reference:
            model = self.model
            st, payload = host_codec(model).encode(self.coder.id, channels, frame,
                                                    [self._param(x) for x in channels],
                                                    model.edges, FAMILY_IDS[model.family], peers=peers)
            if st != 0:
                raise CodecError(f"the C encoder failed with status {st}")
            return payload
        if frame == 0:
            x = channels[0]
            if len(x) == 0:
                return b""
            L, ls = self.predict(x)
            return self.coder.encode(x, _aligned(L), _aligned(ls))
        return self._encode_joint_reference(channels, peers)

    def decode_channels(self, payload: bytes, lengths: list, frame: int = 0, peers=None) -> list:
        self._check_mode(len(lengths), frame)
        peers = _peers(peers, len(lengths)) if frame else None
        if not self.reference:
            model = self.model
            st, channels = host_codec(model).decode(self.coder.id, payload, list(lengths), frame,
                                                     model.edges, FAMILY_IDS[model.family], peers=peers)
            if st != 0:
                raise CodecError("corrupt bitstream: the payload does not decode to the recorded sample counts")
            return [c.astype(np.int16) for c in channels]
        return self._decode_reference(payload, list(lengths), frame, peers)

    def _check_mode(self, n_channels: int, frame: int) -> None:
        if frame and self.coder.name not in JOINT_CODERS:
            raise CodecError(f"joint frames need the {' or '.join(JOINT_CODERS)} coder, not {self.coder.name}")
        if not frame and n_channels != 1:
            raise CodecError(f"a per-file stream holds one channel, not {n_channels}")

    # --- the reference ---------------------------------------------------------------------------

    def _encode_joint_reference(self, channels: list, peers: np.ndarray) -> bytes:
        shift = self.coder.pbits - 10
        preds = self.model.predictor.predict_joint(channels, peers)   # peers matter only with MiddleOut
        bounds = []
        for x, (L, ls) in zip(channels, preds):
            if len(x) == 0:
                bounds.append((np.zeros(0, np.int64), np.zeros(0, np.int64)))
                continue
            lo, hi = self.coder.cdf_bounds(x, _aligned(L), _aligned(ls))
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

    def _decode_reference(self, payload: bytes, lengths: list, frame: int, peers) -> list:
        dec = self.coder.decoder(payload)
        out = [np.zeros(n, np.int16) for n in lengths]
        streams = [ReferenceStream(self.model.predictor) for _ in lengths]
        pending = [None] * len(lengths)       # each channel's prediction for its next code
        if frame == 0:
            order = [(0, t) for t in range(lengths[0])]
        else:
            order = list(zip(*(a.tolist() for a in time_major(lengths))))
        joint_mo = frame and self.middleout
        try:
            for i, (c, t) in enumerate(order):
                if t == 0:
                    x = dec.decode_raw() if i else dec.decode_first()
                else:
                    x = dec.decode_one(*pending[c])
                out[c][t] = x
                if not joint_mo:
                    pending[c] = streams[c].step(x)
                elif i + 1 == len(order) or order[i + 1][1] != t:   # the time step is complete
                    self._middleout_step(streams, peers, lengths, t, out, pending)
            dec.finish()
        except (ValueError, IndexError) as e:
            raise CodecError(f"corrupt bitstream: {e}") from None
        return out

    def _middleout_step(self, streams, peers, lengths, t, out, pending) -> None:
        """Every channel with a sample at t: its latent, then its prediction from the peers' mean."""
        from codegen.predictor import peer_mean
        active = [c for c, n in enumerate(lengths) if t < n]
        z = {c: streams[c].advance(int(out[c][t])) for c in active}
        for c in active:
            mine = [z[p] for p in peers[c].tolist() if p >= 0 and p in z]
            total = np.sum(mine, axis=0) if mine else np.zeros_like(z[c])
            pending[c] = streams[c].head(peer_mean(total, peers.shape[1]))

    # --- the per-file interface of spikey.codec ---------------------------------------------------

    def encode_codes(self, codes: np.ndarray) -> bytes:
        return self.encode_channels([codes])

    def decode_codes(self, payload: bytes, n: int) -> np.ndarray:
        return self.decode_channels(payload, [n])[0]
