"""Where the C runtime is, and its manifest (firmware/manifest.json).

The runtime ships inside the package (``spikey/_firmware`` in a wheel or an installed
tree); in a checkout it is the repository's top-level ``firmware/``. As emlearn exposes
``emlearn.includedir``, :func:`root` and :func:`include_dirs` give any build system the
paths, and :func:`sources` the files of a role, so that the lists live once, in the
manifest.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from .errors import NativeError

_PACKAGE = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def root() -> Path:
    """The firmware folder: the installed copy, else the checkout's."""
    for d in (_PACKAGE / "_firmware", _PACKAGE.parent / "firmware"):
        if (d / "manifest.json").is_file():
            return d
    raise NativeError(f"the C runtime is missing (no firmware/manifest.json next to {_PACKAGE}): reinstall spikey")


@lru_cache(maxsize=1)
def manifest() -> dict:
    return json.loads((root() / "manifest.json").read_text())


def _entry(path: str):
    node = manifest()
    for key in path.split("."):
        node = node[key]
    return node


def sources(role: str) -> list[Path]:
    """The C files of a role, e.g. ``runtime.coders``, ``host.codec``, ``hil.baseline``."""
    return [root() / p for p in _entry(role)]


def include_dirs(*groups: str) -> list[Path]:
    """The runtime's include directories, then those of the groups named (``host``,
    ``hil``, ``targets.cortex-m``)."""
    dirs = list(manifest()["include_dirs"])
    for g in groups:
        dirs += _entry(g)["include_dirs"]
    return [root() / d for d in dirs]


def path(relative: str) -> Path:
    """A file of the firmware folder by its relative path (e.g. a linker script)."""
    return root() / relative
