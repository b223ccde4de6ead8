"""Locate the external tools the firmware builds need, and run them."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ..errors import BuildError, ToolchainMissing

INSTALL_HINT = "apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm"


def _which(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ToolchainMissing(f"{name} not found on PATH; install it with: {INSTALL_HINT}")
    return path


def arm_gcc() -> str:
    return _which("arm-none-eabi-gcc")


def arm_size() -> str:
    return _which("arm-none-eabi-size")


def qemu_system_arm() -> str:
    return _which("qemu-system-arm")


def missing_tools() -> list[str]:
    """Names of the cross tools that are absent (empty when a HIL run is possible)."""
    return [t for t in ("arm-none-eabi-gcc", "arm-none-eabi-size", "qemu-system-arm") if shutil.which(t) is None]


def run(cmd: list[str], what: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run a build command; raise BuildError naming the step and quoting the tool's output."""
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        out = (proc.stderr or proc.stdout).strip()
        raise BuildError(f"{what} failed (exit {proc.returncode}): {' '.join(map(str, cmd))}\n{out}")
    return proc


def version(tool: str) -> str:
    """First line of `tool --version` (for build reports and cache keys)."""
    return subprocess.run([tool, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
