"""The Cortex-M4 fast paths (SMLAD / SMLALD / SXTB16 / SSAT) of spikey_fixed.h and the
generated model, cross-compiled for the M4 and run in QEMU (mps2-an386), against the
Python integer reference. The host build only exercises the portable fallbacks; this
checks the DSP paths give the same integers. Skipped when the toolchain or QEMU is absent.

The bare-metal harness (vector table, semihosting exit) is a minimal test-only one."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from codegen import cgen, onnx_frontend, quantize, reference
from codegen import fixedpoint as fp

sys.path.insert(0, str(Path(__file__).parent))
import test_codegen_random as tcr  # noqa: E402

CC, QEMU = shutil.which("arm-none-eabi-gcc"), shutil.which("qemu-system-arm")
pytestmark = pytest.mark.skipif(not (CC and QEMU), reason="arm-none-eabi-gcc / qemu-system-arm not installed")

LINK_LD = """MEMORY { FLASH (rx) : ORIGIN = 0x00000000, LENGTH = 4M
         RAM (rwx)  : ORIGIN = 0x20000000, LENGTH = 4M }
ENTRY(reset)
SECTIONS {
  .text : { KEEP(*(.vectors)) *(.text*) *(.rodata*) . = ALIGN(4); _etext = .; } > FLASH
  .data : { _sdata = .; *(.data*) . = ALIGN(4); _edata = .; } > RAM AT > FLASH
  .bss (NOLOAD) : { _sbss = .; *(.bss*) *(COMMON) . = ALIGN(4); _ebss = .; } > RAM
}
"""
START_C = """#include <stdint.h>
extern int main(void);
extern uint32_t _etext, _sdata, _edata, _sbss, _ebss;
static int sh_call(int op, void *arg) {
    register int r0 __asm__("r0") = op; register void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory"); return r0; }
static void sh_exit(int code) { int32_t a[2] = {0x20026, code}; sh_call(0x20, a); for (;;) {} }
void reset(void) {
    uint32_t *s = &_etext, *d = &_sdata;
    while (d < &_edata) *d++ = *s++;
    for (d = &_sbss; d < &_ebss; ) *d++ = 0;
    sh_exit(main());
}
__attribute__((section(".vectors"), used)) static const void *vectors[2] = { (void *)0x20100000, (void *)reset };
"""
FLAGS = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=soft", "-O2", "-std=c99", "-Wall", "-Wextra", "-Werror",
         "-nostartfiles"]


def _arr(ctype, name, a):
    a = np.asarray(a).reshape(-1)
    return f"static const {ctype} {name}[{max(a.size, 1)}] = {{{', '.join(str(int(v)) for v in a) or '0'}}};\n"


def _run_m4(tmp: Path, files: dict, extra=()) -> subprocess.CompletedProcess:
    (tmp / "link.ld").write_text(LINK_LD)
    (tmp / "start.c").write_text(START_C)
    for n, t in files.items():
        (tmp / n).write_text(t)
    srcs = ["start.c"] + [n for n in files if n.endswith(".c")]
    cmd = [CC, *FLAGS, *extra, "-I", str(cgen.FIXED_H_DIR), "-I", str(tmp), *srcs, "-T", "link.ld",
           "-lc", "-lgcc", "-o", "t.elf"]
    subprocess.run(cmd, cwd=tmp, check=True, capture_output=True, text=True)
    dis = subprocess.run(["arm-none-eabi-objdump", "-d", "t.elf"], cwd=tmp, capture_output=True, text=True).stdout
    assert "smlad" in dis or "smlald" in dis, "the DSP path was not compiled in"
    return subprocess.run([QEMU, "-M", "mps2-an386", "-nographic", "-semihosting-config", "enable=on,target=native",
                           "-kernel", "t.elf"], cwd=tmp, capture_output=True, text=True, timeout=60)


def test_dsp_inlines_match_python(tmp_path):
    rng = np.random.default_rng(11)
    body, checks = [], []
    for k, n in enumerate([1, 2, 3, 4, 5, 7, 8, 13, 32]):
        x = rng.integers(-32768, 32768, n)
        x[: n // 3] = -32768
        w16 = rng.integers(-32768, 32768, n)
        w8 = rng.integers(-128, 128, n)
        w8[: n // 4] = -128
        body += [_arr("int16_t", f"x{k}", x), _arr("int16_t", f"w16_{k}", w16),
                 _arr("int8_t", f"w8_{k}", cgen.interleave_s8(w8[None, :])[0])]
        checks += [f"bad += spk_dot_s16_64(x{k}, w16_{k}, {n}, 3) != {int(fp.dot(x, w16)) + 3}LL;",
                   f"bad += spk_dot_s8_64(x{k}, w8_{k}, {n}, -3) != {int(fp.dot(x, w8)) - 3}LL;",
                   f"bad += spk_dot_s8_32(x{k}, w8_{k}, {n}, 5) != {int(fp.dot(x, w8)) + 5}L;"]
        p = np.abs(x * w16)
        if p.sum() < (1 << 31) - 1:
            checks.append(f"bad += spk_dot_s16_32(x{k}, w16_{k}, {n}, 0) != {int(fp.dot(x, w16))}L;")
    for v in [-(1 << 31), -70000, -32769, -32768, 0, 32767, 32768, 70000, (1 << 31) - 1]:
        checks.append(f"bad += spk_sat16_32({v}L) != {fp.sat16(v)};")
    for v, s in [(-3, 1), (65535, 1), (-65537, 1), (123456789, 13), (-123456789, 13), (3, -2)]:
        checks.append(f"bad += spk_requant16_32({v}L, {s}) != {fp.requant16(v, s)};")
    main = ('#include "spikey_fixed.h"\n' + "".join(body) +
            "int main(void) {\n    int bad = 0;\n    " + "\n    ".join(checks) + "\n    return bad;\n}\n")
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
    body = "".join(_arr("int16_t", f"IN_{k}", inputs[n]) for k, n in enumerate(qg.inputs))
    body += "".join(_arr("int16_t", f"WANT_{k}", want[n]) for k, n in enumerate(qg.outputs))
    outs = "".join(f"    static int16_t out{k}[{T * qg.tensors[n].size}];\n" for k, n in enumerate(qg.outputs))
    args = "".join(f", IN_{k} + b * {T * qg.tensors[n].size}" for k, n in enumerate(qg.inputs))
    args += "".join(f", out{k}" for k in range(len(qg.outputs)))
    cmp = "".join(f"        for (i = 0; i < {T * qg.tensors[n].size}; i++) bad += out{k}[i] != WANT_{k}[b * {T * qg.tensors[n].size} + i];\n"
                  for k, n in enumerate(qg.outputs))
    main = (f'#include "{cs.header}"\n{body}int main(void) {{\n    int b, i, bad = 0;\n    {cs.prefix}_state_t s;\n{outs}'
            f"    for (b = 0; b < {B}; b++) {{\n        {cs.prefix}_reset(&s);\n        {cs.prefix}_run(&s, {T}{args});\n{cmp}    }}\n"
            "    return bad > 255 ? 255 : bad;\n}\n")
    r = _run_m4(tmp_path, {**cs.files, "main.c": main})
    assert r.returncode == 0, f"{r.returncode} output values differ between the M4 build and the reference"
