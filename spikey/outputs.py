"""Writing results without ever leaving part of them: a folder of files moved into place
whole, the refusal to overwrite an input, and termination signals turned into exceptions
so that every clean-up runs (docs/bitstream.md, "Guarantees").
"""
from __future__ import annotations

import os
import shutil
import signal
import tempfile
from pathlib import Path

from .errors import CodecError

TERMINATING = ("SIGTERM", "SIGHUP")


class Terminated(SystemExit):
    """A termination signal arrived: unwinds the stack (running every clean-up), then exits
    with status 128 + the signal number."""


def _raise_terminated(signum, _frame):
    raise Terminated(128 + signum)


def exit_cleanly_on_signals() -> None:
    """SIGTERM and SIGHUP unwind like Ctrl-C does, so temporary files are removed."""
    for name in TERMINATING:
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _raise_terminated)


def refuse_same_file(src, dst) -> None:
    """Refuse to write ``dst`` when it is the input ``src`` itself (the same path, a hard
    link or a symbolic link to it): the output would replace what it was made from."""
    try:
        same = os.path.samefile(src, dst)
    except OSError:   # dst does not exist (or src cannot be read: reading it will say so)
        return
    if same:
        raise CodecError(f"output {dst} is the input {src}: choose another output")


def write_files_atomic(dst_dir, files: list) -> None:
    """Write (name, bytes) pairs into ``dst_dir`` (created) so that a failure at any point,
    a signal included, leaves none of them: they are written into a temporary folder next
    to their places, then moved in; a failed move takes back the files already moved."""
    dst_dir = Path(dst_dir)
    try:
        dst_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".spikey.", suffix=".tmp", dir=dst_dir))
    except OSError as e:
        raise CodecError(f"cannot create {dst_dir}: {e.strerror}") from None
    moved = []
    try:
        mode = 0o666 & ~_umask()
        for name, data in files:
            with open(tmp / name, "xb") as f:
                f.write(data)
            os.chmod(tmp / name, mode)
        for name, _ in files:
            os.replace(tmp / name, dst_dir / name)
            moved.append(dst_dir / name)
    except BaseException as e:
        for path in moved:
            path.unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise CodecError(f"cannot write {dst_dir / (e.filename and Path(e.filename).name or '')}: "
                             f"{e.strerror}") from None
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask
