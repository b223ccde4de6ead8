"""The learned codec cross-compiled for Cortex-M4 and run in QEMU: the third implementation.

Three-way byte equality (Python reference, host C through cffi, the firmware in QEMU) per
file and in joint frames, for the default model and a small random one, on synthetic edge
cases and a dev recording; the host decoder restores the input; instruction counts repeat
to the instruction; a fault, a hang and a stack overflow end the run with a status.
"""
import warnings

import numpy as np
import pytest

from codegen.emit.predictor import generate
from codegen.hil import codec as hc
from codegen.hil.qemu import run_qemu
from codegen.target.toolchain import INSTALL_HINT, missing_tools
from refs import predictor, reference, runtime
from spikey.learned import JOINT_FRAME, LearnedCodec
from spikey.recordings import read_wav, synth, to_codes

_MISSING = missing_tools()
pytestmark = [
    pytest.mark.hil,
    pytest.mark.skipif(bool(_MISSING), reason=f"{', '.join(_MISSING)} not installed ({INSTALL_HINT})"),
]

PER_FILE_CODERS = ("range", "rice_scaled", "rice_fixed", "huffman_prior")


def edge_codes(n=6_000, seed=0) -> np.ndarray:
    """Random walk, full-scale bursts, alternating extremes, a constant run, white noise; n not a multiple of 64."""
    rng = np.random.default_rng(seed)
    x = np.clip(520 + np.cumsum(rng.integers(-4, 5, n)) // 4, 0, 1023)
    t = np.arange(300)
    x[500:800] = np.clip(x[500:800] + (470 * np.sin(t / 5) * np.exp(-t / 90)).astype(np.int64), 0, 1023)
    x[1000:1010] = [0, 1023] * 5
    x[2000:2500] = 777
    x[3000:3400] = rng.integers(0, 1024, 400)
    x[-3:] = [1023, 0, 1023]
    return x.astype(np.int16)


class Codec:
    """One model: its codecs (reference and host C per coder) and its QEMU ELF."""

    def __init__(self, build_dir, model_dir=None):
        self.model_dir, self.build_dir = model_dir, build_dir
        self.ref = {c: reference(model_dir, c) for c in PER_FILE_CODERS}
        # the bundled default runs its shipped compiled/; a test model (no compiled/) is compiled in memory
        self.host = {c: LearnedCodec(None, c) if model_dir is None else runtime(model_dir, c) for c in PER_FILE_CODERS}
        self.pred, self.model = predictor(model_dir), self.host["range"].model
        self.elf = self.build(max_channels=4, huffman=True)

    def build(self, **kw):
        """The codec ELF: the frame API generated for the Cortex-M + the runtime + the HIL main."""
        return hc.build_codec_elf(generate(self.pred).files, self.model, self.build_dir, **kw)

    def per_file(self, x, coder, work):
        ref, host = self.ref[coder], self.host[coder]
        param = host.param(np.asarray(x, np.int64))
        run = hc.run_hil_codec(self.elf, [x], work, coder=coder, params=[param])
        r, h = ref.encode_channels([x]), host.encode_channels([x])
        assert run.payload == h == r, f"{coder}: QEMU {len(run.payload)} B, host {len(h)} B, reference {len(r)} B"
        back = host.decode_channels(run.payload, [len(x)])[0]
        np.testing.assert_array_equal(back, x)
        assert run.samples == len(x) == run.total["samples"]
        assert len(run.frames) == -(-len(x) // self.elf.frame)
        return run

    def joint(self, chans, work):
        ref, host = self.ref["range"], self.host["range"]
        run = hc.run_hil_codec(self.elf, chans, work, joint=True, frame=JOINT_FRAME)
        r, h = ref.encode_channels(chans, JOINT_FRAME), host.encode_channels(chans, JOINT_FRAME)
        assert run.payload == h == r
        for a, b in zip(host.decode_channels(run.payload, [len(c) for c in chans], JOINT_FRAME), chans):
            np.testing.assert_array_equal(a, b)
        return run


@pytest.fixture(scope="module")
def default(elf_dir):
    return Codec(elf_dir)


@pytest.fixture(scope="module")
def random_model(elf_dir, tmp_path_factory):
    """A small random Spikey model (laplace family, 2 wavelet levels), exported as training would."""
    torch = pytest.importorskip("torch")
    from spikey_train import export as ex
    from spikey_train.model import SpikeyNet
    from spikey_train.train import config_from_dict
    cfg = config_from_dict({"features": {"window": 5, "levels": 2, "taps": 7, "ema_shifts": [2, 5],
                                         "ema2_shifts": [6], "norm_ema": 0},
                            "model": {"projector": "fc", "hidden": [10, 6], "latent": 6, "predictor": [4],
                                      "family": "laplace"}})
    torch.manual_seed(1)
    net = SpikeyNet(cfg.features.n_inputs, cfg.model).eval()
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(2.0)
    d = tmp_path_factory.mktemp("random-model")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ex.export_model(net, cfg, d)
    return Codec(elf_dir, d)


@pytest.mark.parametrize("coder", PER_FILE_CODERS)
def test_default_per_file_edge_cases_three_way(default, coder, tmp_path):
    default.per_file(edge_codes(), coder, tmp_path)


@pytest.mark.parametrize("n", [1, 2, 63, 64, 65])
def test_default_short_channels_three_way(default, n, tmp_path):
    default.per_file(edge_codes(seed=n)[:n], "range", tmp_path)


def test_default_joint_three_way(default, tmp_path):
    chans = list(to_codes(synth.generate(3, 0.5, seed=1)).astype(np.int16))
    run = default.joint(chans, tmp_path / "equal")
    assert len(run.joint_insns) == -(-len(chans[0]) // JOINT_FRAME)
    assert run.total["worst_joint_insns"] == run.joint_insns.max()
    # unequal lengths (channels end at different frames)
    default.joint([chans[0][:1000], chans[1][:130], chans[2][:64]], tmp_path / "ragged")


def test_default_dev_recording_three_way(default, dev_files, tmp_path):
    x = to_codes(read_wav(dev_files[0]).samples).astype(np.int16)[:20_000]
    run = default.per_file(x, "range", tmp_path / "range")
    assert run.frame_insns.min() > 0
    default.per_file(x, "rice_scaled", tmp_path / "rice")


def test_instruction_counts_are_deterministic(default, tmp_path):
    x = edge_codes()[:3_000]
    a = hc.run_hil_codec(default.elf, [x], tmp_path / "a")
    b = hc.run_hil_codec(default.elf, [x], tmp_path / "b")
    np.testing.assert_array_equal(a.frames, b.frames)
    assert a.total["insns"] == b.total["insns"]
    assert a.payload == b.payload


@pytest.mark.parametrize("coder", PER_FILE_CODERS)
def test_random_model_per_file_three_way(random_model, coder, tmp_path):
    random_model.per_file(edge_codes(seed=5)[:3_000], coder, tmp_path)


def test_random_model_joint_three_way(random_model, tmp_path):
    random_model.joint(list(to_codes(synth.generate(3, 0.2, seed=2)).astype(np.int16)), tmp_path)


def _variant(default, define):
    return default.build(defines=(define,), name="hil_codec_" + define[8:].lower())


def test_fault_ends_the_run_with_its_status(default, tmp_path):
    res = run_qemu(_variant(default, "SPK_HIL_FAULT_TEST"), tmp_path, timeout=30)
    assert res.status == "fault" and res.fault == "BusFault", res.describe()


def test_hang_ends_with_timeout_status(default, tmp_path):
    res = run_qemu(_variant(default, "SPK_HIL_HANG_TEST"), tmp_path, timeout=2)
    assert res.status == "timeout"


def test_stack_overflow_ends_with_a_status(default, tmp_path):
    res = run_qemu(_variant(default, "SPK_HIL_STACK_TEST"), tmp_path, timeout=30)
    assert res.status == "error" and res.returncode == 2, res.describe()
    assert "SPIKEY error stack overflow" in res.console


def test_bad_input_is_refused_with_a_message(default, tmp_path):
    (tmp_path / "input.spk").write_bytes(b"SPKH" + b"\0" * 20)
    res = run_qemu(default.elf, tmp_path, timeout=30)
    assert res.status == "error" and "bad header" in res.console


def test_codegen_build_records_instructions_and_report(random_model, tmp_path):
    """`codegen build --target cortex-m4` checks three ways and records counts + the report."""
    import json

    from codegen.build import build
    info = build("cortex-m4", random_model.model_dir, tmp_path / "out", log=lambda s: None)
    assert info["codec"]["three_way"]["equal"] and info["codec"]["repeatable"]["equal"]
    ins = json.loads((tmp_path / "out" / "instructions.json").read_text())
    assert "synthetic" in ins["data"]                  # a random model has no validation split
    assert ins["per_file"]["insns_per_sample"] > 0 and ins["per_file"]["insns_worst_frame"] > 0
    assert ins["joint"]["insns_worst_joint_frame"] >= ins["per_file"]["insns_worst_frame"]
    for f in ("report.json", "report.md", "report.png", "measurements.json", "hil_codec.elf"):
        assert (tmp_path / "out" / f).is_file(), f
    m = json.loads((tmp_path / "out" / "measurements.json").read_text())
    assert m["figures"]["cycles_per_sample"]["value"] is not None
