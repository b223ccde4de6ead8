"""Host builds of C through cffi: C sources + include dirs + cdef -> a loaded extension module.

The runtime codec's fast path (spikey.model.host) and codegen's host builds (codegen.host)
both come through here.

Out-of-line API mode (``FFI.set_source`` + ``compile``), built once into a cache
directory keyed by a SHA-256 of everything that affects the binary (sources, headers in
the include dirs, cdef, flags, Python and cffi versions, and the CPU when a flag says
``-march=native``). A second call with the same
inputs loads the cached ``.so`` without compiling. Builds happen in a private temporary
directory and are moved into place atomically, so concurrent builders do not collide, and
a cached module whose bytes no longer match the SHA-256 recorded when it was built (a
damaged or half-copied file) is removed and built again, never loaded.

Cache location: ``$SPIKEY_CACHE/cffi`` or ``$XDG_CACHE_HOME/spikey/cffi`` (default
``~/.cache/spikey/cffi``).
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path

import cffi

from .errors import NativeError

# Python's own CFLAGS carry -fwrapv, which would define signed overflow (and hide it from
# UBSan); the firmware is not built with it, so the host build must not be either.
DEFAULT_CFLAGS = ("-std=c99", "-O2", "-Wall", "-Wextra", "-fno-wrapv")
SANITIZE_FLAGS = ("-fsanitize=undefined", "-fno-sanitize-recover=all")
DIGEST_FILE = "SHA256SUMS"      # beside each cached module: its digest, checked before every load


def cache_root() -> Path:
    if os.environ.get("SPIKEY_CACHE"):
        return Path(os.environ["SPIKEY_CACHE"]) / "cffi"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "spikey" / "cffi"


def _cpu() -> str:
    """What ``-march=native`` compiles for: the machine and its CPU feature flags."""
    try:
        flags = next((ln for ln in Path("/proc/cpuinfo").read_text().splitlines()
                      if ln.startswith(("flags", "Features"))), "")
    except OSError:
        flags = ""
    return platform.machine() + ":" + flags


def host_has(feature: str) -> bool:
    """Whether this host's CPU reports the feature flag (e.g. "avx2")."""
    return feature in _cpu().split(":", 1)[1].split()


def _key(files: dict, cdef: str, include: str, include_dirs, cflags, ldflags) -> str:
    h = hashlib.sha256()
    native = _cpu() if any("native" in f for f in cflags) else ""
    for part in (cdef, include, repr(tuple(cflags)), repr(tuple(ldflags)), sys.version, cffi.__version__, native):
        h.update(part.encode() + b"\0")
    for name in sorted(files):
        h.update(name.encode() + b"\0" + files[name].encode() + b"\0")
    for d in include_dirs:
        for p in sorted(Path(d).glob("*.h")):
            h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()[:24]


def cdef_of(header: str | Path) -> str:
    """The cffi ``cdef`` of a C header: its text without the preprocessor lines (include
    guards, #include), which cffi cannot parse; cffi itself drops the comments. Such a
    header declares the functions and types a host glue exports, nothing else."""
    return "".join(line for line in Path(header).read_text().splitlines(keepends=True)
                   if not line.lstrip().startswith("#"))


def build(files: dict, cdef: str, include, include_dirs=(), cflags=DEFAULT_CFLAGS, ldflags=(),
          sanitize: bool = False, cache_dir: str | Path | None = None):
    """Compile ``files`` (name -> C or header text; ``*.c`` are compiled) with a cffi
    wrapper that includes the header(s) ``include`` (a name or a list) and the API
    ``cdef``; return the loaded module (``module.lib``, ``module.ffi``). ``sanitize`` adds
    UBSan (abort on any UB)."""
    include = "".join(f'#include "{h}"\n' for h in ([include] if isinstance(include, str) else include))
    cflags, ldflags = list(cflags), list(ldflags)
    if sanitize:
        cflags += SANITIZE_FLAGS
        ldflags += ["-fsanitize=undefined"]
    include_dirs = [str(Path(d).resolve()) for d in include_dirs]
    key = _key(files, cdef, include, include_dirs, cflags, ldflags)
    modname = f"_spk_{key}"
    if modname in sys.modules:
        return sys.modules[modname]
    root = Path(cache_dir) if cache_dir else cache_root()
    final = root / key
    so = next(final.glob(f"{modname}*.so"), None) if final.is_dir() else None
    if so is not None and not _intact(so):   # a damaged entry is never loaded: dlopen of it may crash
        shutil.rmtree(final, ignore_errors=True)
        so = None
    if so is None:
        _compile(files, cdef, include, include_dirs, cflags, ldflags, root, key, modname)
        so = next(final.glob(f"{modname}*.so"))
    return _load(modname, so)


def _digest(so: Path) -> str:
    return hashlib.sha256(so.read_bytes()).hexdigest()


def _intact(so: Path) -> bool:
    """Whether a cached module is the file that was built: its SHA-256, recorded beside it
    when it was built, still matches."""
    sums = so.parent / DIGEST_FILE
    try:
        return sums.read_text().split() == [_digest(so), so.name]
    except OSError:
        return False


def _load(modname: str, so: Path):
    spec = importlib.util.spec_from_file_location(modname, so)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    sys.modules[modname] = mod
    return mod


def _compile(files: dict, cdef: str, include: str, include_dirs, cflags, ldflags, root: Path, key: str,
             modname: str) -> None:
    """Build the module in a private temporary folder of ``root`` and move it to ``root/key``
    in one rename (a concurrent builder that wins the race leaves its own, equal, copy)."""
    final = root / key
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=key + ".", dir=root))
    try:
        src = tmp / "src"
        src.mkdir()
        for name, text in files.items():
            (src / name).write_text(text)
        ffi = cffi.FFI()
        ffi.cdef(cdef)
        ffi.set_source(modname, include,
                       sources=[str(src / n) for n in sorted(files) if n.endswith(".c")],
                       include_dirs=[str(src), *include_dirs],
                       extra_compile_args=cflags, extra_link_args=ldflags)
        try:
            built = Path(ffi.compile(tmpdir=str(tmp), verbose=False))
        except Exception as e:  # noqa: BLE001 - distutils/setuptools raise various types
            why = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise NativeError(f"host build of {', '.join(sorted(n for n in files if n.endswith('.c')))} "
                              f"failed: {why}") from e
        (tmp / "out").mkdir()
        shutil.copy2(built, tmp / "out" / built.name)
        (tmp / "out" / DIGEST_FILE).write_text(f"{_digest(tmp / 'out' / built.name)}  {built.name}\n")
        for name in files:
            shutil.copy2(src / name, tmp / "out" / name)
        try:
            os.replace(tmp / "out", final)
        except OSError:
            if not final.is_dir():   # lost a race: somebody else installed it
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
