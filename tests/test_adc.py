import numpy as np
import pytest

from spikey.recordings import GRID, from_codes, off_grid, read_wav, to_codes


def test_grid_is_symmetric_and_spans_int16():
    assert GRID[0] == -32768 and GRID[1023] == 32767
    assert np.all(GRID.astype(int) + GRID[::-1].astype(int) == -1)
    steps = np.diff(GRID.astype(int))
    assert set(steps.tolist()) <= {63, 64, 65}


def test_codes_invert_the_grid_exactly():
    codes = np.arange(1024)
    assert np.array_equal(to_codes(from_codes(codes)), codes)


def test_every_int16_has_a_code_and_off_grid_values_are_found():
    v = np.arange(-32768, 32768).astype(np.int16)
    codes = to_codes(v)
    assert codes.min() == 0 and codes.max() == 1023
    assert len(off_grid(v)) == 65536 - 1024
    assert len(off_grid(GRID)) == 0


def test_known_grid_values():
    # v ~ 64.06 k - 32767: checked against the real recordings' values
    assert from_codes([1, 2, 511, 512, 1022]).tolist() == [-32703, -32639, -32, 31, 32702]


@pytest.mark.slow
def test_every_value_of_the_dev_recordings_is_on_the_grid(dev_files):
    values = np.unique(np.concatenate([np.unique(read_wav(f).samples) for f in dev_files]))
    assert len(values) > 1000
    assert len(off_grid(values)) == 0
