"""The Cortex-M4 fast paths (SMLAD / SMLALD / SXTB16 / SSAT) of spikey_fixed.h and the
generated model, cross-compiled for the M4 and run in QEMU (mps2-an386), against the
Python integer reference. The host build only exercises the portable fallbacks; this
checks the DSP paths give the same integers. Skipped when the toolchain or QEMU is absent.

The bare-metal harness (vector table, semihosting exit) is a minimal test-only one:
firmware/tests/fixed_m4_start.c and fixed_m4_link.ld; the mains are rendered from
firmware/tests/fixed_m4_*_main.c.j2."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import jinja2
import numpy as np
import pytest

from codegen.emit.cformat import interleave_s8
from codegen.reference import run as reference
from spikey import firmware
from spikey import fixed as fp

sys.path.insert(0, str(Path(__file__).parent))
import test_codegen_random as tcr  # noqa: E402

CC, QEMU = shutil.which("arm-none-eabi-gcc"), shutil.which("qemu-system-arm")
pytestmark = pytest.mark.skipif(not (CC and QEMU), reason="arm-none-eabi-gcc / qemu-system-arm not installed")

# The harness (firmware/tests/fixed_m4_start.c, fixed_m4_link.ld) and the mains' templates.
TESTS_C = Path(__file__).resolve().parents[1] / "firmware" / "tests"
FLAGS = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=soft", "-O2", "-std=c99", "-Wall", "-Wextra", "-Werror",
         "-nostartfiles"]


def _arr(a) -> dict:
    """A C array's length and its initialiser values for a template (at least one: C has no
    empty arrays)."""
    a = np.asarray(a).reshape(-1)
    return {"size": max(a.size, 1), "init": ", ".join(str(int(v)) for v in a) or "0"}


def _render(template: str, **ctx) -> str:
    """firmware/tests/<template> rendered with ctx."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TESTS_C)), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    return env.get_template(template).render(**ctx)


def _run_m4(tmp: Path, files: dict, extra=()) -> subprocess.CompletedProcess:
    (tmp / "link.ld").write_text((TESTS_C / "fixed_m4_link.ld").read_text())
    (tmp / "start.c").write_text((TESTS_C / "fixed_m4_start.c").read_text())
    for n, t in files.items():
        (tmp / n).write_text(t)
    srcs = ["start.c"] + [n for n in files if n.endswith(".c")]
    incs = [a for d in firmware.include_dirs() for a in ("-I", str(d))]     # spikey_fixed.h, ...
    cmd = [CC, *FLAGS, *extra, *incs, "-I", str(tmp), *srcs, "-T", "link.ld",
           "-lc", "-lgcc", "-o", "t.elf"]
    subprocess.run(cmd, cwd=tmp, check=True, capture_output=True, text=True)
    dis = subprocess.run(["arm-none-eabi-objdump", "-d", "t.elf"], cwd=tmp, capture_output=True, text=True).stdout
    assert "smlad" in dis or "smlald" in dis, "the DSP path was not compiled in"
    return subprocess.run([QEMU, "-M", "mps2-an386", "-nographic", "-semihosting-config", "enable=on,target=native",
                           "-kernel", "t.elf"], cwd=tmp, capture_output=True, text=True, timeout=60)


def test_dsp_inlines_match_python(tmp_path):
    rng = np.random.default_rng(11)
    cases = []
    for k, n in enumerate([1, 2, 3, 4, 5, 7, 8, 13, 32]):
        x = rng.integers(-32768, 32768, n)
        x[: n // 3] = -32768
        w16 = rng.integers(-32768, 32768, n)
        w8 = rng.integers(-128, 128, n)
        w8[: n // 4] = -128
        p = np.abs(x * w16)
        cases.append({"k": k, "n": n, "x": _arr(x), "w16": _arr(w16), "w8": _arr(interleave_s8(w8[None, :])[0]),
                      "dot16": int(fp.dot(x, w16)), "dot8": int(fp.dot(x, w8)), "fits_s16_32": bool(p.sum() < (1 << 31) - 1)})
    sat16 = [{"v": v, "want": int(fp.sat16(v))}
             for v in [-(1 << 31), -70000, -32769, -32768, 0, 32767, 32768, 70000, (1 << 31) - 1]]
    requant16 = [{"v": v, "s": s, "want": int(fp.requant16(v, s))}
                 for v, s in [(-3, 1), (65535, 1), (-65537, 1), (123456789, 13), (-123456789, 13), (3, -2)]]
    main = _render("fixed_m4_dsp_main.c.j2", cases=cases, sat16=sat16, requant16=requant16)
    r = _run_m4(tmp_path, {"main.c": main})
    assert r.returncode == 0, f"{r.returncode} mismatches on the M4 DSP path"


@pytest.mark.parametrize("model,bits", [("middleout4", 8), ("torch_lstm", 8), ("torch_lstm", 16), ("mlp2", 16)])
def test_generated_model_on_m4_matches_reference(tmp_path, model, bits):
    g, qg, cs, _ = tcr.compiled(model, bits, True)
    T = 12 if model in tcr.RECURRENT else 1
    inputs = {n: np.concatenate([tcr.random_inputs(g, qg, 5, T)[n], tcr.adversarial_inputs(qg, 6, T)[n]])
              for n in qg.inputs}
    want, _ = reference.run(qg, inputs)
    B = next(iter(inputs.values())).shape[0]
    main = _render("fixed_m4_model_main.c.j2", header=cs.header, prefix=cs.prefix, batch=B, steps=T,
                   inputs=[{"size": T * qg.tensors[n].size, "data": _arr(inputs[n])} for n in qg.inputs],
                   outputs=[{"size": T * qg.tensors[n].size, "want": _arr(want[n])} for n in qg.outputs])
    r = _run_m4(tmp_path, {**cs.files, "main.c": main})
    assert r.returncode == 0, f"{r.returncode} output values differ between the M4 build and the reference"
