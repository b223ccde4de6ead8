"""The generated predictor cross-compiled for the Cortex-M4 and run in QEMU: its (L, log2s_q8)
equal the Python reference's, sample for sample, on a synthetic recording and a dev file."""
import numpy as np
import pytest

from codegen import build as cbuild
from codegen import cgen_predictor as cp
from codegen import predictor as pr
from codegen.cortex_m import build_elf
from codegen.toolchain import INSTALL_HINT, missing_tools
from spikey_train import export as ex
from spikey_train.recordings import read_wav, synth, to_codes

_MISSING = missing_tools()
pytestmark = [
    pytest.mark.hil,
    pytest.mark.skipif(bool(_MISSING), reason=f"{', '.join(_MISSING)} not installed ({INSTALL_HINT})"),
]


@pytest.fixture(scope="module")
def default():
    _, meta = ex.load_model(cbuild.DEFAULT_MODEL)
    pred = pr.compile_model(cbuild.DEFAULT_MODEL, cbuild.calibration_data(meta).codes)
    elf = build_elf("cortex-m4", name="hil_predict", hil_sources=cbuild.HIL_SOURCES,
                    generated=cp.generate(pred).files)
    return pred, elf


def _check(pred, elf, codes, tmp_path):
    L, ls, total = cbuild.run_hil_predict(elf, codes, tmp_path)
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


def test_int8_build_bit_exact(tmp_path):
    _, meta = ex.load_model(cbuild.DEFAULT_MODEL)
    pred = pr.compile_model(cbuild.DEFAULT_MODEL, cbuild.calibration_data(meta).codes, weight_bits=8)
    elf = build_elf("cortex-m4", name="hil_predict", hil_sources=cbuild.HIL_SOURCES,
                    generated=cp.generate(pred).files)
    _check(pred, elf, to_codes(synth.generate(1, 0.5, seed=5))[0], tmp_path)
