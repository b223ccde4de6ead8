"""The errors the codec raises; each message is one line."""


class CodecError(ValueError):
    """Bad or corrupt input to the codec (a bitstream, a model, an output path)."""


class NativeError(RuntimeError):
    """The host C build of a codec failed (no compiler, a compile error); the message says which."""


class PayloadTooLarge(CodecError):
    """An encoder's payload would not fit its buffer (more than the stored fallback takes,
    or past the coder's payload limit): the caller stores the samples instead."""
