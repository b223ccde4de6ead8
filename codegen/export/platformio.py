"""The exported PlatformIO project (``out/platformio/``): the example firmware for a
Cortex-M core and the C API's unit tests on the host, built offline.

    platformio.ini           envs <core> (pio run) and native (pio test -e native)
    platform/                the local bare-metal platform (firmware/platformio/platform) + this core's board
    toolchain/               a toolchain package: package.json + bin/ links to /usr/bin/arm-none-eabi-*
    src/                     the example (main.c) + the target's startup and semihosting code
    link.ld                  the target's linker script (firmware/targets/cortex-m)
    test/                    the C API's tests and PlatformIO's custom runner for them
    seed_scons.py            seeds tool-scons from PyPI's scons (the one package pio would download)

The library itself is the build folder (``lib_deps = spikey=symlink://..``).
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from string import Template

from spikey import firmware

from ..emit.env import render
from ..target.targets import DEFAULT_TARGET, TARGETS

PROJECT = "platformio"
TOOLCHAIN = "toolchain-arm-none-eabi-debian"
TOOLS = ("gcc", "g++", "cpp", "ar", "as", "ld", "nm", "objcopy", "objdump", "ranlib", "readelf", "size", "strip")
SYSTEM_BIN = Path("/usr/bin")


def _gcc_version(gcc: Path) -> str:
    """The toolchain package's version: arm-none-eabi-gcc -dumpversion (semver), else 0.0.0."""
    try:
        out = subprocess.run([str(gcc), "-dumpversion"], check=False, capture_output=True, text=True, timeout=30).stdout.strip()
    except OSError:
        return "0.0.0"
    return out if re.fullmatch(r"\d+\.\d+\.\d+", out) else "0.0.0"


def write_toolchain(folder: Path, bin_dir: Path = SYSTEM_BIN) -> None:
    """A PlatformIO toolchain package whose bin/ links to the system's arm-none-eabi tools:
    PlatformIO needs a package.json (a symlink:// to /usr alone has none)."""
    (folder / "bin").mkdir(parents=True, exist_ok=True)
    for tool in TOOLS:
        (folder / "bin" / f"arm-none-eabi-{tool}").symlink_to(bin_dir / f"arm-none-eabi-{tool}")
    (folder / "package.json").write_text(json.dumps({
        "name": TOOLCHAIN, "version": _gcc_version(bin_dir / "arm-none-eabi-gcc"),
        "description": f"The system's GNU Arm Embedded toolchain ({bin_dir}/arm-none-eabi-*, Debian's "
                       "gcc-arm-none-eabi + libnewlib-arm-none-eabi)",
        "keywords": ["toolchain", "arm"], "system": "*"}, indent=2) + "\n")


def board(core: str) -> dict:
    t = TARGETS[core]
    return {"name": f"Spikey {t.description}", "url": "https://www.qemu.org/docs/master/system/arm/mps2.html",
            "vendor": "Arm", "frameworks": [],
            "build": {"cpu": core, "mcu": t.qemu_machine, "f_cpu": f"{t.timer_hz}L", "cpu_flags": " ".join(t.cpu_flags)},
            "upload": {"maximum_ram_size": t.ram_size, "maximum_size": t.flash_size}}


def write_project(out: Path, target: str, name: str) -> Path:
    """Write ``out/platformio``; the core is the build's target (cortex-m4 for a host build)."""
    core = target if target in TARGETS else DEFAULT_TARGET
    t = TARGETS[core]
    proj = Path(out) / PROJECT
    pio = firmware.manifest()["platformio"]
    shutil.copytree(firmware.path(pio["platform"]), proj / "platform",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (proj / "platform" / "boards" / f"spikey-{core}.json").write_text(json.dumps(board(core), indent=2) + "\n")
    write_toolchain(proj / "toolchain")
    (proj / "src").mkdir()
    shutil.copyfile(firmware.path(firmware.manifest()["api"]["example"]), proj / "src" / "main.c")
    for p in firmware.sources("targets.cortex-m.sources"):
        shutil.copyfile(p, proj / "src" / p.name)
    for d in firmware.include_dirs("targets.cortex-m")[len(firmware.include_dirs()):]:
        for h in sorted(d.glob("*.h")):
            shutil.copyfile(h, proj / "src" / h.name)
    ld = firmware.path(firmware.manifest()["targets"]["cortex-m"]["linker_script"]).read_text()
    (proj / "link.ld").write_text(Template(ld).substitute(t.linker_values))
    (proj / "test" / "test_api").mkdir(parents=True)
    shutil.copyfile(firmware.path(firmware.manifest()["api"]["tests"]), proj / "test" / "test_api" / "test_spikey_api.c")
    shutil.copyfile(firmware.path(pio["test_runner"]), proj / "test" / "test_custom_runner.py")
    shutil.copyfile(firmware.path(pio["seed_scons"]), proj / "seed_scons.py")
    (proj / "platformio.ini").write_text(render("export/platformio.ini.j2", name=name, core=core,
                                                defines=list(t.c_defines)))
    return proj
