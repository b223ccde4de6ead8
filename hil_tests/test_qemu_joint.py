"""A MiddleOut model's joint stream on Cortex-M4 in QEMU: time-major through
spk_codec_encode_step with the peers' mean latent, byte for byte equal to the host C and
the Python reference; per-file streams of the same ELF too; counts one record per joint frame."""
import numpy as np
import pytest

from codegen.emit.predictor import generate
from codegen.hil import codec as hc
from codegen.target.toolchain import INSTALL_HINT, missing_tools
from refs import predictor, reference
from spikey.learned import LearnedCodec, load_model
from spikey.model import files
from spikey.recordings import synth, to_codes

_MISSING = missing_tools()
pytestmark = [
    pytest.mark.hil,
    pytest.mark.skipif(bool(_MISSING), reason=f"{', '.join(_MISSING)} not installed ({INSTALL_HINT})"),
]

MIDDLEOUT = files.BUNDLED / files.MIDDLEOUT
FRAME = 64


@pytest.fixture(scope="module")
def middle(elf_dir):
    m = load_model(MIDDLEOUT)
    elf = hc.build_codec_elf(generate(predictor(MIDDLEOUT)).files, m, elf_dir, max_channels=4, max_peers=4,
                             huffman=False)
    return m, elf


def test_middleout_joint_three_way(middle, tmp_path):
    m, elf = middle
    x = to_codes(synth.generate(4, 0.15, seed=8)).astype(np.int16)
    chans = [x[0], x[1][:1000], x[2][:65], x[3][:2000]]
    peers = np.array([[1, 2, 3, -1], [0, 3, -1, -1], [0, 1, 3, 2], [2, 1, 0, -1]])
    host, ref = LearnedCodec(model=m), reference(MIDDLEOUT)
    run = hc.run_hil_codec(elf, chans, tmp_path / "joint", joint=True, frame=FRAME, peers=peers)
    h, r = host.encode_channels(chans, FRAME, peers), ref.encode_channels(chans, FRAME, peers)
    assert run.payload == h == r
    assert run.payload != host.encode_channels(chans, FRAME, None)      # the peers' mean is in the stream
    assert len(run.frames) == -(-max(len(c) for c in chans) // FRAME) == len(run.joint_insns)
    assert run.samples == sum(len(c) for c in chans) and run.frame_insns.min() > 0
    back = host.decode_channels(run.payload, [len(c) for c in chans], FRAME, peers)
    assert all(np.array_equal(a, b) for a, b in zip(back, chans))


def test_middleout_per_file_three_way(middle, tmp_path):
    m, elf = middle
    x = to_codes(synth.generate(1, 0.1, seed=9)).astype(np.int16)[0]
    run = hc.run_hil_codec(elf, [x], tmp_path)
    assert run.payload == LearnedCodec(model=m).encode_channels([x]) == reference(MIDDLEOUT).encode_channels([x])
