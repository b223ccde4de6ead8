"""The Cortex-M targets Spikey builds for, as data: adding an mps2/mps3 board is one entry.

Memory maps are QEMU's (hw/arm/mps2.c, QEMU 7.2): on AN385/AN386/AN500 the 4 MiB ZBT
SSRAM1 at 0x00000000 holds code and the vector table (QEMU loads the ELF there and the
core boots from address 0), the 4 MiB ZBT SSRAM2&3 at 0x20000000 holds data and stack.
The CMSDK APB timer 0 sits at 0x40000000 clocked by the 25 MHz SYSCLK on all three.
Each entry was built and run in QEMU on this machine (hil_tests/test_qemu_baseline.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Target:
    name: str                      # key in TARGETS, e.g. "cortex-m4"
    description: str
    qemu_machine: str              # qemu-system-arm -M ...
    cpu_flags: tuple[str, ...]     # arm-none-eabi-gcc code-generation flags
    flash_origin: int
    flash_size: int
    ram_origin: int
    ram_size: int
    stack_size: int = 16 * 1024    # reserved for the main stack (painted and checked)
    timer_base: int = 0x40000000   # CMSDK APB timer used for instruction counts
    timer_hz: int = 25_000_000     # its clock (SYSCLK)
    n_irq: int = 32                # external interrupt lines in the vector table
    defines: tuple[str, ...] = field(default=())

    @property
    def linker_values(self) -> dict[str, str]:
        return {
            "flash_origin": f"0x{self.flash_origin:08x}", "flash_size": f"0x{self.flash_size:x}",
            "ram_origin": f"0x{self.ram_origin:08x}", "ram_size": f"0x{self.ram_size:x}",
            "stack_size": f"0x{self.stack_size:x}",
        }

    @property
    def c_defines(self) -> tuple[str, ...]:
        return (f"-DSPK_TIMER_BASE=0x{self.timer_base:08x}u", f"-DSPK_TIMER_HZ={self.timer_hz}u",
                f"-DSPK_N_IRQ={self.n_irq}") + tuple(f"-D{d}" for d in self.defines)


_MPS2_MEMORY = dict(flash_origin=0x00000000, flash_size=0x00400000,
                    ram_origin=0x20000000, ram_size=0x00400000)

TARGETS: dict[str, Target] = {
    "cortex-m4": Target(
        name="cortex-m4", description="Cortex-M4F on Arm MPS2 AN386 (QEMU mps2-an386)",
        qemu_machine="mps2-an386",
        cpu_flags=("-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"),
        **_MPS2_MEMORY),
    "cortex-m3": Target(
        name="cortex-m3", description="Cortex-M3 on Arm MPS2 AN385 (QEMU mps2-an385)",
        qemu_machine="mps2-an385",
        cpu_flags=("-mcpu=cortex-m3", "-mthumb", "-mfloat-abi=soft"),
        **_MPS2_MEMORY),
    "cortex-m7": Target(
        name="cortex-m7", description="Cortex-M7 (FPv5-D16) on Arm MPS2 AN500 (QEMU mps2-an500)",
        qemu_machine="mps2-an500",
        cpu_flags=("-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"),
        **_MPS2_MEMORY),
}

DEFAULT_TARGET = "cortex-m4"


def get_target(name: str) -> Target:
    try:
        return TARGETS[name]
    except KeyError:
        raise KeyError(f"unknown target {name!r}; known targets: {', '.join(sorted(TARGETS))}") from None
