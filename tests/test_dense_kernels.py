"""The multi-row Dense kernels (codegen.ops.dense.dense_layout + spikey_fixed.h spk_mac*x*):
every block shape (full blocks, a smaller last block of 1..3 rows, 1..3 leftover inputs),
int8 / int16 weights, int32 / int64 accumulators, per-layer / per-row shifts, against the
Python integer reference: on the host (portable C, UBSan) and on the Cortex-M4 in QEMU
(the asm kernels; the main is rendered from firmware/tests/dense_kernels_m4_main.c.j2);
and the Cortex-M55's "mve" kernel (spikey_mve.h) the same ways: portable C on the host, Helium
in QEMU mps3-an547. The Cortex-M halves are skipped when the toolchain or QEMU is absent."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from codegen.emit import cgen
from codegen.frontend import onnx as onnx_frontend
from codegen.hil.qemu import run_qemu
from codegen.ops.dense import dense_layout
from codegen.quant import quantize
from codegen.reference import run as reference
from codegen.target.elf import build_elf, cflags
from codegen.target.targets import get_target
from spikey import native

sys.path.insert(0, str(Path(__file__).parent))
import test_codegen_random as tcr  # noqa: E402
import test_fixed_m4 as tfm  # noqa: E402

# widths chosen so that n_in % 4 and n_out % 4 (and % 2) take every value
WIDTHS = [7, 5, 3, 9, 1, 6, 11, 2]
# (weight bits, per channel, acc_bits, input bound): with "auto", most int16 layers reach
# int32 accumulators by dropping a weight bit (codegen.ops.dense.INT32_DROP), one stays int64
CONFIGS = [(8, False, "auto", None), (8, True, 64, None), (16, False, "auto", None), (16, True, "auto", None),
           (16, True, "auto", 0.004)]
IDS = ["int8-auto", "int8-perch-acc64", "int16-auto", "int16-perch-auto", "int16-perch-small-inputs"]


def chain_onnx(seed: int) -> onnx.ModelProto:
    rng = np.random.default_rng(seed)
    nodes, inits, x = [], [], "u"
    for k, (a, b) in enumerate(zip(WIDTHS[:-1], WIDTHS[1:])):
        y = "y" if k == len(WIDTHS) - 2 else f"h{k}"
        inits += [tcr._init(f"W{k}", tcr._w(rng, b, a)), tcr._init(f"b{k}", rng.normal(0, 0.5, b))]
        relu = k % 3 != 2 and y != "y"
        nodes.append(helper.make_node("Gemm", [x, f"W{k}", f"b{k}"], [f"g{k}" if relu else y], name=f"fc{k}", transB=1))
        if relu:
            nodes.append(helper.make_node("Relu", [f"g{k}"], [y], name=f"relu{k}"))
        x = y
    # every layer's output is a graph output, so that each kernel is checked directly
    outs = [helper.make_tensor_value_info("y" if k == len(WIDTHS) - 2 else f"h{k}", TensorProto.FLOAT, ["n", b])
            for k, b in enumerate(WIDTHS[1:])]
    g = helper.make_graph(nodes, "chain", [helper.make_tensor_value_info("u", TensorProto.FLOAT, ["n", WIDTHS[0]])],
                          outs, inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def _compile(bits, per_channel, acc, bound):
    g = onnx_frontend.load(chain_onnx(3))
    kw = {"input_bounds": {"u": (-bound, bound)}} if bound else {}
    qg = quantize.quantize(g, tcr._calib(g, 100), weight_bits=bits, per_channel=per_channel, acc_bits=acc, **kw)
    return g, qg, cgen.generate(qg)


def test_configs_cover_both_accumulators():
    widths = {}
    for bits, pc, acc, bound in CONFIGS:
        _, qg, _ = _compile(bits, pc, acc, bound)
        widths[(bits, pc, acc, bound)] = {n.acc_bits for n in qg.nodes}
    for bits in (8, 16):   # both kernels of each weight type run somewhere
        assert set().union(*(v for k, v in widths.items() if k[0] == bits)) == {32, 64}


def _inputs(g, qg):
    x = np.concatenate([tcr.random_inputs(g, qg, 5, 1)["u"], tcr.adversarial_inputs(qg, 6, 1)["u"]])
    t = qg.tensors["u"]
    return {"u": np.clip(x, t.lo, t.hi)}


def test_layout_blocks():
    w = np.arange(7 * 5).reshape(5, 7)
    lay = dense_layout(w, 16, 2)
    # block 0 (rows 0, 1): pairs row by row, then the leftover input of each row, no pad (14 even)
    assert lay[:14].tolist() == [0, 1, 7, 8, 2, 3, 9, 10, 4, 5, 11, 12, 6, 13]
    # the last block (row 4 alone, 7 weights) is padded to an even length
    assert len(lay) == 14 + 14 + 8 and lay[-1] == 0
    w8 = np.arange(6 * 3).reshape(3, 6)
    assert dense_layout(w8, 8, 4)[:8].tolist() == [0, 2, 1, 3, 6, 8, 7, 9]


@pytest.mark.parametrize("bits,per_channel,acc,bound", CONFIGS, ids=IDS)
def test_host_kernels_match_reference(bits, per_channel, acc, bound):
    g, qg, cs = _compile(bits, per_channel, acc, bound)
    mod = tcr.build_c(cs, sanitize=True)
    inputs = _inputs(g, qg)
    want, _ = reference.run(qg, inputs)
    got = tcr.run_c(mod, qg, inputs)
    for n in qg.outputs:
        assert np.array_equal(got[n], want[n])


@pytest.mark.skipif(not (tfm.CC and tfm.QEMU), reason="arm-none-eabi-gcc / qemu-system-arm not installed")
@pytest.mark.parametrize("bits,per_channel,acc,bound", CONFIGS, ids=IDS)
def test_m4_kernels_match_reference(tmp_path, bits, per_channel, acc, bound):
    g, qg, cs = _compile(bits, per_channel, acc, bound)
    inputs = _inputs(g, qg)
    want, _ = reference.run(qg, inputs)
    B, n_in = inputs["u"].shape[0], WIDTHS[0]
    main = tfm._render("dense_kernels_m4_main.c.j2", header=cs.header, prefix=cs.prefix, batch=B, n_in=n_in,
                       input=tfm._arr(inputs["u"]),
                       outputs=[{"size": qg.tensors[n].size, "want": tfm._arr(want[n])} for n in qg.outputs])
    r = tfm._run_m4(tmp_path, {**cs.files, "main.c": main})
    assert r.returncode == 0, f"{r.returncode} output values differ between the M4 build and the reference"


@pytest.mark.parametrize("simd", ["portable", pytest.param("avx2", marks=pytest.mark.skipif(
    not native.host_has("avx2"), reason="this host has no AVX2"))])
@pytest.mark.parametrize("bits,per_channel,acc,bound", CONFIGS, ids=IDS)
def test_columns_kernels_match_reference(bits, per_channel, acc, bound, simd):
    """The host's columns kernel (spikey_vec.h), plain C and AVX2, under UBSan; layers it
    cannot take (int64 accumulators) keep the rows kernel in the same file."""
    g, qg, _ = _compile(bits, per_channel, acc, bound)
    cs = cgen.generate(qg, kernel="columns")
    flags = [*native.DEFAULT_CFLAGS, *(["-mavx2"] if simd == "avx2" else ["-mno-avx2"])]
    mod = native.build(cs.files, cs.cdef, cs.header, include_dirs=cs.include_dirs, cflags=flags, sanitize=True)
    inputs = _inputs(g, qg)
    want, _ = reference.run(qg, inputs)
    got = tcr.run_c(mod, qg, inputs)
    for n in qg.outputs:
        assert np.array_equal(got[n], want[n])
    columns = sum("columns kernel:" in line for line in cs.files[f"{cs.prefix}.c"].splitlines()) // 2
    assert columns == sum(n.acc_bits == 32 and min(n.shift) >= 0 for n in qg.nodes if hasattr(n, "w"))


@pytest.mark.parametrize("bits,per_channel,acc,bound", CONFIGS, ids=IDS)
def test_mve_kernels_portable_match_reference(bits, per_channel, acc, bound):
    """The Cortex-M55's "mve" kernel (spikey_mve.h) through its plain C path, under UBSan."""
    g, qg, _ = _compile(bits, per_channel, acc, bound)
    cs = cgen.generate(qg, kernel="mve")
    mod = tcr.build_c(cs, sanitize=True)
    inputs = _inputs(g, qg)
    want, _ = reference.run(qg, inputs)
    got = tcr.run_c(mod, qg, inputs)
    for n in qg.outputs:
        assert np.array_equal(got[n], want[n])
    assert cs.files[f"{cs.prefix}.c"].count("MVE kernel:") == 2 * len(qg.nodes)


