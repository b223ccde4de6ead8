"""SCons builder of the Spikey bare-metal platform.

Boards say which compiler: ``build.cpu`` "host" builds with the host's cc (the native
environment of the C API's tests); a Cortex-M board builds with arm-none-eabi-gcc from the
toolchain package (its bin/ links to Debian's /usr/bin/arm-none-eabi-*), its flags from
``build.cpu_flags``, linked without the C library's start files against the project's
startup code and ``board_build.ldscript`` (PlatformIO passes it to the linker).
"""
import os

from SCons.Script import Default, DefaultEnvironment

env = DefaultEnvironment()
board = env.BoardConfig()
cpu = board.get("build.cpu", "host")

env.Append(CCFLAGS=["-O2", "-Wall", "-Wextra"], CFLAGS=["-std=c99"])

if cpu == "host":
    env.Replace(CC="cc", AR="ar", RANLIB="ranlib", LINK="cc")
else:
    toolchain = env.PioPlatform().get_package_dir("toolchain-arm-none-eabi-debian")
    if toolchain:
        env.PrependENVPath("PATH", os.path.join(toolchain, "bin"))   # Prepend(ENV=...) would wipe PATH
    env.Replace(AR="arm-none-eabi-ar", AS="arm-none-eabi-as", CC="arm-none-eabi-gcc", CXX="arm-none-eabi-g++",
                LINK="arm-none-eabi-gcc", OBJCOPY="arm-none-eabi-objcopy", RANLIB="arm-none-eabi-ranlib",
                SIZETOOL="arm-none-eabi-size", PROGSUFFIX=".elf")
    flags = board.get("build.cpu_flags", "").split()
    env.Append(CCFLAGS=[*flags, "-ffunction-sections", "-fdata-sections"],
               LINKFLAGS=[*flags, "-nostartfiles", "--specs=nano.specs", "-Wl,--gc-sections"])

program = env.BuildProgram()
Default(program)
