"""A build's C library: the one public header (include/spikey.h), the API over the
generated frame API (lib/spikey.c), the runtime copied beside them (its headers into
include/, its sources into lib/), a CMakeLists.txt (static library ``spikey`` + the
example + the API tests), a PlatformIO library manifest (library.json), the example
(examples/encode/main.c) and the API's unit tests (test/test_spikey_api.c). The build's
src/ stays the generated C alone.

Layout written into the build folder ``out``::

    include/spikey.h           the public header (codegen/emit/templates/spikey.h.j2); it includes
                               ../src/spk_codec.h, so include/ is the one include path a user needs
    include/*.h                the runtime's headers (firmware/include, firmware/src)
    src/                       the generated C (written by codegen.build before the export)
    lib/                       spikey.c + the runtime's sources (firmware manifest runtime.coders)
    CMakeLists.txt, library.json
    examples/encode/main.c     firmware/api/example_encode.c
    test/test_spikey_api.c     firmware/api/test_spikey_api.c

Same inputs, same bytes: nothing here depends on time or the machine.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from spikey import __version__, firmware
from spikey.coders.model_cdf import edges_from_meta
from spikey.model.compiled import FAMILY_IDS

from ..emit.cformat import c_array
from ..emit.env import render

RANGE_CODEC_ID = 4                   # the container's id of the learned model + range coder
OUTPUTS = ("include", "lib", "CMakeLists.txt", "library.json", "examples", "test")
EXAMPLE = "examples/encode/main.c"
API_TEST = "test/test_spikey_api.c"


def runtime_headers() -> list[Path]:
    return [h for d in firmware.include_dirs() for h in sorted(d.glob("*.h"))]


def api_sources(name: str, identity: bytes, meta: dict, cost: dict | None = None) -> dict:
    """include/spikey.h and lib/spikey.c of a model (name -> text); ``cost``: the encoder's
    measured instructions and stack on a Cortex-M (codegen.export.build.cost_of), or None."""
    family = meta["coder"]["family"]
    ctx = {"name": name, "identity": identity.hex(), "codec_id": RANGE_CODEC_ID, "family": family,
           "family_id": FAMILY_IDS[family], "model_id": ", ".join(f"0x{b:02x}" for b in identity),
           "edges": c_array([int(e) for e in edges_from_meta(meta)], per_line=8), "cost": cost}
    return {"include/spikey.h": render("spikey.h.j2", **ctx), "lib/spikey.c": render("spikey.c.j2", **ctx)}


def library_json(name: str, identity: bytes) -> str:
    return json.dumps({
        "name": "spikey", "version": __version__,
        "description": f"Spikey learned lossless codec for neural recordings, model {name} ({identity.hex()}): "
                       "C99, no heap",
        "keywords": ["compression", "neural", "codec"], "frameworks": "*", "platforms": "*",
        "build": {"srcDir": ".", "srcFilter": ["+<src/*.c>", "+<lib/*.c>"], "includeDir": "include",
                  "flags": ["-std=c99"]},
        "export": {"include": ["include", "src", "lib", "library.json", "examples"]},
        "examples": [EXAMPLE]}, indent=2) + "\n"


def write_library(out: Path, name: str, identity: bytes, meta: dict, cost: dict | None = None) -> None:
    """Write the library around the generated sources already in ``out/src``."""
    out = Path(out)
    for rel, text in api_sources(name, identity, meta, cost).items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text)
    for p in runtime_headers():
        shutil.copyfile(p, out / "include" / p.name)
    for p in firmware.sources("runtime.coders"):
        shutil.copyfile(p, out / "lib" / p.name)
    api = firmware.manifest()["api"]
    for src, rel in ((firmware.path(api["example"]), EXAMPLE), (firmware.path(api["tests"]), API_TEST)):
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, out / rel)
    sources = [f"src/{p.name}" for p in sorted((out / "src").glob("*.c"))] + \
              [f"lib/{p.name}" for p in sorted((out / "lib").glob("*.c"))]
    (out / "CMakeLists.txt").write_text(render("export/CMakeLists.txt.j2", name=name, identity=identity.hex(),
                                               sources=sources, example=EXAMPLE, test=API_TEST))
    (out / "library.json").write_text(library_json(name, identity))
