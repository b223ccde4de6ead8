"""Frame lengths 1..256 (codegen build --frame): every joint stream, host C == Python
reference byte for byte and decoded back (also through the container, whose ``frame``
field carries the length); on the Cortex-M4 in QEMU, the per-file and joint streams of
every length equal the host's and the reference's (512 QEMU runs, as many at a time as
there are cores). The range coder does not flush at
frame boundaries, so the payload is the same for every frame length: asserted here too."""
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from refs import compiled, predictor, reference, runtime

from codegen.frame import FRAME_MAX
from codegen.target.toolchain import INSTALL_HINT, missing_tools
from spikey import container
from spikey.codec import decode_channels, encode_joint, joint_peers
from spikey.model import files
from spikey.recordings import from_codes, from_samples, synth, to_codes

FRAMES = range(1, FRAME_MAX + 1)
REFERENCE_DECODE = (1, 2, 3, 16, 64, 255, 256)       # the Python decoder is slow: a subset
_MISSING = missing_tools()


@pytest.fixture(scope="module")
def chans():
    x = to_codes(synth.generate(3, 0.06, seed=5)).astype(np.int64)
    return [x[0][:700], x[1][:1100], x[2][:90]]      # uneven: the last frames of a channel are short


@pytest.fixture(scope="module")
def ref_payload(chans):
    return reference().encode_channels(chans, 64)


def test_every_frame_host_equals_reference_and_round_trips(chans, ref_payload):
    ref, host = reference(), runtime()
    lengths = [len(x) for x in chans]
    recs = {f"ch{i}.wav": from_samples(from_codes(x), 19531) for i, x in enumerate(chans)}
    for f in FRAMES:
        p = host.encode_channels(chans, f)
        assert p == ref.encode_channels(chans, f) == ref_payload, f
        back = host.decode_channels(p, lengths, f)
        assert all(np.array_equal(a, b) for a, b in zip(back, chans)), f
        data = encode_joint(recs, host, f)
        s = container.unpack(data)
        assert s.frame == f and s.payload == ref_payload
        wavs = dict(decode_channels(data))
        assert all(wavs[n] == r.to_bytes() for n, r in recs.items()), f


@pytest.mark.parametrize("frame", REFERENCE_DECODE)
def test_reference_decodes_every_frame(chans, ref_payload, frame):
    back = reference().decode_channels(ref_payload, [len(x) for x in chans], frame)
    assert all(np.array_equal(a, b) for a, b in zip(back, chans))


def test_build_refuses_a_bad_frame(capsys):
    from codegen.cli import main
    for bad in ("0", "257"):
        assert main(["build", "--target", "host", "--frame", bad, "--out", "/nonexistent/x"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 2 and "must be an integer from 1 to 256" in err


@pytest.mark.hil
@pytest.mark.skipif(bool(_MISSING), reason=f"{', '.join(_MISSING)} not installed ({INSTALL_HINT})")
def test_qemu_per_file_and_joint_streams_at_every_frame(chans, ref_payload, tmp_path):
    from codegen.emit.predictor import generate
    from codegen.hil.codec import build_codec_elf, run_hil_codec
    elf = build_codec_elf(generate(predictor()).files, compiled(), tmp_path / "obj", frame=64, max_channels=3,
                          huffman=False, defines=(f"SPK_HIL_FRAME_MAX={FRAME_MAX}u",))
    host = runtime()
    per_file = [host.encode_channels([x]) for x in chans]

    def check(f):
        pf = run_hil_codec(elf, chans, tmp_path / f"pf{f}", frame=f)
        assert pf.payloads == per_file, f
        assert int(pf.frame_samples.max()) == min(f, max(len(x) for x in chans))
        jt = run_hil_codec(elf, chans, tmp_path / f"jt{f}", joint=True, frame=f)
        assert jt.payload == ref_payload, f
        return f

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:   # one QEMU process per run
        assert list(pool.map(check, FRAMES)) == list(FRAMES)


@pytest.mark.parametrize("frame", (1, 5, 16, 64, 256))
def test_middleout_joint_streams_at_several_frames(chans, frame):
    """MiddleOut (peer means between channels at each time step): the same for every frame length."""
    mo = str(files.BUNDLED / files.MIDDLEOUT)
    peers = joint_peers(chans, runtime(mo).peers, 19531)
    ref, host = reference(mo), runtime(mo)
    p = host.encode_channels(chans, frame, peers)
    assert p == ref.encode_channels(chans, frame, peers) == ref.encode_channels(chans, 64, peers)
    back = host.decode_channels(p, [len(x) for x in chans], frame, peers)
    assert all(np.array_equal(a, b) for a, b in zip(back, chans))
