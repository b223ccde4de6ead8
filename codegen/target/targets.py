"""The Cortex-M targets Spikey builds for, as data: adding an mps2/mps3 board is one entry.

Memory maps are QEMU's (hw/arm/mps2.c, QEMU 7.2): on AN385/AN386/AN500 the 4 MiB ZBT
SSRAM1 at 0x00000000 holds code and the vector table (QEMU loads the ELF there and the
core boots from address 0), the 4 MiB ZBT SSRAM2&3 at 0x20000000 holds data and stack.
The CMSDK APB timer 0 sits at 0x40000000 clocked by the 25 MHz SYSCLK on all three.

The TrustZone boards (hw/arm/mps2-tz.c, hw/arm/armsse.c, QEMU 7.2) boot the core in the
Secure state. The IDAU marks an address Secure when its bit 28 is set, and the memory
protection controllers in front of the SRAMs and the peripheral protection controllers in
front of the timers start out Secure-only, so a build links at the Secure aliases
(address + 0x10000000):
  AN505 (Cortex-M33, IoTKit): init-svtor 0x10000000; SSRAM1 (4 MiB, 0x00000000, Secure
    alias 0x10000000) holds code and the vector table, SSRAM2 and SSRAM3 (2 MiB each at
    0x28000000 and 0x28200000, Secure alias 0x38000000) hold data and stack; the IoTKit's
    CMSDK APB timer 0 (0x40000000, Secure alias 0x50000000) runs from the 20 MHz MAINCLK.
  AN547 (Cortex-M55, SSE-300): init-svtor 0x00000000; the 512 KiB ITCM at 0x00000000
    (Secure alias 0x10000000) holds code and the vector table (QEMU finds the vectors
    through the alias), the SSE-300's 4 MiB internal SRAM ("sram 2", 0x21000000, no MPC,
    Secure alias 0x31000000) holds data and stack (the 512 KiB DTCM at 0x20000000 is too
    small for the HIL's recordings). The SSE-300's timers are Armv8-M system timers, not
    CMSDK ones (its only CMSDK timer runs at 32 kHz), so the count comes from SysTick on
    the processor clock (the 32 MHz MAINCLK), a 24-bit down-counter.
Each entry was built and run in QEMU on this machine (hil_tests/test_qemu_baseline.py,
hil_tests/test_qemu_cores.py).
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
    timer: str = "cmsdk"           # instruction counts: "cmsdk" (APB timer at timer_base) or "systick"
    timer_base: int = 0x40000000   # CMSDK APB timer used for instruction counts
    timer_hz: int = 25_000_000     # its clock (SYSCLK; SysTick: the processor clock)
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
        timer = (("-DSPK_TIMER_SYSTICK=1",) if self.timer == "systick"
                 else (f"-DSPK_TIMER_BASE=0x{self.timer_base:08x}u",))
        return (*timer, f"-DSPK_TIMER_HZ={self.timer_hz}u", f"-DSPK_N_IRQ={self.n_irq}") \
            + tuple(f"-D{d}" for d in self.defines)


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
    "cortex-m33": Target(
        name="cortex-m33", description="Cortex-M33 (DSP, FPv5-SP, TrustZone: runs Secure) on Arm MPS2 AN505 "
                                       "(QEMU mps2-an505)",
        qemu_machine="mps2-an505",
        cpu_flags=("-mcpu=cortex-m33", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"),
        flash_origin=0x10000000, flash_size=0x00400000, ram_origin=0x38000000, ram_size=0x00400000,
        timer_base=0x50000000, timer_hz=20_000_000),
    "cortex-m55": Target(
        name="cortex-m55", description="Cortex-M55 (Helium MVE integer + float, DSP; runs Secure) on Arm MPS3 "
                                       "AN547 (QEMU mps3-an547)",
        qemu_machine="mps3-an547",
        cpu_flags=("-mcpu=cortex-m55", "-mthumb", "-mfloat-abi=hard"),
        flash_origin=0x10000000, flash_size=0x00080000, ram_origin=0x31000000, ram_size=0x00400000,
        timer="systick", timer_hz=32_000_000),
}

DEFAULT_TARGET = "cortex-m4"


def get_target(name: str) -> Target:
    try:
        return TARGETS[name]
    except KeyError:
        raise KeyError(f"unknown target {name!r}; known targets: {', '.join(sorted(TARGETS))}") from None
