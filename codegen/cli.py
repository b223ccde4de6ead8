"""The ``codegen`` command: build firmware from a model, and print build reports.

Failures end in one line on stderr: exit 1 for a build or input error, 2 for usage.
"""
from __future__ import annotations

import argparse
import os
import sys

from . import build, report_cli
from .errors import CodegenError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="codegen", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("build", help="quantise a model, generate its C predictor and build it for a target")
    build.add_arguments(p)
    p.set_defaults(func=build.run)
    p = sub.add_parser("report", help="print a build's report again, re-priced or beside another build")
    report_cli.add_arguments(p)
    p.set_defaults(func=report_cli.run)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CodegenError as e:
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
