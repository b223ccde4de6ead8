"""The generated predictor cross-compiled for the Cortex-M4 and run in QEMU: its (L, log2s_q8)
equal the Python reference's, sample for sample, on a synthetic recording and a dev file."""
import numpy as np
import pytest

from codegen.emit import predictor as cp
from codegen.hil.predictor import run_hil_predict
from codegen.reference.compile import compile_model
from codegen.target.elf import build_elf
from codegen.target.toolchain import INSTALL_HINT, missing_tools
from refs import predictor
from spikey.model.files import resolve
from spikey.recordings import read_wav, synth, to_codes

_MISSING = missing_tools()
pytestmark = [
    pytest.mark.hil,
    pytest.mark.skipif(bool(_MISSING), reason=f"{', '.join(_MISSING)} not installed ({INSTALL_HINT})"),
]


def predictor_elf(pred, build_dir):
    """The generated predictor (without the frame API) + the runtime + firmware/hil/hil_predict.c,
    as `codegen build --target cortex-m4` builds it."""
    files = {n: t for n, t in cp.generate(pred).files.items() if not n.startswith(cp.CODEC)}
    return build_elf("cortex-m4", build_dir, hil="predictor", name="hil_predict", generated=files)


@pytest.fixture(scope="module")
def default(elf_dir):
    pred = predictor()              # the bundled default, calibrated on the fixed calibration set
    return pred, predictor_elf(pred, elf_dir)


def _check(pred, elf, codes, tmp_path):
    L, ls, total = run_hil_predict(elf, codes, tmp_path)
    ref_L, ref_ls = pred.predict(codes)
    assert np.array_equal(L, ref_L) and np.array_equal(ls, ref_ls)
    assert total["samples"] == len(codes) and total["insns"] > 0
    assert 0 < total["step_stack"] <= total["stack_max"] < total["stack_size"]


def test_synthetic_recording_bit_exact(default, tmp_path):
    codes = to_codes(synth.generate(1, 2.0, seed=3))[0].copy()
    codes[1000:1010] = [0, 1023] * 5            # ADC extremes
    codes[2000:2400] = 777                       # constant run
    _check(*default, codes, tmp_path)


def test_dev_recording_bit_exact(default, dev_files, tmp_path):
    _check(*default, to_codes(read_wav(dev_files[0]).samples), tmp_path)


def test_int8_build_bit_exact(elf_dir, tmp_path):
    pred = compile_model(resolve(None), weight_bits=8)
    _check(pred, predictor_elf(pred, elf_dir), to_codes(synth.generate(1, 0.5, seed=5))[0], tmp_path)
