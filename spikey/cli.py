"""The ``spikey`` command: codec, synthetic recordings, benchmark, training.

Every failure a user can cause ends in one line on stderr and a non-zero exit status:
1 for bad input, 2 for bad usage (argparse), 3 for an internal error, 4 when
``decode --salvage`` restored a damaged stream with losses (reported on stderr and in a
JSON sidecar).
``spikey train`` runs the training program (``python -m spikey_train``, which needs torch)
in its place: the codec itself never imports the training package.
"""
from __future__ import annotations

import argparse
import os
import sys

from . import __version__, baseline, bench
from .codec import decode_dir, decode_file, encode_dir, encode_file
from .errors import CodecError, NativeError
from .events import files as events_files
from .events.params import FRAME as EVENT_FRAME
from .learned import DEFAULT_CODER, JOINT_FRAME, LearnedCodec
from .model.files import bundled_names
from .packets import JOINT_RESYNC
from .salvage_summary import salvage_summary
from .outputs import exit_cleanly_on_signals
from .recordings import RecordingError
from .recordings.synth import write_dir


def _codec(args):
    if args.mode == "events":
        if args.model or args.coder or args.baseline or args.resync is not None:
            raise CodecError("--mode events takes no --model, --coder, --baseline or --resync")
        return None
    if args.baseline:
        if args.model or args.coder or args.joint or args.max_error is not None:
            raise CodecError("--baseline takes no --model, --coder, --joint or --max-error")
        return baseline
    return LearnedCodec(args.model, args.coder or DEFAULT_CODER, 0 if args.max_error is None else args.max_error)


def _encode(args) -> int:
    codec = _codec(args)
    if codec is None:
        (events_files.encode_dir if args.joint else events_files.encode_file)(args.input, args.output, args.frame)
        return 0
    if args.joint:
        resync = args.resync if args.resync is not None else (0 if codec.max_error else JOINT_RESYNC)
        encode_dir(args.input, args.output, codec, args.frame or JOINT_FRAME, resync)
    else:
        encode_file(args.input, args.output, codec, args.resync or 0)
    return 0


def _decode(args) -> int:
    if not args.salvage and events_files.decode_path(args.input, args.output, args.joint):
        return 0
    decode = decode_dir if args.joint else decode_file
    report = decode(args.input, args.output, args.model, salvage=args.salvage)
    return salvage_summary(report, args.output) if report else 0


def _synth(args) -> int:
    paths = write_dir(args.out_dir, args.channels, args.seconds, args.seed,
                      sample_rate=args.rate, off_grid=args.off_grid)
    print(f"wrote {len(paths)} recordings to {args.out_dir}")
    return 0


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


MODEL_HELP = f"a model directory, or a bundled model: {', '.join(bundled_names())} (default: default)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spikey", description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--version", action="version", version=f"spikey {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("encode", help="compress a PCM16 mono WAV recording (or a folder of them, --joint)",
                       allow_abbrev=False)
    p.add_argument("input", help="a WAV file (with --joint: a folder of simultaneous recordings)")
    p.add_argument("output", help="the compressed stream to write (replaced atomically)")
    p.add_argument("--model", help=MODEL_HELP)
    p.add_argument("--coder", choices=("range", "rice_scaled", "rice_fixed", "huffman_prior"),
                   help=f"entropy coder of the learned codec (default: {DEFAULT_CODER})")
    p.add_argument("--baseline", action="store_true", help="first difference + adaptive Rice, no model")
    p.add_argument("--max-error", metavar="D",
                   help="near-lossless: every decoded sample within D ADC codes of the original "
                        "(0 = lossless, the default; range coder)")
    p.add_argument("--joint", action="store_true", help="every *.wav of INPUT as one stream of joint frames")
    p.add_argument("--mode", choices=("lossless", "events"), default="lossless",
                   help="lossless (default) or events: spike times and spike-band power (docs/bitstream.md)")
    p.add_argument("--frame", type=_positive_int,
                   help=f"samples per channel per frame (default {JOINT_FRAME} for a joint lossless stream; "
                        f"--mode events: the event frame, 1 to 32, default {EVENT_FRAME})")
    p.add_argument("--resync", type=int, metavar="SAMPLES",
                   help="packets of this many samples per channel, each coded afresh, so that damage costs "
                        f"only its packet's span (decode --salvage); 0: one payload (default: {JOINT_RESYNC}, "
                        "50 ms, with a lossless --joint; 0 per file and near-lossless)")
    p.set_defaults(func=_encode)

    p = sub.add_parser("decode", help="restore the exact WAV file(s) from a Spikey bitstream", allow_abbrev=False)
    p.add_argument("input", help="a stream written by spikey encode")
    p.add_argument("output", help="the WAV file, or OUT.npz for an event stream (with --joint: a folder "
                                  "for the recordings or their .npz files)")
    p.add_argument("--model", help=MODEL_HELP + "; it must be the model that made the stream")
    p.add_argument("--joint", action="store_true", help="the stream holds joint frames: write every channel")
    p.add_argument("--salvage", action="store_true",
                   help="decode every intact packet of a damaged packetised stream, fill the lost spans, "
                        "report them (stderr and OUTPUT.salvage.json) and exit with status 4")
    p.set_defaults(func=_decode)

    p = sub.add_parser("synth", help="write synthetic recordings in the challenge's format", allow_abbrev=False)
    p.add_argument("out_dir", help="folder for ch000.wav, ch001.wav, ... (created)")
    p.add_argument("--channels", type=_positive_int, default=8, help="recordings to write (default 8)")
    p.add_argument("--seconds", type=_positive_float, default=5.0, help="length of each (default 5)")
    p.add_argument("--seed", type=int, default=0, help="random seed: the same seed gives the same files (default 0)")
    p.add_argument("--rate", type=_positive_int, default=19531, help="sample rate in Hz (default 19531)")
    p.add_argument("--off-grid", type=int, default=0, help="samples per channel nudged off the 10-bit grid")
    p.set_defaults(func=_synth)

    p = sub.add_parser("bench", help="compression ratio and throughput on a folder of WAVs", allow_abbrev=False)
    bench.add_arguments(p)
    p.set_defaults(func=bench.run)

    # Listed for --help only: main() hands `spikey train ...` to the training program.
    sub.add_parser("train", help="train a Spikey model on a folder of recordings (needs torch: spikey[train])",
                   add_help=False)
    return parser


def _train(argv: list[str]) -> int:
    """``spikey train ARGS``: the training program in this process's place."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "spikey_train", *argv])
    return 3   # not reached


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["train"]:
        return _train(argv[1:])
    args = build_parser().parse_args(argv)
    exit_cleanly_on_signals()
    try:
        return args.func(args)
    except (CodecError, RecordingError, NativeError) as e:
        print(f"spikey: error: {str(e).splitlines()[0]}", file=sys.stderr)
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
