"""The one error type the codec raises for bad input; its message is one line."""


class CodecError(ValueError):
    """Bad or corrupt input to the codec (a bitstream, a model, an output path)."""
