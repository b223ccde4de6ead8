"""The ``spikey`` command: codec, synthetic recordings, benchmark, training.

Every failure a user can cause ends in one line on stderr and a non-zero exit status:
1 for bad input, 2 for bad usage (argparse), 3 for an internal error.
"""
from __future__ import annotations

import argparse
import os
import sys

from spikey_train.recordings import RecordingError

from .errors import CodecError


def _codec(args):
    if args.baseline:
        if args.model or args.coder or args.reference or args.joint:
            raise CodecError("--baseline takes no --model, --coder, --reference or --joint")
        from . import baseline
        return baseline
    from .learned import DEFAULT_CODER, LearnedCodec
    return LearnedCodec(args.model, args.coder or DEFAULT_CODER, reference=args.reference)


def _encode(args) -> int:
    from .codec import encode_dir, encode_file
    codec = _codec(args)
    if args.joint:
        encode_dir(args.input, args.output, codec, args.frame)
    else:
        encode_file(args.input, args.output, codec)
    return 0


def _decode(args) -> int:
    from .codec import decode_dir, decode_file
    if args.joint:
        decode_dir(args.input, args.output, args.model, args.reference)
    else:
        decode_file(args.input, args.output, args.model, args.reference)
    return 0


def _synth(args) -> int:
    from spikey_train.recordings.synth import write_dir
    paths = write_dir(args.out_dir, args.channels, args.seconds, args.seed,
                      sample_rate=args.rate, off_grid=args.off_grid)
    print(f"wrote {len(paths)} recordings to {args.out_dir}")
    return 0


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spikey", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    from .learned import JOINT_FRAME
    p = sub.add_parser("encode", help="compress a PCM16 mono WAV recording (or a folder of them, --joint)")
    p.add_argument("input", help="a WAV file (with --joint: a folder of simultaneous recordings)")
    p.add_argument("output")
    p.add_argument("--model", help="model directory (default: the bundled model)")
    p.add_argument("--coder", choices=("range", "rice_scaled", "rice_fixed", "huffman_prior"),
                   help="entropy coder of the learned codec (default: range)")
    p.add_argument("--baseline", action="store_true", help="first difference + adaptive Rice, no model")
    p.add_argument("--reference", action="store_true", help="run the Python integer reference, not the C")
    p.add_argument("--joint", action="store_true", help="every *.wav of INPUT as one stream of joint frames")
    p.add_argument("--frame", type=_positive_int, default=JOINT_FRAME,
                   help=f"samples per channel per joint frame (default {JOINT_FRAME})")
    p.set_defaults(func=_encode)

    p = sub.add_parser("decode", help="restore the exact WAV file(s) from a Spikey bitstream")
    p.add_argument("input")
    p.add_argument("output", help="the WAV file (with --joint: a folder for the recordings)")
    p.add_argument("--model", help="model directory (default: the bundled model)")
    p.add_argument("--reference", action="store_true", help="run the Python integer reference, not the C")
    p.add_argument("--joint", action="store_true", help="the stream holds joint frames: write every channel")
    p.set_defaults(func=_decode)

    p = sub.add_parser("synth", help="write synthetic recordings in the challenge's format")
    p.add_argument("out_dir")
    p.add_argument("--channels", type=_positive_int, default=8)
    p.add_argument("--seconds", type=_positive_float, default=5.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--rate", type=_positive_int, default=19531, help="sample rate in Hz")
    p.add_argument("--off-grid", type=int, default=0, help="samples per channel nudged off the 10-bit grid")
    p.set_defaults(func=_synth)

    from . import bench
    p = sub.add_parser("bench", help="compression ratio and throughput on a folder of WAVs")
    bench.add_arguments(p)
    p.set_defaults(func=bench.run)

    # Listed for --help only: main() hands `spikey train ...` to spikey_train.train, so
    # that torch is imported when training and by no other command.
    sub.add_parser("train", help="train a Spikey model on a folder of recordings (torch, CPU)")
    return parser


def _train(args) -> int:
    from spikey_train.train import run
    try:
        return run(args)
    except (ValueError, OSError) as e:   # a bad config, data folder or output folder
        raise CodecError(str(e).splitlines()[0]) from None


def _train_parser() -> argparse.ArgumentParser:
    from spikey_train.train import add_arguments
    parser = argparse.ArgumentParser(prog="spikey train", description="train a Spikey model (torch, CPU)")
    add_arguments(parser)
    return parser


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["train"]:
        args = _train_parser().parse_args(argv[1:])
        args.func = _train
    else:
        args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (CodecError, RecordingError) as e:
        print(f"spikey: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("spikey: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # a bug, not bad input: still one line unless asked for more
        if os.environ.get("SPIKEY_DEBUG"):
            raise
        print(f"spikey: internal error: {type(e).__name__}: {e} (set SPIKEY_DEBUG=1 for a traceback)",
              file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
