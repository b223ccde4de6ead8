"""The ``codegen`` command: compile and build firmware from a model, verify it, print build reports.

Failures end in one line on stderr: exit 1 for a build or input error, 2 for usage, 3 for an
internal error (a bug).
"""
from __future__ import annotations

import argparse
import os
import sys

from spikey import __version__
from spikey.errors import CodecError, NativeError

from . import build, build_events, verify
from .compile import compile_dir
from .errors import CodegenError
from .plan import cli as plan_cli
from .report import cli as report_cli


def _compile(args) -> int:
    compile_dir(args.model_dir, log=print)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="codegen", description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--version", action="version", version=f"codegen (spikey) {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("build", help="quantise a model, generate its C and build it for a target", allow_abbrev=False)
    build.add_arguments(p)
    p.set_defaults(func=build_events.run)          # --mode events, else codegen.build.run
    p = sub.add_parser("compile", help="compile a trained model for the codec (writes MODEL_DIR/compiled/)",
                       allow_abbrev=False)
    p.add_argument("model_dir", help="a model directory (model.onnx + model.json)")
    p.set_defaults(func=_compile)
    p = sub.add_parser("verify", help="the host C against the Python reference on recordings, byte for byte",
                       allow_abbrev=False)
    verify.add_arguments(p)
    p.set_defaults(func=verify.run)
    p = sub.add_parser("report", help="print a build's report again, re-priced or beside another build",
                       allow_abbrev=False)
    report_cli.add_arguments(p)
    p.set_defaults(func=report_cli.run)
    p = sub.add_parser("plan", help="which measured builds fit a budget (builds what is missing)", allow_abbrev=False)
    plan_cli.add_arguments(p)
    p.set_defaults(func=plan_cli.run)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (CodegenError, CodecError, NativeError) as e:
        print(f"codegen: error: {str(e).splitlines()[0]}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("codegen: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # a bug, not bad input: still one line unless asked for more
        if os.environ.get("SPIKEY_DEBUG"):
            raise
        print(f"codegen: internal error: {type(e).__name__}: {e} (set SPIKEY_DEBUG=1 for a traceback)",
              file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