@pytest.mark.skipif(not (tfm.CC and tfm.QEMU), reason="arm-none-eabi-gcc / qemu-system-arm not installed")
@pytest.mark.parametrize("bits,per_channel,acc,bound", CONFIGS, ids=IDS)
def test_m55_mve_kernels_match_reference(tmp_path, bits, per_channel, acc, bound):
    """The "mve" kernel compiled for the Cortex-M55 (Helium: VMLADAVA / VMLALDAVA, int8 weights
    widened by VLDRB.S16) and run in QEMU mps3-an547, with the firmware's own start-up."""
    g, qg, _ = _compile(bits, per_channel, acc, bound)
    cs = cgen.generate(qg, kernel="mve")
    inputs = _inputs(g, qg)
    want, _ = reference.run(qg, inputs)
    B, n_in = inputs["u"].shape[0], WIDTHS[0]
    main = tfm._render("dense_kernels_m4_main.c.j2", header=cs.header, prefix=cs.prefix, batch=B, n_in=n_in,
                       input=tfm._arr(inputs["u"]),
                       outputs=[{"size": qg.tensors[n].size, "want": tfm._arr(want[n])} for n in qg.outputs])
    (tmp_path / "net.c").write_text(cs.files[f"{cs.prefix}.c"])
    (tmp_path / cs.header).write_text(cs.files[cs.header])
    asm = subprocess.run([tfm.CC, *cflags(get_target("cortex-m55")), f"-I{tmp_path}", "-S", "-o", "-",
                          str(tmp_path / "net.c")], capture_output=True, text=True, check=True).stdout
    assert ("vmlaldava" if 64 in {n.acc_bits for n in qg.nodes} else "vmladava") in asm
    elf = build_elf("cortex-m55", tmp_path / "elf", hil=None, name="dense_mve", generated={**cs.files, "main.c": main})
    res = run_qemu(elf, tmp_path / "run", timeout=60)
    assert res.status == "ok", f"{res.returncode} output values differ between the M55 build and the reference"
