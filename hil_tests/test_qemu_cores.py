"""The learned codec on every Cortex-M core of codegen.target.kernels, each with its own
kernels, in its QEMU board: three-way byte equality (Python reference == host C == QEMU)
per file and in a joint stream, on short synthetic recordings (one ELF per core); and the
Cortex-M55's SysTick instruction count agrees with the CMSDK timer's on the one board that
has both.
"""
import dataclasses

import numpy as np
import pytest

from codegen.emit.predictor import generate
from codegen.hil import codec as hc
from codegen.hil.baseline import run_hil_baseline
from codegen.target.elf import build_elf
from codegen.target.kernels import KERNELS, kernels_for
from codegen.target.targets import get_target
from codegen.target.toolchain import INSTALL_HINT, missing_tools
from refs import predictor, reference, runtime
from spikey.learned import JOINT_FRAME
from spikey.recordings import synth, to_codes
from test_qemu_codec import edge_codes

_MISSING = missing_tools()
pytestmark = [
    pytest.mark.hil,
    pytest.mark.skipif(bool(_MISSING), reason=f"{', '.join(_MISSING)} not installed ({INSTALL_HINT})"),
]


@pytest.fixture(scope="module")
def chans():
    return list(to_codes(synth.generate(2, 0.2, seed=5)).astype(np.int16))


@pytest.mark.parametrize("core", list(KERNELS))
def test_core_three_way(core, chans, tmp_path_factory):
    pred, host, ref = predictor(), runtime(), reference()
    src = generate(pred, kernel=kernels_for(core).dense)
    elf = hc.build_codec_elf(src.files, host.model, tmp_path_factory.mktemp("elf"), core, max_channels=3,
                             huffman=False)
    work = tmp_path_factory.mktemp(core)
    edge = edge_codes()[:3_000]      # full-scale bursts, alternating extremes, a constant run
    run = hc.run_hil_codec(elf, [*chans, edge], work / "per-file")
    for x, payload in zip([*chans, edge], run.payloads):
        r, h = ref.encode_channels([x]), host.encode_channels([x])
        assert payload == h == r, f"{core}: QEMU {len(payload)} B, host {len(h)} B, reference {len(r)} B"
    joint = hc.run_hil_codec(elf, chans, work / "joint", joint=True, frame=JOINT_FRAME)
    assert joint.payload == host.encode_channels(chans, JOINT_FRAME) == ref.encode_channels(chans, JOINT_FRAME)
    assert run.samples == sum(len(x) for x in chans) + len(edge)
    assert 200 < run.insns_per_sample < 5000, f"{core}: {run.insns_per_sample:.1f} instructions/sample"


def test_systick_counts_what_the_cmsdk_timer_counts(tmp_path):
    # mps2-an505 has both timers: the same code timed by each gives the same instruction counts
    samples = synth.generate(1, 0.1, seed=3)[0]
    cmsdk = get_target("cortex-m33")
    systick = dataclasses.replace(cmsdk, timer="systick")
    for frame in (16, 256):
        a, b = (run_hil_baseline(build_elf(t, tmp_path / "elf", frame=frame), samples, tmp_path / f"{t.timer}{frame}")
                for t in (cmsdk, systick))
        np.testing.assert_array_equal(a.frame_insns, b.frame_insns)
        assert a.frame_insns.min() > 0
