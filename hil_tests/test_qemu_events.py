"""The event pipeline cross-compiled for Cortex-M4 and run in QEMU: the third implementation.

QEMU == host C == Python reference, byte for byte, per file and joint, on synthetic edge
cases and on dev recordings; a sample fed per call writes the same bytes as a frame per
call; instruction counts repeat to the instruction and stay within the 200/sample target.
"""
import numpy as np
import pytest

from codegen.build_events import edge_cases
from codegen.hil.events import build_events_elf, run_hil_events, run_hil_per_sample
from codegen.host.events import HostEvents
from codegen.target.toolchain import INSTALL_HINT, missing_tools
from spikey.events import stream
from spikey.events.params import EventParams
from spikey.recordings import read_wav, to_codes

_MISSING = missing_tools()
pytestmark = [
    pytest.mark.hil,
    pytest.mark.skipif(bool(_MISSING), reason=f"{', '.join(_MISSING)} not installed ({INSTALL_HINT})"),
]
RATE = 19531
P = EventParams.for_rate(RATE)


@pytest.fixture(scope="module")
def elf(elf_dir):
    return build_events_elf(P, RATE, elf_dir)


def _three_way(elf, chans, tmp_path):
    he = HostEvents(P, RATE)
    per = run_hil_events(elf, chans, tmp_path / "per")
    for x, pl in zip(chans, per.payloads):
        assert pl == he.encode([x], False) == stream.encode_channels([x], RATE, P, False)
    joint = run_hil_events(elf, chans, tmp_path / "joint", joint=True)
    assert joint.payload == he.encode(chans, True) == stream.encode_channels(chans, RATE, P, True)
    return per


def test_edge_cases_three_ways(elf, tmp_path):
    cases = list(edge_cases().values())
    for i in range(0, len(cases), 4):          # the HIL holds 8 channels
        _three_way(elf, cases[i:i + 4], tmp_path / f"g{i}")


@pytest.mark.slow
def test_dev_recordings_three_ways(elf, dev_files, tmp_path):
    chans = [to_codes(read_wav(f).samples) for f in dev_files[0::5][:3]]
    per = _three_way(elf, chans, tmp_path)
    f = per.frames
    assert f[:, 5].sum() / f[:, 3].sum() <= 200            # filter + detector + SBP, instructions/sample
    again = run_hil_events(elf, chans[:1], tmp_path / "again")
    assert np.array_equal(again.frames[:, 4], f[f[:, 0] == 0][:, 4])
    payload, total = run_hil_per_sample(elf, chans[0], tmp_path / "one")
    assert payload == per.payloads[0] and total["worst_sample"] > 0
