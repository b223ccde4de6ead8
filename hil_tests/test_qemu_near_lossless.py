"""Near-lossless streams from the Cortex-M4 in QEMU (SPK_HIL_MAX_ERROR = D): for D in
{1, 2, 4} the firmware's payload == host C == Python reference byte for byte, per file
(synthetic edge cases and a dev recording) and in joint frames, and the host C decoder
and the reference decoder give the same samples, every one within D."""
import numpy as np
import pytest
from refs import predictor
from test_qemu_codec import edge_codes

from codegen.emit.predictor import generate
from codegen.hil import codec as hc
from codegen.reference.codec import ReferenceCodec
from codegen.target.toolchain import INSTALL_HINT, missing_tools
from spikey.learned import JOINT_FRAME, LearnedCodec
from spikey.recordings import read_wav, synth, to_codes

_MISSING = missing_tools()
pytestmark = [
    pytest.mark.hil,
    pytest.mark.skipif(bool(_MISSING), reason=f"{', '.join(_MISSING)} not installed ({INSTALL_HINT})"),
]
BOUNDS = (1, 2, 4)


@pytest.fixture(scope="module", params=BOUNDS, ids=lambda d: f"D{d}")
def near(request, elf_dir):
    d = request.param
    host = LearnedCodec(None, "range", d)
    elf = hc.build_codec_elf(generate(predictor()).files, host.model, elf_dir, max_channels=3, huffman=False,
                             max_error=d, name=f"hil_codec_near{d}")
    return d, host, ReferenceCodec(predictor(), "range", d), elf


def _check(d, host, ref, payload, chans, frame):
    lengths = [len(c) for c in chans]
    assert payload == host.encode_channels(chans, frame) == ref.encode_channels(chans, frame)
    a = host.decode_channels(payload, lengths, frame)
    b = ref.decode_channels(payload, lengths, frame)
    for x, ya, yb in zip(chans, a, b):
        np.testing.assert_array_equal(ya, yb)
        err = np.abs(ya.astype(np.int64) - np.asarray(x, np.int64))
        assert err.max() <= d and err.max() == d


def test_per_file_edge_cases(near, tmp_path):
    d, host, ref, elf = near
    x = edge_codes(4_000, seed=d)
    run = hc.run_hil_codec(elf, [x], tmp_path)
    _check(d, host, ref, run.payload, [x], 0)
    assert run.frame_insns.min() > 0


def test_per_file_dev_recording(near, dev_files, tmp_path):
    d, host, ref, elf = near
    x = to_codes(read_wav(dev_files[0]).samples).astype(np.int16)[:8_000]
    run = hc.run_hil_codec(elf, [x], tmp_path)
    _check(d, host, ref, run.payload, [x], 0)


def test_joint(near, tmp_path):
    d, host, ref, elf = near
    chans = list(to_codes(synth.generate(3, 0.15, seed=d)).astype(np.int16))
    chans = [chans[0], chans[1][:1500], chans[2]]
    run = hc.run_hil_codec(elf, chans, tmp_path, joint=True, frame=JOINT_FRAME)
    _check(d, host, ref, run.payload, chans, JOINT_FRAME)
