"""The five Cortex-M cores as data: the targets table (memory maps as QEMU lays them out,
the instruction-count timer) and the kernel table (which Dense kernel each core's generated
code uses, and that the core's compiler flags really give the instructions the row claims);
the MVE kernel's weight layout and its portable C path, bit-exact on the host.
"""
import shutil
import subprocess

import numpy as np
import pytest

from codegen.build import TARGETS as BUILD_TARGETS
from codegen.emit.predictor import generate
from codegen.host.predictor import HostPredictor
from codegen.ops.dense import mve_layout
from codegen.report import profiles
from codegen.target.kernels import KERNELS, kernels_for
from codegen.target.targets import TARGETS, get_target
from refs import predictor
from spikey.recordings import synth, to_codes

GCC = shutil.which("arm-none-eabi-gcc")
CORES = ("cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55")


def test_every_core_has_a_target_a_kernel_row_a_profile_and_a_build():
    assert set(TARGETS) == set(KERNELS) == set(CORES)
    assert BUILD_TARGETS == ("host", *KERNELS)
    for core in CORES:
        assert profiles.load(core, "core").get("cpu") == core


def test_boards_and_memory_maps_are_qemus():
    machines = {c: TARGETS[c].qemu_machine for c in CORES}
    assert machines == {"cortex-m3": "mps2-an385", "cortex-m4": "mps2-an386", "cortex-m7": "mps2-an500",
                        "cortex-m33": "mps2-an505", "cortex-m55": "mps3-an547"}
    m33, m55 = get_target("cortex-m33"), get_target("cortex-m55")
    # TrustZone boards boot Secure: code and data at the Secure aliases (IDAU: address bit 28 set)
    assert (m33.flash_origin, m33.flash_size, m33.ram_origin, m33.ram_size) == (0x10000000, 4 << 20, 0x38000000,
                                                                                 4 << 20)
    assert (m55.flash_origin, m55.flash_size, m55.ram_origin, m55.ram_size) == (0x10000000, 512 << 10, 0x31000000,
                                                                                 4 << 20)
    for t in (m33, m55):
        assert t.flash_origin & (1 << 28) and t.ram_origin & (1 << 28)
    assert (m33.timer, m33.timer_base, m33.timer_hz) == ("cmsdk", 0x50000000, 20_000_000)
    assert (m55.timer, m55.timer_hz) == ("systick", 32_000_000)
    assert "-DSPK_TIMER_SYSTICK=1" in m55.c_defines and not any("TIMER_BASE" in d for d in m55.c_defines)
    assert "-DSPK_TIMER_BASE=0x50000000u" in m33.c_defines
    for c in CORES:   # code and data never overlap
        t = TARGETS[c]
        assert t.flash_origin + t.flash_size <= t.ram_origin or t.ram_origin + t.ram_size <= t.flash_origin


def test_kernel_table():
    assert {c: kernels_for(c).dense for c in CORES} == {"cortex-m3": "rows", "cortex-m4": "rows", "cortex-m7": "rows",
                                                      "cortex-m33": "rows", "cortex-m55": "mve"}
    with pytest.raises(KeyError, match="unknown target"):
        kernels_for("cortex-m0")


def _macros(core: str) -> set[str]:
    out = subprocess.run([GCC, *TARGETS[core].cpu_flags, "-dM", "-E", "-x", "c", "/dev/null"],
                         capture_output=True, text=True, check=True).stdout
    return {line.split()[1] for line in out.splitlines() if line.startswith("#define ")}


@pytest.mark.skipif(GCC is None, reason="arm-none-eabi-gcc not installed")
@pytest.mark.parametrize("core", CORES)
def test_kernel_row_matches_the_compilers_features(core):
    m = _macros(core)
    k = kernels_for(core)
    assert set(k.features) <= m, f"{core}: the compiler does not define {set(k.features) - m}"
    assert not set(k.absent) & m, f"{core}: the compiler defines {set(k.absent) & m}"


def test_mve_layout_pads_rows_to_eight_with_zeros():
    w = np.arange(1, 2 * 11 + 1).reshape(2, 11)
    lay = mve_layout(w).reshape(2, 16)
    np.testing.assert_array_equal(lay[:, :11], w)
    assert not lay[:, 11:].any()
    assert len(mve_layout(np.ones((3, 16), np.int64))) == 48


def test_mve_kernel_portable_path_matches_the_reference():
    # the host has no MVE: spikey_mve.h's plain C computes what VMLADAVA does on the M55
    pred = predictor()
    codes = to_codes(synth.generate(1, 0.3, seed=11))[0]
    src = generate(pred, kernel="mve")
    assert "spk_mve_mac8_s16_32" in src.files["spk_net.c"]
    L, ls = HostPredictor(src).predict(codes)
    ref_L, ref_ls = pred.predict(codes)
    np.testing.assert_array_equal(L, ref_L)
    np.testing.assert_array_equal(ls, ref_ls)


def _bench_cores():
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    import cores
    return cores


def test_cores_section_says_which_targets_hold():
    cores = _bench_cores()
    tw = {"per_file_streams": 3, "joint_streams": 1, "equal": True}
    rows = [{"core": c, "qemu_machine": TARGETS[c].qemu_machine, "dense_kernel": kernels_for(c).dense,
             "isa": kernels_for(c).isa, "insns_per_sample": ips, "insns_worst_frame": 1000,
             "predictor_insns_per_sample": ips - 100, "three_way": tw, "data": "d"}
            for c, ips in zip(CORES, (2700.0, 1400.0, 1500.0, 1450.0, 1100.0))]
    res = {"date": "2026-12-04", "git": "abc", "model": "default", "files": 3, "cores": rows,
           "checks": {"bit_exact_every_core": True, "cortex-m7_not_slower_than_cortex-m4": False,
                      "cortex-m55_not_slower_than_cortex-m4": True}}
    sec = cores.section(res)
    assert sec.startswith(cores.START) and sec.rstrip().endswith(cores.END)
    assert "| cortex-m55 | mps3-an547 | mve: " in sec and "| 1100.0 | 0.786 |" in sec
    assert "cortex-m7 not slower per sample than cortex-m4: NOT met" in sec
    assert "cortex-m55 not slower per sample than cortex-m4: met" in sec
    doc = "# R\n\n" + cores.START + "\nold\n" + cores.END + "\n\ntail\n"
    assert cores.fill(doc, sec) == "# R\n\n" + sec.rstrip("\n") + "\n\ntail\n"
    assert cores.fill("# R\n", sec) == "# R\n\n" + sec
