"""The learned codec: a compiled model's integer predictor + a model-driven entropy coder.

Per channel, zero lookahead: the first code travels by the coder's "first" rule, every
later code ``x[t]`` under the prediction ``(L, log2s_q8)`` the integer predictor made from
``x[0..t-1]``. A stream holds one channel (per-file mode, the challenge's rule) or several
in one time-major joint stream (every time step's channels in index order, as an implant
codes them; MiddleOut models pass messages between peers at every step).

This is the runtime's codec: it runs the compiled model's generated C on the host
(spikey.model.host). The Python reference of the same codec is codegen.reference.codec
(the specification); the two produce the same bytes, and the tests check that they do.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import near_lossless
from .coders.registry import coders_for_model
from .coders.rice_coders import residual_u
from .errors import CodecError, PayloadTooLarge
from .model import compiled as compiled_model
from .model.compiled import CompiledModel
from .model.files import resolve
from .model.host import HostCodec

DEFAULT_CODER = "range"
JOINT_CODERS = ("range",)           # coders whose joint streams the reference also writes
JOINT_FRAME = 64                    # samples per channel per frame in joint streams
SPK_ERR_OVERFLOW = 1                # spikey_status.h: the encoder's output buffer is full


@lru_cache(maxsize=8)
def load_model(model=None) -> CompiledModel:
    """``--model``: the bundled default (None), a bundled model's name or a directory."""
    return compiled_model.load(resolve(model))


@lru_cache(maxsize=8)
def host_codec(model: CompiledModel) -> HostCodec:
    """The model's codec compiled for the host (built once, then loaded from the cffi cache)."""
    return HostCodec(model)


def aligned(pred: np.ndarray) -> np.ndarray:
    """Predictions as the coders take them: entry t for x[t] (entry 0 unused)."""
    return np.concatenate([[0], pred[:-1]]).astype(np.int64)


def time_major(lengths: list) -> tuple[np.ndarray, np.ndarray]:
    """(channel, t) of every code of a joint stream in coding order: time step after time
    step, the channels that still have a sample at t in index order."""
    n = np.asarray(lengths, dtype=np.int64)
    t, c = np.nonzero(np.arange(int(n.max(initial=0)))[:, None] < n[None, :])
    return c, t


def as_peers(peers, n_channels: int) -> np.ndarray:
    """Peers as a (channels, K) int64 array (K = 0 for none)."""
    return np.zeros((n_channels, 0), np.int64) if peers is None else np.asarray(peers, np.int64).reshape(n_channels, -1)


def check_mode(coder: str, n_channels: int, frame: int) -> None:
    """The stream layouts a coder writes: per file (one channel), or joint (range only)."""
    if frame and coder not in JOINT_CODERS:
        raise CodecError(f"joint frames need the {' or '.join(JOINT_CODERS)} coder, not {coder}")
    if not frame and n_channels != 1:
        raise CodecError(f"a per-file stream holds one channel, not {n_channels}")


def check_max_error(coder: str, max_error) -> int:
    """The near-lossless bound D a codec takes: 0..NEAR_MAX_ERROR, and D >= 1 with the range
    coder only (the bins are intervals of its model CDF)."""
    d = near_lossless.check_max_error(max_error)
    if d and coder != "range":
        raise CodecError(f"--max-error needs the range coder, not {coder}")
    return d


def needs_param(coder, x: np.ndarray) -> bool:
    """Whether the coder sends a per-channel parameter in its header: rice_fixed's k and
    huffman_prior's p, for a channel of two or more codes."""
    return len(x) >= 2 and coder.name in ("rice_fixed", "huffman_prior")


def channel_param(coder, x: np.ndarray, L: np.ndarray) -> int:
    """That parameter (the one with the fewest bits for this channel), or 0. ``L`` are the
    aligned locations (entry t predicts x[t])."""
    if not needs_param(coder, x):
        return 0
    if coder.name == "rice_fixed":
        return coder.best_k(x, L)
    return coder.best_param(residual_u(x[1:], L[1:]))


class LearnedCodec:
    """One compiled model with one coder, through the generated C on the host."""

    def __init__(self, model=None, coder: str = DEFAULT_CODER, max_error: int = 0):
        """model: a CompiledModel, or what ``--model`` takes (None: the bundled default);
        max_error: the near-lossless bound D in codes (0: lossless; range coder only)."""
        self.model = model if isinstance(model, CompiledModel) else load_model(model)
        coders = coders_for_model(self.model.meta)
        if coder not in coders:
            raise CodecError(f"unknown coder {coder!r}; choose from {', '.join(sorted(coders))}")
        self.coder = coders[coder]
        self.CODEC_ID = self.coder.id
        self.MODEL_ID = self.model.identity
        self.NAME = f"{self.model.name}+{coder}"
        self.max_error = check_max_error(self.coder.name, max_error)

    def with_max_error(self, max_error: int) -> LearnedCodec:
        """The same model and coder with another near-lossless bound."""
        return LearnedCodec(self.model, self.coder.name, max_error)

    @property
    def middleout(self) -> bool:
        """Joint streams of this model carry peers and pass messages between channels."""
        return self.model.middleout

    @property
    def peers(self) -> int:
        """K, the peer slots of this model's joint streams (0 without MiddleOut)."""
        return self.model.peers

    def predict(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(L, log2s_q8) int64 of one channel: row t predicts x[t+1]."""
        return host_codec(self.model).predict(codes)

    def param(self, x: np.ndarray) -> int:
        """This coder's header parameter for the channel ``x`` (see :func:`channel_param`)."""
        return channel_param(self.coder, x, aligned(self.predict(x)[0])) if needs_param(self.coder, x) else 0

    def encode_channels(self, channels: list, frame: int = 0, peers=None) -> bytes:
        """Code the channels' 10-bit codes into one payload (frame 0: one channel, whole;
        else a joint stream, time-major, with the MiddleOut ``peers`` (channels, K))."""
        channels = [np.asarray(c, dtype=np.int64) for c in channels]
        check_mode(self.coder.name, len(channels), frame)
        peers = as_peers(peers, len(channels)) if frame else None
        st, payload = host_codec(self.model).encode(self.coder.id, channels, frame,
                                                    [self.param(x) for x in channels], peers=peers,
                                                    max_error=self.max_error)
        if st == SPK_ERR_OVERFLOW:
            raise PayloadTooLarge(f"the {self.NAME} payload would be longer than its buffer")
        if st != 0:
            raise CodecError(f"the C encoder failed with status {st}")
        return payload

    def decode_channels(self, payload: bytes, lengths: list, frame: int = 0, peers=None) -> list:
        check_mode(self.coder.name, len(lengths), frame)
        peers = as_peers(peers, len(lengths)) if frame else None
        st, channels = host_codec(self.model).decode(self.coder.id, payload, list(lengths), frame, peers=peers,
                                                     max_error=self.max_error)
        if st != 0:
            raise CodecError("corrupt bitstream: the payload does not decode to the recorded sample counts")
        return [c.astype(np.int16) for c in channels]

    # --- the per-file interface of spikey.codec ---------------------------------------------

    def encode_codes(self, codes: np.ndarray) -> bytes:
        return self.encode_channels([codes])

    def decode_codes(self, payload: bytes, n: int) -> np.ndarray:
        return self.decode_channels(payload, [n])[0]
