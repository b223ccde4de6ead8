"""The foundation's promises on the real dev recordings (read from ../shared)."""
import subprocess
import sys

import pytest

from spikey.codec import decode_stream, encode_recording
from spikey.recordings import read_wav

pytestmark = pytest.mark.slow


def test_every_dev_file_roundtrips_and_the_baseline_ratio_holds(dev_files):
    original = compressed = 0
    for path in dev_files:
        data = path.read_bytes()
        stream = encode_recording(read_wav(path))
        assert decode_stream(stream) == data, path.name
        original += len(data)
        compressed += len(stream)
    ratio = original / compressed
    assert ratio >= 3.30, ratio


def test_cli_roundtrip_on_a_dev_file(dev_files, tmp_path):
    src = dev_files[0]
    for verb, a, b in (("encode", src, tmp_path / "c"), ("decode", tmp_path / "c", tmp_path / "d.wav")):
        subprocess.run([sys.executable, "-m", "spikey.cli", verb, a, b], check=True)
    assert (tmp_path / "d.wav").read_bytes() == src.read_bytes()
