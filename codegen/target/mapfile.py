"""What each object contributes to a linked ELF, from the GNU ld map file (``-Map``).

    linked_bytes(map_path, {"spk_net.o", ...})   # bytes of those objects in the flash sections

The objects' own sizes (arm-none-eabi-size of the .o) count every function and constant
they define; the linker's --gc-sections drops the ones nothing calls (the coders a model
does not use, for example), so only the map file tells what of an object is in the image.
"""
from __future__ import annotations

import re
from pathlib import Path

FLASH_SECTIONS = (".isr_vector", ".text", ".ARM.exidx", ".data")   # as codegen.target.elf counts flash
_OUT = re.compile(r"^(\.\S+)")
_ONE = re.compile(r"^ \S+\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)\s+(\S+)\s*$")
_CONT = re.compile(r"^\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)\s+(\S+)\s*$")


def linked_bytes(map_path, objects, sections=FLASH_SECTIONS) -> dict[str, int]:
    """Bytes each of ``objects`` (file names) occupies in ``sections`` of the linked image."""
    want = set(objects)
    out = {name: 0 for name in want}
    text = Path(map_path).read_text().split("Linker script and memory map", 1)
    if len(text) != 2:
        raise ValueError(f"{map_path}: not a GNU ld map file")
    section = None
    for line in text[1].splitlines():
        m = _OUT.match(line)
        if m:
            section = m.group(1)
            continue
        if section not in sections:
            continue
        m = _ONE.match(line) or _CONT.match(line)
        if m:
            obj = Path(m.group(3)).name
            if obj in want:
                out[obj] += int(m.group(2), 16)
    return out
